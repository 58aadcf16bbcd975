/**
 * @module The subscription sync job: one sync of one subscription (src/federation/subscriptions.ts).
 * A subscription removed since its schedule was made takes its schedule with it.
 */
import { z } from 'zod';
import type { Deps } from '../../deps.js';
import { subscriptionScheduleKey, syncSubscription, SYNC_SUBSCRIPTION_JOB } from '../../federation/subscriptions.js';
import type { JobHandler, JobQueue } from '../queue.js';

export const SyncSubscriptionPayload = z.object({ subscriptionId: z.string().uuid() }).strict();

export function syncSubscriptionHandler(deps: Omit<Deps, 'queue'>, queue: () => JobQueue): JobHandler<z.infer<typeof SyncSubscriptionPayload>> {
  return {
    kind: SYNC_SUBSCRIPTION_JOB,
    payload: SyncSubscriptionPayload,
    async run(payload, ctx) {
      const outcome = await syncSubscription(deps, payload.subscriptionId, { signal: ctx.signal });
      if (outcome === 'gone') {
        await queue().unschedule(subscriptionScheduleKey(payload.subscriptionId));
        return { subscriptionId: payload.subscriptionId, gone: true };
      }
      return { subscriptionId: payload.subscriptionId, status: outcome.status, matched: outcome.matched, new: outcome.new.length };
    },
  };
}
