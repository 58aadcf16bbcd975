/**
 * @module Federated search: the local catalog and every upstream allowed to search, asked in
 * parallel, each with its own timeout inside an overall deadline. Upstreams recurse with a hop
 * limit and the chain of nodes already asked (a node on the chain is never asked again, and
 * refuses a request that names it). The answer merges and de-duplicates results (same type, name,
 * version and digest), says through which nodes each was found, flags conflicts (same coordinates,
 * different digests) and reports every source's status and time.
 *
 * Paging: every source pages on its own (`limit` applies to each source); the cursor carries each
 * source's continuation (a local marker, an upstream's own cursor), so the next page asks each
 * source for what follows what it gave. A source that timed out is asked again from where it was.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Artifact } from '../artifacts/artifact.js';
import { parseVersion, versionKey } from '../artifacts/versions.js';
import { BadRequest } from '../errors.js';
import type { FederationDeps } from './federation.js';
import { peerErrorMessage } from './peer-client.js';
import { searchableUpstreams, type PeerRecord } from './peers.js';

export const SEARCH_PATH = '/federation/v1/search';
/** Query parameters of the protocol itself; every other one is a list filter, forwarded as given. */
export const SEARCH_CONTROL_PARAMS: ReadonlySet<string> = new Set(['cursor', 'hops', 'via', 'budget_ms']);
/** Left for the answer to travel back: an upstream is told its budget minus this. */
const RETURN_MARGIN_MS = 20;

export const NodeRef = z.object({ id: z.string(), name: z.string() });
export type NodeRef = z.infer<typeof NodeRef>;

export const SourceStatus = z.object({
  path: z.array(NodeRef),
  status: z.enum(['ok', 'timeout', 'error', 'skipped']),
  ms: z.number(),
  count: z.number(),
  message: z.string().optional(),
});
export type SourceStatus = z.infer<typeof SourceStatus>;

const SearchResult = z.object({
  type_name: z.string(),
  name: z.string(),
  version: z.string(),
  digest: z.string().nullable(),
  artifact: z.record(z.string(), z.unknown()),
  sources: z.array(z.object({ path: z.array(NodeRef), id: z.string() })),
  conflict: z.boolean(),
});
export type SearchResult = z.infer<typeof SearchResult>;

const Conflict = z.object({ type_name: z.string(), name: z.string(), version: z.string(), digests: z.array(z.string().nullable()) });

/** The answer of GET /federation/v1/search, on every node (so an upstream's answer parses as one). */
export const SearchAnswer = z.object({
  results: z.array(SearchResult),
  conflicts: z.array(Conflict),
  sources: z.array(SourceStatus),
  partial: z.boolean(),
  next_cursor: z.string().optional(),
});
export type SearchAnswer = z.infer<typeof SearchAnswer>;

export interface LocalHit {
  id: string;
  type_name: string;
  name: string;
  version: string;
  digest: string | null;
  artifact: Record<string, unknown>;
}

export interface SearchInput {
  /** The list filters (and limit, sort), forwarded to upstreams as given. */
  forward: ReadonlyArray<[string, string]>;
  /** This node's own page after `marker` (undefined: the first). */
  local(marker: string | undefined): Promise<{ hits: LocalHit[]; nextMarker?: string }>;
  /** Nodes already asked on the way here (empty when a user asked this node). */
  via: readonly string[];
  /**
   * Fulfils once the caller may be answered (a peer's node token is recorded as used once):
   * upstreams are asked only then, so a replayed token never makes this node call onward.
   */
  callerCleared?: Promise<void>;
  /** Levels of upstreams this node may still ask (undefined: the node's maximum). */
  hops?: number;
  cursor?: string;
  /** What the asking node allows this node, in ms. */
  budgetMs?: number;
}

/**
 * What identifies an artifact's content across nodes: SHA-256 over its blobs' digests (each
 * field/key with its sha256, or its URL when external), sorted. null when it has no blob.
 */
export function artifactDigest(artifact: Pick<Artifact, 'blobs'>): string | null {
  const parts = artifact.blobs
    .filter((b) => b.status === 'active')
    .map((b) => `${b.field}/${b.key}=${b.external ? `url:${b.url ?? ''}` : `sha256:${b.sha256 ?? ''}`}`)
    .sort();
  if (parts.length === 0) return null;
  return `sha256:${createHash('sha256').update(parts.join('\n')).digest('hex')}`;
}

/** Where each source continues: '' from the start, else its marker or cursor. A source absent is done. */
type Cursor = Record<string, string>;
const LOCAL = '.local';

