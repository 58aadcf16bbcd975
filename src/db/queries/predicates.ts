/**
 * @module The SQL forms of the domain's filters, sort keys and visibility policy. The only place
 * those become SQL.
 */
import { and, asc, desc, eq, gt, gte, isNull, lt, lte, or, sql, type Placeholder, type SQL, type SQLWrapper } from 'drizzle-orm';
import { GENERIC_FIELD_NAMES } from '../../artifacts/generic-fields.js';
import type { FieldDef, FilterOp } from '../../artifacts/fields.js';
import type { Filter, ScalarValue, SortKey } from '../../artifacts/list-query.js';
import type { Sight } from '../../artifacts/policy.js';
import type { KeyRangeSet } from '../../artifacts/versions.js';
import { artifactDownloadTotals, artifactRatingTotals, artifactShares, artifacts } from '../schema/index.js';

const GENERIC_COLUMNS = {
  id: artifacts.id,
  name: artifacts.name,
  version: artifacts.versionKey,
  description: artifacts.description,
  tags: artifacts.tags,
  metadata: artifacts.metadata,
  requires: artifacts.requires,
  owner: artifacts.owner,
  visibility: artifacts.visibility,
  status: artifacts.status,
  created_at: artifacts.createdAt,
  updated_at: artifacts.updatedAt,
  activated_at: artifacts.activatedAt,
  display_type_name: artifacts.typeName,
  type_name: artifacts.typeName,
  provided_by: artifacts.providedBy,
  supported_by: artifacts.supportedBy,
  license: artifacts.license,
  license_url: artifacts.licenseUrl,
  release: artifacts.release,
} as const;

const CASTS: Partial<Record<FieldDef['kind'], string>> = {
  integer: 'bigint',
  float: 'double precision',
  boolean: 'boolean',
  datetime: 'timestamptz',
};

/**
 * How a request's value enters a statement. `inline` makes it a parameter of this statement
 * only; a `Bindings` (list-statements.ts) makes it a named placeholder and keeps the value, so
 * the statement's text depends on the request's shape alone and can be compiled once per shape.
 * Every value a filter, sort key or marker brings goes through it; what does not is part of the
 * shape.
 */
export type Bind = (value: unknown) => SQLWrapper;

export const inline: Bind = (value) => sql.param(value);

/**
 * The terms artifacts.filter_terms holds (PostgreSQL computes them: artifact_filter_terms in
 * migration 0001, which this must match). Filters on tags and metadata values go through its GIN
 * index, which needs no recheck, where separate tags and metadata indexes left ~25k candidate rows
 * to fetch and recheck for a 9k-row answer at 1M artifacts (bench/README.md).
 */
export const filterTerm = {
  type: (typeName: string) => `type:${typeName}`,
  visibility: (visibility: string) => `visibility:${visibility}`,
  status: (status: string) => `status:${status}`,
  tag: (tag: string) => `tag:${tag}`,
  // char_length counts code points, as spreading a string does.
  metadata: (key: string, value: string) => `metadata:${[...key].length}:${key}=${value}`,
};

function hasTerms(terms: readonly string[], bind: Bind): SQL {
  return sql`${artifacts.filterTerms} @> ${textArray(terms, bind)}`;
}

/**
 * When a list filters by tags or metadata values (through filter_terms), the type, visibility
 * and status it is restricted to join the same index scan as terms, so that one scan intersects
 * them all. Lists without such a filter get nothing here: the terms would only cost planning.
 */
export function companionTermsWhere(q: { typeName?: string | undefined; sight: Sight; filters: readonly Filter[] }, bind: Bind = inline): SQL | undefined {
  if (!q.filters.some(usesTerms)) return undefined;
  const terms: string[] = [];
  if (q.typeName) terms.push(filterTerm.type(q.typeName));
  if (q.sight.kind === 'public') terms.push(filterTerm.visibility('public'), filterTerm.status('active'));
  for (const f of q.filters) {
    if (f.kind !== 'compare' || f.op !== 'eq') continue;
    if (f.field.name === 'visibility') terms.push(filterTerm.visibility(String(f.values[0])));
    if (f.field.name === 'status') terms.push(filterTerm.status(String(f.values[0])));
  }
  return terms.length > 0 ? hasTerms(terms, bind) : undefined;
}

function usesTerms(filter: Filter): boolean {
  return filter.kind === 'tags' || (filter.kind === 'dict_value' && isMetadataEquality(filter));
}

function isMetadataEquality(filter: Extract<Filter, { kind: 'dict_value' }>): boolean {
  return filter.op === 'eq' && filter.field.name === 'metadata';
}

