/**
 * @module Pull: copying upstream artifacts, each with its dependency closure, into this catalog as
 * read-only cached copies that remember their origin (artifact_origins).
 *
 * A request names the upstream artifacts (by id, or by type, name and version range, which the
 * upstream resolves) and becomes one job, whose id is derived from the upstream and the ids: every
 * request for the same artifacts, in any process, finds the same pull row and the same job, and
 * within a process concurrent requests and runs share one promise (Federation.once). The job:
 *
 * 1. asks the upstream to describe the closure (serve.ts): ids, manifest digests, provenance
 *    chains ending in the upstream's own hop. Every chain is checked (provenance.ts) against the
 *    keys this node pins for the upstream before a byte of a blob is asked for;
 * 2. stops there when every artifact of the closure is cached here already (a pull is idempotent);
 * 3. otherwise streams the closure's bundle from the upstream's registered URL (never a redirect)
 *    into the bundle import (bundles/import.ts), which verifies sizes and digests as the bytes
 *    arrive, and developer signatures, and keeps each artifact's owner;
 * 4. inside the import's transaction, checks that each artifact's manifest here is the one its
 *    provenance binds, and records the origins. Anything refused leaves nothing behind.
 *
 * A pull-through download (pull-through.ts) runs the same steps (copyClosure) within its request,
 * sharing a transfer already running in the process, and watches the blob bytes as they arrive.
 *
 * Transfers that fail for a reason that may pass (the upstream down, a cut connection, a worker
 * stopping) are retried by the queue with backoff; a refusal (permission, a blob or manifest that
 * does not verify) fails the pull at once.
 */
import { createHash } from 'node:crypto';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { Logger } from 'pino';
import { z } from 'zod';
import { systemActor, type Actor } from '../artifacts/actor.js';
import { conn, opContext, type Catalog, type TxContext } from '../artifacts/context.js';
import { importBundle, type BlobTap, type ImportedArtifact } from '../bundles/import.js';
import { findArtifact } from '../db/queries/artifacts.js';
import { findPeer, listPeers } from '../db/queries/federation.js';
import {
  claimPull,
  countPullTransfer,
  findOriginsByUpstream,
  findPull,
  finishPull,
  insertOrigin,
  recordPullProgress,
  requeuePull,
  startPullAttempt,
  type PullRecord,
} from '../db/queries/pulls.js';
import { AppError, BadRequest, Conflict, Forbidden, NotFound, Unauthenticated, Unavailable } from '../errors.js';
import { PermanentJobError, type JobContext, type JobHandler, type JobQueue } from '../jobs/queue.js';
import { manifestOf } from '../signing/signatures.js';
import type { Federation } from './federation.js';
import { peerErrorMessage } from './peer-client.js';
import type { PeerRecord } from './peers.js';
import { checkChain, readHop } from './provenance.js';
import { PULL_PEER_PREFIX, ResolvedArtifact, ServedClosure, type ServedArtifact } from './serve.js';

export type { PullRecord };

export const PULL_JOB = 'federation-pull';
/** Cached copies keep their owners; the import still needs a project to act for. */
const PULL_ACTOR_PROJECT = 'federation-cache';
/** The most artifacts one pull may name (each is pulled with its closure). */
export const MAX_PULL_ARTIFACTS = 1000;

export const PullPayload = z.object({ pullId: z.string().min(1).max(128) }).strict();

/** What pulling needs of the node. */
export type PullDeps = Catalog & { federation: Federation };

export type PullTarget = { ids: readonly string[] } | { type: string; name: string; version: string };

/** What a pull made here, per upstream artifact (the result of a succeeded pull, kept as JSON). `created` false: it was cached here already (or an identical artifact was). */
export type PulledArtifact = Pick<ImportedArtifact, 'id' | 'type' | 'name' | 'version' | 'owner' | 'created'> & { upstream_id: string };

export interface PullResult {
  /** What each asked-for artifact is here, in the order of the pull's `artifactIds` (sorted). */
  roots: string[];
  artifacts: PulledArtifact[];
}

