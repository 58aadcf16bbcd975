/**
 * @module Submitting artifacts up the tree.
 *
 * On the child: a user asks (`requestSubmission`) to send a local active artifact to an upstream
 * that granted this node `submit`; what may go is checked then (the artifact and its closure are
 * active, of submittable types, public unless an admin includes private ones) and the transfer
 * runs as the `federation-submit` job (`sendSubmission`): the closure is exported as a bundle, the
 * upstream is asked which blobs it lacks (it plans the import from the manifest, refusing early
 * what it would refuse anyway), and the bundle with only those blobs streams up, its SHA-256
 * declared in Content-Digest and bound by the node token.
 *
 * On the upstream: the bundle is imported as the child's peer actor (so into the project its
 * enrolment named, private), drafted for review or active as `federation.submissions.land_as`
 * says, all or nothing, and only once the body proved to be the one signed for. A submission is
 * one record per child and root identity: resubmitting finds it again and creates nothing new.
 * An admin accepts (activates what it created) or refuses (deletes the drafts it created) a
 * drafted submission; the child learns the outcome when it reads its submission.
 */
import type { Readable } from 'node:stream';
import { systemActor, type Actor } from '../artifacts/actor.js';
import type { Artifact } from '../artifacts/artifact.js';
import { conn, opContext, withTransaction, type Catalog, type OpContext, type TxContext } from '../artifacts/context.js';
import { assertPeerMay, hasAdminRights, sightOf } from '../artifacts/policy.js';
import { showArtifact } from '../artifacts/read.js';
import { deleteArtifact } from '../artifacts/remove.js';
import { activateArtifact, publishArtifact } from '../artifacts/update.js';
import { exportBundle, type BundleExport } from '../bundles/export.js';
import { importBundle, planBundleImport, type ImportedArtifact, type ImportResult } from '../bundles/import.js';
import type { BundleManifest } from '../bundles/manifest.js';
import { findArtifact } from '../db/queries/artifacts.js';
import { findPeer, listPeers, type PeerRecord } from '../db/queries/federation.js';
import { findOrigin, insertOrigin } from '../db/queries/pulls.js';
import {
  findIncomingSubmission,
  findIncomingSubmissionByRoot,
  findOutgoingSubmission,
  insertIncomingSubmission,
  listIncomingSubmissions,
  listOutgoingSubmissions,
  updateIncomingSubmission,
  updateOutgoingSubmission,
  upsertOutgoingSubmission,
  type IncomingState,
  type IncomingSubmissionRecord,
  type OutgoingSubmissionRecord,
} from '../db/queries/submissions.js';
import { AppError, BadRequest, Conflict, Forbidden, NotFound, Unauthenticated, Unavailable } from '../errors.js';
import type { JobQueue } from '../jobs/queue.js';
import { digestOf } from './body-digest.js';
import type { Federation } from './federation.js';
import { bodyDigest } from './node-jwt.js';
import { peerErrorMessage } from './peer-client.js';
import { checkChain, readHop, signHop } from './provenance.js';
import { manifestOf } from '../signing/signatures.js';

export type { IncomingSubmissionRecord, OutgoingSubmissionRecord };

export const SUBMIT_JOB = 'federation-submit';
export const SUBMISSIONS_PATH = '/federation/v1/submissions';
export const SUBMISSION_PLAN_PATH = '/federation/v1/submissions/plan';

/** What submitting needs of the node. */
export type SubmitDeps = Catalog & { federation: Federation };

/** The upstream's answer to a submission (and to a child reading it). */
export interface SubmissionAnswer {
  id: string;
  state: IncomingState;
  reason: string;
  artifact: { id: string; type_name: string; name: string; version: string; owner: string };
  /** Whether this request created artifacts (false: everything was there already). */
  created?: boolean;
}

// ---------------------------------------------------------------------------------------------
// The child

function requireUser(actor: Actor, action: string): Extract<Actor, { kind: 'user' }> {
  if (actor.kind === 'user') return actor;
  if (actor.kind === 'anonymous') throw new Unauthenticated(`sign in to ${action}`);
  throw new Forbidden(`only this node's users may ${action}`);
}

