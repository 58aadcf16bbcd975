/**
 * @module Remembered total counts of list queries.
 *
 * A list answers `total_count`, and counting every row that passes a broad filter is by far the
 * most expensive part of a list over a large catalog (bench/README.md: at 1M artifacts the count
 * of a three-filter list costs ~60 ms of execution, its page a few). Browsing pages through one
 * filter asks the same count again and again, so a count is remembered for a short while, keyed
 * by the exact count statement (filters and the caller's visibility are part of it).
 *
 * Every change committed through this node forgets all counts (deps.ts, on catalog events), so a single
 * node always answers exact counts. A node serving from several processes passes a `channel`:
 * `invalidate()` then also reaches every other process of the node (src/cluster.ts relays it).
 * Writes made by another node sharing the database show up in counts after at most `ttlMs`; the
 * rows of the page are never cached.
 */
import { createHash } from 'node:crypto';

export interface ListCounts {
  /** The remembered count for this statement (text and parameters), or `compute()`'s (then remembered). */
  count(statement: string, compute: () => Promise<number>): Promise<number>;
  /** Forgets every count, in every process of this node: called after any write that may change what a list holds. */
  invalidate(): void;
}

/** How `invalidate()` reaches the node's other processes. */
export interface InvalidationChannel {
  publish(): void;
  subscribe(onInvalidate: () => void): void;
}

export function createListCounts(opts: { ttlMs: number; maxEntries: number; now?: () => number; channel?: InvalidationChannel | undefined }): ListCounts {
  const now = opts.now ?? (() => performance.now());
  // Map iteration order is insertion order: the first key is the oldest entry.
  const entries = new Map<string, { value: number; expires: number }>();
  let generation = 0;
  const forget = () => {
    generation++;
    entries.clear();
  };
  opts.channel?.subscribe(forget);

  return {
    async count(statement, compute) {
      if (opts.ttlMs <= 0) return compute();
      // Statements run to kilobytes: remember a digest of each, so 10k entries stay small.
      const key = createHash('sha256').update(statement).digest('base64');
      const hit = entries.get(key);
      if (hit && hit.expires > now()) return hit.value;
      const startedIn = generation;
      const value = await compute();
      // A write that landed while we counted may not be in this count: do not remember it.
      if (startedIn === generation) {
        entries.delete(key);
        entries.set(key, { value, expires: now() + opts.ttlMs });
        while (entries.size > opts.maxEntries) entries.delete(entries.keys().next().value!);
      }
      return value;
    },
    invalidate() {
      forget();
      opts.channel?.publish();
    },
  };
}