/** The SQL expression holding a scalar field's value. */
export function fieldExpr(field: FieldDef): SQL {
  if (GENERIC_FIELD_NAMES.has(field.name)) {
    const column = GENERIC_COLUMNS[field.name as keyof typeof GENERIC_COLUMNS];
    if (!column) throw new Error(`generic field ${field.name} has no column`);
    return sql`${column}`;
  }
  const cast = CASTS[field.kind];
  const text = sql`(${artifacts.fields} ->> ${sql.raw(quoteLiteral(field.name))})`;
  return cast ? sql`${text}::${sql.raw(cast)}` : text;
}

/** The jsonb (or array) value of a list/dict field. */
function collectionExpr(field: FieldDef): SQL {
  if (GENERIC_FIELD_NAMES.has(field.name)) return fieldExpr(field);
  return sql`(${artifacts.fields} -> ${sql.raw(quoteLiteral(field.name))})`;
}

/** Field names are validated identifiers ([a-z0-9_]); quoting keeps that an invariant, not a hope. */
function quoteLiteral(name: string): string {
  return `'${name.replace(/'/g, "''")}'`;
}

function isArrayColumn(field: FieldDef): boolean {
  return field.name === 'tags' || field.name === 'release';
}

/** The SQL type of a scalar field's values, for `in` lists passed as one text[] parameter. */
function sqlType(field: FieldDef): string {
  if (field.name === 'id') return 'uuid';
  return CASTS[field.kind] ?? 'text';
}

/**
 * `in` takes its values as one array parameter (`= any($1)`), so the statement text is the same
 * whatever their number: every distinct text becomes a prepared statement on each pooled
 * connection. The array travels as text[] and is cast here, so no driver has to serialise
 * arrays of dates or numbers.
 */
function compare(expr: SQL, op: FilterOp, values: readonly ScalarValue[], type: string, bind: Bind): SQL {
  if (op === 'in') {
    return type === 'text' ? sql`${expr} = any(${textArray(values, bind)})` : sql`${expr} = any(${textArray(values, bind)}::${sql.raw(type)}[])`;
  }
  const v = bind(values[0]);
  switch (op) {
    case 'eq':
      return sql`${expr} = ${v}`;
    case 'neq':
      return sql`${expr} <> ${v}`;
    case 'lt':
      return sql`${expr} < ${v}`;
    case 'lte':
      return sql`${expr} <= ${v}`;
    case 'gt':
      return sql`${expr} > ${v}`;
    case 'gte':
      return sql`${expr} >= ${v}`;
    case 'like':
      return sql`${expr} like ${v}`;
  }
}

/** Values as one text[] parameter: one placeholder whatever their number. */
export function textArray(values: readonly ScalarValue[], bind: Bind = inline): SQL {
  return sql`${bind(values.map(String))}::text[]`;
}

function keyComparison(op: string, key: string, bind: Bind): SQL {
  const value = bind(key);
  switch (op) {
    case '<':
      return lt(artifacts.versionKey, value);
    case '<=':
      return lte(artifacts.versionKey, value);
    case '>':
      return gt(artifacts.versionKey, value);
    case '>=':
      return gte(artifacts.versionKey, value);
    default:
      return eq(artifacts.versionKey, value);
  }
}

function rangeSetWhere(set: KeyRangeSet, bind: Bind): SQL {
  const prerelease = or(
    isNull(artifacts.versionPrerelease),
    ...set.prereleaseWindows.map((w) => and(gt(artifacts.versionKey, bind(w.above)), lt(artifacts.versionKey, bind(w.below)))),
  )!;
  return and(...set.comparisons.map((c) => keyComparison(c.op, c.key, bind)), prerelease)!;
}

/**
 * The tsquery of a search: every word, as a prefix (type-ahead), stemmed as the document is
 * (migration `search`). Words are letters and digits only (the dialect splits them so), so the
 * text joined here holds no tsquery syntax but the operators added.
 */
function searchQuery(words: readonly string[], bind: Bind): SQL {
  return sql`to_tsquery('english'::regconfig, ${bind(words.map((w) => `${w}:*`).join(' & '))})`;
}

/**
 * Relevance is where the words match, best first: every word in the name or display name (weight
 * A), else within those and the tags and keywords (A, B), else adding the provider (A, B, C), else
 * anywhere, the description included. Each tier but the last is an expression GIN index over the
 * stored search_vector (`ts_filter` keeps the lexemes of the given weights), so a page of the best
 * matches is read tier by tier, newest first within a tier, without visiting every match (db/queries/list-parts.ts).
 */
export const SEARCH_TIERS = [['a'], ['a', 'b'], ['a', 'b', 'c']] as const;

