import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BlobKey } from '../../src/blobs/blob-store.js';
import { writeHashed } from '../../src/blobs/digest.js';
import { sql } from 'drizzle-orm';
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
    const kept = await node.seed('images', { name: 'kept' }, { as: owner });
    await node.request('PUT', `/artifacts/images/${kept.id}/image`, { as: owner, body: 'in use', headers: { 'content-type': 'text/plain' } });
    const lost = await orphan('nobody uses me');
    // An upload whose lease ran out (its node was killed), and one from before leases, old.
    const dead = await node.seed('images', { name: 'dead-upload' }, { as: owner });
    await reserveBlob(node.deps.db, { artifactId: dead.id, field: 'image', key: '' }, { store: 'local', contentType: 'text/plain', now: new Date(), leaseMs: -1000 });
    const old = await node.seed('images', { name: 'old-upload' }, { as: owner });
    const unleased = await reserveBlob(node.deps.db, { artifactId: old.id, field: 'image', key: '' }, { store: 'local', contentType: 'text/plain', now: new Date(Date.now() - 48 * 3_600_000), leaseMs: 1000 });
    await node.deps.db.execute(sql`update artifact_blobs set lease_expires_at = null where id = ${unleased.id}`);

    const now = scrubBlobsHandler({ ...node.deps, clock: () => new Date() });
    const ctx = { jobId: 't', attempt: 1, log, signal: new AbortController().signal };
    expect(await now.run({}, ctx)).toMatchObject({ staleUploads: 2, removed: 0 });
    expect(await locators()).toContain(lost); // younger than the grace period

    const later = scrubBlobsHandler({ ...node.deps, clock: () => new Date(Date.now() + 2 * 3_600_000) });
    expect(await later.run({}, ctx)).toMatchObject({ removed: 1 });
    expect(await locators()).not.toContain(lost);
    expect(await (await node.request('GET', `/artifacts/images/${kept.id}/image`, { as: owner })).text()).toBe('in use');
    expect(await findBlob(node.deps.db, { artifactId: dead.id, field: 'image', key: '' })).toBeUndefined();
    expect(await findBlob(node.deps.db, { artifactId: old.id, field: 'image', key: '' })).toBeUndefined();
  });

  it('never removes the temporary file of a running upload, however long it has been paused', async () => {
    const owner = node.as({ project: 'p1' });
    const artifact = await node.seed('images', { name: 'paused-upload' }, { as: owner });
    let resume!: () => void;
    const resumed = new Promise<void>((r) => (resume = r));
    let step = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (step++ === 0) return controller.enqueue(Buffer.from('first half, '));
        await resumed;
        controller.enqueue(Buffer.from('second half'));
        controller.close();
      },
    });
    const upload = node.request('PUT', `/artifacts/images/${artifact.id}/image`, { as: owner, body, headers: { 'content-type': 'text/plain' } });
    const tmpFiles = async () => (await locators()).filter((l) => l.startsWith('tmp/'));
    for (let i = 0; i < 100 && (await tmpFiles()).length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    const held = await tmpFiles();
    expect(held).toHaveLength(1);

    // Hours later (past the grace period and the leftover age), the upload still running.
    const later = scrubBlobsHandler({ ...node.deps, clock: () => new Date(Date.now() + 3 * 3_600_000) });
    expect(await later.run({}, { jobId: 't', attempt: 1, log, signal: new AbortController().signal })).toMatchObject({ staleUploads: 0 });
    expect(await tmpFiles()).toEqual(held);

    resume();
    expect((await upload).status).toBe(200);
    expect(await (await node.request('GET', `/artifacts/images/${artifact.id}/image`, { as: owner })).text()).toBe('first half, second half');
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
    // The queue's own events say when a job is finally failed (a job to be retried is not).
    const events = new QueueEvents('catalog-jobs', { connection: { url: REDIS_URL }, prefix });
    const inspect = new Queue('catalog-jobs', { connection: { url: REDIS_URL }, prefix });
    try {
      await events.waitUntilReady();
      const finallyFailed = new Map<string, string>();
      const failedSeen = new Promise<void>((resolve) => {
        events.on('failed', ({ jobId, failedReason }) => {
          finallyFailed.set(jobId, failedReason);
          resolve();
        });
      });
      const { jobId: failingId } = await producer.enqueue('always-fails', {});
      const { jobId: scrubId } = await producer.enqueue('scrub-blobs', {}, { key: 'scrub_once' });
      await (await inspect.getJob(scrubId))!.waitUntilFinished(events, 10_000);
      expect(await locators()).not.toContain(lost);
      await failedSeen;
      expect(finallyFailed.get(failingId)).toMatch(/cannot ever work/);
      const failed = (await inspect.getJob(failingId))!;
      expect(await failed.getState()).toBe('failed');
      expect(failed.attemptsMade).toBe(1);
      expect(attempts.fail).toBe(1);
    } finally {
      await events.close();
      await inspect.close();
      await worker.close();
      await producer.close();
      const redis = new Redis(REDIS_URL);
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    }
  });
});
