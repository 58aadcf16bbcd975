/**
 * @module The bundle format: one tar whose first entry is `manifest.json` (every artifact of a
 * closure with its fields, internal references, blob sizes and digests, developer signatures),
 * followed by one entry per distinct stored blob, named `blobs/<sha256>`. The manifest comes
 * first so an import can check everything it will create before it reads a byte of a blob;
 * external blobs have no entry (the manifest keeps their URL and declared digests).
 */
import { z } from 'zod';
import type { Artifact, BlobInfo } from '../artifacts/artifact.js';
import type { ArtifactType } from '../artifacts/artifact-type.js';
import { heldLinks, type HeldLink } from '../dependencies/links.js';

export const BUNDLE_FORMAT = 'catalog-bundle/1';
export const MANIFEST_ENTRY = 'manifest.json';
export const BLOB_ENTRY_PREFIX = 'blobs/';
/** A manifest is metadata: anything larger is no bundle this node made. */
export const MAX_MANIFEST_BYTES = 32 * 1024 * 1024;

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'a sha256 is 64 lower-case hex digits');
const Uuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'an artifact id is a lower-case UUID');
const StringDict = z.record(z.string(), z.string());

const StoredBlob = z
  .object({
    field: z.string().min(1).max(255),
    key: z.string().max(255),
    external: z.literal(false),
    size: z.number().int().nonnegative(),
    sha256: Sha256,
    md5: z.string().regex(/^[0-9a-f]{32}$/),
    sha1: z.string().regex(/^[0-9a-f]{40}$/),
    content_type: z.string().max(255).nullable(),
  })
  .strict();

const ExternalBlob = z
  .object({
    field: z.string().min(1).max(255),
    key: z.string().max(255),
    external: z.literal(true),
    url: z.string().max(2048),
    size: z.number().int().nonnegative().nullable(),
    sha256: z.string().max(255).nullable(),
    md5: z.string().max(255).nullable(),
    sha1: z.string().max(255).nullable(),
    content_type: z.string().max(255).nullable(),
  })
  .strict();

export const ManifestBlob = z.discriminatedUnion('external', [StoredBlob, ExternalBlob]);
export type ManifestBlob = z.infer<typeof ManifestBlob>;
export type StoredManifestBlob = z.infer<typeof StoredBlob>;

/** An internal link of a field (and its list index or dict key) to another artifact of the bundle. */
const Reference = z
  .object({
    field: z.string().min(1).max(255),
    /** The dict key or list index, as text; '' for a single link. */
    key: z.string().max(255),
    target: Uuid,
  })
  .strict();
export type ManifestReference = z.infer<typeof Reference>;

/**
 * A developer signature that held on the exporting node, with the public key it names (the kid is
 * the key's JWK thumbprint, so the key cannot be swapped) and that key's revocation, if any.
 */
const ManifestSignature = z
  .object({
    kid: z.string().min(1).max(255),
    /** Compact detached JWS over the artifact's canonical manifest (signing/manifest.ts). */
    jws: z.string().min(1).max(4096),
    /** When a node first recorded the signature. */
    signed_at: z.iso.datetime(),
    key: z
      .object({
        jwk: z.record(z.string(), z.unknown()),
        name: z.string().max(255),
        revoked_at: z.iso.datetime().nullable(),
        revocation_reason: z.string().max(1024).nullable(),
      })
      .strict(),
  })
  .strict();
export type ManifestSignature = z.infer<typeof ManifestSignature>;