function decodeCursor(raw: string): Cursor {
  try {
    const parsed = z.record(z.string(), z.string()).parse(JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')));
    return parsed;
  } catch {
    throw new BadRequest('cursor is not one this node gave (take it from next_cursor)');
  }
}

const encodeCursor = (cursor: Cursor) => Buffer.from(JSON.stringify(cursor)).toString('base64url');

export async function federatedSearch(fd: FederationDeps, input: SearchInput): Promise<SearchAnswer> {
  const started = performance.now();
  const settings = fd.config.federation.search;
  const identity = await fd.federation.identity();
  const self: NodeRef = { id: identity.nodeId, name: fd.config.node.name };
  if (input.via.includes(self.id)) throw new BadRequest(`loop: this node (${self.id}) was already asked on this search's path`);
  const deadline = started + Math.min(settings.deadline_ms, input.budgetMs ?? Infinity);
  const hops = Math.min(input.hops ?? settings.max_hops, settings.max_hops);
  const position: Cursor | undefined = input.cursor ? decodeCursor(input.cursor) : undefined;
  const asks = (key: string) => !position || key in position;
  const next: Cursor = {};
  const sources: SourceStatus[] = [];
  const found: Array<{ result: SearchResult; order: number }> = [];

  const upstreams = (await searchableUpstreams(fd)).filter((u) => asks(u.nodeId));
  // The upstreams' requests leave before this node's own page is read: an upstream's answer (its
  // whole search, and its upstreams') is the longest wait, so it must not queue behind local work.
  const cleared = input.callerCleared ?? Promise.resolve();
  const remote = upstreams.map((upstream, index) =>
    cleared.then(() => askUpstream(fd, upstream, { input, self, hops, deadline, continuation: position?.[upstream.nodeId] ?? '' })).then((outcome) => {
      sources.push(...outcome.sources);
      if (outcome.continuation !== undefined) next[upstream.nodeId] = outcome.continuation;
      for (const result of outcome.results) found.push({ result, order: index + 1 });
    }),
  );
  const local = asks(LOCAL)
    ? (async () => {
        const t0 = performance.now();
        try {
          const page = await input.local(position?.[LOCAL] || undefined);
          for (const hit of page.hits) {
            const { id, ...rest } = hit;
            found.push({ result: { ...rest, sources: [{ path: [self], id }], conflict: false }, order: 0 });
          }
          if (page.nextMarker) next[LOCAL] = page.nextMarker;
          sources.push({ path: [self], status: 'ok', ms: elapsed(t0), count: page.hits.length });
        } catch (err) {
          next[LOCAL] = position?.[LOCAL] ?? '';
          sources.push({ path: [self], status: 'error', ms: elapsed(t0), count: 0, message: (err as Error).message });
        }
      })()
    : Promise.resolve();

  await Promise.all([local, ...remote]);

  const { results, conflicts } = merge(found);
  sources.sort((a, b) => a.path.length - b.path.length || a.path.map((p) => p.name).join('/').localeCompare(b.path.map((p) => p.name).join('/')));
  return {
    results,
    conflicts,
    sources,
    partial: sources.some((s) => s.status !== 'ok'),
    ...(Object.keys(next).length > 0 ? { next_cursor: encodeCursor(next) } : {}),
  };
}

const elapsed = (t0: number) => Math.round((performance.now() - t0) * 100) / 100;

interface UpstreamOutcome {
  results: SearchResult[];
  sources: SourceStatus[];
  /** undefined: this upstream has nothing more. */
  continuation: string | undefined;
}

/** Where an upstream call stands on its way up: who asks, the nodes already asked, the levels left, the deadline. */
export interface UpstreamCall {
  self: NodeRef;
  via: readonly string[];
  hops: number;
  /** performance.now() by which the whole answer is due. */
  deadline: number;
  /** How long the upstream may take when its enrolment sets no timeout of its own. */
  timeoutMs: number;
}

/** What the upstream is sent: the protocol's own hops, via and budget, and how long it has. */
export interface UpstreamLeg {
  hops: number;
  via: string[];
  budgetMs: number;
  timeoutMs: number;
}

export type UpstreamOutcomeOf<T> = { ok: true; value: T; ms: number; path: NodeRef[] } | { ok: false; source: SourceStatus };

/**
 * One signed request to an upstream as every fan-out makes it: skipped past the hop limit, on a
 * loop, or while its circuit is open; within the upstream's timeout and the caller's deadline;
 * a timeout, a network error or a 5xx opens its circuit (a 4xx refusal says nothing about it
 * being alive). `parse` checks the answer's shape.
 */
export async function callUpstream<T>(
  fd: FederationDeps,
  upstream: PeerRecord,
  call: UpstreamCall,
  request: (leg: UpstreamLeg, base: string) => { method: string; path: string; body?: Uint8Array },
  parse: (json: unknown) => T,
): Promise<UpstreamOutcomeOf<T>> {
  const node: NodeRef = { id: upstream.nodeId, name: upstream.name };
  const path = [call.self, node];
  const skipped = (message: string): UpstreamOutcomeOf<T> => ({ ok: false, source: { path, status: 'skipped', ms: 0, count: 0, message } });
  if (call.hops <= 0) return skipped('hop limit reached');
  if (call.via.includes(upstream.nodeId)) return skipped('already asked on this path (a loop)');
  const settings = fd.config.federation;
  const client = fd.federation.client;
  const base = upstream.url!;
  const probeTimeout = settings.breaker.probe_timeout_ms;
  const breaker = fd.federation.breakers.for(upstream.nodeId, async () => {
    const res = await client.get(new URL('federation/v1/node', base).href, probeTimeout);
    await res.body?.cancel();
    if (!res.ok) throw new Error(`probe answered ${res.status}`);
  });
  if (!breaker.allows()) return skipped(`circuit open since ${breaker.status.openedAt?.toISOString()}: skipped until a probe succeeds`);

  const timeoutMs = Math.max(1, Math.min(upstream.timeoutMs ?? call.timeoutMs, call.deadline - performance.now()));
  const leg: UpstreamLeg = { hops: call.hops - 1, via: [...call.via, call.self.id], budgetMs: Math.max(1, Math.floor(timeoutMs - RETURN_MARGIN_MS)), timeoutMs };
  const t0 = performance.now();
  const failed = (status: 'timeout' | 'error', message: string): UpstreamOutcomeOf<T> => ({ ok: false, source: { path, status, ms: elapsed(t0), count: 0, message } });
  let value: T;
  try {
    const res = await client.exchange({ nodeId: upstream.nodeId, url: base }, { ...request(leg, base), timeoutMs });
    if (!res.ok) {
      const message = await peerErrorMessage(res);
      if (res.status >= 500) breaker.failed(message);
      return failed('error', message);
    }
    value = parse(await res.json());
  } catch (err) {
    const timedOut = (err as Error).name === 'TimeoutError' || (err as Error).name === 'AbortError';
    const message = timedOut ? `no answer within ${Math.round(timeoutMs)} ms` : `${(err as Error).message}${(err as { cause?: Error }).cause ? `: ${(err as { cause?: Error }).cause!.message}` : ''}`;
    breaker.failed(message);
    return failed(timedOut ? 'timeout' : 'error', message);
  }
  breaker.succeeded();
  return { ok: true, value, ms: elapsed(t0), path };
}

/** An upstream's source statuses as this node reports them: paths from here, its own entry timed as this node saw it. */
export function relayedSources(sources: readonly SourceStatus[], self: NodeRef, ms: number): SourceStatus[] {
  return sources.map((s) => (s.path.length === 1 ? { ...s, path: [self, ...s.path], ms } : { ...s, path: [self, ...s.path] }));
}

async function askUpstream(
  fd: FederationDeps,
  upstream: PeerRecord,
  ctx: { input: SearchInput; self: NodeRef; hops: number; deadline: number; continuation: string },
): Promise<UpstreamOutcome> {
  const outcome = await callUpstream(
    fd,
    upstream,
    { self: ctx.self, via: ctx.input.via, hops: ctx.hops, deadline: ctx.deadline, timeoutMs: fd.config.federation.search.timeout_ms },
    (leg, base) => {
      const query = new URLSearchParams([...ctx.input.forward]);
      if (ctx.continuation) query.set('cursor', ctx.continuation);
      query.set('hops', String(leg.hops));
      query.set('via', leg.via.join(','));
      query.set('budget_ms', String(leg.budgetMs));
      // Relative to the upstream's URL, which may carry a path prefix (a node behind a proxy).
      return { method: 'GET', path: `${new URL(SEARCH_PATH.slice(1), base).pathname}?${query}` };
    },
    (json) => SearchAnswer.parse(json),
  );
  if (!outcome.ok) return { results: [], sources: [outcome.source], continuation: ctx.continuation };
  const answer = outcome.value;
  const prefix = (p: NodeRef[]) => [ctx.self, ...p];
  const results = answer.results.map((r) => ({ ...r, conflict: false, sources: r.sources.map((s) => ({ ...s, path: prefix(s.path) })) }));
  return { results, sources: relayedSources(answer.sources, ctx.self, outcome.ms), continuation: answer.next_cursor };
}

function merge(found: ReadonlyArray<{ result: SearchResult; order: number }>): { results: SearchResult[]; conflicts: SearchAnswer['conflicts'] } {
  const byContent = new Map<string, SearchResult>();
  for (const { result } of [...found].sort((a, b) => a.order - b.order)) {
    const key = JSON.stringify([result.type_name, result.name, result.version, result.digest]);
    const seen = byContent.get(key);
    if (seen) seen.sources.push(...result.sources);
    else byContent.set(key, { ...result, sources: [...result.sources] });
  }
  const byCoordinates = new Map<string, SearchResult[]>();
  for (const r of byContent.values()) {
    const key = JSON.stringify([r.type_name, r.name, r.version]);
    byCoordinates.set(key, [...(byCoordinates.get(key) ?? []), r]);
  }
  const conflicts: SearchAnswer['conflicts'] = [];
  for (const group of byCoordinates.values()) {
    if (group.length < 2) continue;
    for (const r of group) r.conflict = true;
    conflicts.push({ type_name: group[0]!.type_name, name: group[0]!.name, version: group[0]!.version, digests: group.map((r) => r.digest) });
  }
  const results = [...byContent.values()].sort(
    (a, b) => compare(a.name, b.name) || compare(sortableVersion(b.version), sortableVersion(a.version)) || compare(a.type_name, b.type_name),
  );
  return { results, conflicts };
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function sortableVersion(version: string): string {
  try {
    return versionKey(parseVersion(version));
  } catch {
    return version;
  }
}
