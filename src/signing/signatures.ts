/**
 * @module Signatures on artifacts: attaching a developer's detached JWS over the artifact's
 * canonical manifest, and verifying what is attached: who signed, with which key, and whether
 * the signature still holds (the key is known and was not revoked before the signature was
 * made, and the artifact and every dependency are still what was signed).
 *
 * A signature's date is when a node first recorded it, never what the signer claims: a thief of
 * a key cannot date a signature before the key's revocation.
 */
import canonicalize from 'canonicalize';
import type { Artifact } from '../artifacts/artifact.js';
import type { ArtifactType } from '../artifacts/artifact-type.js';
import { userActor } from '../artifacts/actor.js';
import { conn, withTransaction, type OpContext } from '../artifacts/context.js';
import { assertNotCachedCopy } from '../artifacts/cached-copies.js';
import { assertCanModify, hasAdminRights, sightOf } from '../artifacts/policy.js';
import { ARTIFACT_ID } from '../artifacts/names.js';
import { showArtifact } from '../artifacts/read.js';
import { findArtifact } from '../db/queries/artifacts.js';
import { deleteSignature, insertSignature, listSignatures, type SignatureRow } from '../db/queries/signing.js';
import { dependencyClosure } from '../dependencies/closure.js';
import { BadRequest, Conflict, Forbidden, NotFound } from '../errors.js';
import { jwsVerifies, parseDetachedJws, type DetachedJws } from './jws.js';
import { actorLabel, findKey, type DeveloperKey } from './keys.js';
import { buildManifest, canonicalBytes, canonicalDigest, refText, type Manifest, type ManifestBlob } from './manifest.js';

/** A manifest with its canonical bytes and their sha256. */
export interface ComputedManifest {
  manifest: Manifest;
  bytes: Buffer;
  sha256: string;
}

/**
 * The canonical manifest of `artifact` as it is now. Its dependencies resolve as its owner sees
 * the catalog (its own artifacts, public and shared ones), whoever asks: every caller gets the
 * same bytes, and they are what the owner's activation resolved. A dependency cycle has no
 * manifest: each manifest would have to contain its own digest.
 */
export async function manifestOf(ctx: OpContext, artifact: Artifact): Promise<ComputedManifest> {
  return computeManifest(ctx, artifact, new Map(), []);
}

/** A member of `owner` with no roles: sees what the project sees, and nothing an admin would. */
function asOwner(ctx: OpContext, owner: string): OpContext {
  return { ...ctx, actor: userActor({ userId: 'signing', projectId: owner, roles: [], adminRole: ctx.catalog.config.auth.admin_role }) };
}

async function computeManifest(ctx: OpContext, artifact: Artifact, done: Map<string, ComputedManifest>, path: readonly Artifact[]): Promise<ComputedManifest> {
  const known = done.get(artifact.id);
  if (known) return known;
  if (path.some((a) => a.id === artifact.id)) {
    const cycle = [...path.slice(path.findIndex((a) => a.id === artifact.id)), artifact].map(describe).join(' → ');
    throw new Conflict(`the dependencies form a cycle (${cycle}): a manifest cannot bind a dependency that depends on it`);
  }
  const closure = await dependencyClosure(asOwner(ctx, artifact.owner), artifact);
  const dependencies: Array<{ artifact: Artifact; manifestSha256: string }> = [];
  for (const dependency of closure) {
    dependencies.push({ artifact: dependency, manifestSha256: (await computeManifest(ctx, dependency, done, [...path, artifact])).sha256 });
  }
  const manifest = buildManifest({ type: ctx.catalog.types.forArtifact(artifact), artifact, dependencies });
  const computed = { manifest, bytes: canonicalBytes(manifest), sha256: canonicalDigest(manifest) };
  done.set(artifact.id, computed);
  return computed;
}

const describe = (a: Pick<Artifact, 'typeName' | 'owner' | 'name' | 'version'>) => `${a.typeName} ${a.owner}/${a.name} ${a.version}`;

export interface SignatureCheck {
  id: string;
  kid: string;
  /** The compact detached JWS, for anyone (another node, a client) to check it again. */
  jws: string;
  /** The project whose key it is: the artifact's owner. */
  project: string;
  /** The key as registered; null when the project has no such key. */
  key: DeveloperKey | null;
  signedAt: Date;
  attachedBy: string;
  holds: boolean;
  /** Why it does not hold, naming the key, blob or dependency at fault. */
  reason: string | null;
}

