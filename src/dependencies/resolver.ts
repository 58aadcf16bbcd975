/**
 * @module The resolver: one consistent set of artifacts for an artifact's (or a request's)
 * requirements and links. At most one version per (type, name); every range satisfied; newest
 * versions preferred; only artifacts the actor may see; cycles resolved once.
 *
 * All candidates come from one query (resolutionCandidateGroups: every version of every name the
 * requirements can reach, and every artifact a link can reach), then a depth-first search with
 * backtracking picks versions breadth first, newest first. A name's versions are decoded as the
 * search reads them, newest first, and a scan for a version in a range stops below the range's
 * lowest version, so the versions no search looks at cost nothing but their bytes. When no consistent set exists, the
 * first dead end met on the newest-first path is explained as a chain
 * ("A 1.2 requires B ^2; C 3.0 requires B ~1.4; no B satisfies both").
 *
 * A requirement pinned to one artifact (an imported copy's: artifacts.requirement_pins) takes
 * exactly that artifact while it is a candidate: the copy resolves as it did where it was made. A
 * pin whose target is gone, out of sight or inactive is ignored, and the range resolves as usual.
 *
 * A requirement naming an origin (a node's name or id) is satisfied only by versions first
 * published on that node (Candidate.origin).
 */
import type { Artifact } from '../artifacts/artifact.js';
import { conn, type OpContext } from '../artifacts/context.js';
import { sightOf } from '../artifacts/policy.js';
import { parseVersion, versionKey } from '../artifacts/versions.js';
import { existingArtifactIds } from '../db/queries/artifacts.js';
import { MoreCandidates, resolutionCandidateGroups, resolutionCandidates, type CandidateRow } from '../db/queries/dependencies.js';
import { findNodeId } from '../db/queries/federation.js';
import { firstPublishers } from '../db/queries/pulls.js';
import { Conflict } from '../errors.js';
import { heldLinks } from './links.js';
import { describeRequirement, requirementKeyTest, type Requirement } from './requirements.js';

/** A node on a candidate's path: the node asked, then each upstream it came through. */
export interface SourceNode {
  id: string;
  name: string;
}

/**
 * A version the resolver may choose. Candidates of a tree resolution say where they are: the
 * path of nodes from this one to the node that holds them, and their id there (their own `id`
 * is then made unique across sources). Local candidates of a local resolution have no source.
 */
export type Candidate = CandidateRow & {
  source?: { path: SourceNode[]; id: string };
  /**
   * The node it was first published on: this node for an artifact made here, the first hop of a
   * copy's provenance otherwise. Known for every candidate of a tree resolution, and for those a
   * requirement naming an origin may take in a local one.
   */
  origin?: SourceNode;
};

/** Where a resolution takes its candidates from, seeded by the names to choose among and the ids links pin. */
export type CandidateSource = (seed: { names: Array<{ type: string; name: string }>; ids: string[] }) => Promise<Candidate[]>;

/** What made the resolver take an artifact: a requirement of another (or of the request), or a link. */
export type PickedBy =
  | { kind: 'root' }
  | { kind: 'requires'; by: Candidate | null; requirement: Requirement }
  | { kind: 'link'; by: Candidate; field: string; key: string; link: string };

export interface ResolvedNode {
  row: Candidate;
  depth: number;
  pickedBy: PickedBy;
}

export type Unresolved =
  | { from: Candidate; via: 'link'; field: string; key: string; link: string; reason: 'missing' | 'invisible' | 'external' | 'too_deep' }
  | { from: Candidate | null; via: 'requires'; requirement: Requirement; reason: 'unsatisfied' | 'too_deep' };

export type ResolvedEdge =
  | { from: Candidate | null; to: Candidate; via: 'requires'; requirement: Requirement }
  | { from: Candidate; to: Candidate; via: 'link'; field: string; key: string; link: string };

export interface Resolution {
  root: Candidate | null;
  /** Chosen artifacts, root excluded, in the order they were reached. */
  nodes: ResolvedNode[];
  edges: ResolvedEdge[];
  unresolved: Unresolved[];
}