/** Refuses a bundle holding something the local policy does not let go upstream. */
function assertSubmittable(catalog: Catalog, manifest: BundleManifest, includePrivate: boolean): void {
  const types = catalog.config.federation.submissions.types;
  for (const a of manifest.artifacts) {
    const label = `${a.type} "${a.name}" ${a.version}`;
    if (types.length > 0 && !types.includes(a.type)) throw new Forbidden(`${label} may not be submitted: this node submits only ${types.join(', ')} (federation.submissions.types)`);
    if (a.status !== 'active') throw new Conflict(`${label} is ${a.status}: only active artifacts (and closures) may be submitted`);
    if (a.visibility !== 'public' && !includePrivate) {
      throw new Forbidden(`${label} is private: only public artifacts may be submitted, unless an admin submits with include_private`);
    }
  }
}

/** The upstream named by node id or name, enrolled with `submit`. */
async function submittingUpstream(catalog: SubmitDeps, named: string): Promise<PeerRecord> {
  const upstreams = await listPeers(catalog.db, 'upstream');
  const upstream = upstreams.find((u) => u.nodeId === named) ?? upstreams.find((u) => u.name === named);
  if (!upstream) throw new NotFound(`this node has no upstream ${named}`);
  if (upstream.status !== 'active') throw new Conflict(`upstream ${upstream.name} is suspended`);
  if (!upstream.permissions.includes('submit') || !upstream.url) throw new Forbidden(`upstream ${upstream.name} did not grant this node submit`);
  return upstream;
}

export async function requestSubmission(
  catalog: SubmitDeps,
  queue: JobQueue,
  ctx: OpContext,
  input: { upstream: string; typeName: string; id: string; includePrivate: boolean },
): Promise<OutgoingSubmissionRecord> {
  const user = requireUser(ctx.actor, 'submit artifacts upstream');
  if (input.includePrivate && !user.isAdmin) throw new Forbidden('only admins may submit private artifacts (include_private)');
  const upstream = await submittingUpstream(catalog, input.upstream);
  const type = catalog.types.get(input.typeName);
  const artifact = await showArtifact(ctx, { type, id: input.id });
  if (!user.isAdmin && artifact.owner !== user.projectId) throw new Forbidden('only the owning project or an admin may submit an artifact');
  // Everything the transfer will check, checked now: the caller hears of a refusal at once.
  const bundle = await exportBundle(ctx, { type, id: artifact.id });
  assertSubmittable(catalog, bundle.manifest, input.includePrivate);
  const record = await upsertOutgoingSubmission(catalog.db, {
    upstreamNodeId: upstream.nodeId,
    artifactId: artifact.id,
    typeName: artifact.typeName,
    name: artifact.name,
    version: artifact.version,
    includePrivate: input.includePrivate,
    requestedBy: user.userId,
    requestedByProject: user.projectId,
    now: ctx.now(),
  });
  // A fresh job each time: a resubmission sends again (the upstream creates nothing it has).
  await queue.enqueue(SUBMIT_JOB, { submissionId: record.id }, { key: `${SUBMIT_JOB}_${record.id}_${ctx.now().getTime()}` });
  return record;
}

async function visibleOutgoing(catalog: SubmitDeps, actor: Actor, id: string): Promise<OutgoingSubmissionRecord> {
  const user = requireUser(actor, 'read submissions');
  const record = await findOutgoingSubmission(catalog.db, id);
  if (!record || (!user.isAdmin && record.requestedByProject !== user.projectId)) throw new NotFound(`no submission ${id}`);
  return record;
}

export async function outgoingSubmissions(catalog: SubmitDeps, actor: Actor, limit: number): Promise<OutgoingSubmissionRecord[]> {
  const user = requireUser(actor, 'read submissions');
  return listOutgoingSubmissions(catalog.db, { ...(user.isAdmin ? {} : { project: user.projectId }), limit });
}

/**
 * A submission as the child knows it, refreshed from the upstream once it was sent (a reviewer may
 * have accepted or refused it since). An upstream that does not answer leaves the stored state,
 * with `refresh` saying why.
 */
