/**
 * @module Developer signatures in bundles. Export carries each signature that holds on the
 * exporting node, with the public key it names. Import verifies every one against the bundle's
 * own content before any blob is read: the canonical manifest (signing/manifest.ts) of each
 * artifact is computed from the bundle as exported (its owner, values, blob digests and the
 * manifests of its dependencies inside the bundle), so a bundle whose signatures do not verify
 * is refused. Blob bytes are then checked against those digests as they stream.
 */
import type { Artifact, BlobInfo } from '../artifacts/artifact.js';
import type { ArtifactType } from '../artifacts/artifact-type.js';
import { conn, type OpContext } from '../artifacts/context.js';
import type { ArtifactRecord } from '../db/queries/artifacts.js';
import { listSignatures } from '../db/queries/signing.js';
import { BadRequest } from '../errors.js';
import { jwsVerifies, parseDetachedJws } from '../signing/jws.js';
import { findKey, parsePublicJwk } from '../signing/keys.js';
import { buildManifest, canonicalBytes, canonicalDigest } from '../signing/manifest.js';
import { verifyArtifactSignatures } from '../signing/signatures.js';
import { internalLinks, type ManifestArtifact, type ManifestSignature } from './manifest.js';

/** The signatures of `artifact` that hold now, as a bundle carries them. */
export async function signaturesToCarry(ctx: OpContext, artifact: Artifact): Promise<ManifestSignature[]> {
  // Most artifacts are unsigned: their manifest (a walk of their closure) is not worth computing.
  if ((await listSignatures(conn(ctx), artifact.id)).length === 0) return [];
  const verification = await verifyArtifactSignatures(ctx, artifact);
  return verification.signatures
    .filter((s) => s.holds && s.key !== null)
    .map((s) => ({
      kid: s.kid,
      jws: s.jws,
      signed_at: s.signedAt.toISOString(),
      key: { jwk: { ...s.key!.jwk }, name: s.key!.name, revoked_at: s.key!.revokedAt?.toISOString() ?? null, revocation_reason: s.key!.revocationReason },
    }));
}

/** One artifact of a bundle as it was on the exporting node: what its signatures were made over. */
export interface ExportedArtifact {
  source: ManifestArtifact;
  type: ArtifactType;
  /** Validated values, links as exported, owner as the bundle names it. */
  record: ArtifactRecord;
}

function asExported({ source, record }: ExportedArtifact): Artifact {
  const blobs = source.blobs.map(
    (b): BlobInfo => ({
      id: '',
      field: b.field,
      key: b.key,
      status: 'active',
      external: b.external,
      url: b.external ? b.url : null,
      size: b.size,
      md5: b.md5,
      sha1: b.sha1,
      sha256: b.sha256,
      contentType: b.content_type,
      store: null,
      locator: null,
      createdAt: record.createdAt,
      updatedAt: record.updatedAt,
    }),
  );
  return { ...record, owner: source.owner, id: source.id, blobs };
}

/**
 * The canonical manifest (signing/manifest.ts) of each artifact of a bundle, computed from the
 * bundle itself: its values, blob digests and the manifests of its dependencies inside the bundle,
 * each artifact owned by `ownerOf` (the bundle's owner by default: what its signatures bind; the
 * importer's project: what the artifact's manifest will be once imported).
 */
export function bundleManifests(exported: readonly ExportedArtifact[], ownerOf: (e: ExportedArtifact) => string = (e) => e.source.owner): (id: string) => { bytes: Buffer; sha256: string } {
  const byId = new Map(exported.map((e) => [e.source.id, { entry: e, artifact: { ...asExported(e), owner: ownerOf(e) } }]));
  const digests = new Map<string, string>();

  /** Every bundle artifact `id` reaches through links and resolved requirements, itself excluded: its dependency closure. */
  const closureOf = (id: string): string[] => {
    const seen = new Set([id]);
    const queue = [id];
    while (queue.length > 0) {
      const { entry, artifact } = byId.get(queue.shift()!)!;
      const targets = [...internalLinks(entry.type, artifact).map((l) => l.target.id), ...entry.source.resolved_requires.map((r) => r.target)];
      for (const target of targets) {
        if (!seen.has(target)) {
          seen.add(target);
          queue.push(target);
        }
      }
    }
    seen.delete(id);
    return [...seen];
  };

  const manifestOf = (id: string, path: readonly string[]): { bytes: Buffer; sha256: string } => {
    const { entry, artifact } = byId.get(id)!;
    if (path.includes(id)) throw new BadRequest(`the dependencies of ${entry.type.name} "${artifact.name}" ${artifact.version} form a cycle, which no manifest can bind`);
    const dependencies = closureOf(id).map((dep) => {
      const sha256 = digests.get(dep) ?? manifestOf(dep, [...path, id]).sha256;
      return { artifact: byId.get(dep)!.artifact, manifestSha256: sha256 };
    });
    const manifest = buildManifest({ type: entry.type, artifact, dependencies });
    const sha256 = canonicalDigest(manifest);
    digests.set(id, sha256);
    return { bytes: canonicalBytes(manifest), sha256 };
  };
  return (id) => manifestOf(id, []);
}

/** Refuses the bundle (BadRequest naming the artifact and key) unless every signature it carries verifies. */
export async function verifyBundleSignatures(ctx: OpContext, exported: readonly ExportedArtifact[]): Promise<void> {
  if (!exported.some((e) => e.source.signatures.length > 0)) return;
  const manifestOf = bundleManifests(exported);
  for (const e of exported) {
    if (e.source.signatures.length === 0) continue;
    const { bytes } = manifestOf(e.source.id);
    for (const s of e.source.signatures) {
      const why = await signatureProblem(ctx, e.source.owner, s, bytes);
      if (why) throw new BadRequest(`a signature of ${e.type.name} "${e.source.name}" ${e.source.version} does not verify: key ${s.kid.slice(0, 64)} ${why}`);
    }
  }
}

/** Why the signature does not hold over `payload`, or undefined when it does. */
async function signatureProblem(ctx: OpContext, owner: string, s: ManifestSignature, payload: Buffer): Promise<string | undefined> {
  const jws = parseDetachedJws(s.jws);
  if (jws.kid !== s.kid) return `is not the key the signature names (${jws.kid.slice(0, 64)})`;
  const key = await parsePublicJwk(s.key.jwk);
  if (key.kid !== s.kid) return 'comes with a JWK whose thumbprint is another';
  const signedAt = new Date(s.signed_at);
  // This node's own record of the key wins: it may know of a revocation the bundle does not.
  const known = await findKey(ctx, owner, s.kid);
  const revokedAt = known?.revokedAt ?? (s.key.revoked_at ? new Date(s.key.revoked_at) : null);
  if (revokedAt && signedAt.getTime() >= revokedAt.getTime()) return `was revoked at ${revokedAt.toISOString()}, before the signature was made (${s.signed_at})`;
  if (!(await jwsVerifies(jws, payload, key))) return 'does not sign what the bundle holds (its content, or a dependency, differs from what was signed)';
  return undefined;
}
