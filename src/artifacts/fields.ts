/**
 * @module Field kinds, their flags and validators: what a value of each kind may be. Generic and
 * type-specific fields share this one model; a dialect under src/api/ describes it on the wire.
 */
import { BadRequest } from '../errors.js';
import { parseRequirement } from '../dependencies/requirements.js';
import { ARTIFACT_ID, DICT_KEY, TYPE_NAME } from './names.js';

export const FILTER_OPS = ['eq', 'neq', 'lt', 'lte', 'gt', 'gte', 'in', 'like'] as const;
/** Every comparison, in the order Glare lists them for numbers and versions. */
export const ORDERED_FILTER_OPS: readonly FilterOp[] = ['eq', 'neq', 'in', 'gt', 'gte', 'lt', 'lte'];
export type FilterOp = (typeof FILTER_OPS)[number];

export const FIELD_KINDS = [
  'string',
  'integer',
  'float',
  'boolean',
  'datetime',
  'string_list',
  'integer_list',
  'string_dict',
  'integer_dict',
  'blob',
  'blob_dict',
  'link',
  'link_list',
  'link_dict',
  /** `{type, name, range[, origin]}` objects: what an artifact requires (dependencies/requirements.ts). */
  'requirement_list',
] as const;
export type FieldKind = (typeof FIELD_KINDS)[number];

export interface FieldValidators {
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  allowedValues?: Array<string | number>;
  min?: number;
  max?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  /** Most keys a dict may hold. */
  maxSize?: number;
  /** Dicts: the only keys allowed (Glare's AllowedDictKeys). */
  allowedKeys?: string[];
  /** Dicts: keys that must be present whenever the dict is set (RequiredDictKeys). */
  requiredKeys?: string[];
  /** Dicts: the longest key, in characters (MaxDictKeyLen). */
  maxKeyLength?: number;
  /** Strings (and string elements): characters that may not appear (ForbiddenChars). */
  forbiddenChars?: string[];
  /** Blob dicts: the most bytes all keys together may hold. */
  maxTotalSize?: number;
}

export interface FieldDef {
  name: string;
  kind: FieldKind;
  description: string;
  /** May change after activation. */
  mutable: boolean;
  /** Set by the catalog only; users never write it. */
  system: boolean;
  sortable: boolean;
  requiredOnActivate: boolean;
  nullable: boolean;
  default: unknown;
  filterOps: readonly FilterOp[];
  validators: FieldValidators;
  /** For blob kinds: the largest upload accepted, in bytes. */
  maxBlobSize?: number;
  /** For link kinds: the artifact type an internal link must point at (any type when absent). */
  linkType?: string;
  /** Free-form facts about the field for clients (a UI hint, a unit), shown with its schema. */
  metadata: Readonly<Record<string, string>>;
}

export type FieldSpec = Partial<Omit<FieldDef, 'name' | 'kind'>>;

const DICT_VALIDATORS = ['allowedKeys', 'requiredKeys', 'maxKeyLength'] as const;

const SCALAR_KINDS: ReadonlySet<FieldKind> = new Set(['string', 'integer', 'float', 'boolean', 'datetime']);
export const BLOB_KINDS: ReadonlySet<FieldKind> = new Set(['blob', 'blob_dict']);
export const LINK_KINDS: ReadonlySet<FieldKind> = new Set(['link', 'link_list', 'link_dict']);

export function isScalar(kind: FieldKind): boolean {
  return SCALAR_KINDS.has(kind);
}
export function isList(kind: FieldKind): boolean {
  return kind.endsWith('_list');
}
export function isDict(kind: FieldKind): boolean {
  return kind.endsWith('_dict');
}

/** The kind of one element of a list or dict (or the kind itself for scalars and links). */
export function elementKind(kind: FieldKind): FieldKind {
  if (kind === 'string_list' || kind === 'string_dict') return 'string';
  if (kind === 'integer_list' || kind === 'integer_dict') return 'integer';
  if (kind === 'link_list' || kind === 'link_dict') return 'link';
  if (kind === 'blob_dict') return 'blob';
  return kind;
}

/** Glare's defaults per element kind (objects/meta/wrappers.py Field.get_default_filter_ops). */
function defaultFilterOps(kind: FieldKind): readonly FilterOp[] {
  switch (elementKind(kind)) {
    case 'integer':
    case 'float':
      return ORDERED_FILTER_OPS;
    case 'datetime':
      return ['lt', 'gt'];
    case 'boolean':
    case 'link':
      return ['eq', 'neq'];
    case 'blob':
    case 'requirement_list':
      return [];
    default:
      return ['eq', 'neq', 'in'];
  }
}