export async function showOutgoingSubmission(catalog: SubmitDeps, actor: Actor, id: string): Promise<{ record: OutgoingSubmissionRecord; refresh?: string }> {
  const record = await visibleOutgoing(catalog, actor, id);
  // A submission being sent, or whose last sending failed, shows that: the upstream knows only the last one that arrived.
  if (!record.remoteId || record.state === 'queued' || record.state === 'sending' || record.state === 'failed') return { record };
  const upstream = await findPeer(catalog.db, 'upstream', record.upstreamNodeId);
  if (!upstream?.url || upstream.status !== 'active') return { record, refresh: 'the upstream is no longer an active upstream of this node' };
  let res: Response;
  try {
    res = await catalog.federation.client.request(
      { nodeId: upstream.nodeId, url: upstream.url },
      { method: 'GET', path: `${SUBMISSIONS_PATH}/${encodeURIComponent(record.remoteId)}`, timeoutMs: upstream.timeoutMs ?? catalog.config.federation.search.timeout_ms },
    );
  } catch (err) {
    return { record, refresh: `the upstream did not answer: ${(err as Error).message}` };
  }
  if (!res.ok) return { record, refresh: `the upstream answered ${await peerErrorMessage(res)}` };
  const answer = (await res.json()) as SubmissionAnswer;
  const updated = await updateOutgoingSubmission(catalog.db, record.id, {
    state: answer.state,
    message: answer.state === 'refused' ? `refused by the upstream: ${answer.reason}` : '',
    remoteArtifactId: answer.artifact.id,
    now: catalog.clock(),
  });
  return { record: updated ?? record };
}

/** Posts a body to the upstream and gives its JSON answer (the job's, which records failures). */
export type PostToUpstream = (path: string, body: Uint8Array | Readable, extra: { bodyDigest: string; contentType: string; contentLength: number }) => Promise<unknown>;

/**
 * What a submission sends, settled with the upstream: the closure's bundle is offered (its
 * manifest: the upstream checks it as an import would, says which blobs it lacks and what each
 * artifact's canonical manifest will be there, owned by this node's project), then made again
 * with each artifact's provenance: this node's hop over that manifest. The hop continues the
 * chain a copy came with when that chain binds the same manifest (the owner unchanged), and
 * starts one otherwise: a manifest binds its owner, which a submission changes.
 */
export async function prepareSubmission(catalog: SubmitDeps, target: { typeName: string; id: string }, post: PostToUpstream): Promise<{ bundle: BundleExport; needed: Set<string> }> {
  const ctx = opContext(catalog, systemActor(SUBMIT_JOB));
  const type = catalog.types.get(target.typeName);
  const offered = new TextEncoder().encode(JSON.stringify((await exportBundle(ctx, { type, id: target.id })).manifest));
  const plan = (await post(SUBMISSION_PLAN_PATH, offered, { bodyDigest: bodyDigest(offered), contentType: 'application/json', contentLength: offered.byteLength })) as {
    needed_blobs?: unknown;
    manifests?: Record<string, unknown>;
  };
  const needed = new Set(Array.isArray(plan.needed_blobs) ? plan.needed_blobs.filter((s): s is string => typeof s === 'string') : []);
  const identity = await catalog.federation.identity();
  const provenanceOf = async (a: Artifact) => {
    const there = plan.manifests?.[a.id];
    if (typeof there !== 'string') throw new Unavailable(`the upstream's plan gives no manifest digest for ${a.typeName} "${a.name}" ${a.version}`);
    const prior = (await findOrigin(catalog.db, a.id))?.chain ?? [];
    const continues = prior.length > 0 && readHop(prior.at(-1)!).claims.manifest_sha256 === there;
    return signHop(identity, { chain: continues ? prior : [], manifestSha256: there, nodeName: catalog.config.node.name, artifactId: a.id, at: catalog.clock() });
  };
  return { bundle: await exportBundle(ctx, { type, id: target.id }, { provenanceOf }), needed };
}

/** A failure the sending job should not retry (the upstream refused, or the submission cannot go any more). */
export class SubmissionRefused extends Error {}

