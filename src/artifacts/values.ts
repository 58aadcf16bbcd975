/**
 * @module Between stored rows and the artifact as the API shows it (a flat object of every field).
 */
import type { ArtifactRow, BlobRow, NewArtifactRow } from '../db/schema/index.js';
import type { ArtifactType, ArtifactValues } from './artifact-type.js';
import type { StoredVersion } from './versions.js';

export interface BlobView {
  id: string;
  url: string | null;
  size: number | null;
  md5: string | null;
  sha1: string | null;
  sha256: string | null;
  external: boolean;
  status: 'saving' | 'active';
  content_type: string | null;
}

export function blobPath(typeName: string, artifactId: string, field: string, key: string): string {
  return `/artifacts/${typeName}/${artifactId}/${field}${key ? `/${encodeURIComponent(key)}` : ''}`;
}

export function toBlobView(typeName: string, b: BlobRow): BlobView {
  return {
    id: b.id,
    url: b.external ? b.url : blobPath(typeName, b.artifactId, b.field, b.key),
    size: b.size,
    md5: b.md5,
    sha1: b.sha1,
    sha256: b.sha256,
    external: b.external,
    status: b.status,
    content_type: b.contentType,
  };
}

function genericValues(row: ArtifactRow, displayTypeName: string): ArtifactValues {
  return {
    id: row.id,
    name: row.name,
    version: row.version,
    description: row.description,
    tags: row.tags,
    metadata: row.metadata,
    owner: row.owner,
    visibility: row.visibility,
    status: row.status,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
    activated_at: row.activatedAt ? row.activatedAt.toISOString() : null,
    display_type_name: displayTypeName,
    provided_by: row.providedBy ?? null,
    supported_by: row.supportedBy ?? null,
    license: row.license ?? null,
    license_url: row.licenseUrl ?? null,
    release: row.release,
  };
}

/** Every field of `type`, blobs included, in the API's shape. */
export function toArtifactValues(type: ArtifactType, row: ArtifactRow, blobs: readonly BlobRow[]): ArtifactValues {
  const values = genericValues(row, type.displayName);
  for (const f of type.specificFields) values[f.name] = row.fields[f.name] ?? f.default;
  for (const f of type.fields.values()) {
    if (f.kind === 'blob') values[f.name] = null;
    if (f.kind === 'blob_dict') values[f.name] = {};
  }
  for (const b of blobs) {
    const def = type.fields.get(b.field);
    if (!def) continue;
    if (def.kind === 'blob') values[b.field] = toBlobView(type.name, b);
    else if (def.kind === 'blob_dict') (values[b.field] as Record<string, BlobView>)[b.key] = toBlobView(type.name, b);
  }
  return values;
}

/** The `all` view: generic fields only (the icon blob included). */
export function toGenericValues(row: ArtifactRow, displayTypeName: string, blobs: readonly BlobRow[]): ArtifactValues {
  const values = genericValues(row, displayTypeName);
  values.icon = null;
  const icon = blobs.find((b) => b.field === 'icon');
  if (icon) values.icon = toBlobView(row.typeName, icon);
  return values;
}

/** Column values for the user-settable fields of `values` (generic columns + the type's jsonb). */
export function toRowValues(type: ArtifactType, values: ArtifactValues, version: StoredVersion): Omit<NewArtifactRow, 'owner' | 'typeName' | 'typeVersion'> {
  const fields: Record<string, unknown> = {};
  for (const f of type.specificFields) {
    if (f.kind === 'blob' || f.kind === 'blob_dict') continue;
    if (values[f.name] !== undefined && values[f.name] !== null) fields[f.name] = values[f.name];
  }
  return {
    name: values.name as string,
    ...version,
    description: (values.description as string | null) ?? '',
    tags: (values.tags as string[] | null) ?? [],
    metadata: (values.metadata as Record<string, string> | null) ?? {},
    providedBy: (values.provided_by as Record<string, string> | null) ?? null,
    supportedBy: (values.supported_by as Record<string, string> | null) ?? null,
    license: (values.license as string | null) ?? null,
    licenseUrl: (values.license_url as string | null) ?? null,
    release: (values.release as string[] | null) ?? [],
    fields,
  };
}

