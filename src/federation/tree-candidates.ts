/**
 * @module Tree resolution's candidates: the versions of every name a resolution can reach, from
 * this node's catalog and from every upstream allowed to search, each upstream asked once per
 * round for all the names it has not covered yet (one batched request, not one per name).
 *
 * Every node answers POST /federation/v1/candidates with the same function, so an upstream asks
 * its own upstreams in turn (hop limit, visited chain and budget as search has). A source's answer
 * is the closure it reached from the names asked: its candidates and their requirements. A name
 * one source's candidate requires that another source has not been asked for is asked in the next
 * round; rounds end when every source has covered every name reached. A source that fails or
 * times out is reported (`partial`) and the resolution goes on with the rest.
 *
 * Each candidate keeps the path of nodes it came through, its id on the node holding it, and the
 * node it was first published on (its origin). The same type, name, version and origin held by
 * several nodes is one candidate: the nearest copy (this node's own first, then the upstream
 * reached first), so what is held already is never fetched.
 */
import { z } from 'zod';
import type { CandidateRow } from '../db/queries/dependencies.js';
import type { Candidate, SourceNode } from '../dependencies/resolver.js';
import { parseRequirement, type Requirement } from '../dependencies/requirements.js';
import { parseVersion, versionKey } from '../artifacts/versions.js';
import { firstPublishers } from '../db/queries/pulls.js';
import { BadRequest } from '../errors.js';
import { callUpstream, NodeRef, relayedSources, SourceStatus } from './fan-out.js';
import type { FederationDeps } from './federation.js';
import { searchableUpstreams } from './peers.js';

export const CANDIDATES_PATH = '/federation/v1/candidates';
/** Names one request may ask for. */
export const MAX_CANDIDATE_NAMES = 10_000;
/** Rounds before gathering stops: each round follows requirements one more source away. */
const MAX_ROUNDS = 16;

const NameRef = z.object({ type: z.string().min(1).max(255), name: z.string().min(1).max(255) }).strict();
const NodeId = z.string().min(1).max(255).regex(/^[A-Za-z0-9._:-]+$/, 'a node id is letters, digits and ._:-');

/** The body of POST /federation/v1/candidates. */
export const CandidatesRequest = z
  .object({
    names: z.array(NameRef).min(1).max(MAX_CANDIDATE_NAMES),
    hops: z.number().int().min(0).max(64).optional(),
    via: z.array(NodeId).max(64).optional(),
    budget_ms: z.number().int().min(1).max(3_600_000).optional(),
  })
  .strict();
export type CandidatesRequest = z.infer<typeof CandidatesRequest>;

const WireCandidate = z.object({
  /** The candidate's id on the node holding it (the last of `path`). */
  id: z.string().min(1).max(255),
  type_name: z.string(),
  name: z.string(),
  version: z.string(),
  status: z.string(),
  requires: z.array(z.unknown()),
  links: z.array(z.object({ field: z.string(), key: z.string(), link: z.string(), target: z.string().nullable() })),
  path: z.array(NodeRef).min(1),
  /** The node it was first published on (absent from nodes that predate it). */
  origin: NodeRef.optional(),
});
type WireCandidate = z.infer<typeof WireCandidate>;

/** The answer of POST /federation/v1/candidates. */
export const CandidatesAnswer = z.object({
  candidates: z.array(WireCandidate),
  sources: z.array(SourceStatus),
  partial: z.boolean(),
});
export type CandidatesAnswer = z.infer<typeof CandidatesAnswer>;

export interface TreeCandidates {
  candidates: Candidate[];
  sources: SourceStatus[];
  partial: boolean;
}

export interface TreeCandidatesInput {
  names: ReadonlyArray<{ type: string; name: string }>;
  /** Ids a local link pins (this node's ids: upstreams are not asked for them). */
  ids: readonly string[];
  /** This node's candidates, as the caller may see them. */
  local(seed: { names: Array<{ type: string; name: string }>; ids: string[] }): Promise<CandidateRow[]>;
  /** Nodes already asked on the way here (empty when a user asked this node). */
  via: readonly string[];
  hops?: number;
  budgetMs?: number;
}

const nameKey = (type: string, name: string) => `${type}\u0000${name}`;
const LOCAL = '.local';