/** The `federation-submit` job: sends one submission (again). */
export async function sendSubmission(catalog: SubmitDeps, submissionId: string, signal: AbortSignal): Promise<OutgoingSubmissionRecord> {
  const record = await findOutgoingSubmission(catalog.db, submissionId);
  if (!record) throw new SubmissionRefused(`no submission ${submissionId}`);
  const fail = async (message: string, permanent: boolean): Promise<never> => {
    await updateOutgoingSubmission(catalog.db, record.id, { state: 'failed', message, now: catalog.clock() });
    throw permanent ? new SubmissionRefused(message) : new Error(message);
  };
  await updateOutgoingSubmission(catalog.db, record.id, { state: 'sending', message: '', now: catalog.clock() });

  let upstream: PeerRecord;
  try {
    upstream = await submittingUpstream(catalog, record.upstreamNodeId);
  } catch (err) {
    if (err instanceof AppError) return fail(err.message, true);
    throw err;
  }
  const peer = { nodeId: upstream.nodeId, url: upstream.url! };
  const post: PostToUpstream = async (path, body, extra) => {
    let res: Response;
    try {
      res = await catalog.federation.client.request(peer, { method: 'POST', path, body, ...extra, timeoutMs: catalog.config.federation.submissions.transfer_timeout_seconds * 1000, signal });
    } catch (err) {
      return fail(`the upstream ${upstream.name} did not answer: ${(err as Error).message}`, false);
    }
    if (!res.ok) return fail(`the upstream ${upstream.name} refused the submission: ${await peerErrorMessage(res)}`, res.status < 500);
    return res.json() as Promise<unknown>;
  };

  let prepared: { bundle: BundleExport; needed: Set<string> };
  try {
    prepared = await prepareSubmission(catalog, { typeName: record.typeName, id: record.artifactId }, post);
    assertSubmittable(catalog, prepared.bundle.manifest, record.includePrivate);
  } catch (err) {
    if (err instanceof AppError) return fail(err.message, !(err instanceof Unavailable));
    throw err;
  }
  const { bundle, needed } = prepared;
  const tar = bundle.openWith(needed);
  // Read twice: once to declare the digest the token binds, once to send (memory stays flat).
  const { digest } = await digestOf(tar.open());
  const answer = (await post(SUBMISSIONS_PATH, tar.open(), { bodyDigest: digest, contentType: 'application/x-tar', contentLength: tar.size })) as SubmissionAnswer;
  const sent = await updateOutgoingSubmission(catalog.db, record.id, {
    state: answer.state,
    message: answer.state === 'refused' ? `refused by the upstream: ${answer.reason}` : '',
    remoteId: answer.id,
    remoteArtifactId: answer.artifact.id,
    sentAt: catalog.clock(),
    now: catalog.clock(),
  });
  catalog.log.info({ submission: record.id, upstream: upstream.nodeId, remote: answer.id, state: answer.state, blobs: needed.size }, 'submission sent');
  return sent!;
}

// ---------------------------------------------------------------------------------------------
// The upstream

function submittingChild(actor: Actor): Extract<Actor, { kind: 'peer' }> {
  if (actor.kind !== 'peer') throw new Forbidden('submissions come from child nodes (a node token)');
  assertPeerMay(actor, 'submit');
  if (!actor.projectId) throw new Forbidden(`peer node ${actor.nodeId} has no project for its submissions`);
  return actor;
}

/** What importing the child's bundle would need: the blobs this node lacks. */
export async function planSubmission(ctx: OpContext, manifestJson: unknown): Promise<{ needed_blobs: string[]; present: string[]; manifests: Record<string, string> }> {
  submittingChild(ctx.actor);
  const { neededBlobs, present, manifests } = await planBundleImport(ctx, manifestJson);
  return { needed_blobs: neededBlobs, present, manifests };
}

function answerOf(record: IncomingSubmissionRecord, owner: string, created?: boolean): SubmissionAnswer {
  return {
    id: record.id,
    state: record.state,
    reason: record.reason,
    artifact: { id: record.artifactId, type_name: record.typeName, name: record.name, version: record.version, owner },
    ...(created === undefined ? {} : { created }),
  };
}

