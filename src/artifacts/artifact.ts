/**
 * @module The artifact as the domain sees it: typed generic properties, a bag of the type's own
 * field values (checked against the type's field definitions), and its blobs. No wire format
 * here: a dialect under src/api/ renders and parses it.
 */
import type { Requirement } from '../dependencies/requirements.js';
import type { ArtifactType } from './artifact-type.js';

export const STATUSES = ['drafted', 'active', 'deactivated'] as const;
export type Status = (typeof STATUSES)[number];

export const VISIBILITIES = ['private', 'public'] as const;
export type Visibility = (typeof VISIBILITIES)[number];

export type StringDict = Record<string, string>;

export interface BlobInfo {
  id: string;
  field: string;
  /** The blob-dict key, or '' for a plain blob field. */
  key: string;
  status: 'saving' | 'active';
  /** External blobs live at `url`; the node records them but does not hold the bytes. */
  external: boolean;
  url: string | null;
  size: number | null;
  md5: string | null;
  sha1: string | null;
  sha256: string | null;
  contentType: string | null;
  /** Which configured store holds the bytes, and where in it (stored blobs). */
  store: string | null;
  locator: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** The catalog's authorship properties (Community App Catalog data); types opt into them. */
export interface Authorship {
  providedBy: StringDict | null;
  supportedBy: StringDict | null;
  license: string | null;
  licenseUrl: string | null;
  release: string[];
}

export interface Artifact extends Authorship {
  id: string;
  typeName: string;
  /** The version of the type's schema the artifact was made with. */
  typeVersion: string;
  name: string;
  /** Normalised semver text (`2.1` is stored as `2.1.0`). */
  version: string;
  description: string;
  tags: string[];
  metadata: StringDict;
  /** What the artifact requires, by type, name and version range. */
  requires: Requirement[];
  owner: string;
  visibility: Visibility;
  status: Status;
  createdAt: Date;
  updatedAt: Date;
  activatedAt: Date | null;
  /** The type's own non-blob field values, by field name. */
  fields: Readonly<Record<string, unknown>>;
  blobs: readonly BlobInfo[];
}

/** Names one artifact on any node: where it was made, its type, its owner's namespace, name and version. */
export interface ArtifactRef {
  origin: string;
  type: string;
  owner: string;
  name: string;
  version: string;
}

export function artifactRef(artifact: Pick<Artifact, 'typeName' | 'owner' | 'name' | 'version'>, origin: string): ArtifactRef {
  return { origin, type: artifact.typeName, owner: artifact.owner, name: artifact.name, version: artifact.version };
}

/** The value of any field by its name: generic properties and the type's own fields alike. */
export function fieldValue(type: ArtifactType, artifact: Artifact, name: string): unknown {
  const def = type.fields.get(name);
  if (!def) return undefined;
  if (def.kind === 'blob') return artifact.blobs.find((b) => b.field === name) ?? null;
  if (def.kind === 'blob_dict') return Object.fromEntries(artifact.blobs.filter((b) => b.field === name).map((b) => [b.key, b]));
  if (name === 'display_type_name') return type.displayName;
  const generic = GENERIC_VALUE[name];
  if (generic) return generic(artifact);
  return artifact.fields[name] ?? def.default;
}

/** The value of a generic (or authorship) field, whatever the artifact's type. */
export function genericFieldValue(artifact: Artifact, name: string): unknown {
  return GENERIC_VALUE[name]?.(artifact);
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

const GENERIC_VALUE: Readonly<Record<string, (a: Artifact) => unknown>> = {
  id: (a) => a.id,
  name: (a) => a.name,
  version: (a) => a.version,
  description: (a) => a.description,
  tags: (a) => a.tags,
  metadata: (a) => a.metadata,
  requires: (a) => a.requires,
  owner: (a) => a.owner,
  visibility: (a) => a.visibility,
  status: (a) => a.status,
  created_at: (a) => iso(a.createdAt),
  updated_at: (a) => iso(a.updatedAt),
  activated_at: (a) => iso(a.activatedAt),
  provided_by: (a) => a.providedBy,
  supported_by: (a) => a.supportedBy,
  license: (a) => a.license,
  license_url: (a) => a.licenseUrl,
  release: (a) => a.release,
};

/**
 * Sets a generic (or authorship) field from its validated value; false when `name` is none of
 * them (a type's own field). Unset lists and dicts become empty, as their columns hold them.
 */
export function setGenericField(artifact: Artifact, name: string, value: unknown): boolean {
  const set = GENERIC_SETTERS[name];
  if (!set) return false;
  set(artifact, value);
  return true;
}

const GENERIC_SETTERS: Readonly<Record<string, (a: Artifact, v: unknown) => void>> = {
  name: (a, v) => (a.name = v as string),
  version: (a, v) => (a.version = v as string),
  description: (a, v) => (a.description = (v as string | null) ?? ''),
  tags: (a, v) => (a.tags = (v as string[] | null) ?? []),
  metadata: (a, v) => (a.metadata = (v as StringDict | null) ?? {}),
  requires: (a, v) => (a.requires = (v as Requirement[] | null) ?? []),
  provided_by: (a, v) => (a.providedBy = v as StringDict | null),
  supported_by: (a, v) => (a.supportedBy = v as StringDict | null),
  license: (a, v) => (a.license = v as string | null),
  license_url: (a, v) => (a.licenseUrl = v as string | null),
  release: (a, v) => (a.release = (v as string[] | null) ?? []),
};
