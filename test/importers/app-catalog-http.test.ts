/** POST /import/app-catalog runs the importer as a job; the run reports progress and the result. */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Body } from '../support/json.js';
import { importRuns } from '../../src/db/schema/index.js';
import { createTestNode, type TestNode } from '../support/node.js';
import { startTcpProxy } from '../support/tcp-proxy.js';

const SAMPLE = readFileSync(new URL('../fixtures/app-catalog/sample-assets.yaml', import.meta.url), 'utf8');
let node: TestNode;

const post = (body: string, as?: Record<string, string>, query = '') => node.request('POST', `/import/app-catalog${query}`, { as: as ?? node.admin, body, headers: { 'content-type': 'application/yaml' } });

async function finished(path: string): Promise<Body> {
  for (let i = 0; i < 200; i++) {
    const run = await (await node.request('GET', path, { as: node.admin })).json();
    if (run.status === 'done' || run.status === 'failed') return run;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the import did not finish');
}

beforeAll(async () => {
  node = await createTestNode();
});
afterAll(() => node.close());

describe('POST /import/app-catalog', () => {
  it('queues a job whose run reports progress and the report; re-posting duplicates nothing', async () => {
    const res = await post(SAMPLE, node.admin, '?project=community-catalog');
    expect(res.status).toBe(202);
    const queued = await res.json();
    expect(queued).toMatchObject({ status: 'queued', project: 'community-catalog', total: 6 });
    const run = await finished(res.headers.get('location')!);
    expect(run).toMatchObject({ status: 'done', done: 6, total: 6, error: null, finished_at: expect.any(String) });
    expect(run.report.created).toHaveLength(5);
    expect(run.report.skipped).toEqual([{ index: 5, name: 'Broken Entry Without Service', reason: expect.stringMatching(/^malformed/) }]);

    const again = await finished((await post(SAMPLE, node.admin, '?project=community-catalog')).headers.get('location')!);
    expect(again.report).toMatchObject({ created: [], updated: [] });
    const listed = await (await node.request('GET', '/artifacts/all?owner=community-catalog&limit=100')).json();
    expect(listed.artifacts).toHaveLength(5);
    expect(listed.artifacts.every((a: Body) => a.status === 'active' && a.visibility === 'public')).toBe(true);
  });

  it('is for admins only: members and anonymous callers get 403, and may not read runs', async () => {
    expect((await post(SAMPLE, node.as({ project: 'p1' }))).status).toBe(403);
    expect((await post(SAMPLE, {})).status).toBe(403);
    const run = await (await post(SAMPLE)).json();
    expect((await node.request('GET', `/import/app-catalog/${run.id}`, { as: node.as({ project: 'p1' }) })).status).toBe(403);
  });

  it('refuses what is not an assets file with 400, a wrong content type with 415, and answers 404 for an unknown run', async () => {
    const notAssets = await post('hello: world');
    expect(notAssets.status).toBe(400);
    expect((await notAssets.json()).error.message).toMatch(/"assets"/);
    expect((await post('assets: [')).status).toBe(400);
    expect((await node.request('POST', '/import/app-catalog', { as: node.admin, body: SAMPLE, headers: { 'content-type': 'application/zip' } })).status).toBe(415);
    expect((await node.request('GET', '/import/app-catalog/8d1c2f2a-1111-4a4a-9b9b-000000000000', { as: node.admin })).status).toBe(404);
    expect((await node.request('GET', '/import/app-catalog/nope', { as: node.admin })).status).toBe(404);
  });

  it('is in the OpenAPI document', async () => {
    const doc = await (await node.request('GET', '/openapi.json')).json();
    expect(doc.paths['/import/app-catalog']).toBeDefined();
    expect(doc.paths['/import/app-catalog/{run_id}']).toBeDefined();
  });
});

describe('POST /import/app-catalog while the job queue (Redis) is away', () => {
  it('answers 503 with Retry-After and ends the run it recorded as failed, not queued for ever', async () => {
    const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
    const redis = new URL(redisUrl);
    const proxy = await startTcpProxy({ host: redis.hostname, port: Number(redis.port || 6379) });
    const cutOff = await createTestNode({ queue: { redis_url: proxy.rewrite(redisUrl), prefix: `test_import_outage_${process.pid}` } });
    try {
      proxy.cut('reset');
      const res = await cutOff.request('POST', '/import/app-catalog', { as: cutOff.admin, body: SAMPLE, headers: { 'content-type': 'application/yaml' } });
      expect(res.status, await res.clone().text()).toBe(503);
      expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
      const runs = await cutOff.deps.db.select().from(importRuns);
      expect(runs).toHaveLength(1);
      expect(runs[0]).toMatchObject({ status: 'failed', error: expect.stringMatching(/job queue \(Redis\)/), finishedAt: expect.any(Date) });
    } finally {
      proxy.restore();
      await cutOff.close();
      await proxy.close();
    }
  });
});
