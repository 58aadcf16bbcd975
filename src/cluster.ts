/**
 * @module `serve` on every core: a primary process forks `processes` HTTP workers (node:cluster)
 * that share the listening port, relays node-wide notices between them, replaces a worker that
 * dies, and on SIGTERM/SIGINT passes the signal on and waits for every worker to finish.
 *
 * What must be node-wide but lives in a process (remembered list counts) is kept coherent by
 * notices: a worker publishes one, the primary relays it to every other worker. New connections
 * reach a worker through the same IPC channel as the relayed notices, after them, so a client that
 * writes and then lists on a new connection sees its write in the count. `/metrics`, answered by
 * whichever worker takes the scrape, reports the whole node: the primary sums every worker's
 * registry (prom-client's AggregatorRegistry).
 */
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import { AggregatorRegistry, type Registry } from 'prom-client';
import { Unavailable } from './errors.js';

/** A node-wide notice between the processes of one node. */
interface Notice {
  catalogNotice: string;
}

/**
 * The callback for IPC sends whose loss is harmless: a process that is exiting misses a notice it
 * no longer needs. Without a callback a send on a channel closing under it emits 'error', which
 * nothing handles, and the process (the primary, in a stop) exits 1.
 */
const lossIsHarmless = (): void => undefined;

function isNotice(message: unknown): message is Notice {
  return typeof message === 'object' && message !== null && typeof (message as Notice).catalogNotice === 'string';
}

/** Publish/subscribe of one kind of notice across the node's processes (a no-op outside a cluster). */
export interface NoticeChannel {
  publish(): void;
  subscribe(onNotice: () => void): void;
}

export function clusterNoticeChannel(topic: string): NoticeChannel | undefined {
  if (!cluster.isWorker || !process.send) return undefined;
  return {
    publish: () => process.send?.({ catalogNotice: topic } satisfies Notice, undefined, undefined, lossIsHarmless),
    subscribe(onNotice) {
      process.on('message', (message: unknown) => {
        if (isNotice(message) && message.catalogNotice === topic) onNotice();
      });
    },
  };
}

export interface MetricsMessage {
  catalogMetrics: 'request' | 'reply';
  id: number;
  text?: string;
  error?: string;
}

function isMetricsMessage(message: unknown): message is MetricsMessage {
  return typeof message === 'object' && message !== null && typeof (message as MetricsMessage).catalogMetrics === 'string';
}

/**
 * In a cluster worker: the node's metrics, every worker's summed by the primary (this process's
 * `local` registry takes part); outside a cluster, undefined.
 */
export function clusterMetrics(local: Registry): (() => Promise<string>) | undefined {
  if (!cluster.isWorker || !process.send) return undefined;
  AggregatorRegistry.setRegistries([local]);
  new AggregatorRegistry(); // installs the worker's answer to the primary's collection requests
  return metricsFromPrimary({
    send: (message, sent) => process.send!(message, undefined, undefined, sent),
    onMessage: (receive) => process.on('message', receive),
  });
}

/** The worker's side of the IPC channel to the primary. */
export interface PrimaryChannel {
  send(message: MetricsMessage, sent: (err: Error | null) => void): void;
  onMessage(receive: (message: unknown) => void): void;
}

/**
 * Asks the primary for the node's summed metrics. When they cannot be had (the channel is closing,
 * or a process did not answer the primary within prom-client's 5 s) the scrape is refused as
 * Unavailable, a 503 to try again, not an internal error.
 */
export function metricsFromPrimary(channel: PrimaryChannel): () => Promise<string> {
  let nextId = 0;
  const waiting = new Map<number, { resolve(text: string): void; reject(err: Error): void }>();
  channel.onMessage((message) => {
    if (!isMetricsMessage(message) || message.catalogMetrics !== 'reply') return;
    const w = waiting.get(message.id);
    waiting.delete(message.id);
    if (message.error !== undefined) w?.reject(new Unavailable(`collecting the node's metrics failed: ${message.error}`));
    else w?.resolve(message.text ?? '');
  });
  return () =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      waiting.set(id, { resolve, reject });
      channel.send({ catalogMetrics: 'request', id }, (err) => {
        if (!err) return;
        waiting.delete(id);
        reject(new Unavailable(`collecting the node's metrics failed: ${err.message}`));
      });
    });
}

/** The slot of this worker (0 … processes-1); slot 0 runs the node's schedules. */
export function clusterSlot(env: NodeJS.ProcessEnv): number | undefined {
  return cluster.isWorker && env.CATALOG_CLUSTER_SLOT !== undefined ? Number(env.CATALOG_CLUSTER_SLOT) : undefined;
}

export interface PrimaryOptions {
  processes: number;
  log: Logger;
  /** After SIGTERM, how long to wait for workers before killing them (their own grace plus margin). */
  stopTimeoutMs: number;
}

/** Runs the primary: forks the workers, relays notices, and resolves with the exit code after a stop signal. */
export function runPrimary(opts: PrimaryOptions): Promise<number> {
  const slots = new Map<Worker, number>();
  let stopping = false;
  let failedStarts = 0;

  const aggregator = new AggregatorRegistry();

  const fork = (slot: number) => {
    const worker = cluster.fork({ CATALOG_CLUSTER_SLOT: String(slot) });
    slots.set(worker, slot);
    worker.on('message', (message: unknown) => {
      if (isMetricsMessage(message) && message.catalogMetrics === 'request') {
        const reply = (answer: Partial<MetricsMessage>) => worker.isConnected() && worker.send({ catalogMetrics: 'reply', id: message.id, ...answer } satisfies MetricsMessage, undefined, undefined, lossIsHarmless);
        aggregator.clusterMetrics().then(
          (text) => reply({ text }),
          (err: Error) => reply({ error: err.message }),
        );
        return;
      }
      if (!isNotice(message)) return;
      for (const other of slots.keys()) if (other !== worker && other.isConnected()) other.send(message, undefined, undefined, lossIsHarmless);
    });
    worker.once('listening', () => {
      failedStarts = 0;
    });
    worker.once('exit', (code, signal) => {
      slots.delete(worker);
      if (stopping) return;
      // A worker that dies is replaced; one that cannot even start (bad config, no database) is
      // retried a few times, then the node gives up rather than fork forever.
      opts.log.error({ pid: worker.process.pid, code, signal, slot }, 'worker process exited; starting another');
      if (++failedStarts > 5) {
        opts.log.fatal('workers keep exiting before they listen; stopping');
        void stop('workers failing');
        return;
      }
      setTimeout(() => fork(slot), 1000).unref();
    });
  };

  let resolveDone: (code: number) => void;
  const done = new Promise<number>((resolve) => {
    resolveDone = resolve;
  });

  const stop = async (why: string) => {
    if (stopping) return;
    stopping = true;
    opts.log.info({ why, workers: slots.size }, 'stopping: workers finish their requests in flight');
    const exited = [...slots.keys()].map((w) => new Promise<void>((resolve) => (w.isDead() ? resolve() : w.once('exit', () => resolve()))));
    for (const w of slots.keys()) w.process.kill('SIGTERM');
    const timer = setTimeout(() => {
      for (const w of slots.keys()) w.process.kill('SIGKILL');
    }, opts.stopTimeoutMs);
    await Promise.all(exited);
    clearTimeout(timer);
    resolveDone(why === 'workers failing' ? 1 : 0);
  };

  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  for (let slot = 0; slot < opts.processes; slot++) fork(slot);
  return done;
}

export const isClusterPrimary = () => cluster.isPrimary;