/**
 * The vector of a tier's weights. `indexed`: in the text of the tier's expression index (search
 * tiers migration), to find the tier's rows through it; artifact_search_tier is ts_filter
 * declared costly, so the planner reads a small tier through its index rather than walking the
 * newest-first index and filtering row by row. Otherwise ts_filter itself, cheaper to evaluate
 * on rows read another way.
 */
function tierVector(weights: readonly string[], indexed: boolean): SQL {
  return sql`${sql.raw(indexed ? 'artifact_search_tier' : 'ts_filter')}(${artifacts.searchVector}, ${sql.raw(`'{${weights.join(',')}}'::"char"[]`)})`;
}

/** Whether every search word matches within tier `tier` (0 the best; SEARCH_TIERS.length: anywhere). */
export function matchesWithinTier(words: readonly string[], tier: number, indexed = false, bind: Bind = inline): SQL {
  const weights = SEARCH_TIERS[tier];
  return weights ? sql`${tierVector(weights, indexed)} @@ ${searchQuery(words, bind)}` : sql`${artifacts.searchVector} @@ ${searchQuery(words, bind)}`;
}

/** The tier a matching row is in, as a score: higher is better (SEARCH_TIERS.length + 1 for the best, 1 for anywhere). */
export function relevanceScore(words: readonly string[], bind: Bind = inline): SQL {
  const cases = SEARCH_TIERS.map((_, tier) => sql`when ${matchesWithinTier(words, tier, false, bind)} then ${sql.raw(String(SEARCH_TIERS.length + 1 - tier))}`);
  return sql`(case ${sql.join(cases, sql` `)} else 1 end)`;
}

/** Downloads of the row's artifact; never downloaded is 0, so it sorts among the counts rather than as NULL. */
export const downloadsExpr = sql`coalesce((select ${artifactDownloadTotals.downloads} from ${artifactDownloadTotals} where ${artifactDownloadTotals.artifactId} = ${artifacts.id}), 0)`;

/** A rating total's average; the text matches the rating totals' average index. */
export const averageRatingExpr = sql`(${artifactRatingTotals.scoreSum}::double precision / ${artifactRatingTotals.ratings})`;

/** The average rating of the row's name; unrated is 0, below every average a rating (1 to 5) can make. */
export const ratingExpr = sql`coalesce((select ${averageRatingExpr} from ${artifactRatingTotals} where ${artifactRatingTotals.typeName} = ${artifacts.typeName} and ${artifactRatingTotals.owner} = ${artifacts.owner} and ${artifactRatingTotals.name} = ${artifacts.name} and ${artifactRatingTotals.ratings} > 0), 0)`;

/**
 * The SQL expressions a sort key orders by, in order, each in the key's direction: a field's
 * value, or a computed one. Relevance is two: its tier, then newest first (created_at).
 */
export function sortExprs(key: SortKey, bind: Bind = inline): SQL[] {
  if ('field' in key) return [fieldExpr(key.field)];
  switch (key.computed.by) {
    case 'relevance':
      return [relevanceScore(key.computed.words, bind), sql`${artifacts.createdAt}`];
    case 'downloads':
      return [downloadsExpr];
    case 'rating':
      return [ratingExpr];
  }
}

/** Every expression of `sort`, with its direction, in order (id, the tie-break, not included). */
export function orderTerms(sort: readonly SortKey[], bind: Bind = inline): Array<{ expr: SQL; dir: 'asc' | 'desc' }> {
  return sort.flatMap((k) => sortExprs(k, bind).map((expr) => ({ expr, dir: k.direction })));
}

export function filterWhere(filter: Filter, bind: Bind = inline): SQL {
  switch (filter.kind) {
    case 'search':
      return sql`${artifacts.searchVector} @@ ${searchQuery(filter.words, bind)}`;
    case 'version':
      return compare(sql`${artifacts.versionKey}`, filter.op, filter.keys, 'text', bind);
    case 'version_range':
      return or(...filter.sets.map((set) => rangeSetWhere(set, bind)))!;
    case 'compare':
      return compare(fieldExpr(filter.field), filter.op, filter.values, sqlType(filter.field), bind);
    case 'tags': {
      const terms = textArray(filter.values.map(filterTerm.tag), bind);
      return filter.match === 'all' ? sql`${artifacts.filterTerms} @> ${terms}` : sql`${artifacts.filterTerms} && ${terms}`;
    }
    case 'member': {
      const expr = collectionExpr(filter.field);
      let has: SQL;
      if (isArrayColumn(filter.field)) {
        has = filter.op === 'in' ? sql`${expr} && ${textArray(filter.values, bind)}` : sql`${expr} @> ${textArray(filter.values, bind)}`;
      } else if (filter.field.kind.endsWith('_dict')) {
        has = filter.op === 'in' ? sql`${expr} ?| ${textArray(filter.values, bind)}` : sql`${expr} ? ${bind(String(filter.values[0]))}`;
      } else {
        // Each value as a one-element JSON array, all in one text[] parameter.
        const wanted = textArray(filter.values.map((v) => JSON.stringify([v])), bind);
        has = sql`exists (select 1 from unnest(${wanted}) as wanted(j) where ${expr} @> wanted.j::jsonb)`;
      }
      return filter.op === 'neq' ? sql`not coalesce(${has}, false)` : has;
    }
    case 'dict_value': {
      const container = collectionExpr(filter.field);
      if (isMetadataEquality(filter)) return hasTerms([filterTerm.metadata(filter.key, String(filter.values[0]))], bind);
      if (filter.op === 'eq' && filter.field.kind === 'string_dict') {
        return sql`${container} @> ${bind(JSON.stringify({ [filter.key]: filter.values[0] }))}::jsonb`;
      }
      const type = filter.field.kind === 'integer_dict' ? 'bigint' : 'text';
      const key = bind(filter.key);
      const value = type === 'text' ? sql`(${container} ->> ${key})` : sql`(${container} ->> ${key})::${sql.raw(type)}`;
      return compare(value, filter.op, filter.values, type, bind);
    }
  }
}