export interface Verification {
  artifact: Artifact;
  /** null when the dependencies no longer resolve (the reasons say so). */
  manifestSha256: string | null;
  /** At least one attached signature holds. */
  verified: boolean;
  signatures: SignatureCheck[];
}

interface Evidence {
  jws: DetachedJws;
  signedAt: Date;
  /** The manifest as it was signed, when known: says what changed since. */
  signedManifest?: Manifest;
}

async function check(ctx: OpContext, owner: string, evidence: Evidence, current: ComputedManifest): Promise<{ key: DeveloperKey | null; holds: boolean; reason: string | null }> {
  const { jws, signedAt } = evidence;
  const key = (await findKey(ctx, owner, jws.kid)) ?? null;
  if (!key) return { key, holds: false, reason: `key ${jws.kid} is unknown: project ${owner}, which owns the artifact, has not registered it` };
  const keyName = `key ${key.kid}${key.name ? ` ("${key.name}")` : ''}`;
  if (key.revokedAt && signedAt.getTime() >= key.revokedAt.getTime()) {
    return {
      key,
      holds: false,
      reason: `${keyName} was revoked at ${key.revokedAt.toISOString()} (${key.revocationReason}), and the signature was made at ${signedAt.toISOString()}, after that`,
    };
  }
  if (await jwsVerifies(jws, current.bytes, key)) return { key, holds: true, reason: null };
  const changes = evidence.signedManifest ? manifestChanges(evidence.signedManifest, current.manifest) : [];
  const reason =
    changes.length > 0
      ? `the artifact changed since ${keyName} signed it: ${changes.join('; ')}`
      : `the signature does not verify with ${keyName} over the artifact's manifest (sha256 ${current.sha256})`;
  return { key, holds: false, reason };
}

/** What differs between the manifest that was signed and the one the artifact has now. */
export function manifestChanges(signed: Manifest, now: Manifest): string[] {
  const out: string[] = [];
  for (const part of ['type', 'owner', 'name', 'version'] as const) {
    if (signed[part] !== now[part]) out.push(`${part} was ${JSON.stringify(signed[part])}, is ${JSON.stringify(now[part])}`);
  }
  for (const field of new Set([...Object.keys(signed.fields), ...Object.keys(now.fields)])) {
    if (canonicalize(signed.fields[field] ?? null) !== canonicalize(now.fields[field] ?? null)) out.push(`field ${field} changed`);
  }
  const blobName = (b: ManifestBlob) => `blob ${b.field}${b.key ? `/${b.key}` : ''}`;
  const blobs = new Map(now.blobs.map((b) => [blobName(b), b]));
  for (const before of signed.blobs) {
    const after = blobs.get(blobName(before));
    blobs.delete(blobName(before));
    if (!after) out.push(`${blobName(before)} was removed`);
    else if (before.sha256 !== after.sha256 || before.size !== after.size || before.url !== after.url) {
      out.push(`${blobName(before)} changed (sha256 ${before.sha256} → ${after.sha256}, size ${before.size} → ${after.size})`);
    }
  }
  for (const name of blobs.keys()) out.push(`${name} was added`);
  const deps = new Map(now.dependencies.map((d) => [refText(d.ref), d.manifest_sha256]));
  for (const before of signed.dependencies) {
    const name = refText(before.ref);
    const after = deps.get(name);
    deps.delete(name);
    if (after === undefined) out.push(`dependency ${name} is no longer one`);
    else if (after !== before.manifest_sha256) out.push(`dependency ${name} changed (manifest sha256 ${before.manifest_sha256} → ${after})`);
  }
  for (const name of deps.keys()) out.push(`dependency ${name} was added`);
  return out;
}

function toCheck(row: SignatureRow, result: Awaited<ReturnType<typeof check>>): SignatureCheck {
  return { id: row.id, kid: row.kid, jws: row.jws, project: row.project, signedAt: row.signedAt, attachedBy: row.attachedBy, ...result };
}

/**
 * Every signature attached to `artifact`, checked against it as it is now. When its dependencies
 * no longer resolve, it has no manifest, and no signature holds: each says why.
 */
