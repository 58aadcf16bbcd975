/**
 * PostgreSQL taken away mid-request (a TCP proxy between the node and PostgreSQL resets every
 * connection and swallows new ones): requests answer 503 with Retry-After in bounded time, never
 * 500 and never hang; /readyz says 503 at once; once PostgreSQL is back the node serves again by
 * itself, and every create it acknowledged is there.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres } from '../../src/db/client.js';
import { ADMIN_URL, createTestDatabase } from '../support/database.js';
import { createTestNode, type TestNode } from '../support/node.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

const CONNECT_TIMEOUT_S = 1;
/**
 * No request may take longer during the outage: a query may wait for a pool connection whose own
 * connect attempt times out before its own attempt does, plus room for a loaded machine.
 */
const BOUND_MS = 3 * CONNECT_TIMEOUT_S * 1000 + 1000;

let node: TestNode;
let proxy: TcpProxy;
const owner = { 'X-User-Id': 'u1', 'X-Project-Id': 'p1', 'X-Roles': 'member' };

beforeAll(async () => {
  const direct = await createTestDatabase();
  const pg = new URL(ADMIN_URL);
  proxy = await startTcpProxy({ host: pg.hostname, port: Number(pg.port || 5432) });
  const proxied = openPostgres(proxy.rewrite(direct.url), { poolSize: 4, connectTimeoutSeconds: CONNECT_TIMEOUT_S, statementTimeoutMs: 5000 });
  node = await createTestNode({}, {
    ...proxied,
    async drop() {
      await proxied.close();
      await direct.drop();
    },
  });
});
afterAll(async () => {
  proxy.restore();
  await node.close();
  await proxy.close();
});

interface Outcome {
  status: number;
  ms: number;
  startedAt: number;
  retryAfter: string | null;
  createdId?: string;
}

async function timed(method: string, path: string, json?: unknown): Promise<Outcome> {
  const t0 = performance.now();
  const res = await node.request(method, path, { as: owner, ...(json === undefined ? {} : { json }) });
  const body = res.headers.get('content-type')?.includes('json') ? ((await res.json()) as { id?: string }) : undefined;
  return {
    status: res.status,
    ms: performance.now() - t0,
    startedAt: t0,
    retryAfter: res.headers.get('retry-after'),
    ...(method === 'POST' && res.status === 201 ? { createdId: body?.id } : {}),
  };
}

describe('PostgreSQL outage', () => {
  it('answers 503 with Retry-After in bounded time, recovers by itself and loses nothing acknowledged', async () => {
    let n = 0;
    const outcomes: Outcome[] = [];
    let running = true;
    const worker = async () => {
      while (running) {
        const i = n++;
        outcomes.push(await (i % 2 === 0 ? timed('POST', '/artifacts/heat_environments', { name: `outage-${i}`, version: '1.0.0' }) : timed('GET', '/artifacts/heat_environments?limit=5')));
      }
    };
    const load = Array.from({ length: 8 }, () => worker());

    await new Promise((r) => setTimeout(r, 500));
    const beforeCut = outcomes.length;
    proxy.cut();
    await new Promise((r) => setTimeout(r, 2500));

    const ready = await timed('GET', '/readyz');
    expect(ready.status).toBe(503);
    expect(ready.ms).toBeLessThan(1000);

    proxy.restore();
    // Recovery: the node's pool reconnects on its own.
    let recovered: Outcome | undefined;
    for (let i = 0; i < 50 && recovered?.status !== 200; i++) {
      recovered = await timed('GET', '/readyz');
      if (recovered.status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(recovered?.status).toBe(200);
    const recoveredAt = performance.now();
    await new Promise((r) => setTimeout(r, 500));
    running = false;
    await Promise.all(load);

    expect(beforeCut).toBeGreaterThan(0);
    const statuses = new Set(outcomes.map((o) => o.status));
    expect([...statuses].sort()).toEqual([200, 201, 503]);
    for (const o of outcomes) {
      expect(o.ms, `a request took ${o.ms} ms`).toBeLessThan(BOUND_MS);
      if (o.status === 503) expect(o.retryAfter).toMatch(/^\d+$/);
    }
    // Everything asked after recovery succeeded.
    const after = outcomes.filter((o) => o.startedAt > recoveredAt);
    expect(after.length).toBeGreaterThan(0);
    expect(after.filter((o) => o.status >= 300)).toEqual([]);

    const acknowledged = outcomes.filter((o) => o.createdId).map((o) => o.createdId!);
    expect(acknowledged.length).toBeGreaterThan(0);
    for (const id of acknowledged) {
      expect((await node.request('GET', `/artifacts/heat_environments/${id}`, { as: owner })).status, id).toBe(200);
    }
  });
});