/** The only SQL form of the visibility policy (artifacts/policy.ts). */
export function visibleWhere(v: Sight): SQL | undefined {
  return visibleWhereOf(v.kind, v.kind === 'project' ? v.projectId : '');
}

/**
 * `visibleWhere`, checked on each row read rather than through an index: for the lists read in
 * parts (list-parts.ts), whose rows an index of their order or of their words finds. With the
 * plain form, the planner ANDs the partial index of public rows into a bitmap scan, reading all of
 * it (half the catalog) to save fetching a few hundred rows.
 */
export function visibleRowWhere(v: Sight): SQL | undefined {
  const where = visibleWhere(v);
  return v.kind === 'public' && where ? sql`(${where}) is true` : where;
}

/** `visibleWhere` for a kind of sight, its project given as a value or as a placeholder bound per execution. */
export function visibleWhereOf(kind: Sight['kind'], projectId: string | Placeholder): SQL | undefined {
  switch (kind) {
    case 'all':
      return undefined;
    case 'public':
      return and(eq(artifacts.visibility, 'public'), eq(artifacts.status, 'active'));
    case 'project':
      return or(
        eq(artifacts.owner, projectId),
        and(
          eq(artifacts.status, 'active'),
          or(
            eq(artifacts.visibility, 'public'),
            sql`exists (select 1 from ${artifactShares} where ${artifactShares.artifactId} = ${artifacts.id} and ${artifactShares.project} = ${projectId})`,
          ),
        ),
      );
  }
}

export function orderBy(sort: readonly SortKey[], bind: Bind = inline): SQL[] {
  const keys = orderTerms(sort, bind).map((t) => (t.dir === 'asc' ? asc(t.expr) : desc(t.expr)));
  const last = sort.at(-1)?.direction ?? 'desc';
  // id breaks ties so that keyset paging never skips or repeats a row.
  return [...keys, last === 'asc' ? asc(artifacts.id) : desc(artifacts.id)];
}

/**
 * Rows strictly after the marker row in `sort` order, given the marker's values of
 * orderTerms(sort). PostgreSQL puts NULLs last ascending and first descending, i.e. NULL sorts
 * as the largest value; the comparisons below follow that.
 */
export function afterMarker(sort: readonly SortKey[], markerValues: readonly unknown[], markerId: string, bind: Bind = inline): SQL {
  // Which marker values are NULL is part of the statement's shape; the values themselves are bound.
  const bound = (value: unknown) => (value === null || value === undefined ? undefined : bind(value));
  const keys = orderTerms(sort, bind).map((t, i) => ({ ...t, value: bound(markerValues[i]) }));
  const lastDir = sort.at(-1)?.direction ?? 'desc';
  keys.push({ expr: sql`${artifacts.id}`, dir: lastDir, value: bind(markerId) });
  const branches: SQL[] = [];
  for (let i = 0; i < keys.length; i++) {
    const equalBefore = keys.slice(0, i).map((k) => (k.value === undefined ? sql`${k.expr} is null` : sql`${k.expr} = ${k.value}`));
    const k = keys[i]!;
    let beyond: SQL | undefined;
    if (k.value === undefined) beyond = k.dir === 'desc' ? sql`${k.expr} is not null` : undefined;
    else beyond = k.dir === 'asc' ? sql`(${k.expr} > ${k.value} or ${k.expr} is null)` : sql`${k.expr} < ${k.value}`;
    if (beyond) branches.push(and(...equalBefore, beyond)!);
  }
  return branches.length > 0 ? or(...branches)! : sql`false`;
}

