/** @module Glare's JSON-schema description of artifact types and their fields (GET /schemas). */
import type { ArtifactType } from '../../artifacts/artifact-type.js';
import { elementKind, isDict, isList, type FieldDef, type FieldKind, type FieldValidators } from '../../artifacts/fields.js';
import { ALL_VIEW_FIELDS, TYPE_VERSION_FIELD } from '../../artifacts/generic-fields.js';
import { ALL_TYPES } from '../../artifacts/names.js';

const GLARE_TYPE_NAMES: Record<FieldKind, string> = {
  string: 'String',
  integer: 'Integer',
  float: 'Float',
  boolean: 'Boolean',
  datetime: 'DateTime',
  string_list: 'StringList',
  integer_list: 'IntegerList',
  string_dict: 'StringDict',
  integer_dict: 'IntegerDict',
  blob: 'Blob',
  blob_dict: 'BlobDict',
  link: 'Link',
  link_list: 'LinkList',
  link_dict: 'LinkDict',
  requirement_list: 'RequirementList',
};

/** One requirement (dependencies/requirements.ts). */
const REQUIREMENT_SCHEMA = {
  type: 'object',
  properties: {
    type: { type: 'string', pattern: '^[a-z][a-z0-9_]{0,63}$' },
    name: { type: 'string', minLength: 1, maxLength: 255 },
    range: { type: 'string', description: 'A semver range: "^2.1", ">=1.4 <2", "~3.4.1", "*"', default: '*' },
    origin: { type: 'string', description: 'The node the required artifact comes from' },
  },
  required: ['type', 'name'],
  additionalProperties: false,
};

/** A blob as Glare's schemas describe it (glare/objects/base.py _schema_field, output_blob_schema). */
const BLOB_SCHEMA = {
  type: ['object', 'null'],
  properties: {
    size: { type: ['number', 'null'] },
    md5: { type: ['string', 'null'] },
    sha1: { type: ['string', 'null'] },
    sha256: { type: ['string', 'null'] },
    external: { type: 'boolean' },
    status: { type: 'string', enum: ['saving', 'active'] },
    content_type: { type: 'string' },
  },
  required: ['size', 'md5', 'sha1', 'sha256', 'external', 'status', 'content_type'],
  additionalProperties: false,
};

/** Glare states versions with this pattern, slashes included (validators.py Version.to_jsonschema). */
const VERSION_PATTERN = '/^([0-9]+)\\.([0-9]+)\\.([0-9]+)(?:-([0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*))?(?:\\+[0-9A-Za-z-]+)?$/';

const JSON_TYPES: Partial<Record<FieldKind, string>> = { integer: 'integer', float: 'number', boolean: 'boolean' };

/** What a field's validators say, as Glare's validators' to_jsonschema() say it. */
function validatorSchema(v: FieldValidators): Record<string, unknown> {
  return {
    ...(v.pattern !== undefined ? { pattern: v.pattern } : {}),
    ...(v.allowedValues ? { enum: v.allowedValues } : {}),
    ...(v.minLength !== undefined ? { minLength: v.minLength } : {}),
    ...(v.maxLength !== undefined ? { maxLength: v.maxLength } : {}),
    ...(v.min !== undefined ? { minimum: v.min } : {}),
    ...(v.max !== undefined ? { maximum: v.max } : {}),
  };
}

/** The field as Glare describes it in GET /schemas: the order and the keys of _schema_field. */
function fieldJsonSchema(def: FieldDef): Record<string, unknown> {
  const element = elementKind(def.kind);
  const v = def.validators;
  let schema: Record<string, unknown>;
  if (isList(def.kind)) {
    schema = {
      ...(v.uniqueItems ? { uniqueItems: true } : {}),
      maxItems: v.maxItems ?? 255,
      type: 'array',
      glareType: GLARE_TYPE_NAMES[def.kind],
      items: def.kind === 'requirement_list' ? REQUIREMENT_SCHEMA : { type: JSON_TYPES[element] ?? 'string', ...(element === 'string' ? validatorSchema(v) : {}) },
    };
  } else if (isDict(def.kind)) {
    const value = element === 'blob' ? BLOB_SCHEMA : { type: JSON_TYPES[element] ?? 'string', ...(element === 'string' ? validatorSchema(v) : {}) };
    schema = { maxProperties: v.maxSize ?? 255, type: 'object', glareType: GLARE_TYPE_NAMES[def.kind], additionalProperties: value };
    // Glare's AllowedDictKeys and RequiredDictKeys: the keys as properties (nullable unless
    // required), nothing else; blob dicts keep the blob schema for every key.
    if (v.allowedKeys && element === 'blob') schema.properties = Object.fromEntries(v.allowedKeys.map((k) => [k, {}]));
    else if (v.allowedKeys) {
      const { type, ...rules } = value as { type: string };
      schema.properties = Object.fromEntries(v.allowedKeys.map((k) => [k, { type: v.requiredKeys?.includes(k) ? type : [type, 'null'], ...rules }]));
      schema.additionalProperties = false;
    }
    if (v.requiredKeys) schema.required = v.requiredKeys;
  } else if (def.kind === 'blob') {
    const { type: blobType, ...blobRest } = BLOB_SCHEMA;
    schema = { type: blobType, glareType: 'Blob', ...blobRest };
  } else {
    schema = { ...validatorSchema(v), type: JSON_TYPES[def.kind] ?? 'string', glareType: GLARE_TYPE_NAMES[def.kind] };
    if (def.name === 'version') schema = { pattern: VERSION_PATTERN, ...schema };
    if (def.kind === 'datetime') schema.format = 'date-time';
  }
  if (def.system) schema.readOnly = true;
  if (def.nullable && def.kind !== 'blob') schema.type = [schema.type, 'null'];
  return {
    ...schema,
    ...(def.description ? { description: def.description } : {}),
    ...(def.mutable ? { mutable: true } : {}),
    ...(def.sortable ? { sortable: true } : {}),
    // Glare states this flag only when it is false; clients read its absence as true.
    ...(def.requiredOnActivate ? {} : { required_on_activate: false }),
    ...(def.default !== null ? { default: def.default } : {}),
    ...(Object.keys(def.metadata).length > 0 ? { metadata: def.metadata } : {}),
    filter_ops: def.filterOps,
  };
}

/** One type's schema, in Glare's shape (glare/objects/base.py gen_schemas), plus its description. */
export function typeJsonSchema(type: ArtifactType): Record<string, unknown> {
  return schemaOf(type.name, type.version, type.displayName, [...type.fields.values(), TYPE_VERSION_FIELD], type.description);
}

/** The read-only `all` view's schema: the generic fields and type_name, as Glare's `all` type. */
export function allTypesJsonSchema(): Record<string, unknown> {
  return schemaOf(ALL_TYPES, '1.0', 'All Artifacts', ALL_VIEW_FIELDS.values());
}

function schemaOf(name: string, version: string, displayName: string, fields: Iterable<FieldDef>, description?: string): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const f of fields) properties[f.name] = fieldJsonSchema(f);
  return {
    properties,
    name,
    version,
    title: `Artifact type ${name} of version ${version}`,
    type: 'object',
    display_name: displayName,
    ...(description ? { description } : {}),
    required: ['name'],
  };
}