/** One step of a conflict's explanation. */
export interface ConflictStep {
  /** The artifact that asks, or null for the request itself; `node` names where it is (tree resolution). */
  by: { id: string; type_name: string; name: string; version: string; node?: string } | null;
  requires?: Requirement;
  /** The version `requires` is pinned to: the one the artifact was imported with. */
  pinned_to?: { id: string; type_name: string; name: string; version: string; node?: string };
  links_to?: { id: string; type_name: string; name: string; version: string; link: string; node?: string };
}

export interface ResolveIntent {
  /** The artifact whose dependencies are resolved (it is pinned: its own version is the one taken). */
  root?: Artifact;
  /** Top-level requirements of the request (POST /resolve), beside the root's own. */
  requirements?: readonly Requirement[];
  /** strict: anything unresolvable is a Conflict; report: missing targets are reported, only inconsistency fails. */
  mode: 'strict' | 'report';
  maxDepth?: number;
  /** Where candidates come from (default: this node's catalog, as the actor sees it). */
  candidates?: CandidateSource;
}

/** This node's catalog as a candidate source: what the context's actor may see. */
export function localCandidates(ctx: OpContext): (seed: { names: Array<{ type: string; name: string }>; ids: string[] }) => Promise<CandidateRow[]> {
  return (seed) => resolutionCandidates(conn(ctx), { ...seed, sight: sightOf(ctx.actor) });
}

/** Backtracking steps before the resolver gives up on a pathological graph. */
const MAX_STEPS = 50_000;

/** A requirement someone asks, with the one candidate it is pinned to, if any. */
interface Ask {
  requirement: Requirement;
  pin: Candidate | undefined;
}

type Obligation =
  | { kind: 'pin'; id: string; depth: number; pickedBy: PickedBy }
  | ({ kind: 'req'; depth: number; by: Candidate | null } & Ask);

const keyOf = (type: string, name: string) => `${type}\u0000${name}`;

/**
 * How many versions of each name (the newest) the first candidate statement reads: a search
 * mostly takes one of a name's newest versions. One that needs older ones (a range far down, a
 * conflict explained) makes the resolution start again over every version. The names asked from
 * an origin come whole (every version's origin is read): the statement knows those a candidate
 * asks so, and a request or root asking one reads every version from the start.
 */
const NEWEST_CANDIDATES = 10;

export async function resolveDependencies(ctx: OpContext, intent: ResolveIntent): Promise<Resolution> {
  const asksAnOrigin = [...(intent.requirements ?? []), ...(intent.root?.requires ?? [])].some((r) => r.origin !== undefined);
  if (intent.candidates || asksAnOrigin) return resolveAmong(ctx, intent, undefined);
  try {
    return await resolveAmong(ctx, intent, NEWEST_CANDIDATES);
  } catch (err) {
    if (!(err instanceof MoreCandidates)) throw err;
    return resolveAmong(ctx, intent, undefined);
  }
}

