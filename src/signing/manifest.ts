/**
 * @module The canonical manifest of an artifact: what a developer signs and a node verifies.
 *
 * It binds the artifact's identity (type, owner, name, version), its immutable fields, each
 * blob's sha256 and size, and, for every artifact its dependencies resolve to, that artifact's
 * identity and the sha256 of its own canonical manifest (so a dependency is pinned through its
 * whole closure, Merkle fashion). Nothing node-specific is in it (no ids, no dates, no node
 * name, no status): every node that holds a copy computes the same bytes, so a signature made
 * against one node verifies on every other.
 *
 * The bytes are the JSON Canonicalization Scheme (RFC 8785) of the manifest object, UTF-8.
 */
import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { Artifact } from '../artifacts/artifact.js';
import type { ArtifactType } from '../artifacts/artifact-type.js';
import { LINK_KINDS, parseInternalLink } from '../artifacts/fields.js';
import { sealedValues } from '../artifacts/lifecycle.js';

/** Names the form of the manifest, so a later form can never be mistaken for this one. */
export const MANIFEST_FORMAT = 'artifact-catalog-manifest/1';

/** An artifact's identity as a manifest names it (an ArtifactRef without the node it sits on). */
export interface ManifestRef {
  type: string;
  owner: string;
  name: string;
  version: string;
}

export interface ManifestBlob {
  field: string;
  /** The blob-dict key; '' for a plain blob field. */
  key: string;
  /** null while the bytes are still being uploaded, or for an external blob declared without one. */
  sha256: string | null;
  size: number | null;
  /** External blobs: the node holds only the location, which the signature binds too. */
  url?: string;
}

export interface ManifestDependency {
  ref: ManifestRef;
  /** sha256 (hex) of the dependency's own canonical manifest. */
  manifest_sha256: string;
}

export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  type: string;
  owner: string;
  name: string;
  version: string;
  /** Every immutable, user-set, non-blob field of the type but name and version that holds a value (unset ones are left out). */
  fields: Record<string, unknown>;
  /** Sorted by field, then key. */
  blobs: ManifestBlob[];
  /** Sorted by type, owner, name, version. */
  dependencies: ManifestDependency[];
}

export function manifestRef(artifact: Pick<Artifact, 'typeName' | 'owner' | 'name' | 'version'>): ManifestRef {
  return { type: artifact.typeName, owner: artifact.owner, name: artifact.name, version: artifact.version };
}

/** How a manifest spells an internal link: by the identity of what it names, never by a node's id. */
export function refText(ref: ManifestRef): string {
  return `${ref.type}/${ref.owner}/${ref.name}@${ref.version}`;
}

export interface ManifestInput {
  type: ArtifactType;
  artifact: Artifact;
  /** The artifacts the dependencies resolve to, each with the sha256 of its own manifest. */
  dependencies: ReadonlyArray<{ artifact: Artifact; manifestSha256: string }>;
}

/** The manifest of `artifact`, given its resolved dependencies. */
export function buildManifest({ type, artifact, dependencies }: ManifestInput): Manifest {
  const byId = new Map(dependencies.map((d) => [d.artifact.id, d.artifact]));
  const linkText = (link: unknown): unknown => {
    if (typeof link !== 'string') return link;
    const target = parseInternalLink(link);
    const found = target && byId.get(target.id);
    return found ? `artifact:${refText(manifestRef(found))}` : link;
  };
  const fields: Record<string, unknown> = {};
  // Only fields that hold a value: a type version that adds or drops an unset field leaves what
  // was signed as it was.
  for (const [name, value] of Object.entries(sealedValues(type, artifact))) {
    const def = type.fields.get(name)!;
    if (!LINK_KINDS.has(def.kind)) fields[def.name] = value;
    else if (def.kind === 'link') fields[def.name] = linkText(value);
    else if (Array.isArray(value)) fields[def.name] = value.map(linkText);
    else fields[def.name] = Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, linkText(v)]));
  }
  const blobs: ManifestBlob[] = artifact.blobs
    .map((b) => ({ field: b.field, key: b.key, sha256: b.sha256, size: b.size, ...(b.external && b.url !== null ? { url: b.url } : {}) }))
    .sort((a, b) => compareText(a.field, b.field) || compareText(a.key, b.key));
  const deps: ManifestDependency[] = dependencies
    .map((d) => ({ ref: manifestRef(d.artifact), manifest_sha256: d.manifestSha256 }))
    .sort((a, b) => compareText(refText(a.ref), refText(b.ref)));
  return { format: MANIFEST_FORMAT, ...manifestRef(artifact), fields, blobs, dependencies: deps };
}

/** Code-unit order, as RFC 8785 sorts keys: the same on every node whatever its locale. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The RFC 8785 canonical form of a manifest, as UTF-8 bytes: exactly what is signed. */
export function canonicalBytes(manifest: Manifest): Buffer {
  const text = canonicalize(manifest);
  if (text === undefined) throw new Error('a manifest always has a canonical form');
  return Buffer.from(text, 'utf8');
}

/** sha256 (lower-case hex) of a manifest's canonical bytes. */
export function canonicalDigest(manifest: Manifest): string {
  return createHash('sha256').update(canonicalBytes(manifest)).digest('hex');
}
