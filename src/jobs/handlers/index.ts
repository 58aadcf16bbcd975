/** @module Every job kind this node runs, bound to its dependencies. */
import type { Deps } from '../../deps.js';
import type { JobHandler, JobQueue } from '../queue.js';
import { importAppCatalogHandler } from '../../importers/runs.js';
import { federationSubmitHandler } from './federation-submit.js';
import { pullHandler } from '../../federation/pull.js';
import { scrubBlobsHandler } from './scrub-blobs.js';
import { syncSubscriptionHandler } from './sync-subscription.js';
import { upgradeTypeHandler } from './upgrade-type.js';

/** `queue` is the queue the handlers' own jobs go to (read when a job runs: the queue is made after its handlers). */
export function jobHandlers(deps: Omit<Deps, 'queue'>, queue: () => JobQueue): JobHandler<unknown>[] {
  return [scrubBlobsHandler(deps), upgradeTypeHandler(deps), importAppCatalogHandler(deps), pullHandler(deps), syncSubscriptionHandler(deps, queue), federationSubmitHandler(deps)];
}