const DEFAULT_MAX_BLOB_SIZE = 10 * 1024 ** 3;

/** Builds a complete definition with Glare's defaults: immutable, not system, required on activate. */
export function defineField(name: string, kind: FieldKind, spec: FieldSpec = {}): FieldDef {
  const def: FieldDef = {
    name,
    kind,
    description: spec.description ?? '',
    mutable: spec.mutable ?? false,
    system: spec.system ?? false,
    sortable: spec.sortable ?? false,
    requiredOnActivate: spec.requiredOnActivate ?? true,
    nullable: spec.nullable ?? true,
    // An explicit null default stays null (a dict that is unset until someone sets it).
    default: spec.default !== undefined ? spec.default : isList(kind) ? [] : isDict(kind) && kind !== 'blob_dict' ? {} : null,
    filterOps: spec.filterOps ?? defaultFilterOps(kind),
    validators: spec.validators ?? {},
    ...(BLOB_KINDS.has(kind) ? { maxBlobSize: spec.maxBlobSize ?? DEFAULT_MAX_BLOB_SIZE } : {}),
    ...(spec.linkType !== undefined ? { linkType: spec.linkType } : {}),
    metadata: spec.metadata ?? {},
  };
  for (const v of DICT_VALIDATORS) if (def.validators[v] !== undefined && !isDict(kind)) throw new Error(`field ${name}: ${v} applies to dict fields only`);
  if (def.validators.maxTotalSize !== undefined && kind !== 'blob_dict') throw new Error(`field ${name}: maxTotalSize applies to blob dicts only`);
  if (def.linkType !== undefined && !LINK_KINDS.has(kind)) throw new Error(`field ${name}: only link fields name a link type`);
  if (def.sortable && !isScalar(kind)) throw new Error(`field ${name}: only string, integer, float, boolean and datetime fields can be sortable`);
  if (def.filterOps.includes('like') && elementKind(kind) !== 'string') throw new Error(`field ${name}: only string fields can allow the "like" filter`);
  return def;
}

