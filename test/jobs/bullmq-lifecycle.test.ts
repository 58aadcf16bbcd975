/**
 * BullMQ through restarts: a Redis restart (which forgets job schedulers: no persistence) has the
 * schedule asserted again on reconnect; a stopping worker lets running jobs finish within its grace
 * period and returns the others to the queue without spending an attempt.
 */
import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createBullmqQueue, startBullmqWorker } from '../../src/jobs/bullmq-runner.js';
import type { JobHandler } from '../../src/jobs/queue.js';
import { Unavailable } from '../../src/errors.js';
import { startTcpProxy } from '../support/tcp-proxy.js';

const log = pino({ level: 'silent' });
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const QUEUE_NAME = 'catalog-jobs';
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function newPrefix(): string {
  const prefix = `test-${randomBytes(4).toString('hex')}`;
  cleanups.push(async () => {
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });
  return prefix;
}

function inspect(prefix: string): Queue {
  const queue = new Queue(QUEUE_NAME, { connection: new Redis(REDIS_URL, { maxRetriesPerRequest: null }), prefix });
  cleanups.push(() => queue.close());
  return queue;
}

/** A producer reaching Redis through a TCP proxy the test can cut, and a direct view of its queue. */
async function producerThroughProxy() {
  const prefix = newPrefix();
  const redis = new URL(REDIS_URL);
  const proxy = await startTcpProxy({ host: redis.hostname, port: Number(redis.port || 6379) });
  cleanups.push(() => proxy.close());
  const producer = createBullmqQueue({ redisUrl: proxy.rewrite(REDIS_URL), prefix, log });
  cleanups.push(() => producer.close());
  return { proxy, producer, direct: inspect(prefix) };
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('BullMQ through restarts', () => {
  it('asserts job schedules again when Redis comes back without them', async () => {
    const { proxy, producer, direct } = await producerThroughProxy();

    await producer.schedule('scrub-blobs', {}, 3_600_000);
    expect(await direct.getJobScheduler('every_scrub-blobs')).toBeTruthy();

    // A restart of a Redis without persistence: connections reset, the data gone.
    proxy.cut('reset');
    await direct.removeJobScheduler('every_scrub-blobs');
    expect(await direct.getJobScheduler('every_scrub-blobs')).toBeFalsy();
    await new Promise((r) => setTimeout(r, 200));
    proxy.restore();

    await until('the schedule to be asserted again', async () => Boolean(await direct.getJobScheduler('every_scrub-blobs')));
  });

  it('while Redis is away, enqueueing fails within a bounded time as Unavailable (503), and works again once it is back', async () => {
    const { proxy, producer, direct } = await producerThroughProxy();
    await producer.enqueue('probe', { n: 0 }, { key: 'before' });

    for (const mode of ['reset', 'swallow'] as const) {
      proxy.cut(mode);
      const t0 = performance.now();
      const failure = await producer.enqueue('probe', { n: 1 }, { key: `during-${mode}` }).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(failure, `a ${mode} outage`).toBeInstanceOf(Unavailable);
      expect((failure as Error).message).toMatch(/job queue \(Redis\)/);
      // The command timeout (5 s) and room for a loaded machine: never a request left hanging.
      expect(performance.now() - t0).toBeLessThan(8_000);
      proxy.restore();
      await until('the producer to enqueue again', async () =>
        producer.enqueue('probe', { n: 2 }, { key: `after-${mode}` }).then(
          () => true,
          () => false,
        ),
      );
    }
    const queued = (await direct.getJobs(['waiting'])).map((j) => j.id).sort();
    // A reset connection sent nothing; a command that timed out may have reached Redis after all
    // (as with any timeout: callers retry, and job ids keyed by what they do make that harmless).
    expect(queued.filter((id) => id !== 'during-swallow')).toEqual(['after-reset', 'after-swallow', 'before']);
  });

  it('asserts keyed schedules (one per subscription) again too, and forgets an unscheduled one', async () => {
    const { proxy, producer, direct } = await producerThroughProxy();

    await producer.schedule('sync-subscription', { subscriptionId: 'a' }, 60_000, { key: 'subscription_a' });
    await producer.schedule('sync-subscription', { subscriptionId: 'b' }, 120_000, { key: 'subscription_b' });
    expect(await direct.getJobScheduler('every_subscription_a')).toMatchObject({ every: 60_000 });
    expect(await direct.getJobScheduler('every_subscription_b')).toMatchObject({ every: 120_000 });
    await producer.unschedule('subscription_b');
    expect(await direct.getJobScheduler('every_subscription_b')).toBeFalsy();

    proxy.cut('reset');
    await direct.removeJobScheduler('every_subscription_a');
    await new Promise((r) => setTimeout(r, 200));
    proxy.restore();

    await until('the keyed schedule to be asserted again', async () => Boolean(await direct.getJobScheduler('every_subscription_a')));
    expect(await direct.getJobScheduler('every_subscription_b')).toBeFalsy();
  });

  it('a stopping worker finishes short jobs and returns long ones to the queue without spending an attempt', async () => {
    const prefix = newPrefix();
    let longStarted = false;
    const long: JobHandler<Record<string, never>> = {
      kind: 'long',
      payload: z.object({}),
      run: (_p, ctx) =>
        new Promise((_resolve, reject) => {
          longStarted = true;
          ctx.signal.addEventListener('abort', () => reject(new Error('aborted')));
        }),
    };
    let shortStarted = false;
    const short: JobHandler<Record<string, never>> = {
      kind: 'short',
      payload: z.object({}),
      run: async () => {
        shortStarted = true;
        await new Promise((r) => setTimeout(r, 300));
        return 'done';
      },
    };
    const producer = createBullmqQueue({ redisUrl: REDIS_URL, prefix, log });
    cleanups.push(() => producer.close());
    const worker = startBullmqWorker({ redisUrl: REDIS_URL, prefix, log, handlers: [long, short] });
    const { jobId: longId } = await producer.enqueue('long', {});
    const { jobId: shortId } = await producer.enqueue('short', {});
    await until('both jobs to run', async () => longStarted && shortStarted);

    await worker.close(1000);

    const queue = inspect(prefix);
    const shortJob = (await queue.getJob(shortId))!;
    expect(await shortJob.getState()).toBe('completed');
    const longJob = (await queue.getJob(longId))!;
    expect(await longJob.getState()).toBe('waiting');
    expect(longJob.attemptsMade).toBe(0);

    // Another worker takes it up.
    let rerun = false;
    const again = startBullmqWorker({
      redisUrl: REDIS_URL,
      prefix,
      log,
      handlers: [{ ...long, run: async () => void (rerun = true) }, short],
    });
    cleanups.push(() => again.close());
    await until('the returned job to be run again', async () => rerun && (await (await queue.getJob(longId))!.getState()) === 'completed');
  });
});
