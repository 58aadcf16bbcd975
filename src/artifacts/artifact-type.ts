/**
 * @module What an artifact type is: a name, a schema version, fields, and optional hooks that
 * add type-specific rules and computed values around the catalog's verbs.
 */
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { ByteRange } from '../blobs/blob-store.js';
import type { Actor } from './actor.js';
import type { Artifact, BlobInfo } from './artifact.js';
import { BLOB_KINDS, defineField, type FieldDef, type FieldKind, type FieldSpec } from './fields.js';
import { AUTHORSHIP_FIELDS, GENERIC_FIELDS, GENERIC_FIELD_NAMES } from './generic-fields.js';
import { ALL_TYPES, FIELD_NAME, RESERVED_FIELD_NAMES, TYPE_NAME } from './names.js';

/** What a hook may know about the operation it runs in. */
export interface HookContext {
  actor: Actor;
  now: Date;
  log: Logger;
  /** Refuses the operation: the caller gets a 400 with this message, naming the type. */
  refuse(message: string): never;
  /**
   * The stored bytes of `blob` (a stored blob of the artifact, as afterUpload receives it), or
   * the inclusive byte `range` of them, from the store that holds them. Blobs may be large:
   * read what you need through ranges, and consume or destroy the stream.
   */
  openBlob(blob: Pick<BlobInfo, 'store' | 'locator'>, range?: ByteRange): Promise<Readable>;
}

/** Field values by field name, as a hook derives them from what was uploaded. */
export type DerivedValues = Readonly<Record<string, unknown>>;

/** The blob an upload is about to write: hooks may refuse it before any byte is read. */
export interface IncomingBlob {
  field: string;
  key: string;
  contentType: string;
  /** As the client declared it, when it did. */
  declaredSize?: number;
}

/**
 * Type-specific logic. A `before*` hook refuses by throwing (BadRequest, Forbidden, ...); an
 * `after*` hook runs inside the same transaction, so throwing there undoes the change too
 * (after an upload, the bytes are released). `afterUpload` may return field values read from
 * the bytes (a package's manifest): the upload validates them as the type's fields (system
 * fields included, blobs and status excepted) and stores them in the same transaction, or
 * refuses the upload with 400 when one is invalid. `output` adds computed values to what is shown.
 */
export interface TypeHooks {
  beforeCreate?(draft: Artifact, ctx: HookContext): void | Promise<void>;
  afterCreate?(artifact: Artifact, ctx: HookContext): void | Promise<void>;
  beforeUpdate?(before: Artifact, after: Artifact, ctx: HookContext): void | Promise<void>;
  afterUpdate?(artifact: Artifact, ctx: HookContext): void | Promise<void>;
  beforeActivate?(artifact: Artifact, ctx: HookContext): void | Promise<void>;
  afterActivate?(artifact: Artifact, ctx: HookContext): void | Promise<void>;
  beforeUpload?(artifact: Artifact, blob: IncomingBlob, ctx: HookContext): void | Promise<void>;
  afterUpload?(artifact: Artifact, blob: BlobInfo, ctx: HookContext): void | DerivedValues | Promise<void | DerivedValues>;
  output?(artifact: Artifact): Readonly<Record<string, unknown>>;
}

export interface ArtifactType {
  name: string;
  /** The schema's own version (types evolve independently of the catalog). */
  version: string;
  displayName: string;
  description: string;
  /** Generic fields first (with the authorship fields when the type takes them), then its own. */
  fields: ReadonlyMap<string, FieldDef>;
  specificFields: readonly FieldDef[];
  /** Whether the type carries the catalog's authorship fields (provided_by, license, ...). */
  authorship: boolean;
  hooks: TypeHooks;
}

export interface ArtifactTypeSpec {
  name: string;
  version: string;
  displayName?: string;
  description?: string;
  /** Carry provided_by, supported_by, license, license_url, release and icon. */
  authorship?: boolean;
  fields: Record<string, { kind: FieldKind } & FieldSpec>;
  hooks?: TypeHooks;
}

export function defineArtifactType(spec: ArtifactTypeSpec): ArtifactType {
  if (!TYPE_NAME.test(spec.name)) throw new Error(`type name "${spec.name}" must match ${TYPE_NAME}`);
  if (spec.name === ALL_TYPES) throw new Error(`type name "${spec.name}" is reserved`);
  const inherited = spec.authorship ? [...GENERIC_FIELDS, ...AUTHORSHIP_FIELDS] : GENERIC_FIELDS;
  const specificFields = Object.entries(spec.fields).map(([name, { kind, ...rest }]) => {
    if (!FIELD_NAME.test(name)) throw new Error(`type ${spec.name}: field name "${name}" must match ${FIELD_NAME}`);
    // Only blob fields are reached by URL (/artifacts/<type>/<id>/<field>); a murano package's `dependencies` link list is not.
    if (RESERVED_FIELD_NAMES.has(name) && BLOB_KINDS.has(kind)) throw new Error(`type ${spec.name}: "${name}" is reserved for the artifact's sub-resources`);
    if (GENERIC_FIELD_NAMES.has(name)) throw new Error(`type ${spec.name}: field "${name}" is a generic field and cannot be redefined`);
    return defineField(name, kind, rest);
  });
  const fields = new Map<string, FieldDef>();
  for (const f of [...inherited, ...specificFields]) fields.set(f.name, f);
  return {
    name: spec.name,
    version: spec.version,
    displayName: spec.displayName ?? spec.name,
    description: spec.description ?? '',
    fields,
    specificFields,
    authorship: spec.authorship ?? false,
    hooks: spec.hooks ?? {},
  };
}
