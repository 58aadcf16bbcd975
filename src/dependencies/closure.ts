/**
 * @module The dependency closure of an artifact: what it links to and what its requirements
 * resolve to, followed recursively, as the actor may see it. `dependencyGraph` reports every
 * edge and everything it could not follow; `dependencyClosure` is the strict form export and
 * pull build on, refusing a closure that does not resolve.
 */
import type { Artifact } from '../artifacts/artifact.js';
import { conn, type OpContext } from '../artifacts/context.js';
import { sightOf } from '../artifacts/policy.js';
import { findArtifactsByIds } from '../db/queries/artifacts.js';
import { Conflict, Forbidden } from '../errors.js';
import { resolveDependencies, type Resolution } from './resolver.js';

export interface ClosureOptions {
  /** Follow dependencies this many steps from the root at most (default: no limit). */
  maxDepth?: number;
}

/** The closure as a graph: nodes, edges, which requirement picked which version, and what could not be followed (missing, invisible, external, too deep). */
export function dependencyGraph(ctx: OpContext, root: Artifact, opts: ClosureOptions = {}): Promise<Resolution> {
  return resolveDependencies(ctx, { root, mode: 'report', ...(opts.maxDepth !== undefined ? { maxDepth: opts.maxDepth } : {}) });
}

/** The artifacts `root` depends on (links + requires, resolved, visible to ctx.actor), root excluded, each once; throws Conflict (src/errors.ts) explaining why when the requirements do not resolve. */
export async function dependencyClosure(ctx: OpContext, root: Artifact, opts: ClosureOptions = {}): Promise<Artifact[]> {
  const resolution = await resolveDependencies(ctx, { root, mode: 'strict', ...(opts.maxDepth !== undefined ? { maxDepth: opts.maxDepth } : {}) });
  const loaded = new Map((await findArtifactsByIds(conn(ctx), { ids: resolution.nodes.map((n) => n.row.id), sight: sightOf(ctx.actor) })).map((a) => [a.id, a]));
  const closure = resolution.nodes.flatMap((n) => loaded.get(n.row.id) ?? []);
  // Changed between the two statements (deleted, or made invisible): the closure is not whole.
  if (closure.length !== resolution.nodes.length) throw new Conflict('the dependencies changed while their closure was read; try again');
  return closure;
}

/** Activation's rule: an artifact becomes active only when its requirements (and links) resolve; Forbidden naming the unmet one otherwise. */
export async function assertRequirementsResolve(ctx: OpContext, artifact: Artifact): Promise<void> {
  if (artifact.requires.length === 0) return;
  try {
    await resolveDependencies(ctx, { root: artifact, mode: 'strict' });
  } catch (err) {
    if (err instanceof Conflict) throw new Forbidden(`cannot activate: ${err.message}`, err.details);
    throw err;
  }
}
