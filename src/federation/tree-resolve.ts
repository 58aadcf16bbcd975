/**
 * @module Tree resolution (`scope=tree`): the resolver over this node's catalog and every
 * upstream's candidates (tree-candidates.ts). Newest wins wherever it is; among equal versions the
 * nearest copy, so what this node holds is never fetched again. Each chosen artifact says where it
 * is (its path of nodes and its id there); a conflict names the node of every version it cites;
 * sources that failed are reported and make the answer `partial`, also when it is a conflict (a
 * missing upstream may be why nothing fits).
 */
import type { OpContext } from '../artifacts/context.js';
import { localCandidates, resolveDependencies, type Resolution, type ResolveIntent } from '../dependencies/resolver.js';
import { Conflict } from '../errors.js';
import type { SourceStatus } from './fan-out.js';
import type { FederationDeps } from './federation.js';
import { gatherTreeCandidates } from './tree-candidates.js';

export interface TreeResolution {
  resolution: Resolution;
  sources: SourceStatus[];
  partial: boolean;
}

export async function resolveAcrossTree(ctx: OpContext, fd: FederationDeps, intent: Omit<ResolveIntent, 'candidates'>): Promise<TreeResolution> {
  let gathered: { sources: SourceStatus[]; partial: boolean } = { sources: [], partial: false };
  try {
    const resolution = await resolveDependencies(ctx, {
      ...intent,
      candidates: async (seed) => {
        const answer = await gatherTreeCandidates(fd, { ...seed, local: localCandidates(ctx), via: [] });
        gathered = answer;
        return answer.candidates;
      },
    });
    return { resolution, ...gathered };
  } catch (err) {
    if (!(err instanceof Conflict)) throw err;
    const failed = gathered.sources.filter((s) => s.status !== 'ok');
    const note = failed.length > 0 ? ` (partial: ${failed.map((s) => `${s.path.map((p) => p.name).join('>')} ${s.status}`).join(', ')})` : '';
    throw new Conflict(`${err.message}${note}`, { ...err.details, sources: gathered.sources, partial: gathered.partial });
  }
}
