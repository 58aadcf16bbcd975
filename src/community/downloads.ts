/**
 * @module Download statistics: per artifact (one version) and per UTC day, with totals.
 *
 * Counting never slows a download: the blob route tells the counter, which adds one to a number
 * in memory; every `community.download_flush_ms` the counter adds everything it holds to the
 * database in one statement (and again when the node stops). A process that dies loses at most
 * that interval's counts, never a download.
 *
 * What counts as a download: a GET that answers the blob from its first byte (200, or a 206
 * whose range starts at byte 0), or redirects to where the bytes are (an external location or a
 * store's direct URL). A client resuming an interrupted transfer asks for a range starting past
 * 0, so a retry is not counted twice; HEAD, 304 and 416 are not downloads.
 */
import type { Logger } from 'pino';
import type { Artifact } from '../artifacts/artifact.js';
import { conn, type OpContext } from '../artifacts/context.js';
import type { Db } from '../db/client.js';
import { addDownloads, findDownloadStats, type DownloadIncrement } from '../db/queries/community.js';
import { BadRequest } from '../errors.js';
import { nameOf, seenArtifact, type CommunityTarget } from './target.js';

export interface DownloadCounter {
  /** Counts one download of `artifactId` now. Never waits, never throws. */
  count(artifactId: string): void;
  /** Adds what is held to the database; resolves when it is there. */
  flush(): Promise<void>;
  /** Flushes and stops the timer. */
  close(): Promise<void>;
}

/** Whether a response starting at `rangeStart` (undefined: the whole blob) is a new download. */
export function isNewDownload(rangeStart: number | undefined): boolean {
  return rangeStart === undefined || rangeStart === 0;
}

const utcDay = (at: Date): string => at.toISOString().slice(0, 10);

/** For a node configured not to count (`community.count_downloads: false`). */
export const NOT_COUNTING: DownloadCounter = Object.freeze({ count() {}, flush: async () => {}, close: async () => {} });

export function createDownloadCounter(opts: { db: Db; log: Logger; flushMs: number; clock: () => Date }): DownloadCounter {
  let held = new Map<string, DownloadIncrement>();
  let flushing: Promise<void> = Promise.resolve();

  async function write(batch: Map<string, DownloadIncrement>): Promise<void> {
    try {
      await addDownloads(opts.db, [...batch.values()], opts.clock());
    } catch (err) {
      // Kept for the next flush: a database outage delays counts, it does not lose them.
      for (const [key, inc] of batch) {
        const now = held.get(key);
        held.set(key, now ? { ...now, downloads: now.downloads + inc.downloads } : inc);
      }
      opts.log.warn({ err, artifacts: batch.size }, 'could not add download counts; keeping them for the next flush');
    }
  }

  const flush = (): Promise<void> => {
    // One flush at a time, in order: each takes what was held when it starts.
    flushing = flushing.then(() => {
      if (held.size === 0) return;
      const batch = held;
      held = new Map();
      return write(batch);
    });
    return flushing;
  };

  const timer = setInterval(() => void flush(), opts.flushMs);
  timer.unref();

  return {
    count(artifactId) {
      const day = utcDay(opts.clock());
      const key = `${artifactId}|${day}`;
      const now = held.get(key);
      if (now) now.downloads += 1;
      else held.set(key, { artifactId, day, downloads: 1 });
    },
    flush,
    async close() {
      clearInterval(timer);
      await flush();
    },
  };
}

export interface DownloadStats {
  /** Downloads of this artifact (this version), all time. */
  total: number;
  /** Downloads of every version of the artifact's name. */
  nameTotal: number;
  lastDownloadAt: Date | null;
  /** Days with downloads within the window asked for, newest first. */
  days: Array<{ day: string; downloads: number }>;
}

export const MAX_STATS_DAYS = 366;

/** The artifact's download counts, by day over the last `days` days (today included). */
export async function downloadStats(ctx: OpContext, target: CommunityTarget & { days: number }): Promise<DownloadStats> {
  if (!Number.isInteger(target.days) || target.days < 1 || target.days > MAX_STATS_DAYS) throw new BadRequest(`days must be a whole number from 1 to ${MAX_STATS_DAYS}`);
  return downloadStatsOfShown(ctx, await seenArtifact(ctx, target), target.days);
}

/** downloadStats of an artifact the caller has already been shown (read with showArtifact for this actor). */
export function downloadStatsOfShown(ctx: OpContext, artifact: Artifact, days: number): Promise<DownloadStats> {
  const to = ctx.now();
  const from = new Date(to.getTime() - (days - 1) * 86_400_000);
  return findDownloadStats(conn(ctx), { ...nameOf(artifact), artifactId: artifact.id, from: utcDay(from), to: utcDay(to) });
}
