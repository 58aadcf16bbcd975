/**
 * @module Glare's rendering of an artifact: one flat JSON object of every field by its API
 * name, blobs as Glare's blob objects with the URL they download from.
 */
import { fieldValue, genericFieldValue, type Artifact, type BlobInfo } from '../../artifacts/artifact.js';
import type { ArtifactType } from '../../artifacts/artifact-type.js';
import type { TypeRegistry } from '../../artifacts/registry.js';
import { GENERIC_FIELDS, TYPE_VERSION_FIELD } from '../../artifacts/generic-fields.js';

export type WireArtifact = Record<string, unknown>;

/** Exactly the keys Glare shows (objects/meta/fields.py BlobFieldType.to_primitive drops the id). */
interface WireBlob {
  url: string | null;
  size: number | null;
  md5: string | null;
  sha1: string | null;
  sha256: string | null;
  external: boolean;
  status: 'saving' | 'active';
  content_type: string | null;
}

/** Where the API serves a stored blob of an artifact (the pages link their download buttons here). */
export function blobPath(typeName: string, artifactId: string, field: string, key: string): string {
  return `/artifacts/${typeName}/${artifactId}/${field}${key ? `/${encodeURIComponent(key)}` : ''}`;
}

function renderBlob(typeName: string, artifactId: string, b: BlobInfo): WireBlob {
  return {
    url: b.external ? b.url : blobPath(typeName, artifactId, b.field, b.key),
    size: b.size,
    md5: b.md5,
    sha1: b.sha1,
    sha256: b.sha256,
    external: b.external,
    status: b.status,
    content_type: b.contentType,
  };
}

/** Every field of `type`, blobs included, plus what the type's output hook computes. */
export function renderArtifact(type: ArtifactType, artifact: Artifact): WireArtifact {
  const out: WireArtifact = {};
  for (const def of type.fields.values()) {
    const value = fieldValue(type, artifact, def.name);
    if (def.kind === 'blob') out[def.name] = value ? renderBlob(type.name, artifact.id, value as BlobInfo) : null;
    else if (def.kind === 'blob_dict') {
      out[def.name] = Object.fromEntries(Object.entries(value as Record<string, BlobInfo>).map(([k, b]) => [k, renderBlob(type.name, artifact.id, b)]));
    } else out[def.name] = value;
  }
  out[TYPE_VERSION_FIELD.name] = artifact.typeVersion;
  return type.hooks.output ? { ...out, ...type.hooks.output(artifact) } : out;
}

/** The `all` view: the generic fields only, whatever the type, and the type's name. */
export function renderGeneric(artifact: Artifact, displayTypeName: string): WireArtifact {
  const out: WireArtifact = {};
  for (const def of GENERIC_FIELDS) {
    out[def.name] = def.name === 'display_type_name' ? displayTypeName : genericFieldValue(artifact, def.name);
  }
  out.type_name = artifact.typeName;
  return out;
}

/** An artifact as a list shows it: by its type, or in the `all` view (type undefined) generically. */
export function renderListed(types: Pick<TypeRegistry, 'has' | 'get' | 'forArtifact'>, type: ArtifactType | undefined, artifact: Artifact): WireArtifact {
  // Each artifact as the version of its type it was made with describes it.
  if (type) return renderArtifact(types.forArtifact(artifact), artifact);
  // Rows of a type whose plugin was removed still list under `all`, by their stored name.
  const own = types.has(artifact.typeName) ? types.get(artifact.typeName).displayName : artifact.typeName;
  return renderGeneric(artifact, own);
}