export const pullIdFor = (upstreamNodeId: string, ids: readonly string[]) =>
  `pull-${createHash('sha256')
    .update(`${upstreamNodeId}\n${[...new Set(ids)].sort().join(',')}`)
    .digest('hex')
    .slice(0, 40)}`;

export function assertMayPull(actor: Actor): string {
  switch (actor.kind) {
    case 'anonymous':
      throw new Unauthenticated('sign in to pull artifacts from an upstream');
    case 'peer':
      throw new Forbidden(`peer node ${actor.nodeId} may not make this node pull`);
    case 'user':
      return `user:${actor.userId}`;
    case 'system':
      return `system:${actor.purpose}`;
  }
}

/** The upstream to pull from: the one named, or the only one enrolled for pull. */
export async function pullingUpstream(deps: PullDeps, nodeId: string | undefined): Promise<PeerRecord> {
  let upstream: PeerRecord | undefined;
  if (nodeId) {
    upstream = await findPeer(deps.db, 'upstream', nodeId);
    if (!upstream) throw new NotFound(`this node has no upstream ${nodeId}`);
  } else {
    const candidates = (await listPeers(deps.db, 'upstream')).filter((u) => u.permissions.includes('pull'));
    if (candidates.length === 0) throw new Forbidden('no upstream grants this node pull');
    if (candidates.length > 1) throw new BadRequest(`name the upstream to pull from (upstream): ${candidates.map((u) => `${u.name} (${u.nodeId})`).join(', ')}`);
    upstream = candidates[0]!;
  }
  const label = `upstream ${upstream.name} (${upstream.nodeId})`;
  if (!upstream.permissions.includes('pull')) throw new Forbidden(`${label} did not grant this node pull (it granted: ${upstream.permissions.join(', ') || 'nothing'})`);
  if (upstream.status !== 'active') throw new Forbidden(`${label} is ${upstream.status}`);
  if (!upstream.url) throw new Conflict(`${label} has no URL to pull from`);
  return upstream;
}

/** Why an upstream's answer is not what was asked for, as the domain's error (4xx: a refusal; 5xx: worth retrying). */
async function upstreamFailure(upstream: PeerRecord, res: Response, what: string): Promise<AppError> {
  const message = `upstream ${upstream.name} refused ${what}: ${await peerErrorMessage(res)}`;
  if (res.status === 401 || res.status === 403) return new Forbidden(message);
  if (res.status === 404) return new NotFound(message);
  if (res.status === 409) return new Conflict(message);
  if (res.status >= 400 && res.status < 500) return new BadRequest(message);
  return new Unavailable(message);
}

async function askUpstream(deps: PullDeps, upstream: PeerRecord, path: string, what: string, signal?: AbortSignal): Promise<unknown> {
  let res: Response;
  try {
    res = await deps.federation.client.request(
      { nodeId: upstream.nodeId, url: upstream.url! },
      { method: 'GET', path, timeoutMs: upstream.timeoutMs ?? deps.config.federation.pull.timeout_ms, ...(signal ? { signal } : {}) },
    );
  } catch (err) {
    throw new Unavailable(`upstream ${upstream.name} did not answer ${what}: ${(err as Error).message}`);
  }
  if (!res.ok) throw await upstreamFailure(upstream, res, what);
  try {
    return await res.json();
  } catch (err) {
    throw new Unavailable(`upstream ${upstream.name} answered ${what} with no JSON: ${(err as Error).message}`);
  }
}

/**
 * Enqueues one pull of `ids` (upstream artifact ids, each with its closure) from `upstreamNodeId`
 * (or the only upstream enrolled for pull): one job, whoever asks how often. A pull that
 * succeeded and whose copies are all still here is answered as it is.
 */
