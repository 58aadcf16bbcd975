/**
 * @module The scrub job: removes what interrupted work left behind: `saving` uploads no live
 * process holds (their lease ran out: a killed node, a database gone when the upload ended), and
 * bytes in a store that no blob row uses (temporary files, segments of a failed upload, bytes
 * whose removal failed). It never touches what a running upload holds, however long that upload
 * has been paused. Other bytes are touched only once older than the grace period.
 */
import { z } from 'zod';
import { releaseBytes } from '../../artifacts/blobs.js';
import { uploadKey } from '../../blobs/blob-store.js';
import { deleteAbandonedUploads, locatorReferenced, runningUploadKeys } from '../../db/queries/blobs.js';
import type { Deps } from '../../deps.js';
import type { JobHandler } from '../queue.js';

export const ScrubPayload = z.object({}).strict();

/**
 * A write's leftovers (its upload no longer running) must be this old before they go: a store's
 * clock (Swift's) may lag ours, and bytes of an upload that began after the running uploads were
 * read must not look older than that moment.
 */
const LEFTOVER_AGE_MS = 5 * 60_000;

export function scrubBlobsHandler(deps: Pick<Deps, 'db' | 'blobs' | 'config' | 'clock' | 'log'>): JobHandler<z.infer<typeof ScrubPayload>> {
  return {
    kind: 'scrub-blobs',
    payload: ScrubPayload,
    async run(_payload, ctx) {
      const now = deps.clock().getTime();
      const { grace_minutes, stale_upload_hours } = deps.config.blobs.scrub;
      const staleUploads = await deleteAbandonedUploads(deps.db, new Date(now - stale_upload_hours * 3_600_000));
      // Read after the abandoned rows went, before any listing: an upload that starts later
      // writes files younger than `now`, which are left alone below.
      const running = new Set((await runningUploadKeys(deps.db)).map((u) => `${u.store}\u0000${uploadKey(u.typeName, u.artifactId, u.blobId)}`));
      const cutoff = now - grace_minutes * 60_000;
      let removed = 0;
      let removedBytes = 0;
      for (const named of deps.blobs.all()) {
        for await (const object of named.store.list()) {
          if (ctx.signal.aborted) return { staleUploads, removed, removedBytes, interrupted: true };
          if (object.writer !== undefined) {
            // What a write leaves while it runs: kept while its upload runs, paused or not, and
            // without the grace period once it does not (that upload ended or died).
            if (running.has(`${named.name}\u0000${object.writer}`) || object.modifiedAt.getTime() > now - LEFTOVER_AGE_MS) continue;
          } else if (object.modifiedAt.getTime() > cutoff) continue;
          if (await locatorReferenced(deps.db, named.name, object.locator)) continue;
          if (await releaseBytes(deps, named, { locator: object.locator, sha256: null })) {
            removed++;
            removedBytes += object.bytes;
          }
        }
      }
      return { staleUploads, removed, removedBytes };
    },
  };
}
