/**
 * @module Upload leases: how a `saving` blob row says that a live process is still writing it.
 * The process renews the lease while the upload runs (bytes flowing or not: a paused client
 * still holds its upload until the connection's idle timeout ends it); a killed process, or one
 * that lost the database, stops renewing, and once the lease has run out the upload is abandoned
 * (db/queries/blobs.ts): its slot is free again and the scrub removes what it left.
 */
import type { Logger } from 'pino';

export interface Lease {
  stop(): void;
}

/** Calls `renew` every ttlMs / 4 until stopped; a failed renewal is logged and tried again next time. */
export function holdLease(opts: { ttlMs: number; renew: () => Promise<boolean>; log: Logger }): Lease {
  let renewing = false;
  const timer = setInterval(() => {
    if (renewing) return; // the database is slow: one renewal at a time
    renewing = true;
    opts
      .renew()
      .then((held) => {
        if (!held) clearInterval(timer); // the row is gone or complete: nothing left to hold
      })
      .catch((err: unknown) => opts.log.warn({ err }, 'could not renew an upload lease; trying again'))
      .finally(() => (renewing = false));
  }, Math.max(1, Math.floor(opts.ttlMs / 4)));
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