export async function enqueuePull(deps: PullDeps & { queue: JobQueue }, actor: Actor, input: { upstream?: string; ids: readonly string[] }): Promise<PullRecord> {
  const requestedBy = assertMayPull(actor);
  const ids = [...new Set(input.ids)].sort();
  if (ids.length === 0 || ids.length > MAX_PULL_ARTIFACTS) throw new BadRequest(`name 1 to ${MAX_PULL_ARTIFACTS} upstream artifacts to pull`);
  const upstream = await pullingUpstream(deps, input.upstream);
  const id = pullIdFor(upstream.nodeId, ids);
  return deps.federation.once(`pull-request:${id}`, async () => {
    const now = deps.clock();
    const { pull, created } = await claimPull(deps.db, { id, upstreamNodeId: upstream.nodeId, artifactIds: ids, requestedBy, now });
    let current = pull;
    if (!created && (pull.status === 'failed' || (pull.status === 'succeeded' && !(await copiesIntact(deps, pull))))) {
      current = (await requeuePull(deps.db, id, requestedBy, now)) ?? (await findPull(deps.db, id))!;
    }
    // Enqueued whenever the pull is not done: the job id is the pull's, so this adds no second
    // job while one is waiting or running, and brings back one a lost queue forgot.
    if (current.status === 'queued') await deps.queue.enqueue(PULL_JOB, { pullId: id }, { key: id, forget: true });
    return current;
  });
}

/** A pull by id, or by type, name and version range (resolved by the upstream to one id). */
export async function requestPull(deps: PullDeps & { queue: JobQueue }, actor: Actor, input: { upstream?: string; target: PullTarget }): Promise<PullRecord> {
  assertMayPull(actor);
  if ('ids' in input.target) return enqueuePull(deps, actor, { ...(input.upstream ? { upstream: input.upstream } : {}), ids: input.target.ids });
  const upstream = await pullingUpstream(deps, input.upstream);
  const { type, name, version } = input.target;
  const query = new URLSearchParams({ type, name, version });
  const answer = ResolvedArtifact.safeParse(await askUpstream(deps, upstream, `${PULL_PEER_PREFIX}/resolve?${query.toString()}`, `to resolve ${type} "${name}" ${version}`));
  if (!answer.success) throw new Unavailable(`upstream ${upstream.name} answered the resolution of ${type} "${name}" ${version} with something else`);
  return enqueuePull(deps, actor, { upstream: upstream.nodeId, ids: [answer.data.id] });
}

export async function showPull(deps: PullDeps, actor: Actor, id: string): Promise<PullRecord> {
  assertMayPull(actor);
  const pull = await findPull(deps.db, id);
  if (!pull) throw new NotFound(`no job ${id}`);
  return pull;
}

async function copiesIntact(deps: PullDeps, pull: PullRecord): Promise<boolean> {
  const cached = await findOriginsByUpstream(deps.db, pull.upstreamNodeId, pull.artifactIds);
  return cached.length === pull.artifactIds.length;
}

/** Counts bytes as they pass, reports them at most every `everyMs`, and aborts when none arrive for `idleMs`. */
class TransferMeter extends Transform {
  bytes = 0;
  private lastReport = 0;
  private idleTimer: NodeJS.Timeout;

  constructor(
    private readonly opts: { everyMs: number; idleMs: number; onIdle: () => void; report: (bytes: number) => void },
  ) {
    super({ highWaterMark: 1024 * 1024 });
    this.idleTimer = setTimeout(opts.onIdle, opts.idleMs);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    this.idleTimer.refresh();
    const now = Date.now();
    if (now - this.lastReport >= this.opts.everyMs) {
      this.lastReport = now;
      this.opts.report(this.bytes);
    }
    done(null, chunk);
  }

  override _destroy(err: Error | null, done: (error?: Error | null) => void): void {
    clearTimeout(this.idleTimer);
    done(err);
  }

  override _flush(done: TransformCallback): void {
    clearTimeout(this.idleTimer);
    this.opts.report(this.bytes);
    done();
  }
}

export interface Progress {
  /** Bytes of bundles finished before the current one. */
  doneBefore: number;
  totalKnown: number;
}

/** An upstream's description of a closure, every provenance chain checked. */
export interface DescribedClosure {
  root: string;
  artifacts: readonly ServedArtifact[];
  served: ReadonlyMap<string, ServedArtifact>;
}