/** An internal link names an artifact of this catalog by path: /artifacts/<type>/<id>. */
const INTERNAL_LINK = new RegExp(`^/artifacts/(${TYPE_NAME.source.slice(1, -1)})/(${ARTIFACT_ID.source.slice(1, -1)})$`);
const EXTERNAL_LINK = /^https?:\/\/[^\s/$.?#].[^\s]*$/i;

/** Checks and normalises a user-given value for `def`; throws BadRequest naming the field. */
export function validateFieldValue(def: FieldDef, value: unknown): unknown {
  if (value === null) {
    if (!def.nullable) throw new BadRequest(`field "${def.name}" may not be null`);
    return null;
  }
  const kind = def.kind;
  if (isList(kind)) {
    if (!Array.isArray(value)) throw new BadRequest(`field "${def.name}" must be a list`);
    const items = value.map((item, i) => validateElement(def, elementKind(kind), item, `${def.name}[${i}]`));
    const { maxItems, uniqueItems } = def.validators;
    if (maxItems !== undefined && items.length > maxItems) throw new BadRequest(`field "${def.name}" may hold at most ${maxItems} items`);
    if (uniqueItems && new Set(items.map((i) => JSON.stringify(i))).size !== items.length) {
      throw new BadRequest(`field "${def.name}" must not repeat items`);
    }
    return items;
  }
  if (isDict(kind)) {
    if (typeof value !== 'object' || Array.isArray(value)) throw new BadRequest(`field "${def.name}" must be an object`);
    const entries = Object.entries(value as Record<string, unknown>);
    const { maxSize, requiredKeys } = def.validators;
    if (maxSize !== undefined && entries.length > maxSize) throw new BadRequest(`field "${def.name}" may hold at most ${maxSize} keys`);
    const out: Record<string, unknown> = {};
    for (const [key, item] of entries) {
      assertDictKey(def, key);
      out[key] = validateElement(def, elementKind(kind), item, `${def.name}.${key}`);
    }
    const missing = (requiredKeys ?? []).filter((k) => !(k in out));
    if (missing.length > 0) throw new BadRequest(`field "${def.name}" must have the keys ${missing.join(', ')}`);
    return out;
  }
  return validateElement(def, kind, value, def.name);
}

/** A key of a dict field (or a blob dict) as the field's validators allow it. */
export function assertDictKey(def: FieldDef, key: string): void {
  if (!DICT_KEY.test(key)) throw new BadRequest(`field "${def.name}": key "${key.slice(0, 60)}" must be 1-255 characters without spaces or "/"`);
  const { allowedKeys, maxKeyLength } = def.validators;
  if (maxKeyLength !== undefined && key.length > maxKeyLength) throw new BadRequest(`field "${def.name}": key "${key.slice(0, 60)}" is longer than ${maxKeyLength} characters`);
  if (allowedKeys !== undefined && !allowedKeys.includes(key)) throw new BadRequest(`field "${def.name}": key "${key.slice(0, 60)}" is not allowed; allowed keys: ${allowedKeys.join(', ')}`);
}

function validateElement(def: FieldDef, kind: FieldKind, value: unknown, label: string): unknown {
  const v = def.validators;
  switch (kind) {
    case 'string': {
      if (typeof value !== 'string') throw new BadRequest(`field "${label}" must be a string`);
      if (v.minLength !== undefined && value.length < v.minLength) throw new BadRequest(`field "${label}" must have at least ${v.minLength} characters`);
      if (v.maxLength !== undefined && value.length > v.maxLength) throw new BadRequest(`field "${label}" may have at most ${v.maxLength} characters`);
      if (v.pattern !== undefined && !new RegExp(v.pattern).test(value)) throw new BadRequest(`field "${label}" must match ${v.pattern}`);
      const forbidden = v.forbiddenChars?.find((c) => value.includes(c));
      if (forbidden !== undefined) throw new BadRequest(`field "${label}" may not contain "${forbidden}"`);
      checkAllowed(v, value, label);
      return value;
    }
    case 'integer':
    case 'float': {
      if (typeof value !== 'number' || !Number.isFinite(value)) throw new BadRequest(`field "${label}" must be a number`);
      if (kind === 'integer' && !Number.isSafeInteger(value)) throw new BadRequest(`field "${label}" must be a whole number`);
      if (v.min !== undefined && value < v.min) throw new BadRequest(`field "${label}" must be at least ${v.min}`);
      if (v.max !== undefined && value > v.max) throw new BadRequest(`field "${label}" must be at most ${v.max}`);
      checkAllowed(v, value, label);
      return value;
    }
    case 'boolean':
      if (typeof value !== 'boolean') throw new BadRequest(`field "${label}" must be true or false`);
      return value;
    case 'datetime': {
      if (typeof value !== 'string' || Number.isNaN(Date.parse(value)) || !/^\d{4}-\d{2}-\d{2}/.test(value)) {
        throw new BadRequest(`field "${label}" must be an ISO 8601 date-time`);
      }
      return new Date(value).toISOString();
    }
    case 'requirement_list':
      return parseRequirement(value, label);
    case 'link': {
      if (typeof value !== 'string' || value.length > 2048 || !(INTERNAL_LINK.test(value) || EXTERNAL_LINK.test(value))) {
        throw new BadRequest(`field "${label}" must be a link: /artifacts/<type>/<id> or an http(s) URL`);
      }
      const target = parseInternalLink(value);
      if (target && def.linkType !== undefined && target.type !== def.linkType) {
        throw new BadRequest(`field "${label}" links to a ${target.type} artifact; it takes ${def.linkType} artifacts only`);
      }
      return value;
    }
    default:
      throw new BadRequest(`field "${label}" is a blob: upload it with PUT, it cannot be set directly`);
  }
}

function checkAllowed(v: FieldValidators, value: string | number, label: string) {
  if (v.allowedValues !== undefined && !v.allowedValues.includes(value)) {
    throw new BadRequest(`field "${label}" must be one of: ${v.allowedValues.join(', ')}`);
  }
}

/** Internal link target, or undefined for an external URL. */
export function parseInternalLink(link: string): { type: string; id: string } | undefined {
  const m = INTERNAL_LINK.exec(link);
  return m ? { type: m[1]!, id: m[2]!.toLowerCase() } : undefined;
}

/** An empty value: what "not set" means for required_on_activate. */
export function isEmptyValue(value: unknown): boolean {
  if (value === null || value === undefined) return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object') return Object.keys(value as object).length === 0;
  return value === '';
}
