/**
 * @module The Glare list grammar, parsed once into typed filters, sort keys and paging:
 *
 *   ?field=[and:|or:][op:]value   op: eq (default), neq, lt, lte, gt, gte, in (comma list),
 *                              like (SQL LIKE, where the field allows it); an unknown op is 400
 *   ?version=gt:2.1&version=lt:3.5.7   repeat a field to combine (AND)
 *   ?name=or:a&name=or:b       every `or:` filter joins one OR group, ANDed with the rest
 *   ?version=latest            newest version per name (combines with every other filter)
 *   ?version=>2.1.0 <3.5.7     a semver range expression (extension), newest first
 *   ?tags=a,b  ?tags-any=a,b   has all / has any of the tags
 *   ?metadata.key=[op:]value   compares one dict value; ?metadata=key tests a key
 *   ?list_field=[op:]value     eq: contains, neq: does not contain, in: contains any
 *   ?q=words                   full-text search (each word a prefix), ANDed with the filters
 *   ?sort=key[:asc|desc],...   sortable fields, or relevance (with q), downloads, rating;
 *                              default relevance:desc with q, else created_at:desc
 *   ?limit=n&marker=<id>       keyset paging after the artifact `marker`
 *
 * The result is the domain's ListQuery (artifacts/list-query.ts); db/queries/predicates.ts is
 * the only SQL form of it.
 */
import type { ArtifactType } from '../../artifacts/artifact-type.js';
import { FILTER_OPS, elementKind, isDict, isList, isScalar, validateFieldValue, type FieldDef, type FilterOp } from '../../artifacts/fields.js';
import { ALL_VIEW_FIELDS, TYPE_NAME_FIELD } from '../../artifacts/generic-fields.js';
import type { Filter, ListQuery, ScalarValue, SortKey } from '../../artifacts/list-query.js';
import { ARTIFACT_ID as UUID } from '../../artifacts/names.js';
import { isVersionLike, parseRange, parseVersion, rangeToKeySets, versionKey } from '../../artifacts/versions.js';
import { BadRequest } from '../../errors.js';
import { assertStorableText } from '../text.js';
const MAX_IN_VALUES = 100;
const MAX_FILTERS = 50;

/** `type` undefined means the `all` view: generic fields only. */
export function parseListQuery(
  type: ArtifactType | undefined,
  params: Array<[string, string]>,
  options: { defaultLimit: number; maxLimit: number; types: readonly Pick<ArtifactType, 'name' | 'displayName'>[] },
): ListQuery {
  const fields = type ? type.fields : ALL_VIEW_FIELDS;
  const anyOf: Filter[] = [];
  const query: ListQuery = { filters: [], anyOf, latest: false, sort: [], limit: options.defaultLimit };
  const add = ({ combiner, filter }: Combined) => (combiner === 'or' ? anyOf : query.filters).push(filter);
  let hasRange = false;
  const words: string[] = [];
  let sortParam: string | undefined;
  if (params.length > MAX_FILTERS) throw new BadRequest(`at most ${MAX_FILTERS} query parameters are accepted`);

  for (const [name, raw] of params) {
    assertStorableText(name, 'a query parameter name');
    assertStorableText(raw, `query parameter "${name.slice(0, 60)}"`);
    if (name === 'limit') query.limit = parseLimit(raw, options.maxLimit);
    else if (name === 'marker') {
      if (!UUID.test(raw)) throw new BadRequest(`marker "${raw.slice(0, 60)}" is not an artifact id`);
      query.marker = raw.toLowerCase();
    } else if (name === 'sort') sortParam = raw;
    else if (name === 'q') words.push(...searchWords(raw));
    else if (name === 'tags' || name === 'tags-any') add(parseTags(name, raw));
    else if (name === 'version') {
      const parsed = parseVersionFilter(raw);
      if (parsed === 'latest') query.latest = true;
      else {
        if (parsed.filter.kind === 'version_range') hasRange = true;
        add(parsed);
      }
    } else if (name === 'display_type_name') add(parseDisplayTypeFilter(raw, options.types));
    else add(parseFieldFilter(name, raw, fields));
  }
  if (words.length > MAX_SEARCH_WORDS) throw new BadRequest(`q: at most ${MAX_SEARCH_WORDS} words`);
  if (words.length > 0) query.filters.push({ kind: 'search', words });
  if (sortParam !== undefined) query.sort = parseSort(sortParam, fields, words);
  if (query.sort.length === 0) {
    query.sort = words.length > 0
      ? [{ computed: { by: 'relevance', words }, direction: 'desc' }]
      : hasRange
      ? [{ field: fields.get('version')!, direction: 'desc' }]
      : [{ field: fields.get('created_at')!, direction: 'desc' }];
  }
  return query;
}

