/**
 * @module Remembers node-token ids until they expire, so each is accepted once. Redis (shared by
 * every process of the node) when the node has one; otherwise this process's memory, which is
 * enough for a one-process embedded node.
 */
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { Unavailable } from '../errors.js';

export interface ReplayCache {
  /** True the first time `id` is seen while remembered; false after. */
  firstUse(id: string, ttlMs: number): Promise<boolean>;
  close(): void;
}

export function redisReplayCache(opts: { redisUrl: string; prefix: string; log: Logger }): ReplayCache {
  // Fail fast while Redis is away: a node request then answers 503 instead of hanging.
  const redis = new Redis(opts.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: false });
  redis.on('error', (err) => opts.log.warn({ err }, 'redis (replay cache) error'));
  return {
    async firstUse(id, ttlMs) {
      try {
        return (await redis.set(`${opts.prefix}:replay:${id}`, '1', 'PX', Math.ceil(ttlMs), 'NX')) === 'OK';
      } catch (err) {
        throw new Unavailable(`the node-token replay cache (Redis) does not answer: ${(err as Error).message}`);
      }
    },
    close: () => redis.disconnect(),
  };
}

export function memoryReplayCache(clock: () => Date, maxEntries = 100_000): ReplayCache {
  const seen = new Map<string, number>();
  return {
    async firstUse(id, ttlMs) {
      const now = clock().getTime();
      if ((seen.get(id) ?? 0) > now) return false;
      if (seen.size >= maxEntries) {
        for (const [k, until] of seen) if (until <= now) seen.delete(k);
        // Still full of live ids: refuse rather than forget one (forgetting would allow a replay).
        if (seen.size >= maxEntries) return false;
      }
      seen.set(id, now + ttlMs);
      return true;
    },
    close: () => seen.clear(),
  };
}