/** Takes a child's submitted bundle; the body proves itself (`bodyVerified`) before anything is kept. */
export async function receiveSubmission(ctx: OpContext, input: { body: Readable; bodyVerified: Promise<void>; signal: AbortSignal }): Promise<SubmissionAnswer> {
  const child = submittingChild(ctx.actor);
  const landAs = ctx.catalog.config.federation.submissions.land_as;
  let record: IncomingSubmissionRecord | undefined;
  const result: ImportResult = await importBundle(ctx, {
    body: input.body,
    signal: input.signal,
    bodyVerified: input.bodyVerified,
    ...(landAs === 'drafted' ? { landAs: 'drafted' as const } : {}),
    // Within the import's transaction: a copy whose provenance does not hold is no copy at all,
    // and the submission is recorded with what it created or not at all.
    inCommit: async (tx, imported, manifest) => {
      const pinned = (await findPeer(conn(tx), 'child', child.nodeId))?.keys ?? [];
      for (const a of imported.filter((i) => i.created)) {
        const label = `${a.type} "${a.name}" ${a.version}`;
        const chain = manifest.artifacts.find((m) => m.id === a.sourceId)?.provenance ?? [];
        if (chain.length === 0) throw new BadRequest(`${label} comes without provenance: a submission carries each artifact's hops`);
        const last = readHop(chain.at(-1)!);
        if (last.claims.artifact !== a.sourceId) throw new BadRequest(`the provenance of ${label} is for another artifact (${last.claims.artifact})`);
        // Every hop binds the manifest the copy has here, as pulls check it: so it verifies here, and when served on.
        const here = (await manifestOf(tx, (await findArtifact(conn(tx), { id: a.id, sight: { kind: 'all' } }))!)).sha256;
        const check = await checkChain(chain, { manifestSha256: here, upstreamNodeId: child.nodeId, pinned });
        if (!check.verified) throw new BadRequest(`the provenance of ${label} does not hold here: ${check.problem ?? 'unverified'}`);
        // The copy comes from the child: the origin model's "upstream" is the node it came from.
        await insertOrigin(conn(tx), {
          artifactId: a.id,
          upstreamNodeId: child.nodeId,
          upstreamArtifactId: a.sourceId,
          manifestSha256: here,
          chain,
          pullId: null,
          pulledAt: tx.now(),
        });
      }
      record = await recordSubmission(tx, child.nodeId, imported.find((a) => a.sourceId === manifest.root)!, imported.filter((a) => a.created).map((a) => a.id), landAs);
    },
  });
  const createdIds = result.artifacts.filter((a) => a.created).map((a) => a.id);
  const root = result.root;
  if (!record) throw new Error('a submission was imported but not recorded');
  ctx.catalog.log.info({ child: child.nodeId, submission: record.id, created: createdIds.length, state: record.state }, 'submission received');
  return answerOf(record, root.owner, createdIds.length > 0);
}

/**
 * The child's submission of `root`, made or found again (locked): what this import created is what
 * the submission brings now (again, after a refusal removed it), in the state the policy gives it.
 */
async function recordSubmission(tx: TxContext, childNodeId: string, root: ImportedArtifact, createdIds: string[], landAs: 'drafted' | 'active'): Promise<IncomingSubmissionRecord> {
  const known = await findIncomingSubmissionByRoot(tx.tx, { childNodeId, typeName: root.type, name: root.name, version: root.version });
  const now = tx.now();
  const state: IncomingState = landAs === 'drafted' ? 'pending_review' : 'accepted';
  if (!known) {
    return insertIncomingSubmission(conn(tx), {
      childNodeId,
      projectId: root.owner,
      typeName: root.type,
      name: root.name,
      version: root.version,
      artifactId: root.id,
      sourceId: root.sourceId,
      createdArtifactIds: createdIds,
      state,
      createdAt: now,
      updatedAt: now,
    });
  }
  if (createdIds.length === 0) return known;
  return (await updateIncomingSubmission(conn(tx), known.id, { artifactId: root.id, sourceId: root.sourceId, projectId: root.owner, createdArtifactIds: createdIds, state, reason: '', reviewedBy: null, reviewedAt: null, now }))!;
}

/** A submission as its child reads it. */
export async function incomingSubmissionForChild(ctx: OpContext, id: string): Promise<SubmissionAnswer> {
  const child = submittingChild(ctx.actor);
  const record = await findIncomingSubmission(ctx.catalog.db, id);
  if (!record || record.childNodeId !== child.nodeId) throw new NotFound(`no submission ${id} from this node`);
  return answerOf(record, record.projectId);
}

function requireReviewer(actor: Actor, action: string): Extract<Actor, { kind: 'user' }> {
  const user = requireUser(actor, action);
  if (!hasAdminRights(user)) throw new Forbidden(`only admins may ${action}`);
  return user;
}

