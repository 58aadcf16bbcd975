/** @module Every job kind this node runs, bound to its dependencies. */
import type { Deps } from '../../deps.js';
import type { JobHandler } from '../queue.js';
import { importAppCatalogHandler } from '../../importers/runs.js';
import { federationSubmitHandler } from './federation-submit.js';
import { pullHandler } from '../../federation/pull.js';
import { scrubBlobsHandler } from './scrub-blobs.js';
import { upgradeTypeHandler } from './upgrade-type.js';

export function jobHandlers(deps: Omit<Deps, 'queue'>): JobHandler<unknown>[] {
  return [scrubBlobsHandler(deps), upgradeTypeHandler(deps), importAppCatalogHandler(deps), pullHandler(deps), federationSubmitHandler(deps)];
}
