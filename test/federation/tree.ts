/**
 * Federation tests' nodes: each a createTestNode (its own database) served on a loopback port by
 * @hono/node-server, all sharing the test Redis under their own key prefix.
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
// The app first, as main.ts loads it: its routes extend the domain's zod schemas for OpenAPI
// (@hono/zod-openapi), which only schemas made after it is loaded can be.
import { createTestNode, type TestNode } from '../support/node.js';
import { pino } from 'pino';
import { startBullmqWorker, type BullmqWorker } from '../../src/jobs/bullmq-runner.js';
import { jobHandlers } from '../../src/jobs/handlers/index.js';
import type { Body } from '../support/json.js';

export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface ServedNode {
  node: TestNode;
  name: string;
  url: string;
  id: string;
  server: ServerType;
  /** Every request the node was sent, as `METHOD /path?query`, in order. */
  requests: string[];
  /** Starts a BullMQ worker running this node's jobs (pulls); close it before the node. */
  startWorker(): BullmqWorker;
  /** Stops listening (connections in flight are cut); the node's database stays. */
  stop(): Promise<void>;
  close(): Promise<void>;
}

export async function serveNode(name: string, role: string, overrides: Record<string, unknown> = {}): Promise<ServedNode> {
  const node = await createTestNode({
    node: { name, role },
    queue: { redis_url: REDIS_URL, prefix: `fedtest_${randomBytes(4).toString('hex')}_${name}` },
    ...overrides,
  });
  const requests: string[] = [];
  const fetch: typeof node.app.fetch = (req, ...rest) => {
    const url = new URL(req.url);
    requests.push(`${req.method} ${url.pathname}${url.search}`);
    return node.app.fetch(req, ...rest);
  };
  const server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const id = (await node.deps.federation.identity()).nodeId;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    const s = server as ServerType & { closeAllConnections?: () => void };
    await new Promise((r) => {
      server.close(r);
      s.closeAllConnections?.();
    });
  };
  return {
    node,
    name,
    url,
    id,
    server,
    requests,
    startWorker: () => startBullmqWorker({ redisUrl: REDIS_URL, prefix: node.deps.config.queue.prefix, log: pino({ level: 'silent' }), handlers: jobHandlers(node.deps, () => node.deps.queue), concurrency: 4 }),
    stop,
    async close() {
      await stop();
      await node.close();
    },
  };
}

/** The upstream's admin issues a token; the child's admin enrols with it. Returns the child's view of the upstream. */
export async function enrol(
  child: ServedNode,
  upstream: ServedNode,
  grant: { permissions?: string[]; project?: string } = {},
  extra: { url?: string; timeout_ms?: number; fingerprint?: string } = {},
): Promise<Body> {
  const token = await issueToken(upstream, grant);
  const res = await child.node.request('POST', '/federation/v1/admin/upstreams', {
    as: child.node.admin,
    json: { url: extra.url ?? upstream.url, token, ...(extra.timeout_ms ? { timeout_ms: extra.timeout_ms } : {}), ...(extra.fingerprint ? { fingerprint: extra.fingerprint } : {}) },
  });
  if (res.status !== 201) throw new Error(`enrolment of ${child.name} with ${upstream.name} failed: ${res.status} ${await res.text()}`);
  return res.json();
}

export async function issueToken(upstream: ServedNode, grant: { permissions?: string[]; project?: string; expires_in_seconds?: number } = {}): Promise<string> {
  const res = await upstream.node.request('POST', '/federation/v1/admin/enrolment-tokens', {
    as: upstream.node.admin,
    json: { permissions: grant.permissions ?? ['search', 'pull'], ...(grant.project ? { project: grant.project } : {}), ...(grant.expires_in_seconds ? { expires_in_seconds: grant.expires_in_seconds } : {}) },
  });
  if (res.status !== 201) throw new Error(`token: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

/** Publishes an image, optionally with bytes (which make its digest). */
export async function publishImage(n: ServedNode, name: string, version: string, bytes?: string): Promise<Body> {
  const who = n.node.as({ project: 'publisher' });
  const created = await n.node.seed('images', { name, version }, { as: who });
  if (bytes !== undefined) {
    const up = await n.node.request('PUT', `/artifacts/images/${created.id}/image`, { as: who, body: bytes, headers: { 'content-type': 'application/octet-stream' } });
    if (up.status !== 200) throw new Error(`upload: ${up.status} ${await up.text()}`);
  }
  const res = await n.node.request('PATCH', `/artifacts/images/${created.id}`, {
    as: n.node.admin,
    patch: [
      { op: 'replace', path: '/status', value: 'active' },
      { op: 'replace', path: '/visibility', value: 'public' },
    ],
  });
  if (res.status !== 200) throw new Error(`publish: ${res.status} ${await res.text()}`);
  return res.json();
}

/** Polls `read` until `done` holds of what it returns (or fails after `timeoutMs`). */
export async function until<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: last ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