/** One resolution over the local candidates read with `newest` (or the intent's source). */
async function resolveAmong(ctx: OpContext, intent: ResolveIntent, newest: number | undefined): Promise<Resolution> {
  const db = conn(ctx);
  const sight = sightOf(ctx.actor);
  const maxDepth = intent.maxDepth ?? Number.POSITIVE_INFINITY;
  const rootRow = intent.root ? rowOf(ctx, intent.root) : null;
  const topRequirements = intent.requirements ?? [];
  const seedRequirements = [...topRequirements, ...(rootRow?.requires ?? [])];
  const seed = {
    names: seedRequirements.map((r) => ({ type: r.type, name: r.name })),
    ids: rootRow ? rootRow.links.flatMap((l) => (l.target ? [l.target] : [])) : [],
  };
  // The root as stored comes along with the candidates when it has requirements: for its pins.
  if (rootRow && rootRow.requires.length > 0) seed.ids.push(rootRow.id);
  // Every artifact a link may pin, by id; every name's active versions, newest first, by key.
  const byId = new Map<string, Candidate>();
  const byKey = new Map<string, Iterable<Candidate>>();
  const loose: Candidate[] = [];
  /** Names some requirement asks from a given origin: their candidates' origins are read. */
  const originKeys = new Set(seedRequirements.flatMap((r) => (r.origin === undefined ? [] : [keyOf(r.type, r.name)])));
  if (intent.candidates) loose.push(...(await intent.candidates(seed)));
  else {
    for (const group of await resolutionCandidateGroups(db, { ...seed, sight, ...(newest !== undefined ? { newest } : {}) })) {
      const key = keyOf(group.typeName, group.name);
      if (group.kind === 'id') loose.push(...group.versions);
      // A name reached both ways: the origin group holds every version (see NEWEST_CANDIDATES).
      else if (group.kind === 'origin' || !byKey.has(key)) byKey.set(key, group.versions);
      if (group.kind === 'origin') originKeys.add(key);
    }
  }
  for (const row of loose) byId.set(row.id, row);
  if (rootRow) {
    rootRow.pins = byId.get(rootRow.id)?.pins ?? null;
    byId.set(rootRow.id, rootRow); // as the caller holds it, changes not yet stored included
  }
  // Candidates that came one by one (a tree's sources, or linked artifacts of a name no
  // requirement reaches) make their names' lists. Newest first; among equal versions (two
  // projects' twins, or copies on several nodes) the nearest source, then the id.
  const lists = new Map<string, Candidate[]>();
  for (const row of byId.values()) {
    const key = keyOf(row.typeName, row.name);
    if (row.status !== 'active' || byKey.has(key)) continue;
    const list = lists.get(key);
    if (list) list.push(row);
    else lists.set(key, [row]);
  }
  const hops = (row: Candidate) => row.source?.path.length ?? 0;
  for (const [key, list] of lists) byKey.set(key, list.sort((a, b) => (a.versionKey < b.versionKey ? 1 : a.versionKey > b.versionKey ? -1 : hops(a) - hops(b) || (a.id < b.id ? -1 : 1))));
  const versionsOf = (key: string): Iterable<Candidate> => byKey.get(key) ?? NONE;
  if (originKeys.size > 0) await readOrigins(ctx, [...originKeys].flatMap((key) => [...versionsOf(key)]));

  // Ranges test version keys, each range parsed once: no candidate's version is parsed.
  const ranges = new Map<string, { test: (versionKey: string) => boolean; floor: string | null }>();
  const rangeOf = (requirement: Requirement) => {
    let range = ranges.get(requirement.range);
    if (!range) ranges.set(requirement.range, (range = requirementKeyTest(requirement)));
    return range;
  };
  const satisfies = (row: Candidate, requirement: Requirement): boolean => rangeOf(requirement).test(row.versionKey) && (requirement.origin === undefined || publishedOn(row, requirement.origin));
  /** Whether `row` answers the requirement: in its range and, when it is pinned, the pinned candidate. */
  const answers = (row: Candidate, requirement: Requirement, pin: Candidate | undefined): boolean => satisfies(row, requirement) && (pin === undefined || pin.id === row.id);
  const fits = (row: Candidate, ask: Ask): boolean => answers(row, ask.requirement, ask.pin);
  /** `requirement`'s name's versions, newest first, down to the lowest its range admits (the older ones cannot satisfy it). */
  function* withinFloor(requirement: Requirement): Generator<Candidate> {
    const { floor } = rangeOf(requirement);
    for (const row of versionsOf(keyOf(requirement.type, requirement.name))) {
      if (floor !== null && row.versionKey < floor) return;
      yield row;
    }
  }
  /** Whether a version answers `requirement` (and `pin`) and every ask of `asks`. */
  const anyFitting = (requirement: Requirement, pin: Candidate | undefined, asks: readonly Ask[]): boolean => {
    for (const row of withinFloor(requirement)) if (answers(row, requirement, pin) && asks.every((a) => fits(row, a))) return true;
    return false;
  };
  /** The candidate requirement `index` of `row` is pinned to, while the pin holds: an active version of the name, in the range. */
  const pinTargets = new Map<string, Candidate | undefined>();
  const pinOf = (row: Candidate, index: number): Candidate | undefined => {
    const id = row.pins?.get(index);
    if (id === undefined) return undefined;
    const known = `${row.id}\u0000${index}`;
    if (pinTargets.has(known)) return pinTargets.get(known);
    const requirement = row.requires[index]!;
    let target: Candidate | undefined;
    for (const version of withinFloor(requirement)) {
      if (version.id === id) {
        if (satisfies(version, requirement)) target = version;
        break;
      }
    }
    pinTargets.set(known, target);
    return target;
  };
  /** Why `row` does not answer `ask`. */
  const unmet = (row: Candidate, ask: Ask): string => (satisfies(row, ask.requirement) ? `is not ${ask.pin!.version}, the version ${describeRequirement(ask.requirement)} is pinned to` : `does not satisfy ${ask.requirement.range}`);

  const strict = intent.mode === 'strict';
  const assigned = new Map<string, ResolvedNode>();
  const order: string[] = [];
  const constraints = new Map<string, Array<Ask & { by: Candidate | null }>>();
  const obligations: Obligation[] = [];
  let firstConflict: { steps: ConflictStep[]; reason: string } | undefined;
  let steps = 0;

  const conflictAt = (key: string, extra: ConflictStep[], reason: string) => {
    if (firstConflict) return;
    const asks = (constraints.get(key) ?? []).map((c) => ({ by: ref(c.by), requires: c.requirement, ...(c.pin ? { pinned_to: ref(c.pin)! } : {}) }));
    const pinned = assigned.get(key);
    const pinStep: ConflictStep[] = pinned && pinned.pickedBy.kind === 'link' ? [{ by: ref(pinned.pickedBy.by), links_to: { ...ref(pinned.row)!, link: pinned.pickedBy.link } }] : [];
    firstConflict = { steps: [...pinStep, ...asks, ...extra], reason };
  };

  const pushDependencies = (row: Candidate, depth: number) => {
    for (const l of row.links) if (l.target) obligations.push({ kind: 'pin', id: l.target, depth: depth + 1, pickedBy: { kind: 'link', by: row, field: l.field, key: l.key, link: l.link } });
    for (let index = 0; index < row.requires.length; index++) obligations.push({ kind: 'req', requirement: row.requires[index]!, pin: pinOf(row, index), depth: depth + 1, by: row });
  };
  const assign = (key: string, node: ResolvedNode) => {
    assigned.set(key, node);
    order.push(key);
    const mark = obligations.length;
    pushDependencies(node.row, node.depth);
    return mark;
  };
  const unassign = (key: string, mark: number) => {
    assigned.delete(key);
    order.pop();
    obligations.length = mark;
  };

  /**
   * Conflict-directed backjumping: a dead end answers the set of (type, name) keys whose choice
   * could undo it; a choice point whose key is not in that set passes it up without trying its
   * other versions, which could not help. A key is in the set when its version broke a range, or
   * when its artifact asked for the requirement (or link) that could not be met.
   */
  const rowKey = (row: Candidate | null): string[] => (row && row.id !== rootRow?.id ? [keyOf(row.typeName, row.name)] : []);
  const requirersOf = (key: string): string[] => (constraints.get(key) ?? []).flatMap((c) => rowKey(c.by));
  const linkerOf = (picked: PickedBy): string[] => (picked.kind === 'link' ? rowKey(picked.by) : picked.kind === 'requires' ? rowKey(picked.by) : []);
  type Outcome = true | Set<string>;

  /**
   * After every fitting version of `key` failed, blamed on `blame`: when the versions the ranges
   * left out would fail on their own requirements too, `key` is impossible whoever asks for it,
   * as long as the blamed keys keep their versions.
   */
  const learn = (key: string, all: Iterable<Candidate>, asks: readonly Ask[], blame: Set<string>) => {
    const because = new Set(blame);
    for (const row of all) {
      if (asks.every((c) => fits(row, c))) continue;
      const blocked = forwardCheck(row);
      if (!blocked) return;
      for (const k of blocked) if (k !== key) because.add(k);
    }
    const conditions: Array<[string, string]> = [];
    for (const k of because) {
      const chosen = assigned.get(k);
      if (!chosen) return;
      conditions.push([k, chosen.row.id]);
    }
    const list = nogoods.get(key) ?? [];
    list.push(conditions);
    nogoods.set(key, list);
  };
  /**
   * Learnt dead ends: name K cannot be taken while each listed key keeps its chosen version (an
   * empty list: not at all). Learning them keeps a dead end deep in the graph from being
   * rediscovered under every choice above it.
   */
  const nogoods = new Map<string, Array<Array<[string, string]>>>();
  const impossible = (k: string): string[] | undefined => {
    for (const conditions of nogoods.get(k) ?? []) if (conditions.every(([ck, id]) => assigned.get(ck)?.row.id === id)) return conditions.map(([ck]) => ck);
    return undefined;
  };

  /**
   * Forward checking: a version whose own requirement cannot be met as things stand (its name is
   * dead, taken in a version outside the range, or without any version fitting the range and
   * what others ask) is skipped without descending; answers the keys to blame, or undefined.
   */
  const forwardCheck = (row: Candidate): string[] | undefined => {
    for (let index = 0; index < row.requires.length; index++) {
      const r = row.requires[index]!;
      const pin = pinOf(row, index);
      const k = keyOf(r.type, r.name);
      const learnt = impossible(k);
      if (learnt) return learnt;
      const have = assigned.get(k);
      const candidates = versionsOf(k);
      if (have) {
        if (answers(have.row, r, pin)) continue;
        // Another version of k would help only if one fits this range (or pin) and what the others ask.
        const other = anyFitting(r, pin, constraints.get(k) ?? []);
        return [...(other ? [k] : requirersOf(k)), ...(have.pickedBy.kind === 'link' ? linkerOf(have.pickedBy) : [])];
      }
      if (isEmpty(candidates)) {
        if (strict) return [];
        continue;
      }
      if (!anyFitting(r, pin, constraints.get(k) ?? [])) return requirersOf(k);
    }
    return undefined;
  };

  const solve = (i: number): Outcome => {
    if (++steps > MAX_STEPS) throw new Conflict(`the requirements could not be resolved within ${MAX_STEPS} steps${firstConflict ? `; first conflict: ${explain(firstConflict)}` : ''}`, conflictDetails(firstConflict));
    if (i === obligations.length) return true;
    const ob = obligations[i]!;
    if (ob.depth > maxDepth) return solve(i + 1);
    if (ob.kind === 'pin') {
      const linker = linkerOf(ob.pickedBy);
      const row = byId.get(ob.id);
      if (!row) {
        if (!strict) return solve(i + 1);
        const by = ob.pickedBy.kind === 'link' ? ob.pickedBy : undefined;
        if (!firstConflict && by) firstConflict = { steps: [{ by: ref(by.by) }], reason: `${label(by.by)} field ${by.field}${by.key ? `[${by.key}]` : ''} links to ${by.link}, which is missing or not an artifact you can see` };
        return new Set(linker);
      }
      const key = keyOf(row.typeName, row.name);
      const have = assigned.get(key);
      const linkStep = { by: ref(ob.pickedBy.kind === 'link' ? ob.pickedBy.by : null), links_to: { ...ref(row)!, link: ob.pickedBy.kind === 'link' ? ob.pickedBy.link : '' } };
      if (have) {
        if (have.row.id === row.id) return solve(i + 1);
        conflictAt(key, [linkStep], `${label(have.row)} and ${row.version} cannot both be taken: at most one version of ${row.typeName} ${row.name}`);
        return new Set([...linker, key, ...requirersOf(key)]);
      }
      const unanswered = (constraints.get(key) ?? []).find((c) => !fits(row, c));
      if (unanswered) {
        conflictAt(key, [linkStep], `${label(row)} ${unmet(row, unanswered)}`);
        return new Set([...linker, ...requirersOf(key)]);
      }
      const mark = assign(key, { row, depth: ob.depth, pickedBy: ob.pickedBy });
      const outcome = solve(i + 1);
      if (outcome === true) return true;
      unassign(key, mark);
      // A pinned version has no alternative: whoever linked to it is to blame instead.
      if (outcome.has(key)) {
        outcome.delete(key);
        for (const k of linker) outcome.add(k);
      }
      return outcome;
    }

    const { requirement } = ob;
    const ask = { requirement, pin: ob.pin, by: ob.by };
    const key = keyOf(requirement.type, requirement.name);
    const learnt = impossible(key);
    if (learnt) {
      conflictAt(key, [], `no ${requirement.type} ${requirement.name} can be taken with the versions chosen`);
      return new Set([...learnt, ...rowKey(ob.by)]);
    }
    const asks = constraints.get(key) ?? [];
    constraints.set(key, asks);
    asks.push(ask);
    try {
      const have = assigned.get(key);
      if (have) {
        if (fits(have.row, ask)) return solve(i + 1);
        const any = anyFitting(requirement, ob.pin, asks);
        conflictAt(key, [], any ? `${label(have.row)}, taken already, ${unmet(have.row, ask)}` : noneSatisfies(requirement, asks.length, [...versionsOf(key)]));
        return new Set([...(any ? [key] : []), ...requirersOf(key), ...(have.pickedBy.kind === 'link' ? linkerOf(have.pickedBy) : [])]);
      }
      const all = versionsOf(key);
      if (isEmpty(all)) {
        if (!strict) return solve(i + 1);
        conflictAt(key, [], `no ${requirement.type} ${requirement.name} is available to you`);
        return new Set(rowKey(ob.by));
      }
      // Newest first, testing the ranges lazily: the first fitting version usually holds.
      const blame = new Set<string>();
      let fitting = 0;
      for (const row of withinFloor(requirement)) {
        if (!asks.every((c) => fits(row, c))) continue;
        fitting++;
        const blocked = forwardCheck(row);
        if (blocked) {
          for (const k of blocked) if (k !== key) blame.add(k);
          continue;
        }
        const mark = assign(key, { row, depth: ob.depth, pickedBy: { kind: 'requires', by: ob.by, requirement } });
        const outcome = solve(i + 1);
        if (outcome === true) return true;
        unassign(key, mark);
        if (!outcome.has(key)) return outcome; // another version of this one cannot help: jump back
        for (const k of outcome) if (k !== key) blame.add(k);
      }
      if (fitting === 0) {
        conflictAt(key, [], noneSatisfies(requirement, asks.length, [...all]));
        return new Set(requirersOf(key));
      }
      learn(key, all, asks, blame);
      for (const k of requirersOf(key)) blame.add(k);
      return blame;
    } finally {
      asks.pop();
    }
  };

  for (const requirement of topRequirements) obligations.push({ kind: 'req', requirement, pin: undefined, depth: 1, by: null });
  if (rootRow) {
    const key = keyOf(rootRow.typeName, rootRow.name);
    assign(key, { row: rootRow, depth: 0, pickedBy: { kind: 'root' } });
  }
  const solved = solve(0);
  if (solved !== true) {
    const conflict = firstConflict ?? { steps: [], reason: 'the requirements do not resolve' };
    throw new Conflict(`the requirements do not resolve: ${explain(conflict)}`, conflictDetails(conflict));
  }
  // The `finally` above pops constraints on the way back; the assignment stays.
  return describe(db, rootRow, order.map((k) => assigned.get(k)!), byId, maxDepth);
}