export async function gatherTreeCandidates(fd: FederationDeps, input: TreeCandidatesInput): Promise<TreeCandidates> {
  const started = performance.now();
  const settings = fd.config.federation;
  const identity = await fd.federation.identity();
  const self: SourceNode = { id: identity.nodeId, name: fd.config.node.name };
  if (input.via.includes(self.id)) throw new BadRequest(`loop: this node (${self.id}) was already asked on this resolution's path`);
  const deadline = started + Math.min(settings.resolve.deadline_ms, input.budgetMs ?? Infinity);
  const hops = Math.min(input.hops ?? settings.search.max_hops, settings.search.max_hops);
  const upstreams = await searchableUpstreams(fd);

  const reached = new Map<string, { type: string; name: string }>();
  const reach = (key: string, type: string, name: string) => {
    if (!reached.has(key)) reached.set(key, { type, name });
  };
  for (const n of input.names) reach(nameKey(n.type, n.name), n.type, n.name);
  /** Per source (LOCAL or an upstream's node id), the names its closure covered already. */
  const covered = new Map<string, Set<string>>([[LOCAL, new Set()], ...upstreams.map((u): [string, Set<string>] => [u.nodeId, new Set()])]);
  const failed = new Set<string>();
  const found: Candidate[] = [];
  const seenIds = new Set<string>();
  const sources = new Map<string, SourceStatus>();
  const report = (s: SourceStatus) => {
    const key = s.path.map((p) => p.id).join('/');
    const known = sources.get(key);
    // A source's worst round is what it reports; counts and times add up.
    if (!known) sources.set(key, s);
    else sources.set(key, { ...(known.status === 'ok' ? s : known), ms: Math.round((known.ms + s.ms) * 100) / 100, count: known.count + s.count });
  };
  const take = (source: string, rows: readonly Candidate[], asked: readonly string[]) => {
    const cover = covered.get(source)!;
    for (const k of asked) cover.add(k);
    for (const row of rows) {
      for (const r of row.requires) {
        const key = nameKey(r.type, r.name);
        cover.add(key);
        reach(key, r.type, r.name);
      }
      if (seenIds.has(row.id)) continue;
      seenIds.add(row.id);
      found.push(row);
    }
  };

  let ids = [...input.ids];
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const asks = (source: string) => [...reached.keys()].filter((k) => !covered.get(source)!.has(k));
    const localAsks = asks(LOCAL);
    const work: Array<Promise<void>> = [];
    if (localAsks.length > 0 || ids.length > 0) {
      const pinned = ids;
      work.push(
        // This node's own catalog failing fails the resolution: without it no answer is right.
        (async () => {
          const t0 = performance.now();
          const rows = await input.local({ names: localAsks.map((k) => reached.get(k)!), ids: pinned });
          take(LOCAL, rows.map((r) => ({ ...r, source: { path: [self], id: r.id } })), localAsks);
          report({ path: [self], status: 'ok', ms: elapsedSince(t0), count: rows.length });
        })(),
      );
    }
    ids = [];
    for (const upstream of upstreams) {
      if (failed.has(upstream.nodeId)) continue;
      const names = asks(upstream.nodeId);
      if (names.length === 0) continue;
      work.push(
        (async () => {
          const outcome = await callUpstream(
            fd,
            upstream,
            { self, via: input.via, hops, deadline, timeoutMs: settings.resolve.timeout_ms },
            (leg, base) => ({
              method: 'POST',
              path: new URL(CANDIDATES_PATH.slice(1), base).pathname,
              body: new TextEncoder().encode(
                JSON.stringify({ names: names.slice(0, MAX_CANDIDATE_NAMES).map((k) => reached.get(k)!), hops: leg.hops, via: leg.via, budget_ms: leg.budgetMs } satisfies CandidatesRequest),
              ),
            }),
            (json) => CandidatesAnswer.parse(json),
          );
          if (!outcome.ok) {
            // A source that failed once is not asked again in this resolution: its names stay unknown there.
            failed.add(upstream.nodeId);
            report(outcome.source);
            return;
          }
          const seen: WireSeen = { requirements: new Map(), paths: new Map() };
          const rows = outcome.value.candidates.flatMap((w) => fromWire(self, w, seen));
          take(upstream.nodeId, rows, names.slice(0, MAX_CANDIDATE_NAMES));
          for (const s of relayedSources(outcome.value.sources, self, outcome.ms)) report(s);
        })(),
      );
    }
    if (work.length === 0) break;
    await Promise.all(work);
    if (performance.now() >= deadline) break;
  }

  // Where this node's own candidates were first published: requirements naming an origin here or downstream need it.
  const locals = found.filter((c) => c.source!.path.length === 1);
  const published = await firstPublishers(fd.db, locals.map((c) => c.id));
  for (const c of locals) c.origin = published.get(c.id) ?? self;

  const statuses = [...sources.values()].sort((a, b) => a.path.length - b.path.length || a.path.map((p) => p.name).join('/').localeCompare(b.path.map((p) => p.name).join('/')));
  return { candidates: nearestCopies(found), sources: statuses, partial: statuses.some((s) => s.status !== 'ok') };
}

