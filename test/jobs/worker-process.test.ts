/**
 * `catalog-node worker` as its own process: with REDIS_URL, `serve` only queues jobs and the worker
 * runs them; jobs queued while no worker runs wait in Redis and run once a worker (re)starts.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../support/database.js';
import type { Body } from '../support/json.js';
import { startNodeProcess, startWorkerProcess, type NodeProcess } from '../support/node-process.js';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const SAMPLE = readFileSync(new URL('../fixtures/app-catalog/sample-assets.yaml', import.meta.url), 'utf8');
const ADMIN = { 'X-User-Id': 'root', 'X-Project-Id': 'admin-project', 'X-Roles': 'admin' };

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let serve: NodeProcess;
const prefix = `workertest_${randomBytes(4).toString('hex')}`;
const config = { queue: { redis_url: REDIS_URL, prefix } };
const started: NodeProcess[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  serve = await startNodeProcess(database.url, config);
  started.push(serve);
});
afterAll(async () => {
  await Promise.all(started.map((p) => p.stop()));
  await database?.drop();
  const redis = new Redis(REDIS_URL);
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

async function importRun(project: string): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${serve.port}/import/app-catalog?project=${project}`, { method: 'POST', headers: { ...ADMIN, 'content-type': 'application/yaml' }, body: SAMPLE });
  expect(res.status, await res.clone().text()).toBe(202);
  return res.headers.get('location')!;
}

async function run(location: string): Promise<Body> {
  return (await fetch(`http://127.0.0.1:${serve.port}${location}`, { headers: ADMIN })).json();
}

async function finished(location: string): Promise<Body> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const r = await run(location);
    if (r.status === 'done' || r.status === 'failed') return r;
    if (Date.now() > deadline) throw new Error(`the run did not finish: ${JSON.stringify(r)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('catalog-node worker', () => {
  it('runs the jobs serve queues; jobs queued while it is stopped run once it is back', async () => {
    // serve with REDIS_URL only queues: nothing runs the job yet.
    const first = await importRun('before-worker');
    await new Promise((r) => setTimeout(r, 1500));
    expect((await run(first)).status).toBe('queued');

    const worker = await startWorkerProcess(database.url, config);
    started.push(worker);
    expect(await finished(first)).toMatchObject({ status: 'done', done: 6, total: 6 });
    expect(worker.logs.some((l) => l.msg === 'job done' && l.kind === 'import-app-catalog')).toBe(true);

    await worker.stop();
    expect(await worker.exited).toEqual({ code: 0, signal: null });
    const whileDown = await importRun('while-down');
    await new Promise((r) => setTimeout(r, 1500));
    expect((await run(whileDown)).status).toBe('queued');

    const restarted = await startWorkerProcess(database.url, config);
    started.push(restarted);
    const done = await finished(whileDown);
    expect(done).toMatchObject({ status: 'done', project: 'while-down', done: 6, total: 6, error: null });
  });
});