/** Edges and unresolved dependencies of the chosen set. */
async function describe(db: Parameters<typeof existingArtifactIds>[0], root: Candidate | null, chosen: ResolvedNode[], byId: Map<string, Candidate>, maxDepth: number): Promise<Resolution> {
  const chosenIds = new Map(chosen.map((n) => [n.row.id, n]));
  const chosenByKey = new Map(chosen.map((n) => [keyOf(n.row.typeName, n.row.name), n]));
  const edges: ResolvedEdge[] = [];
  const unresolved: Unresolved[] = [];
  const absent: Array<Extract<Unresolved, { via: 'link' }> & { target: string }> = [];
  for (const node of chosen) {
    const deep = node.depth >= maxDepth;
    for (const l of node.row.links) {
      const where = { from: node.row, via: 'link' as const, field: l.field, key: l.key, link: l.link };
      const to = l.target ? chosenIds.get(l.target) : undefined;
      if (!l.target) unresolved.push({ ...where, reason: 'external' });
      else if (to) edges.push({ ...where, to: to.row });
      else if (deep) unresolved.push({ ...where, reason: 'too_deep' });
      else if (!byId.has(l.target)) absent.push({ ...where, reason: 'missing', target: l.target });
    }
    for (const requirement of node.row.requires) {
      const to = chosenByKey.get(keyOf(requirement.type, requirement.name));
      if (to) edges.push({ from: node.row, to: to.row, via: 'requires', requirement });
      else unresolved.push({ from: node.row, via: 'requires', requirement, reason: deep ? 'too_deep' : 'unsatisfied' });
    }
  }
  const existing = await existingArtifactIds(db, absent.map((a) => a.target));
  for (const { target, ...u } of absent) unresolved.push({ ...u, reason: existing.has(target) ? 'invisible' : 'missing' });
  return { root, nodes: chosen.filter((n) => n.row.id !== root?.id), edges, unresolved };
}