/** What a closure became here. */
export interface CopiedClosure {
  rootId: string;
  artifacts: PulledArtifact[];
}

/** Whoever runs a transfer: a pull job (which records progress on its pull row), or a pull-through download. */
export interface TransferRun {
  signal: AbortSignal;
  log: Logger;
  pull?: { id: string; progress: Progress };
}

/** Asks the upstream to describe `upstreamId`'s closure and checks every provenance chain against the keys pinned for it. */
export async function describeClosure(deps: PullDeps, upstream: PeerRecord, upstreamId: string, signal: AbortSignal): Promise<DescribedClosure> {
  const what = `the closure of artifact ${upstreamId}`;
  const described = ServedClosure.safeParse(await askUpstream(deps, upstream, `${PULL_PEER_PREFIX}/${upstreamId}/closure`, `to describe ${what}`, signal));
  if (!described.success) throw new BadRequest(`upstream ${upstream.name} described ${what} in a form this node does not read: ${z.prettifyError(described.error).slice(0, 500)}`);
  const closure = described.data;
  if (closure.root !== upstreamId || !closure.artifacts.some((a) => a.id === upstreamId)) throw new BadRequest(`upstream ${upstream.name} described another artifact than ${upstreamId}`);
  const served = new Map<string, ServedArtifact>();
  for (const a of closure.artifacts) {
    const check = await checkChain(a.chain, { manifestSha256: a.manifest_sha256, upstreamNodeId: upstream.nodeId, pinned: upstream.keys });
    if (!check.verified) throw new BadRequest(`the provenance upstream ${upstream.name} gives for ${a.type} "${a.name}" ${a.version} does not verify: ${check.problem}`);
    if (readHop(a.chain.at(-1)!).claims.artifact !== a.id) throw new BadRequest(`upstream ${upstream.name}'s hop for ${a.type} "${a.name}" ${a.version} names another artifact`);
    served.set(a.id, a);
  }
  return { root: closure.root, artifacts: closure.artifacts, served };
}

/** The closure as it is cached here, when every artifact of it is. */
async function cachedClosure(deps: PullDeps, upstream: PeerRecord, described: DescribedClosure): Promise<CopiedClosure | undefined> {
  const cached = await findOriginsByUpstream(deps.db, upstream.nodeId, [...described.served.keys()]);
  if (cached.length !== described.served.size) return undefined;
  const byUpstream = new Map(cached.map((o) => [o.upstreamArtifactId, o.artifactId]));
  return {
    rootId: byUpstream.get(described.root)!,
    artifacts: described.artifacts.map((a) => ({ upstream_id: a.id, id: byUpstream.get(a.id)!, type: a.type, name: a.name, version: a.version, owner: a.owner, created: false })),
  };
}

/**
 * Copies one upstream artifact with its closure (or finds it cached already). Within a process
 * one transfer per artifact runs at a time: a call while one runs shares it, whether a job or a
 * pull-through download started it; `watcher` sees the blob bytes of the transfer it joins (of
 * the blobs not yet begun). `described`, when the caller has it, spares asking the upstream again.
 */
export async function copyClosure(
  deps: PullDeps,
  upstream: PeerRecord,
  upstreamId: string,
  run: TransferRun,
  opts: { described?: DescribedClosure; watcher?: BlobTap } = {},
): Promise<CopiedClosure> {
  const key = `pull-transfer:${upstream.nodeId}:${upstreamId}`;
  const registry = deps.federation.transferWatchers;
  const watchers = registry.get(key) ?? new Set<BlobTap>();
  registry.set(key, watchers);
  if (opts.watcher) watchers.add(opts.watcher);
  try {
    return await deps.federation.once(key, async () => {
      try {
        const described = opts.described ?? (await describeClosure(deps, upstream, upstreamId, run.signal));
        return (await cachedClosure(deps, upstream, described)) ?? (await transferClosure(deps, upstream, described, run, watchers));
      } finally {
        if (registry.get(key) === watchers) registry.delete(key);
      }
    });
  } finally {
    if (opts.watcher) watchers.delete(opts.watcher);
  }
}

