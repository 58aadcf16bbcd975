/** @module Liveness, readiness, Prometheus metrics and the API version root. */
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { databaseReady } from '../artifacts/readiness.js';
import type { Deps } from '../deps.js';
import type { AppEnv } from './env.js';

const Status = z.object({ status: z.string(), checks: z.record(z.string(), z.string()).optional() }).openapi('Health');

const versionsRoute = createRoute({
  method: 'get',
  path: '/',
  summary: 'API versions',
  responses: { 200: { description: 'Links to the API versions', content: { 'application/json': { schema: z.object({ versions: z.array(z.unknown()) }) } } } },
});
const liveRoute = createRoute({
  method: 'get',
  path: '/healthz',
  summary: 'Liveness: the process answers',
  responses: { 200: { description: 'Alive', content: { 'application/json': { schema: Status } } } },
});
const readyRoute = createRoute({
  method: 'get',
  path: '/readyz',
  summary: 'Readiness: the database answers',
  responses: {
    200: { description: 'Ready', content: { 'application/json': { schema: Status } } },
    503: { description: 'Not ready', content: { 'application/json': { schema: Status } } },
  },
});

export function healthRouter(deps: Deps) {
  const router = new OpenAPIHono<AppEnv>();

  router.openapi(versionsRoute, (c) => {
    const origin = new URL(c.req.url).origin;
    return c.json(
      { versions: [{ id: 'v1.1', status: 'CURRENT', links: [{ rel: 'self', href: `${origin}/` }], min_version: '1.0', version: '1.1' }] },
      200,
    );
  });

  router.openapi(liveRoute, (c) => c.json({ status: 'ok' }, 200));

  // A load balancer's probe gives up after a second or so: during an outage answer 503 within
  // the readiness timeout, not after the driver's connect timeout.
  const readyWithinMs = deps.config.server.readiness_timeout_ms;
  router.openapi(readyRoute, async (c) => {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), readyWithinMs);
    });
    const ready = await Promise.race([databaseReady(deps), timedOut]);
    clearTimeout(timer);
    if (ready) return c.json({ status: 'ok', checks: { database: 'ok' } }, 200);
    c.var.log.warn({ withinMs: readyWithinMs }, 'readiness check failed: the database does not answer');
    c.header('Retry-After', '5');
    return c.json({ status: 'unavailable', checks: { database: 'unreachable' } }, 503);
  });

  router.get('/metrics', async (c) => {
    c.header('Content-Type', deps.metrics.contentType);
    return c.body(await deps.metricsText(), 200);
  });

  return router;
}
