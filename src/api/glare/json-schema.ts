/** @module Glare's JSON-schema description of artifact types and their fields (GET /schemas). */
import type { ArtifactType } from '../../artifacts/artifact-type.js';
import { elementKind, isDict, isList, type FieldDef, type FieldKind, type FieldValidators } from '../../artifacts/fields.js';
import { GENERIC_FIELDS } from '../../artifacts/generic-fields.js';
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
};

const BLOB_SCHEMA = {
  type: 'object',
  properties: {
    url: { type: ['string', 'null'], format: 'uri', maxLength: 2048 },
    size: { type: ['number', 'null'] },
    md5: { type: ['string', 'null'] },
    sha1: { type: ['string', 'null'] },
    sha256: { type: ['string', 'null'] },
    external: { type: 'boolean' },
    id: { type: 'string' },
    status: { type: 'string', enum: ['saving', 'active'] },
    content_type: { type: ['string', 'null'] },
  },
  required: ['url', 'size', 'md5', 'sha1', 'sha256', 'external', 'status', 'id', 'content_type'],
};

function elementSchema(kind: FieldKind, v: FieldValidators): Record<string, unknown> {
  switch (kind) {
    case 'string':
      return {
        type: 'string',
        ...(v.minLength !== undefined ? { minLength: v.minLength } : {}),
        ...(v.maxLength !== undefined ? { maxLength: v.maxLength } : {}),
        ...(v.pattern !== undefined ? { pattern: v.pattern } : {}),
        ...(v.allowedValues ? { enum: v.allowedValues } : {}),
      };
    case 'integer':
    case 'float':
      return {
        type: kind === 'integer' ? 'integer' : 'number',
        ...(v.min !== undefined ? { minimum: v.min } : {}),
        ...(v.max !== undefined ? { maximum: v.max } : {}),
        ...(v.allowedValues ? { enum: v.allowedValues } : {}),
      };
    case 'boolean':
      return { type: 'boolean' };
    case 'datetime':
      return { type: 'string', format: 'date-time' };
    case 'link':
      return { type: 'string', format: 'uri' };
    default:
      return { ...BLOB_SCHEMA };
  }
}

/** The field as Glare describes it in GET /schemas. */
function fieldJsonSchema(def: FieldDef): Record<string, unknown> {
  const base = elementKind(def.kind);
  let schema: Record<string, unknown>;
  if (isList(def.kind)) {
    schema = {
      type: 'array',
      items: elementSchema(base, def.validators),
      ...(def.validators.maxItems !== undefined ? { maxItems: def.validators.maxItems } : {}),
      ...(def.validators.uniqueItems ? { uniqueItems: true } : {}),
    };
  } else if (isDict(def.kind)) {
    const { maxSize, allowedKeys, requiredKeys } = def.validators;
    schema = {
      type: 'object',
      additionalProperties: allowedKeys ? false : elementSchema(base, def.validators),
      ...(allowedKeys ? { properties: Object.fromEntries(allowedKeys.map((k) => [k, elementSchema(base, def.validators)])) } : {}),
      ...(requiredKeys ? { required: requiredKeys } : {}),
      ...(maxSize !== undefined ? { maxProperties: maxSize } : {}),
    };
  } else {
    schema = elementSchema(base, def.validators);
  }
  if (def.nullable) schema.type = [schema.type, 'null'];
  return {
    ...schema,
    description: def.description,
    glareType: GLARE_TYPE_NAMES[def.kind],
    filter_ops: def.filterOps,
    required_on_activate: def.requiredOnActivate,
    ...(def.system ? { readOnly: true } : {}),
    ...(def.mutable ? { mutable: true } : {}),
    ...(def.sortable ? { sortable: true } : {}),
    ...(def.default !== null ? { default: def.default } : {}),
    ...(def.maxBlobSize !== undefined ? { maxSize: def.maxBlobSize } : {}),
    ...(Object.keys(def.metadata).length > 0 ? { metadata: def.metadata } : {}),
  };
}

/** One type's schema, in Glare's shape. */
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

/** The read-only `all` view's schema: the generic fields. */
export function allTypesJsonSchema(): Record<string, unknown> {
  return {
    name: ALL_TYPES,
    version: '1.0',
    title: 'Read-only view over every artifact type (generic fields only)',
    type: 'object',
    properties: Object.fromEntries(GENERIC_FIELDS.map((f) => [f.name, fieldJsonSchema(f)])),
    required: ['name'],
  };
}