export const ManifestArtifact = z
  .object({
    /** The artifact's id on the node that made the bundle: what references name. */
    id: Uuid,
    type: z.string().min(1).max(255),
    type_version: z.string().max(64),
    name: z.string().min(1).max(255),
    version: z.string().min(1).max(255),
    owner: z.string().min(1).max(255),
    visibility: z.enum(['private', 'public']),
    status: z.enum(['drafted', 'active', 'deactivated']),
    description: z.string(),
    tags: z.array(z.string()),
    metadata: StringDict,
    provided_by: StringDict.nullable(),
    supported_by: StringDict.nullable(),
    license: z.string().nullable(),
    license_url: z.string().nullable(),
    release: z.array(z.string()),
    activated_at: z.iso.datetime().nullable(),
    /** The type's own non-blob values; internal links as they were on the exporting node. */
    fields: z.record(z.string(), z.unknown()),
    references: z.array(Reference),
    /** Its requirements (`{type, name, range, origin?}`), as the generic `requires` field holds them. */
    requires: z.array(z.unknown()),
    /** Which artifact of the bundle each requirement (by its index in `requires`) resolved to on export. */
    resolved_requires: z.array(z.object({ index: z.number().int().nonnegative(), target: Uuid }).strict()),
    blobs: z.array(ManifestBlob),
    signatures: z.array(ManifestSignature).max(64),
    /**
     * Where the artifact comes from, when the bundle says (a submission does): provenance hops
     * (federation/provenance.ts), oldest first, the last by the node that made the bundle.
     */
    provenance: z.array(z.string().max(4096)).max(16).optional(),
  })
  .strict();
export type ManifestArtifact = z.infer<typeof ManifestArtifact>;

export const BundleManifest = z
  .object({
    format: z.literal(BUNDLE_FORMAT),
    /** The node the bundle was made on. */
    origin: z.string().max(255),
    created_at: z.iso.datetime(),
    /** The id of the exported artifact; the others are its closure. */
    root: Uuid,
    /** Every artifact before any artifact that references it; the root last. */
    artifacts: z.array(ManifestArtifact).min(1).max(100_000),
  })
  .strict();
export type BundleManifest = z.infer<typeof BundleManifest>;

export const blobEntryName = (sha256: string) => `${BLOB_ENTRY_PREFIX}${sha256}`;

/** The internal links `artifact` holds: the references a bundle carries and an import rewrites. */
export function internalLinks(type: ArtifactType, artifact: Artifact): Array<HeldLink & { target: { type: string; id: string } }> {
  return heldLinks(type, artifact).filter((l): l is HeldLink & { target: { type: string; id: string } } => l.target !== undefined);
}

function manifestBlob(blob: BlobInfo): ManifestBlob {
  if (blob.external) {
    return { field: blob.field, key: blob.key, external: true, url: blob.url ?? '', size: blob.size, sha256: blob.sha256, md5: blob.md5, sha1: blob.sha1, content_type: blob.contentType };
  }
  return { field: blob.field, key: blob.key, external: false, size: blob.size!, sha256: blob.sha256!, md5: blob.md5!, sha1: blob.sha1!, content_type: blob.contentType };
}

/** The manifest's entry for `artifact`: its own values, as the exporting node holds them. */
export function manifestArtifact(
  type: ArtifactType,
  artifact: Artifact,
  extra: { signatures: ManifestSignature[]; resolvedRequires: ManifestArtifact['resolved_requires']; provenance?: string[] },
): ManifestArtifact {
  return {
    id: artifact.id,
    type: artifact.typeName,
    type_version: artifact.typeVersion,
    name: artifact.name,
    version: artifact.version,
    owner: artifact.owner,
    visibility: artifact.visibility,
    status: artifact.status,
    description: artifact.description,
    tags: artifact.tags,
    metadata: artifact.metadata,
    provided_by: artifact.providedBy,
    supported_by: artifact.supportedBy,
    license: artifact.license,
    license_url: artifact.licenseUrl,
    release: artifact.release,
    activated_at: artifact.activatedAt ? artifact.activatedAt.toISOString() : null,
    fields: { ...artifact.fields },
    references: internalLinks(type, artifact).map((l) => ({ field: l.field, key: l.key, target: l.target.id })),
    requires: artifact.requires,
    resolved_requires: extra.resolvedRequires,
    blobs: [...artifact.blobs].sort((a, b) => a.field.localeCompare(b.field) || a.key.localeCompare(b.key)).map(manifestBlob),
    signatures: extra.signatures,
    ...(extra.provenance ? { provenance: extra.provenance } : {}),
  };
}