/** Glare clamps a limit above the maximum to it (resource.py: min(CONF.max_api_limit, limit)). */
function parseLimit(raw: string, max: number): number {
  if (!/^\d{1,15}$/.test(raw)) throw new BadRequest(`limit must be a whole number from 0 to ${max}, got "${raw.slice(0, 20)}"`);
  return Math.min(Number(raw), max);
}

const MAX_SEARCH_WORDS = 16;
const MAX_SEARCH_WORD_LENGTH = 64;

/**
 * The words of a search: runs of letters and digits, lower-cased. Anything else separates words,
 * so `com.example.Web` searches com, example and web, and no tsquery syntax is ever passed on.
 */
function searchWords(raw: string): string[] {
  const words = raw.normalize('NFKC').toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  if (words.length === 0) throw new BadRequest('q: give at least one word (letters or digits) to search for');
  const long = words.find((w) => w.length > MAX_SEARCH_WORD_LENGTH);
  if (long) throw new BadRequest(`q: a word may have at most ${MAX_SEARCH_WORD_LENGTH} characters ("${long.slice(0, 20)}..." has ${long.length})`);
  return words;
}

/** Sort keys that are no field: computed from the search, or from the community's data. */
const COMPUTED_SORTS = ['relevance', 'downloads', 'rating'] as const;

function parseSort(raw: string, fields: ReadonlyMap<string, FieldDef>, words: readonly string[]): SortKey[] {
  const keys = raw.split(',').map((part): SortKey & { name: string } => {
    const [name = '', direction = 'desc', extra] = part.trim().split(':');
    if (extra !== undefined || (direction !== 'asc' && direction !== 'desc')) {
      throw new BadRequest(`sort "${part}": expected key[:asc|desc]`);
    }
    const field = fields.get(name);
    if (field) {
      if (!field.sortable) throw new BadRequest(`sort: field "${name}" is not sortable`);
      return { name, field, direction };
    }
    if (name === 'relevance') {
      if (words.length === 0) throw new BadRequest('sort: "relevance" needs a search (q=...)');
      return { name, computed: { by: 'relevance', words: [...words] }, direction };
    }
    if (name === 'downloads' || name === 'rating') return { name, computed: { by: name }, direction };
    throw new BadRequest(`sort: unknown field "${name}" (sortable besides fields: ${COMPUTED_SORTS.join(', ')})`);
  });
  if (new Set(keys.map((k) => k.name)).size !== keys.length) throw new BadRequest('sort: a key is repeated');
  return keys.map(({ name: _name, ...key }) => key);
}

type Combiner = 'and' | 'or';
interface Combined {
  combiner: Combiner;
  filter: Filter;
}

/** Glare's `and:` / `or:` prefix (common/utils.py split_filter_op); `and` when there is none. */
function splitCombiner(raw: string): { combiner: Combiner; rest: string } {
  for (const combiner of ['and', 'or'] as const) {
    if (raw.startsWith(`${combiner}:`)) return { combiner, rest: raw.slice(combiner.length + 1) };
  }
  return { combiner: 'and', rest: raw };
}

function parseTags(name: string, raw: string): Combined {
  const { combiner, rest } = splitCombiner(raw);
  // Unlike Glare, a ':' inside a tag is part of the tag (Glare refused it: no tag with ':' could be found).
  const values = splitQuoted(rest).map((t) => t.trim()).filter(Boolean);
  if (values.length === 0) throw new BadRequest(`${name}: give at least one tag`);
  if (values.length > MAX_IN_VALUES) throw new BadRequest(`${name}: at most ${MAX_IN_VALUES} tags`);
  return { combiner, filter: { kind: 'tags', match: name === 'tags' ? 'all' : 'any', values } };
}

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * `[and:|or:][op:]value`, read as Glare's split_filter_op reads it: the first part is an operator
 * unless the value is a single part, or what follows the combiner is an ISO date-time (whose own
 * colons are not operators). So `name=a:b` names the operator "a" (400): write `name=eq:a:b`.
 */