export async function verifyArtifactSignatures(ctx: OpContext, artifact: Artifact): Promise<Verification> {
  let current: ComputedManifest | undefined;
  let unresolved: string | undefined;
  try {
    current = await manifestOf(ctx, artifact);
  } catch (err) {
    if (!(err instanceof Conflict)) throw err;
    unresolved = `the artifact has no manifest now: ${err.message}`;
  }
  const signatures: SignatureCheck[] = [];
  for (const row of await listSignatures(conn(ctx), artifact.id)) {
    const evidence = { jws: parseDetachedJws(row.jws), signedAt: row.signedAt, signedManifest: row.manifest as unknown as Manifest };
    const result = current ? await check(ctx, artifact.owner, evidence, current) : { key: (await findKey(ctx, artifact.owner, row.kid)) ?? null, holds: false, reason: unresolved! };
    signatures.push(toCheck(row, result));
  }
  return { artifact, manifestSha256: current?.sha256 ?? null, verified: signatures.some((s) => s.holds), signatures };
}

/** GET .../verify: the artifact as the actor sees it, and its signatures checked. */
export async function verifyArtifact(ctx: OpContext, target: { type: ArtifactType; id: string }): Promise<Verification> {
  return verifyArtifactSignatures(ctx, await showArtifact(ctx, target));
}

/** GET .../manifest: what a developer signs, as the actor may see the artifact. */
export async function showManifest(ctx: OpContext, target: { type: ArtifactType; id: string }): Promise<ComputedManifest> {
  return manifestOf(ctx, await showArtifact(ctx, target));
}

export interface AttachIntent {
  type: ArtifactType;
  id: string;
  /** Compact detached JWS. */
  jws: string;
  /**
   * When another node first recorded the signature (an import from it); only the node itself
   * (a system actor) may say so. Otherwise the signature is dated now.
   */
  signedAt?: Date;
}

/** Attaches a signature that holds now; one that does not is refused with the reason. */
export async function attachSignature(ctx: OpContext, intent: AttachIntent): Promise<SignatureCheck> {
  const jws = parseDetachedJws(intent.jws);
  if (intent.signedAt && ctx.actor.kind !== 'system') throw new Forbidden('only the node itself dates a signature; it is dated when attached');
  return withTransaction(ctx, async (tx) => {
    const artifact = await findArtifact(conn(tx), { id: intent.id, typeName: intent.type.name, sight: sightOf(tx.actor), forUpdate: true });
    if (!artifact) throw new NotFound(`no ${intent.type.name} with id ${intent.id}`);
    assertCanModify(tx.actor, artifact, 'sign this artifact');
    await assertNotCachedCopy(tx, artifact, 'sign this artifact');
    const current = await manifestOf(tx, artifact);
    const signedAt = intent.signedAt ?? tx.now();
    const result = await check(tx, artifact.owner, { jws, signedAt }, current);
    if (!result.holds) throw new BadRequest(`the signature is refused: ${result.reason}`);
    const row = await insertSignature(conn(tx), {
      artifactId: artifact.id,
      project: artifact.owner,
      kid: jws.kid,
      jws: jws.compact,
      manifest: current.manifest as unknown as Record<string, unknown>,
      manifestSha256: current.sha256,
      signedAt,
      attachedBy: actorLabel(tx.actor),
      createdAt: tx.now(),
    });
    return toCheck(row, result);
  });
}

/** Removes a signature: the owner while the artifact is a draft, an admin at any time. */
export async function removeSignature(ctx: OpContext, target: { type: ArtifactType; id: string; signatureId: string }): Promise<void> {
  await withTransaction(ctx, async (tx) => {
    const artifact = await findArtifact(conn(tx), { id: target.id, typeName: target.type.name, sight: sightOf(tx.actor), forUpdate: true });
    if (!artifact) throw new NotFound(`no ${target.type.name} with id ${target.id}`);
    assertCanModify(tx.actor, artifact, 'remove signatures of this artifact');
    await assertNotCachedCopy(tx, artifact, 'remove signatures of this artifact');
    if (artifact.status !== 'drafted' && !hasAdminRights(tx.actor)) throw new Forbidden(`the artifact is ${artifact.status}: only an admin may remove its signatures`);
    if (!ARTIFACT_ID.test(target.signatureId) || !(await deleteSignature(conn(tx), artifact.id, target.signatureId))) throw new NotFound(`the artifact has no signature ${target.signatureId}`);
  });
}
