/**
 * @module The subscription sync job: one sync of one subscription (src/federation/subscriptions.ts),
 * pulling what is new.
 * A subscription removed since its schedule was made takes its schedule with it.
 */
import { z } from 'zod';
import type { Deps } from '../../deps.js';
import { systemActor } from '../../artifacts/actor.js';
import { enqueuePull, MAX_PULL_ARTIFACTS } from '../../federation/pull.js';
import { subscriptionScheduleKey, syncSubscription, SYNC_SUBSCRIPTION_JOB, type PullNew } from '../../federation/subscriptions.js';
import type { JobHandler, JobQueue } from '../queue.js';

export const SyncSubscriptionPayload = z.object({ subscriptionId: z.string().uuid() }).strict();

export function syncSubscriptionHandler(deps: Omit<Deps, 'queue'>, queue: () => JobQueue): JobHandler<z.infer<typeof SyncSubscriptionPayload>> {
  return {
    kind: SYNC_SUBSCRIPTION_JOB,
    payload: SyncSubscriptionPayload,
    async run(payload, ctx) {
      // What is new is pulled as pulls are: one job per upstream and set of artifacts (at most
      // MAX_PULL_ARTIFACTS each), with the node itself asking.
      const pull: PullNew = async (upstream, artifacts) => {
        const jobs = [];
        for (let i = 0; i < artifacts.length; i += MAX_PULL_ARTIFACTS) {
          const ids = artifacts.slice(i, i + MAX_PULL_ARTIFACTS).map((a) => a.id);
          const record = await enqueuePull({ ...deps, queue: queue() }, systemActor(`subscription ${payload.subscriptionId}`), { upstream: upstream.id, ids });
          jobs.push({ job_id: record.id, status: record.status, artifacts: ids.length });
        }
        return jobs;
      };
      const outcome = await syncSubscription(deps, payload.subscriptionId, { pull, signal: ctx.signal });
      if (outcome === 'gone') {
        await queue().unschedule(subscriptionScheduleKey(payload.subscriptionId));
        return { subscriptionId: payload.subscriptionId, gone: true };
      }
      return { subscriptionId: payload.subscriptionId, status: outcome.status, matched: outcome.matched, new: outcome.new.length };
    },
  };
}
