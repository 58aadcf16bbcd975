/**
 * @module The type upgrade job: carries a run of a type upgrade on from where it stands (see
 * types/upgrade-runs.ts). The node itself acts, so every artifact of the type is reachable.
 */
import { z } from 'zod';
import { systemActor } from '../../artifacts/actor.js';
import { opContext, type Catalog } from '../../artifacts/context.js';
import { NotFound } from '../../errors.js';
import { runTypeUpgrade, UPGRADE_JOB } from '../../types/upgrade-runs.js';
import { PermanentJobError, type JobHandler } from '../queue.js';

export const UpgradeTypePayload = z.object({ runId: z.string().uuid() }).strict();

export function upgradeTypeHandler(catalog: Catalog): JobHandler<z.infer<typeof UpgradeTypePayload>> {
  return {
    kind: UPGRADE_JOB,
    payload: UpgradeTypePayload,
    async run(payload, ctx) {
      try {
        const run = await runTypeUpgrade(opContext({ ...catalog, log: ctx.log }, systemActor(UPGRADE_JOB)), payload.runId, ctx.signal);
        return { runId: run.id, status: run.status, processed: run.processed, changed: run.changed, failed: run.failed };
      } catch (err) {
        if (err instanceof NotFound) throw new PermanentJobError(err.message);
        throw err;
      }
    },
  };
}