const NONE: readonly Candidate[] = [];

/** Whether `row` was first published on `node` (its name or id). */
const publishedOn = (row: Candidate, node: string): boolean => row.origin !== undefined && (row.origin.name === node || row.origin.id === node);

/** Sets where each of these candidates of this node was first published, unless known: one statement for all of them. */
async function readOrigins(ctx: OpContext, rows: readonly Candidate[]): Promise<void> {
  const local = rows.filter((row) => row.origin === undefined && (row.source?.path.length ?? 1) === 1);
  if (local.length === 0) return;
  const published = await firstPublishers(conn(ctx), local.map((row) => row.source?.id ?? row.id));
  const here = { id: (await findNodeId(conn(ctx))) ?? '', name: ctx.catalog.config.node.name };
  for (const row of local) row.origin = published.get(row.source?.id ?? row.id) ?? here;
}

function isEmpty(items: Iterable<unknown>): boolean {
  for (const _ of items) return false;
  return true;
}

/** The root as the resolver sees it: its requirements and links as the caller holds them. */
function rowOf(ctx: OpContext, artifact: Artifact): Candidate {
  const type = ctx.catalog.types.has(artifact.typeName) ? ctx.catalog.types.get(artifact.typeName) : undefined;
  return {
    id: artifact.id,
    typeName: artifact.typeName,
    name: artifact.name,
    version: artifact.version,
    versionKey: versionKey(parseVersion(artifact.version)),
    status: artifact.status,
    requires: artifact.requires,
    pins: null, // read with the candidates
    links: type ? heldLinks(type, artifact).map((l) => ({ field: l.field, key: l.key, link: l.link, target: l.target?.id ?? null })) : [],
  };
}

