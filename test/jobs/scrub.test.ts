import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BlobKey } from '../../src/blobs/blob-store.js';
import { writeHashed } from '../../src/blobs/digest.js';
import { findBlob, reserveBlob } from '../../src/db/queries/blobs.js';
import { createBullmqQueue, startBullmqWorker } from '../../src/jobs/bullmq-runner.js';
import { scrubBlobsHandler } from '../../src/jobs/handlers/scrub-blobs.js';
import { createInlineQueue } from '../../src/jobs/inline-runner.js';
import { PermanentJobError, type JobHandler } from '../../src/jobs/queue.js';
import { z } from 'zod';
import { createTestNode, type TestNode } from '../support/node.js';

let node: TestNode;
const log = pino({ level: 'silent' });
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

async function locators(): Promise<string[]> {
  const out: string[] = [];
  for await (const o of node.deps.blobs.byName('local').store.list()) out.push(o.locator);
  return out;
}

/** Leaves what a crash would: bytes in the store that no blob row records. */
async function orphan(text: string): Promise<string> {
  const { locator } = await writeHashed(node.deps.blobs.byName('local').store, Readable.from([Buffer.from(text)]), {
    key: 'orphan' as BlobKey,
    signal: new AbortController().signal,
    maxBytes: 1024,
  });
  return locator;
}

beforeAll(async () => {
  node = await createTestNode();
});
afterAll(() => node.close());

describe('scrub-blobs', () => {
  it('removes orphaned bytes and dead uploads, keeps what artifacts use, and spares recent bytes', async () => {
    const owner = node.as({ project: 'p1' });
    const kept = await node.seed('heat_environments', { name: 'kept' }, { as: owner });
    await node.request('PUT', `/artifacts/heat_environments/${kept.id}/environment`, { as: owner, body: 'in use', headers: { 'content-type': 'text/plain' } });
    const lost = await orphan('nobody uses me');
    const dead = await node.seed('heat_environments', { name: 'dead-upload' }, { as: owner });
    await reserveBlob(node.deps.db, { artifactId: dead.id, field: 'environment', key: '' }, { store: 'local', contentType: 'text/plain', now: new Date(Date.now() - 48 * 3_600_000) });

    const now = scrubBlobsHandler({ ...node.deps, clock: () => new Date() });
    const ctx = { jobId: 't', attempt: 1, log, signal: new AbortController().signal };
    expect(await now.run({}, ctx)).toMatchObject({ staleUploads: 1, removed: 0 });
    expect(await locators()).toContain(lost); // younger than the grace period

    const later = scrubBlobsHandler({ ...node.deps, clock: () => new Date(Date.now() + 2 * 3_600_000) });
    expect(await later.run({}, ctx)).toMatchObject({ removed: 1 });
    expect(await locators()).not.toContain(lost);
    expect(await (await node.request('GET', `/artifacts/heat_environments/${kept.id}/environment`, { as: owner })).text()).toBe('in use');
    expect(await findBlob(node.deps.db, { artifactId: dead.id, field: 'environment', key: '' })).toBeUndefined();
  });

  it('runs in-process, de-duplicating by key', async () => {
    let runs = 0;
    const counting: JobHandler<{ n: number }> = { kind: 'count', payload: z.object({ n: z.number() }), run: async () => ++runs };
    const queue = createInlineQueue({ handlers: [counting], log });
    await Promise.all([queue.enqueue('count', { n: 1 }, { key: 'same' }), queue.enqueue('count', { n: 1 }, { key: 'same' })]);
    await queue.idle();
    expect(runs).toBe(1);
    await expect(queue.enqueue('nope', {})).rejects.toThrow(/no handler/);
    await queue.close();
  });
});

describe('on BullMQ (Redis)', () => {
  it('a worker process runs the jobs an API process enqueues; permanent failures are not retried', async () => {
    const prefix = `test-${randomBytes(4).toString('hex')}`;
    const lost = await orphan(`bull ${prefix}`);
    const attempts: Record<string, number> = {};
    const failing: JobHandler<Record<string, never>> = {
      kind: 'always-fails',
      payload: z.object({}),
      run: async () => {
        attempts.fail = (attempts.fail ?? 0) + 1;
        throw new PermanentJobError('cannot ever work');
      },
    };
    const scrub = scrubBlobsHandler({ ...node.deps, clock: () => new Date(Date.now() + 2 * 3_600_000) });
    const producer = createBullmqQueue({ redisUrl: REDIS_URL, prefix, log });
    const worker = startBullmqWorker({ redisUrl: REDIS_URL, prefix, log, handlers: [scrub, failing] });
    try {
      await producer.enqueue('always-fails', {});
      await producer.enqueue('scrub-blobs', {}, { key: 'scrub_once' });
      for (let i = 0; i < 100 && (await locators()).includes(lost); i++) await new Promise((r) => setTimeout(r, 100));
      expect(await locators()).not.toContain(lost);
      await new Promise((r) => setTimeout(r, 1500));
      expect(attempts.fail).toBe(1);
    } finally {
      await worker.close();
      await producer.close();
      const redis = new Redis(REDIS_URL);
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    }
  });
});
