/**
 * @module Tree resolution (`scope=tree`): the resolver over this node's catalog and every
 * upstream's candidates (tree-candidates.ts). Newest wins wherever it is; among equal versions the
 * nearest copy, so what this node holds is never fetched again. Each chosen artifact says where it
 * is (its path of nodes and its id there); a conflict names the node of every version it cites;
 * sources that failed are reported and make the answer `partial`, also when it is a conflict (a
 * missing upstream may be why nothing fits).
 *
 * `pullChosen` copies the chosen remote artifacts here: one pull job per upstream holding some
 * (a leaf with one upstream: one job). A pull copies from a direct upstream only; an artifact
 * chosen further up (leaf → vendor → global) is reported, not pulled: the node between must hold
 * it first (its own pull, or a subscription mirroring it), and then it is the nearest copy.
 */
import type { Actor } from '../artifacts/actor.js';
import type { OpContext } from '../artifacts/context.js';
import type { JobQueue } from '../jobs/queue.js';
import { localCandidates, resolveDependencies, type Resolution, type ResolveIntent } from '../dependencies/resolver.js';
import { Conflict } from '../errors.js';
import type { SourceStatus } from './fan-out.js';
import type { FederationDeps } from './federation.js';
import { enqueuePull, type PullDeps } from './pull.js';
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

export interface ChosenPull {
  /** One per direct upstream holding chosen artifacts. */
  jobs: Array<{ upstream: { id: string; name: string }; job_id: string; status: string; artifact_ids: string[] }>;
  not_pulled: Array<{ id: string; type_name: string; name: string; version: string; node: { id: string; name: string }; reason: string }>;
}

export async function pullChosen(deps: PullDeps & { queue: JobQueue }, actor: Actor, resolution: Resolution): Promise<ChosenPull> {
  const byUpstream = new Map<string, { upstream: { id: string; name: string }; ids: string[] }>();
  const notPulled: ChosenPull['not_pulled'] = [];
  for (const { row } of resolution.nodes) {
    const path = row.source?.path;
    if (!path || path.length < 2) continue; // held here already
    const holder = path.at(-1)!;
    if (path.length > 2) {
      notPulled.push({
        id: row.source!.id,
        type_name: row.typeName,
        name: row.name,
        version: row.version,
        node: holder,
        reason: `held by ${holder.name}, ${path.length - 1} hops up: ${path[1]!.name} must hold it first (pull it there, or subscribe ${path[1]!.name} to it)`,
      });
      continue;
    }
    const entry = byUpstream.get(holder.id) ?? { upstream: holder, ids: [] };
    entry.ids.push(row.source!.id);
    byUpstream.set(holder.id, entry);
  }
  const jobs: ChosenPull['jobs'] = [];
  for (const { upstream, ids } of byUpstream.values()) {
    const pull = await enqueuePull(deps, actor, { upstream: upstream.id, ids });
    jobs.push({ upstream, job_id: pull.id, status: pull.status, artifact_ids: pull.artifactIds });
  }
  return { jobs, not_pulled: notPulled };
}
