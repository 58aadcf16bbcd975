/**
 * @module Jobs on Redis through BullMQ: `createBullmqQueue` produces (API processes),
 * `startBullmqWorker` consumes (the `worker` command). One queue carries every job kind.
 */
import { Queue, UnrecoverableError, WaitingError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { PermanentJobError, type JobHandler, type JobQueue } from './queue.js';

const QUEUE_NAME = 'catalog-jobs';

export interface BullmqOptions {
  redisUrl: string;
  prefix: string;
  log: Logger;
}

export function createBullmqQueue(opts: BullmqOptions): JobQueue {
  // A producer must fail fast when Redis is away, not hold requests in an offline queue.
  const connection = new Redis(opts.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  connection.on('error', (err) => opts.log.warn({ err }, 'redis (queue producer) error'));
  const queue = new Queue(QUEUE_NAME, {
    connection,
    prefix: opts.prefix,
    defaultJobOptions: { attempts: 3, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: 1000, removeOnFail: 5000 },
  });
  queue.on('error', (err) => opts.log.warn({ err }, 'queue error'));

  // Redis keeps job schedulers in memory only (a restart without persistence forgets them), so
  // every schedule this process made is asserted again whenever its connection is (re)established.
  const schedules = new Map<string, { everyMs: number; payload: unknown }>();
  const assertSchedule = (kind: string, everyMs: number, payload: unknown) =>
    queue.upsertJobScheduler(`every_${kind}`, { every: everyMs }, { name: kind, data: payload });
  let connectedOnce = false;
  connection.on('ready', () => {
    if (!connectedOnce) {
      connectedOnce = true;
      return;
    }
    for (const [kind, s] of schedules) {
      assertSchedule(kind, s.everyMs, s.payload).then(
        () => opts.log.info({ kind }, 'redis reconnected: job schedule asserted again'),
        (err: unknown) => opts.log.warn({ err, kind }, 'redis reconnected but the job schedule could not be asserted'),
      );
    }
  });
  return {
    kind: 'bullmq',
    async enqueue(kind, payload, enqueueOpts = {}) {
      const job = await queue.add(kind, payload, {
        ...(enqueueOpts.key ? { jobId: enqueueOpts.key } : {}),
        ...(enqueueOpts.forget ? { removeOnComplete: true, removeOnFail: true } : {}),
      });
      return { jobId: job.id ?? enqueueOpts.key ?? 'unknown' };
    },
    async schedule(kind, payload, everyMs) {
      schedules.set(kind, { everyMs, payload });
      await assertSchedule(kind, everyMs, payload);
    },
    async close() {
      await queue.close();
      connection.disconnect();
    },
  };
}

export interface BullmqWorker {
  /**
   * Takes no new jobs, gives the running ones `graceMs` to finish, then aborts them (their signal)
   * and puts them back in the queue for another worker, without counting that as a failed attempt.
   */
  close(graceMs?: number): Promise<void>;
}

export function startBullmqWorker(opts: BullmqOptions & { handlers: readonly JobHandler<unknown>[]; concurrency?: number }): BullmqWorker {
  const handlers = new Map(opts.handlers.map((h) => [h.kind, h]));
  // Workers block on Redis: BullMQ requires maxRetriesPerRequest null here.
  const connection = new Redis(opts.redisUrl, { maxRetriesPerRequest: null });
  const abort = new AbortController();
  const worker = new Worker(
    QUEUE_NAME,
    async (job, token) => {
      const log = opts.log.child({ jobId: job.id, kind: job.name, attempt: job.attemptsMade + 1 });
      const handler = handlers.get(job.name);
      if (!handler) throw new UnrecoverableError(`no handler for job kind "${job.name}"`);
      const parsed = handler.payload.safeParse(job.data);
      if (!parsed.success) throw new UnrecoverableError(`bad payload for ${job.name}: ${parsed.error.message}`);
      try {
        const attempt = job.attemptsMade + 1;
        const result = await handler.run(parsed.data, { jobId: job.id ?? 'unknown', attempt, final: attempt >= (job.opts.attempts ?? 1), log, signal: abort.signal });
        log.info({ result }, 'job done');
        return result;
      } catch (err) {
        if (err instanceof PermanentJobError) throw new UnrecoverableError(err.message);
        if (abort.signal.aborted) {
          // Stopped by close(), not failed: back to the queue, attempts untouched.
          await job.moveToWait(token);
          log.info('job returned to the queue: the worker is stopping');
          throw new WaitingError();
        }
        throw err;
      }
    },
    { connection, prefix: opts.prefix, concurrency: opts.concurrency ?? 4 },
  );
  worker.on('error', (err) => opts.log.warn({ err }, 'worker error'));
  worker.on('failed', (job, err) => opts.log.error({ err, jobId: job?.id, kind: job?.name }, 'job failed'));
  return {
    async close(graceMs = 0) {
      const closing = worker.close();
      const timers = [
        setTimeout(() => abort.abort(), graceMs),
        // A handler that ignores its signal must not hold the process forever: its lock then
        // expires and BullMQ's stalled-job check returns the job to the queue.
        setTimeout(() => void worker.close(true), graceMs + 10_000),
      ];
      await closing;
      for (const t of timers) clearTimeout(t);
      connection.disconnect();
    },
  };
}
