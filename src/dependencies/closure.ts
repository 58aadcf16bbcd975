/**
 * @module The dependency closure of an artifact: what it links to, followed recursively, as the
 * actor may see it. `dependencyGraph` reports every edge and every target it could not follow;
 * `dependencyClosure` is the strict form export and pull build on, refusing an incomplete closure.
 */
import type { Artifact } from '../artifacts/artifact.js';
import { conn, type OpContext } from '../artifacts/context.js';
import { sightOf } from '../artifacts/policy.js';
import { existingArtifactIds, findArtifactsByIds } from '../db/queries/artifacts.js';
import { Conflict } from '../errors.js';
import { heldLinks } from './links.js';

export interface DependencyEdge {
  /** Id of the depending artifact. */
  from: string;
  /** Id of the artifact depended on, when it is one the actor sees. */
  to: string | null;
  field: string;
  key: string;
  link: string;
}

export type UnresolvedReason = 'missing' | 'invisible' | 'external' | 'too_deep';

/** A dependency the graph could not follow, and why. */
export interface UnresolvedDependency {
  from: string;
  field: string;
  key: string;
  link: string;
  reason: UnresolvedReason;
}

export interface DependencyGraph {
  root: Artifact;
  /** Every artifact reached, root excluded, each once, with its distance from the root. */
  nodes: Array<{ artifact: Artifact; depth: number }>;
  edges: DependencyEdge[];
  unresolved: UnresolvedDependency[];
}

export interface ClosureOptions {
  /** Follow dependencies this many steps from the root at most (default: no limit). */
  maxDepth?: number;
}

/** Walks the graph breadth first, one query per level: never one per node. */
export async function dependencyGraph(ctx: OpContext, root: Artifact, opts: ClosureOptions = {}): Promise<DependencyGraph> {
  const db = conn(ctx);
  const sight = sightOf(ctx.actor);
  const maxDepth = opts.maxDepth ?? Number.POSITIVE_INFINITY;
  const seen = new Map<string, { artifact: Artifact; depth: number }>([[root.id, { artifact: root, depth: 0 }]]);
  const edges: DependencyEdge[] = [];
  const unresolved: UnresolvedDependency[] = [];
  let frontier: Artifact[] = [root];
  for (let depth = 1; frontier.length > 0; depth++) {
    const pending: Array<{ from: string; field: string; key: string; link: string; id: string }> = [];
    for (const artifact of frontier) {
      if (!ctx.catalog.types.has(artifact.typeName)) continue; // a removed plugin's rows: no link fields known
      for (const held of heldLinks(ctx.catalog.types.get(artifact.typeName), artifact)) {
        const where = { from: artifact.id, field: held.field, key: held.key, link: held.link };
        if (!held.target) unresolved.push({ ...where, reason: 'external' });
        else if (seen.has(held.target.id)) edges.push({ ...where, to: held.target.id });
        else if (depth > maxDepth) unresolved.push({ ...where, reason: 'too_deep' });
        else pending.push({ ...where, id: held.target.id });
      }
    }
    const found = new Map((await findArtifactsByIds(db, { ids: pending.map((p) => p.id), sight })).map((a) => [a.id, a]));
    const absent = pending.filter((p) => !found.has(p.id)).map((p) => p.id);
    const existing = absent.length > 0 ? await existingArtifactIds(db, absent) : new Set<string>();
    frontier = [];
    for (const { id, ...where } of pending) {
      const artifact = found.get(id);
      if (!artifact) {
        unresolved.push({ ...where, reason: existing.has(id) ? 'invisible' : 'missing' });
        continue;
      }
      edges.push({ ...where, to: id });
      if (!seen.has(id)) {
        seen.set(id, { artifact, depth });
        frontier.push(artifact);
      }
    }
  }
  seen.delete(root.id);
  return { root, nodes: [...seen.values()], edges, unresolved };
}

/** The artifacts `root` depends on (links followed recursively, visible to ctx.actor), root excluded, each once; throws Conflict (src/errors.ts) explaining why when the requirements do not resolve. */
export async function dependencyClosure(ctx: OpContext, root: Artifact, opts: ClosureOptions = {}): Promise<Artifact[]> {
  const graph = await dependencyGraph(ctx, root, opts);
  // External links are outside any closure, and a depth limit is the caller's own choice.
  const broken = graph.unresolved.filter((u) => u.reason === 'missing' || u.reason === 'invisible');
  if (broken.length > 0) {
    const lines = broken.map((u) => `${describe(graph, u.from)} field ${u.field}${u.key ? `[${u.key}]` : ''} links to ${u.link}, which ${REASONS[u.reason]}`);
    throw new Conflict(`the dependencies of ${describe(graph, root.id)} do not resolve: ${lines.join('; ')}`, { unresolved: broken });
  }
  return graph.nodes.map((n) => n.artifact);
}

const REASONS: Record<UnresolvedReason, string> = {
  missing: 'does not exist',
  invisible: 'is not an artifact you can see',
  external: 'is outside this catalog',
  too_deep: 'is beyond the depth limit',
};

function describe(graph: DependencyGraph, id: string): string {
  const a = id === graph.root.id ? graph.root : graph.nodes.find((n) => n.artifact.id === id)?.artifact;
  return a ? `${a.typeName} ${a.name} ${a.version}` : id;
}
