/**
 * @module What an artifact type is: a name, a schema version, fields, and optional hooks that
 * add type-specific rules on create, update, activate and upload.
 */
import { BLOB_KINDS, defineField, type FieldDef, type FieldKind, type FieldSpec, fieldJsonSchema } from './fields.js';
import { GENERIC_FIELDS, GENERIC_FIELD_NAMES } from './generic-fields.js';

/** An artifact as the domain sees it: every field by its API name. */
export type ArtifactValues = Record<string, unknown>;

export interface TypeHooks {
  /** Throw BadRequest to refuse. `values` are the artifact as it would be saved. */
  onCreate?(values: ArtifactValues): void | Promise<void>;
  onUpdate?(before: ArtifactValues, after: ArtifactValues): void | Promise<void>;
  onActivate?(values: ArtifactValues): void | Promise<void>;
  onUpload?(values: ArtifactValues, blob: { field: string; key?: string; size: number; contentType: string }): void | Promise<void>;
}

export interface ArtifactType {
  name: string;
  /** The schema's own version (types evolve independently of the catalog). */
  version: string;
  displayName: string;
  description: string;
  /** Generic fields first, then the type's own; keyed by name. */
  fields: ReadonlyMap<string, FieldDef>;
  specificFields: readonly FieldDef[];
  hooks: TypeHooks;
}

export interface ArtifactTypeSpec {
  name: string;
  version: string;
  displayName?: string;
  description?: string;
  fields: Record<string, { kind: FieldKind } & FieldSpec>;
  hooks?: TypeHooks;
}

const TYPE_NAME = /^[a-z][a-z0-9_]{0,63}$/;
const FIELD_NAME = /^[a-z][a-z0-9_]{0,63}$/;
export const RESERVED_TYPE_NAMES: ReadonlySet<string> = new Set(['all']);
/** Sub-resources of an artifact that share the URL space of its blob fields. */
const RESERVED_FIELD_NAMES: ReadonlySet<string> = new Set(['shares']);

export function defineArtifactType(spec: ArtifactTypeSpec): ArtifactType {
  if (!TYPE_NAME.test(spec.name)) throw new Error(`type name "${spec.name}" must match ${TYPE_NAME}`);
  if (RESERVED_TYPE_NAMES.has(spec.name)) throw new Error(`type name "${spec.name}" is reserved`);
  const specificFields = Object.entries(spec.fields).map(([name, { kind, ...rest }]) => {
    if (!FIELD_NAME.test(name)) throw new Error(`type ${spec.name}: field name "${name}" must match ${FIELD_NAME}`);
    if (RESERVED_FIELD_NAMES.has(name)) throw new Error(`type ${spec.name}: "${name}" is reserved for the artifact's sub-resources`);
    if (GENERIC_FIELD_NAMES.has(name)) throw new Error(`type ${spec.name}: field "${name}" is a generic field and cannot be redefined`);
    return defineField(name, kind, rest);
  });
  const fields = new Map<string, FieldDef>();
  for (const f of [...GENERIC_FIELDS, ...specificFields]) fields.set(f.name, f);
  return {
    name: spec.name,
    version: spec.version,
    displayName: spec.displayName ?? spec.name,
    description: spec.description ?? '',
    fields,
    specificFields,
    hooks: spec.hooks ?? {},
  };
}

export function blobFields(type: ArtifactType): FieldDef[] {
  return [...type.fields.values()].filter((f) => BLOB_KINDS.has(f.kind));
}

/** GET /schemas/{type} body for one type, in Glare's shape. */
export function typeJsonSchema(type: ArtifactType): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const f of type.fields.values()) properties[f.name] = fieldJsonSchema(f);
  return {
    name: type.name,
    version: type.version,
    title: `Artifact type ${type.name} of version ${type.version}`,
    display_type_name: type.displayName,
    description: type.description,
    type: 'object',
    properties,
    required: ['name'],
  };
}