const elapsedSince = (t0: number) => Math.round((performance.now() - t0) * 100) / 100;

/**
 * One candidate per type, name, version and origin across nodes: the copies of the node nearest to this
 * one (this node's own, then fewer hops, then the upstream that answered first). Twins on one
 * node (two owners' equal versions) all stay.
 */
function nearestCopies(found: readonly Candidate[]): Candidate[] {
  const hops = (c: Candidate) => c.source?.path.length ?? 0;
  const ordered = found.map((c, i) => ({ c, i })).sort((a, b) => hops(a.c) - hops(b.c) || a.i - b.i);
  const holder = new Map<string, string>();
  const kept: Candidate[] = [];
  for (const { c } of ordered) {
    // Copies of one version published on different nodes are different artifacts.
    const key = `${c.typeName}\u0000${c.name}\u0000${c.version}\u0000${c.origin?.id ?? ''}`;
    const node = c.source?.path.at(-1)?.id ?? '';
    const first = holder.get(key);
    if (first === undefined) holder.set(key, node);
    else if (first !== node) continue;
    kept.push(c);
  }
  return kept;
}

/**
 * A candidate as an upstream sent it, checked: a version or requirement that does not parse makes
 * the candidate unusable (it is left out, never trusted). Ids are made unique across nodes.
 */
/** What one answer's candidates share, checked or built once: requirements, and paths by their node ids. */
interface WireSeen {
  requirements: Map<string, Requirement | null>;
  paths: Map<string, SourceNode[]>;
}

function fromWire(self: SourceNode, w: WireCandidate, seen: WireSeen): Candidate[] {
  const checked = seen.requirements;
  let key: string;
  try {
    key = versionKey(parseVersion(w.version));
  } catch {
    return [];
  }
  // The versions of one name mostly require the same things: each distinct requirement is checked once.
  const requires: Requirement[] = [];
  for (const r of w.requires) {
    const text = JSON.stringify(r);
    let requirement = checked.get(text);
    if (requirement === undefined) {
      try {
        requirement = parseRequirement(r, 'requires[]');
      } catch {
        requirement = null;
      }
      checked.set(text, requirement);
    }
    if (requirement === null) return [];
    requires.push(requirement);
  }
  const pathKey = w.path.map((p) => p.id).join('/');
  let path = seen.paths.get(pathKey);
  if (!path) seen.paths.set(pathKey, (path = [self, ...w.path]));
  const holder = path.at(-1)!.id;
  const local = (id: string) => `${holder}:${id}`;
  return [
    {
      id: local(w.id),
      typeName: w.type_name,
      name: w.name,
      version: w.version,
      versionKey: key,
      status: w.status,
      requires,
      pins: null,
      links: w.links.map((l) => ({ ...l, target: l.target === null ? null : local(l.target) })),
      source: { path, id: w.id },
      ...(w.origin ? { origin: w.origin } : {}),
    },
  ];
}

/** The candidates as this node answers them to the node that asked: ids as their holders know them. */
export function candidatesToWire(gathered: TreeCandidates): CandidatesAnswer {
  return {
    candidates: gathered.candidates.map((c) => {
      const source = c.source!;
      const holder = source.path.at(-1)!.id;
      const prefix = `${holder}:`;
      const remote = source.path.length > 1;
      return {
        id: source.id,
        type_name: c.typeName,
        name: c.name,
        version: c.version,
        status: c.status,
        requires: c.requires,
        links: c.links.map((l) => ({ ...l, target: remote && l.target?.startsWith(prefix) ? l.target.slice(prefix.length) : l.target })),
        path: source.path,
        ...(c.origin ? { origin: c.origin } : {}),
      };
    }),
    sources: gathered.sources,
    partial: gathered.partial,
  };
}