function noneSatisfies(requirement: Requirement, asks: number, available: readonly Candidate[]): string {
  const which = asks === 1 ? 'it' : asks === 2 ? 'both' : 'all of them';
  const versions = available.map((r) => `${r.version}${fromNode(r.source?.path.at(-1)!.name)}${requirement.origin !== undefined && r.origin ? ` (published on ${r.origin.name || r.origin.id})` : ''}`);
  const listed = versions.length === 0 ? '' : ` (available: ${versions.slice(0, 10).join(', ')}${versions.length > 10 ? ', ...' : ''})`;
  return `no ${requirement.type} ${requirement.name} satisfies ${which}${listed}`;
}

function ref(row: Candidate | null): ConflictStep['by'] {
  return row && { id: row.source?.id ?? row.id, type_name: row.typeName, name: row.name, version: row.version, ...(row.source ? { node: row.source.path.at(-1)!.name } : {}) };
}

/** " from vendor" for a candidate of a tree resolution. */
const fromNode = (node: string | undefined) => (node ? ` from ${node}` : '');

function label(row: Pick<Candidate, 'typeName' | 'name' | 'version' | 'source'>): string {
  return `${row.typeName} ${row.name} ${row.version}${fromNode(row.source?.path.at(-1)!.name)}`;
}

function stepText(step: ConflictStep): string {
  const who = step.by ? `${step.by.type_name} ${step.by.name} ${step.by.version}${fromNode(step.by.node)}` : 'the request';
  if (step.requires) return `${who} requires ${describeRequirement(step.requires)}${step.pinned_to ? `, pinned to ${step.pinned_to.version}${fromNode(step.pinned_to.node)} (the version it was imported with)` : ''}`;
  if (step.links_to) return `${who} links to ${step.links_to.type_name} ${step.links_to.name} ${step.links_to.version}${fromNode(step.links_to.node)}`;
  return who;
}

function explain(conflict: { steps: ConflictStep[]; reason: string }): string {
  return [...conflict.steps.map(stepText), conflict.reason].join('; ');
}

function conflictDetails(conflict: { steps: ConflictStep[]; reason: string } | undefined): Record<string, unknown> | undefined {
  return conflict && { conflict: [...conflict.steps, { reason: conflict.reason }] };
}