/** Streams the closure's bundle from the upstream into the import; the origins are recorded in its transaction. */
async function transferClosure(deps: PullDeps, upstream: PeerRecord, described: DescribedClosure, run: TransferRun, watchers: ReadonlySet<BlobTap>): Promise<CopiedClosure> {
  const what = `the closure of artifact ${described.root}`;
  const idle = new AbortController();
  const signal = AbortSignal.any([run.signal, idle.signal]);
  if (run.pull) await countPullTransfer(deps.db, run.pull.id, deps.clock());
  let res: Awaited<ReturnType<Federation['client']['stream']>>;
  try {
    res = await deps.federation.client.stream({ nodeId: upstream.nodeId, url: upstream.url! }, { path: `${PULL_PEER_PREFIX}/${described.root}/bundle`, signal });
  } catch (err) {
    throw new Unavailable(`upstream ${upstream.name} did not send the bundle of ${what}: ${(err as Error).message}`);
  }
  if (res.status !== 200) {
    const answer = new Response(Readable.toWeb(res.body) as WebReadableStream<Uint8Array> as ReadableStream<Uint8Array>, { status: res.status, headers: { 'content-type': String(res.headers['content-type'] ?? '') } });
    throw await upstreamFailure(upstream, answer, `to send the bundle of ${what}`);
  }
  const pull = run.pull;
  const declared = Number(res.headers['content-length']);
  if (pull && Number.isSafeInteger(declared) && declared > 0) pull.progress.totalKnown += declared;
  const settings = deps.config.federation.pull;
  const meter = new TransferMeter({
    everyMs: settings.progress_every_ms,
    idleMs: settings.idle_timeout_ms,
    onIdle: () => idle.abort(new Error(`no byte of the bundle arrived for ${settings.idle_timeout_ms} ms`)),
    report: (bytes) => {
      if (!pull) return;
      recordPullProgress(deps.db, pull.id, { bytesDone: pull.progress.doneBefore + bytes, bytesTotal: pull.progress.totalKnown || null, now: deps.clock() }).catch((err: unknown) =>
        run.log.warn({ err }, 'pull progress not recorded'),
      );
    },
  });
  const body = res.body;
  body.on('error', (err) => meter.destroy(err));
  body.pipe(meter);

  const ctx = opContext({ ...deps, log: run.log }, systemActor(PULL_JOB, PULL_ACTOR_PROJECT));
  try {
    const imported = await importBundle(ctx, {
      body: meter,
      signal,
      keepOwner: true,
      inCommit: (tx, artifacts) => recordOrigins(tx, { upstream, pullId: pull?.id ?? null, served: described.served, artifacts }),
      tap: (blob, manifest) => {
        const sinks = [...watchers].map((watch) => watch(blob, manifest)).filter((sink) => sink !== undefined);
        return sinks.length === 0 ? undefined : (chunk) => sinks.forEach((sink) => sink(chunk));
      },
    });
    if (pull) pull.progress.doneBefore += meter.bytes;
    return {
      rootId: imported.root.id,
      artifacts: imported.artifacts.map((i) => ({ upstream_id: i.sourceId, id: i.id, type: i.type, name: i.name, version: i.version, owner: i.owner, created: i.created })),
    };
  } catch (err) {
    if (run.signal.aborted) throw err;
    // Another process copied the same closure meanwhile (a job and a pull-through racing): its
    // copy stands, verified as this one would have been, and this import left nothing behind.
    const cachedMeanwhile = await cachedClosure(deps, upstream, described);
    if (cachedMeanwhile) return cachedMeanwhile;
    if (idle.signal.aborted) throw new Unavailable(`the transfer of ${what} from upstream ${upstream.name} stalled: ${(idle.signal.reason as Error).message}`);
    if (!(err instanceof AppError)) throw new Unavailable(`the transfer of ${what} from upstream ${upstream.name} broke off: ${(err as Error).message}`);
    throw err;
  } finally {
    body.destroy();
    meter.destroy();
  }
}