export async function incomingSubmissions(ctx: OpContext, q: { state?: IncomingState; limit: number }): Promise<IncomingSubmissionRecord[]> {
  requireReviewer(ctx.actor, 'review submissions');
  return listIncomingSubmissions(ctx.catalog.db, q);
}

export async function incomingSubmission(ctx: OpContext, id: string): Promise<IncomingSubmissionRecord> {
  requireReviewer(ctx.actor, 'review submissions');
  const record = await findIncomingSubmission(ctx.catalog.db, id);
  if (!record) throw new NotFound(`no submission ${id}`);
  return record;
}

async function pendingSubmission(ctx: OpContext, id: string): Promise<IncomingSubmissionRecord> {
  const record = await findIncomingSubmission(ctx.catalog.db, id);
  if (!record) throw new NotFound(`no submission ${id}`);
  if (record.state !== 'pending_review') throw new Conflict(`submission ${id} is ${record.state}, not pending review`);
  return record;
}

/** The submission's artifacts that are still drafts, dependencies first. */
async function draftsOf(ctx: OpContext, record: IncomingSubmissionRecord): Promise<Artifact[]> {
  const found = await Promise.all(record.createdArtifactIds.map((id) => findArtifact(conn(ctx), { id, sight: sightOf(ctx.actor) })));
  return found.filter((a): a is Artifact => a !== undefined && a.status === 'drafted');
}

/**
 * Activates every draft the submission created (dependencies first), and with `publish` makes
 * them public, in one transaction. The copies are read-only to users (their content is the
 * child's, their provenance binds it), so the node makes these changes on the reviewer's word.
 * An accepted submission may be accepted again to publish it.
 */
export async function acceptSubmission(ctx: OpContext, id: string, opts: { publish?: boolean } = {}): Promise<IncomingSubmissionRecord> {
  const user = requireReviewer(ctx.actor, 'accept submissions');
  const record = await findIncomingSubmission(ctx.catalog.db, id);
  if (!record) throw new NotFound(`no submission ${id}`);
  if (record.state !== 'pending_review' && !(record.state === 'accepted' && opts.publish)) {
    throw new Conflict(`submission ${id} is ${record.state}, not pending review${record.state === 'accepted' ? ' (accept it again with publish to make it public)' : ''}`);
  }
  const asNode: OpContext = { ...ctx, actor: systemActor(`submission review by ${user.userId}`) };
  return withTransaction(asNode, async (tx) => {
    for (const draft of await draftsOf(tx, record)) await activateArtifact(tx, { type: tx.catalog.types.forArtifact(draft), id: draft.id });
    if (opts.publish) {
      for (const artifactId of record.createdArtifactIds) {
        const artifact = await findArtifact(conn(tx), { id: artifactId, sight: { kind: 'all' } });
        if (artifact && artifact.visibility !== 'public') await publishArtifact(tx, { type: tx.catalog.types.forArtifact(artifact), id: artifact.id });
      }
    }
    if (record.state === 'accepted') return record;
    return (await updateIncomingSubmission(conn(tx), record.id, { state: 'accepted', reason: '', reviewedBy: user.userId, reviewedAt: tx.now(), now: tx.now() }))!;
  });
}

/** Deletes the drafts the submission created (what depends on them first) and records why. */
export async function refuseSubmission(ctx: OpContext, id: string, reason: string): Promise<IncomingSubmissionRecord> {
  const user = requireReviewer(ctx.actor, 'refuse submissions');
  const record = await pendingSubmission(ctx, id);
  if (!reason.trim()) throw new BadRequest('say why the submission is refused (reason)');
  // One by one: a deletion releases blob bytes after its own commit.
  for (const draft of (await draftsOf(ctx, record)).reverse()) await deleteArtifact(ctx, { type: ctx.catalog.types.forArtifact(draft), id: draft.id });
  const updated = await updateIncomingSubmission(ctx.catalog.db, record.id, { state: 'refused', reason, createdArtifactIds: [], reviewedBy: user.userId, reviewedAt: ctx.now(), now: ctx.now() });
  if (!updated) throw new Unavailable(`submission ${id} went away while it was refused`);
  return updated;
}
