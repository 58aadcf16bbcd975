/**
 * @module Jobs on Redis through BullMQ: `createBullmqQueue` produces (API processes),
 * `startBullmqWorker` consumes (the `worker` command). One queue carries every job kind.
 */
import { Queue, UnrecoverableError, WaitingError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { Unavailable } from '../errors.js';
import { PermanentJobError, type JobHandler, type JobQueue } from './queue.js';

const QUEUE_NAME = 'catalog-jobs';
const PRODUCER_COMMAND_TIMEOUT_MS = 5_000;

/**
 * Whatever Redis or the connection to it throws is "the queue cannot take work now": 503, retried by
 * the caller. Bounded in time too: BullMQ waits for its connection to be ready before any command,
 * and a connection that never was (Redis down since this process started) would hold the request
 * for ever. Work that times out may still reach Redis later, as with any timeout.
 */
async function queueAnswer<T>(doing: string, work: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${PRODUCER_COMMAND_TIMEOUT_MS} ms`)), PRODUCER_COMMAND_TIMEOUT_MS);
  });
  try {
    return await Promise.race([work(), deadline]);
  } catch (err) {
    throw new Unavailable(`the job queue (Redis) does not answer, so this node cannot ${doing} now; retry shortly (${(err as Error).message})`);
  } finally {
    clearTimeout(timer);
  }
}

export interface BullmqOptions {
  redisUrl: string;
  prefix: string;
  log: Logger;
}

export function createBullmqQueue(opts: BullmqOptions): JobQueue {
  // A producer must fail fast when Redis is away, not hold requests in an offline queue, nor wait
  // for ever on a Redis that accepts connections and never answers.
  const connection = new Redis(opts.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: PRODUCER_COMMAND_TIMEOUT_MS });
  connection.on('error', (err) => opts.log.warn({ err }, 'redis (queue producer) error'));
  const queue = new Queue(QUEUE_NAME, {
    connection,
    prefix: opts.prefix,
    defaultJobOptions: { attempts: 3, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: 1000, removeOnFail: 5000 },
  });
  queue.on('error', (err) => opts.log.warn({ err }, 'queue error'));

  // Redis keeps job schedulers in memory only (a restart without persistence forgets them), so
  // every schedule this process made is asserted again whenever its connection is (re)established.
  const schedules = new Map<string, { kind: string; everyMs: number; payload: unknown }>();
  const assertSchedule = (key: string, s: { kind: string; everyMs: number; payload: unknown }) =>
    queue.upsertJobScheduler(`every_${key}`, { every: s.everyMs }, { name: s.kind, data: s.payload });
  let connectedOnce = false;
  connection.on('ready', () => {
    if (!connectedOnce) {
      connectedOnce = true;
      return;
    }
    for (const [key, s] of schedules) {
      assertSchedule(key, s).then(
        () => opts.log.info({ kind: s.kind, key }, 'redis reconnected: job schedule asserted again'),
        (err: unknown) => opts.log.warn({ err, kind: s.kind, key }, 'redis reconnected but the job schedule could not be asserted'),
      );
    }
  });
  return {
    kind: 'bullmq',
    async enqueue(kind, payload, enqueueOpts = {}) {
      const job = await queueAnswer(`queue a ${kind} job`, () =>
        queue.add(kind, payload, {
          ...(enqueueOpts.key ? { jobId: enqueueOpts.key } : {}),
          ...(enqueueOpts.forget ? { removeOnComplete: true, removeOnFail: true } : {}),
        }),
      );
      return { jobId: job.id ?? enqueueOpts.key ?? 'unknown' };
    },
    async schedule(kind, payload, everyMs, scheduleOpts = {}) {
      const key = scheduleOpts.key ?? kind;
      const s = { kind, everyMs, payload };
      // Kept even when Redis is away now: the schedule is asserted again on reconnect.
      schedules.set(key, s);
      await queueAnswer(`schedule ${kind} jobs`, () => assertSchedule(key, s));
    },
    async unschedule(key) {
      schedules.delete(key);
      await queueAnswer('remove a job schedule', () => queue.removeJobScheduler(`every_${key}`));
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
