/**
 * @module Per-request plumbing: a request id, a child logger, one canonical access line per
 * request, and the Prometheus request metrics.
 */
import { randomUUID } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { Logger } from 'pino';
import { Counter, Histogram, type Registry } from 'prom-client';
import { actorProject } from '../artifacts/actor.js';
import type { AppEnv } from './env.js';
import { CLIENT_CLOSED_REQUEST } from './errors.js';

const INCOMING_ID = /^[A-Za-z0-9._-]{8,128}$/;

export function requestContext(options: { log: Logger; metrics: Registry }): MiddlewareHandler<AppEnv> {
  const requests = new Counter({
    name: 'catalog_http_requests_total',
    help: 'HTTP requests answered, by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [options.metrics],
  });
  const duration = new Histogram({
    name: 'catalog_http_request_duration_seconds',
    help: 'Time to answer HTTP requests (until the handler returns; streamed bodies may take longer)',
    labelNames: ['method', 'route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [options.metrics],
  });

  return async function requestContext(c, next) {
    const started = performance.now();
    const incoming = c.req.header('x-request-id');
    const requestId = incoming && INCOMING_ID.test(incoming) ? incoming : `req-${randomUUID()}`;
    c.set('requestId', requestId);
    c.set('log', options.log.child({ requestId }));
    c.header('X-Request-Id', requestId);
    await next();
    const handler = matchedRoutes(c).at(-1);
    const route = handler && handler.method !== 'ALL' ? handler.path : 'unmatched';
    const status = c.res.status;
    const seconds = (performance.now() - started) / 1000;
    requests.inc({ method: c.req.method, route, status: String(status) });
    duration.observe({ method: c.req.method, route }, seconds);
    const actor = c.get('actor');
    c.get('log').info(
      {
        method: c.req.method,
        route,
        path: c.req.path,
        status,
        ms: Math.round(seconds * 10000) / 10,
        project: actor ? actorProject(actor) : undefined,
        outcome: status === CLIENT_CLOSED_REQUEST ? 'aborted' : status >= 500 ? 'error' : status >= 400 ? 'refused' : 'ok',
      },
      'request',
    );
  };
}