/** Inside the import's transaction: every copy is what its provenance binds, and remembers where it came from. */
async function recordOrigins(
  tx: TxContext,
  input: { upstream: PeerRecord; pullId: string | null; served: ReadonlyMap<string, ServedArtifact>; artifacts: readonly ImportedArtifact[] },
): Promise<void> {
  const { upstream, pullId, served, artifacts } = input;
  if (artifacts.length !== served.size || artifacts.some((i) => !served.has(i.sourceId))) {
    throw new BadRequest(`the bundle upstream ${upstream.name} sent holds other artifacts than the closure it described`);
  }
  for (const i of artifacts) {
    const source = served.get(i.sourceId)!;
    const artifact = (await findArtifact(conn(tx), { id: i.id, sight: { kind: 'all' } }))!;
    const { sha256 } = await manifestOf(tx, artifact);
    if (sha256 !== source.manifest_sha256) {
      throw new BadRequest(`upstream ${upstream.name} sent ${i.type} "${i.name}" ${i.version} with other content than its provenance binds (manifest ${sha256}, signed ${source.manifest_sha256})`);
    }
    if (!i.created) continue; // an identical artifact was here already: its own origin (or none) stays
    await insertOrigin(conn(tx), {
      artifactId: i.id,
      upstreamNodeId: upstream.nodeId,
      upstreamArtifactId: source.id,
      manifestSha256: sha256,
      chain: source.chain,
      pullId,
      pulledAt: tx.now(),
    });
  }
}

/** Runs pull `pullId` to its end: the body of the job. */
export async function runPull(deps: PullDeps, pullId: string, job: JobContext): Promise<PullResult> {
  const pull = await findPull(deps.db, pullId);
  if (!pull) throw new PermanentJobError(`no pull ${pullId}`);
  if (pull.status === 'succeeded' && pull.result) return pull.result as unknown as PullResult;
  try {
    const upstream = await pullingUpstream(deps, pull.upstreamNodeId);
    await startPullAttempt(deps.db, pullId, deps.clock());
    const progress: Progress = { doneBefore: 0, totalKnown: 0 };
    const roots: string[] = [];
    const artifacts = new Map<string, PulledArtifact>();
    for (const id of pull.artifactIds) {
      // Another pull in this process copying the same artifact (asked in another set, or downloaded through) shares its transfer.
      const one = await copyClosure(deps, upstream, id, { signal: job.signal, log: job.log, pull: { id: pull.id, progress } });
      roots.push(one.rootId);
      for (const a of one.artifacts) if (!artifacts.has(a.upstream_id) || a.created) artifacts.set(a.upstream_id, a);
    }
    const result: PullResult = { roots, artifacts: [...artifacts.values()] };
    await finishPull(deps.db, pullId, { status: 'succeeded', result: result as unknown as Record<string, unknown>, now: deps.clock() });
    return result;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (job.signal.aborted) {
      await finishPull(deps.db, pullId, { status: 'queued', error: 'the worker stopped during the pull: it goes on from the start in another', now: deps.clock() });
      throw err;
    }
    const refused = err instanceof AppError && !(err instanceof Unavailable);
    if (refused || job.final) {
      await finishPull(deps.db, pullId, { status: 'failed', error: message, now: deps.clock() });
      throw refused ? new PermanentJobError(message) : err;
    }
    await finishPull(deps.db, pullId, { status: 'queued', error: `attempt ${job.attempt} failed, retrying: ${message}`, now: deps.clock() });
    throw err;
  }
}

export function pullHandler(deps: PullDeps): JobHandler<z.infer<typeof PullPayload>> {
  return {
    kind: PULL_JOB,
    payload: PullPayload,
    // One run per pull in this process, however often the job is delivered.
    run: (payload, job) => deps.federation.once(`pull-run:${payload.pullId}`, () => runPull(deps, payload.pullId, job)),
  };
}
