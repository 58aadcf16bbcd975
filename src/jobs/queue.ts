/**
 * @module The job queue contract. Two runners implement it: BullMQ on Redis (production, separate
 * worker processes) and in-process (the embedded default). Handlers do not know which runs them.
 */
import type { Logger } from 'pino';
import type { z } from 'zod';

export interface JobContext {
  jobId: string;
  attempt: number;
  /** No attempt follows this one if it fails (a handler keeping its own record marks it failed now); unset when a caller runs a handler by hand. */
  final?: boolean;
  log: Logger;
  signal: AbortSignal;
}

export interface JobHandler<P = unknown> {
  kind: string;
  /** Payloads are parsed at dequeue: a job from an older or foreign producer fails loudly. */
  payload: z.ZodType<P>;
  run(payload: P, ctx: JobContext): Promise<unknown>;
}

export interface EnqueueOptions {
  /** A deterministic id: enqueueing the same key while it is pending makes no second job. */
  key?: string;
  /**
   * The job leaves the queue once it ends, so its key may be enqueued again (a handler that keeps
   * its own record of the run, as pulls do, wants this).
   */
  forget?: boolean;
}

export interface JobQueue {
  readonly kind: 'inline' | 'bullmq';
  enqueue(kind: string, payload: unknown, opts?: EnqueueOptions): Promise<{ jobId: string }>;
  /** Runs `kind` every `everyMs` (one schedule per kind, however many processes ask). */
  schedule(kind: string, payload: unknown, everyMs: number): Promise<void>;
  close(): Promise<void>;
}

/** A failure retrying cannot fix (bad payload, a thing that no longer exists). */
export class PermanentJobError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentJobError';
  }
}
