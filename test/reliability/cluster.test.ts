/**
 * `serve` with two worker processes on one port: a write through either process makes every
 * process forget its remembered list counts, so no client is answered a stale total; /metrics,
 * whichever process answers it, counts the requests of all of them; a child node suspended
 * through either process is refused by both on its next request.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signNodeJwt } from '../../src/federation/node-jwt.js';
import { serveNode, type ServedNode } from '../federation/tree.js';
import { createTestDatabase } from '../support/database.js';
import { startNodeProcess, type NodeProcess } from '../support/node-process.js';

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let node: NodeProcess;
const owner = { 'X-User-Id': 'u1', 'X-Project-Id': 'p1', 'X-Roles': 'member' };

beforeAll(async () => {
  database = await createTestDatabase();
  node = await startNodeProcess(database.url, { server: { processes: 2 }, api: { list_count_ttl_seconds: 3600 } });
});
afterAll(async () => {
  await node.stop();
  await database.drop();
});

/** One request on a connection of its own: the primary hands new connections to the workers in turn. */
function call(
  method: string,
  path: string,
  json?: unknown,
  headers: Record<string, string> = owner,
): Promise<{ status: number; body: { total_count?: number; token?: string; error?: { message: string } } | undefined; text: string }> {
  return new Promise((resolve, reject) => {
    const body = json === undefined ? undefined : JSON.stringify(json);
    const req = request(
      { host: '127.0.0.1', port: node.port, method, path, agent: false, headers: { ...headers, ...(body ? { 'content-type': 'application/json' } : {}) } },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode!, body: res.headers['content-type']?.includes('json') ? JSON.parse(text) : undefined, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const totals = async (times: number) => {
  const out: number[] = [];
  for (let i = 0; i < times; i++) {
    const res = await call('GET', '/artifacts/heat_templates?limit=1');
    expect(res.status).toBe(200);
    out.push(res.body?.total_count ?? Number.NaN);
  }
  return out;
};

describe('several processes', () => {
  it('forget remembered counts in every process after a write through any of them', async () => {
    for (const name of ['a', 'b', 'c']) expect((await call('POST', '/artifacts/heat_templates', { name })).status).toBe(201);
    // Every process remembers the count now.
    expect(await totals(6)).toEqual([3, 3, 3, 3, 3, 3]);

    for (let i = 0; i < 4; i++) {
      expect((await call('POST', '/artifacts/heat_templates', { name: `more-${i}` })).status).toBe(201);
      expect(await totals(4)).toEqual(Array(4).fill(4 + i));
    }
  });

  it('answer /metrics for the whole node, whichever process takes the scrape', async () => {
    const listed = async () => {
      const { status, text } = await call('GET', '/metrics');
      // prom-client's aggregation gives up after 5 s; say so rather than read a missing line as 0.
      expect(status, text.slice(0, 300)).toBe(200);
      const m = /catalog_http_requests_total\{method="GET",route="\/artifacts\/:type",status="200"\} (\d+)/.exec(text);
      return Number(m?.[1] ?? 0);
    };
    const before = await listed();
    await totals(10);
    // Two scrapes, so both processes answer one.
    expect(await listed()).toBe(before + 10);
    expect(await listed()).toBe(before + 10);
  });

  it('refuse a child suspended through one process in every process, on its next request', async () => {
    const admin = { 'X-User-Id': 'root', 'X-Project-Id': 'admin', 'X-Roles': 'admin' };
    let child: ServedNode | undefined;
    try {
      child = await serveNode('cluster-child', 'enterprise');
      const issued = await call('POST', '/federation/v1/admin/enrolment-tokens', { permissions: ['search'] }, admin);
      expect(issued.status, issued.text).toBe(201);
      const enrolled = await child.node.request('POST', '/federation/v1/admin/upstreams', { as: child.node.admin, json: { url: `http://127.0.0.1:${node.port}/`, token: issued.body!.token } });
      expect(enrolled.status, await enrolled.clone().text()).toBe(201);
      const upstreamId = ((await enrolled.json()) as { node_id: string }).node_id;
      const identity = await child.node.deps.federation.identity();
      const search = async () => {
        const path = '/federation/v1/search?type=heat_templates';
        return call('GET', path, undefined, { authorization: `Bearer ${await signNodeJwt(identity, upstreamId, { method: 'GET', path }, new Date(), 60)}` });
      };
      // Both processes take a turn (new connections alternate) and remember the child as active.
      for (let i = 0; i < 4; i++) expect((await search()).status).toBe(200);
      expect((await call('POST', `/federation/v1/admin/children/${identity.nodeId}/suspend`, undefined, admin)).status).toBe(200);
      // At once, well within the second a process may keep what it read without being told.
      const after = await Promise.all([search(), search(), search(), search()]);
      expect(after.map((r) => [r.status, r.body?.error?.message.includes('suspended')])).toEqual(Array(4).fill([403, true]));
    } finally {
      await child?.close();
    }
  });
});
