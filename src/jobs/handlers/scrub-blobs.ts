/**
 * @module The scrub job: removes what interrupted work left behind: `saving` uploads whose node
 * died, and bytes in a store that no blob row uses (temporary files, segments of a failed
 * upload, bytes whose removal failed). Only bytes older than the grace period are touched.
 */
import { z } from 'zod';
import { releaseBytes } from '../../artifacts/blobs.js';
import { deleteStaleUploads, locatorReferenced } from '../../db/queries/blobs.js';
import type { Deps } from '../../deps.js';
import type { JobHandler } from '../queue.js';

export const ScrubPayload = z.object({}).strict();

export function scrubBlobsHandler(deps: Pick<Deps, 'db' | 'blobs' | 'config' | 'clock' | 'log'>): JobHandler<z.infer<typeof ScrubPayload>> {
  return {
    kind: 'scrub-blobs',
    payload: ScrubPayload,
    async run(_payload, ctx) {
      const now = deps.clock().getTime();
      const { grace_minutes, stale_upload_hours } = deps.config.blobs.scrub;
      const staleUploads = await deleteStaleUploads(deps.db, new Date(now - stale_upload_hours * 3_600_000));
      const cutoff = now - grace_minutes * 60_000;
      let removed = 0;
      let removedBytes = 0;
      for (const named of deps.blobs.all()) {
        for await (const object of named.store.list()) {
          if (ctx.signal.aborted) return { staleUploads, removed, removedBytes, interrupted: true };
          if (object.modifiedAt.getTime() > cutoff) continue;
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