function splitOp(raw: string): { combiner: Combiner; op: FilterOp; value: string; explicit: boolean } {
  const { combiner, rest } = splitCombiner(raw);
  const colon = rest.indexOf(':');
  if (colon === -1 || ISO_DATE_TIME.test(rest)) return { combiner, op: 'eq', value: rest, explicit: false };
  const op = rest.slice(0, colon);
  if (!(FILTER_OPS as readonly string[]).includes(op)) {
    throw new BadRequest(`unknown filter operator "${op.slice(0, 20)}"; operators: ${FILTER_OPS.join(', ')} (write eq:${rest.slice(0, 20)} for a value holding ":")`);
  }
  return { combiner, op: op as FilterOp, value: rest.slice(colon + 1), explicit: true };
}

/**
 * A comma list as Glare splits it (common/utils.py split_filter_value_for_quotes, after the API
 * working group's guideline): a value in double quotes may hold commas (`"a,b",c`); a quote opens
 * only after a comma and closes only before one.
 */
function splitQuoted(value: string): string[] {
  let open = false;
  for (let i = 0; i < value.length; i++) {
    if (value[i] !== '"' || (i > 0 && value[i - 1] === '\\')) continue;
    if (!open && i > 0 && value[i - 1] !== ',') throw new BadRequest(`invalid filter value ${value.slice(0, 60)}: no comma before the opening quotation mark`);
    if (open && i + 1 !== value.length && value[i + 1] !== ',') throw new BadRequest(`invalid filter value ${value.slice(0, 60)}: no comma after the closing quotation mark`);
    open = !open;
  }
  if (open) throw new BadRequest(`invalid filter value ${value.slice(0, 60)}: the quotation mark is not closed`);
  return [...value.matchAll(/"([^"\\]*(?:\\.[^"\\]*)*)",?|([^,]+),?|,/g)].map((m) => m[1] ?? m[2] ?? '');
}

function splitIn(op: FilterOp, value: string): string[] {
  if (op !== 'in') return [value];
  const values = splitQuoted(value);
  if (values.length > MAX_IN_VALUES) throw new BadRequest(`an "in" filter takes at most ${MAX_IN_VALUES} values`);
  return values;
}

function parseVersionFilter(raw: string): Combined | 'latest' {
  if (raw === 'latest') return 'latest';
  const { combiner, rest } = splitCombiner(raw);
  // A semver range (the extension) holds no ":"; anything else is Glare's [op:]version.
  if (!rest.includes(':') && !isVersionLike(rest)) return { combiner, filter: { kind: 'version_range', sets: rangeToKeySets(parseRange(rest)) } };
  const { op, value } = splitOp(rest);
  if (op === 'like') throw new BadRequest('field "version" does not allow the "like" filter');
  return { combiner, filter: { kind: 'version', op, keys: splitIn(op, value).map((v) => versionKey(parseVersion(v))) } };
}

function parseFieldFilter(name: string, raw: string, fields: ReadonlyMap<string, FieldDef>): Combined {
  const { combiner } = splitOp(raw);
  return { combiner, filter: fieldFilter(name, raw, fields) };
}

function fieldFilter(name: string, raw: string, fields: ReadonlyMap<string, FieldDef>): Filter {
  const dot = name.indexOf('.');
  const fieldName = dot === -1 ? name : name.slice(0, dot);
  const field = fields.get(fieldName);
  if (!field) throw new BadRequest(`unknown filter "${name.slice(0, 60)}": no field "${fieldName.slice(0, 60)}"`);
  const { op, value } = splitOp(raw);
  if (!field.filterOps.includes(op)) {
    throw new BadRequest(`field "${field.name}" does not allow the "${op}" filter; allowed: ${field.filterOps.join(', ') || 'none'}`);
  }
  const element = elementKind(field.kind);

  if (dot !== -1) {
    if (!isDict(field.kind)) throw new BadRequest(`filter "${name.slice(0, 60)}": only dict fields have keys to filter on`);
    // An empty key is no error in Glare: it names no key any dict holds, so nothing matches.
    const key = name.slice(dot + 1);
    return { kind: 'dict_value', field, key, op, values: splitIn(op, value).map((v) => coerce(field, element, v)) };
  }
  if (isList(field.kind) || isDict(field.kind)) {
    if (op !== 'eq' && op !== 'neq' && op !== 'in') {
      throw new BadRequest(`field "${field.name}" is a ${isList(field.kind) ? 'list' : 'dict'}: filter it with eq, neq or in`);
    }
    const memberKind = isDict(field.kind) ? 'string' : element;
    return { kind: 'member', field, op, values: splitIn(op, value).map((v) => coerce(field, memberKind, v)) };
  }
  if (!isScalar(field.kind) && element !== 'link') throw new BadRequest(`field "${field.name}" cannot be filtered`);
  const values = splitIn(op, value).map((v) => coerce(field, element, v));
  // Glare coerces filter values with the field itself, validators included: `?name=` is 400
  // (names are never empty), so is a disk_format no image can have. A like pattern is no value.
  if (op !== 'like') for (const v of values) checkFilterValue(field, v);
  return { kind: 'compare', field, op, values };
}

/**
 * A type's display name is no stored column: the filter becomes one on the names of the types
 * whose display names match (equal, or like the SQL pattern).
 */
function parseDisplayTypeFilter(raw: string, types: readonly Pick<ArtifactType, 'name' | 'displayName'>[]): Combined {
  const { combiner, op, value } = splitOp(raw);
  if (!DISPLAY_TYPE_NAME_OPS.has(op)) throw new BadRequest(`field "display_type_name" does not allow the "${op}" filter; allowed: like, eq, neq, in`);
  const wanted = splitIn(op, value);
  const matches = (display: string) => wanted.some((w) => (op === 'like' ? likePattern(w).test(display) : display === w));
  const names = types.filter((t) => matches(t.displayName)).map((t) => t.name);
  if (op === 'neq') {
    if (names.length > 1) throw new BadRequest(`display name "${value.slice(0, 60)}" names several types: filter by type_name`);
    return { combiner, filter: { kind: 'compare', field: TYPE_NAME_FIELD, op: 'neq', values: [names[0] ?? ''] } };
  }
  // Type names are never empty, so [''] matches nothing.
  return { combiner, filter: { kind: 'compare', field: TYPE_NAME_FIELD, op: 'in', values: names.length > 0 ? names : [''] } };
}

const DISPLAY_TYPE_NAME_OPS: ReadonlySet<FilterOp> = new Set(['like', 'eq', 'neq', 'in']);

/** SQL LIKE (% any run, _ one character) as a regular expression over the whole text. */
function likePattern(pattern: string): RegExp {
  const source = [...pattern].map((ch) => (ch === '%' ? '.*' : ch === '_' ? '.' : ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('');
  return new RegExp(`^${source}$`, 's');
}

function checkFilterValue(field: FieldDef, value: ScalarValue): void {
  try {
    validateFieldValue(field, value);
  } catch (err) {
    if (err instanceof BadRequest) throw new BadRequest(`invalid filter value for "${field.name}": ${err.message}`);
    throw err;
  }
}

function coerce(field: FieldDef, kind: FieldDef['kind'], raw: string): ScalarValue {
  switch (kind) {
    case 'integer': {
      if (!/^-?\d{1,15}$/.test(raw)) throw new BadRequest(`filter on "${field.name}": "${raw.slice(0, 40)}" is not a whole number`);
      return Number(raw);
    }
    case 'float': {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n)) throw new BadRequest(`filter on "${field.name}": "${raw.slice(0, 40)}" is not a number`);
      return n;
    }
    case 'boolean':
      if (raw !== 'true' && raw !== 'false') throw new BadRequest(`filter on "${field.name}": expected true or false`);
      return raw === 'true';
    case 'datetime': {
      const t = Date.parse(raw);
      if (!/^\d{4}-\d{2}-\d{2}/.test(raw) || Number.isNaN(t)) throw new BadRequest(`filter on "${field.name}": "${raw.slice(0, 40)}" is not an ISO 8601 date-time`);
      return new Date(t).toISOString();
    }
    default:
      if (field.name === 'id' && !UUID.test(raw)) throw new BadRequest(`filter on "id": "${raw.slice(0, 40)}" is not an artifact id`);
      if (raw.length > 4096) throw new BadRequest(`filter on "${field.name}": the value is too long`);
      return raw;
  }
}
