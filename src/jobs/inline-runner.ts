/**
 * @module In-process jobs for the embedded node: handlers run on this event loop, with the same
 * retry and de-duplication rules as the BullMQ runner.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { PermanentJobError, type EnqueueOptions, type JobHandler, type JobQueue } from './queue.js';

export interface InlineQueueOptions {
  handlers: readonly JobHandler<unknown>[];
  log: Logger;
  attempts?: number;
  backoffMs?: number;
}

export function createInlineQueue(opts: InlineQueueOptions): JobQueue & { idle(): Promise<void> } {
  const handlers = new Map(opts.handlers.map((h) => [h.kind, h]));
  const attempts = opts.attempts ?? 3;
  const backoffMs = opts.backoffMs ?? 1000;
  const pending = new Map<string, Promise<void>>();
  const timers = new Set<NodeJS.Timeout>();
  const abort = new AbortController();

  async function execute(jobId: string, handler: JobHandler<unknown>, payload: unknown): Promise<void> {
    for (let attempt = 1; attempt <= attempts && !abort.signal.aborted; attempt++) {
      const log = opts.log.child({ jobId, kind: handler.kind, attempt });
      try {
        const parsed = handler.payload.safeParse(payload);
        if (!parsed.success) throw new PermanentJobError(`bad payload for ${handler.kind}: ${parsed.error.message}`);
        const result = await handler.run(parsed.data, { jobId, attempt, final: attempt === attempts, log, signal: abort.signal });
        log.info({ result }, 'job done');
        return;
      } catch (err) {
        const final = err instanceof PermanentJobError || attempt === attempts;
        log[final ? 'error' : 'warn']({ err }, final ? 'job failed' : 'job failed, will retry');
        if (final) return;
        await new Promise((r) => setTimeout(r, backoffMs * 2 ** (attempt - 1)));
      }
    }
  }

  const queue = {
    kind: 'inline' as const,
    async enqueue(kind: string, payload: unknown, enqueueOpts: EnqueueOptions = {}) {
      const handler = handlers.get(kind);
      if (!handler) throw new Error(`no handler for job kind "${kind}"`);
      const jobId = enqueueOpts.key ?? randomUUID();
      if (!pending.has(jobId)) {
        const run = new Promise<void>((resolve) => setImmediate(resolve))
          .then(() => execute(jobId, handler, payload))
          .finally(() => pending.delete(jobId));
        pending.set(jobId, run);
      }
      return { jobId };
    },
    async schedule(kind: string, payload: unknown, everyMs: number) {
      const timer = setInterval(() => void queue.enqueue(kind, payload, { key: `scheduled_${kind}` }), everyMs);
      timer.unref();
      timers.add(timer);
    },
    /** Resolves once no job is pending (tests). */
    async idle() {
      while (pending.size > 0) await Promise.all([...pending.values()]);
    },
    async close() {
      for (const t of timers) clearInterval(t);
      abort.abort();
      await Promise.allSettled([...pending.values()]);
    },
  };
  return queue;
}
