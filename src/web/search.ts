/**
 * @module The search page's parameters (a small, form-friendly set) and the domain ListQuery
 * they stand for. Facets narrow by type, tag, license, provider and release.
 */
import type { FieldDef } from '../artifacts/fields.js';
import { AUTHORSHIP_FIELDS, GENERIC_FIELDS } from '../artifacts/generic-fields.js';
import type { Filter, ListQuery, SortKey } from '../artifacts/list-query.js';
import { ARTIFACT_ID } from '../artifacts/names.js';
import { parseListQuery } from '../api/glare/filters.js';
import { BadRequest } from '../errors.js';

export const PAGE_SIZE = 20;
const MAX_TEXT = 200;
const MAX_VALUES = 10;

export const SORTS = {
  relevance: { label: 'Best match', keys: [] },
  newest: { label: 'Newest first', keys: [['created_at', 'desc']] },
  name: { label: 'Name A–Z', keys: [['name', 'asc'], ['version', 'desc']] },
  updated: { label: 'Recently updated', keys: [['updated_at', 'desc']] },
  downloads: { label: 'Most downloaded', keys: [] },
  rating: { label: 'Best rated', keys: [] },
} as const satisfies Record<string, { label: string; keys: ReadonlyArray<readonly [string, 'asc' | 'desc']> }>;
export type SortName = keyof typeof SORTS;

export interface SearchParams {
  q: string;
  type?: string;
  tags: string[];
  license?: string;
  provider?: string;
  release?: string;
  /** Unset: best match when searching for text, else newest first. */
  sort?: SortName;
  marker?: string;
}

const field = (name: string): FieldDef => {
  const found = [...GENERIC_FIELDS, ...AUTHORSHIP_FIELDS].find((f) => f.name === name);
  if (!found) throw new Error(`no generic field ${name}`);
  return found;
};
const FIELDS = {
  license: field('license'),
  providedBy: field('provided_by'),
  release: field('release'),
};

function text(params: URLSearchParams, name: string): string | undefined {
  const values = params.getAll(name);
  if (values.length > 1) throw new BadRequest(`give "${name}" once`);
  const value = values[0]?.trim();
  if (value === undefined || value === '') return undefined;
  if (value.length > MAX_TEXT) throw new BadRequest(`"${name}" is at most ${MAX_TEXT} characters`);
  if ([...value].some((ch) => ch.charCodeAt(0) < 0x20)) throw new BadRequest(`"${name}" may not hold control characters`);
  return value;
}

/** The page's query string as typed parameters; BadRequest names what is wrong. */
export function parseSearchParams(params: URLSearchParams, fixedType?: string): SearchParams {
  const tags = params.getAll('tag').map((t) => t.trim()).filter(Boolean);
  if (tags.length > MAX_VALUES) throw new BadRequest(`at most ${MAX_VALUES} tags`);
  const sort = text(params, 'sort');
  if (sort !== undefined && !Object.hasOwn(SORTS, sort)) throw new BadRequest(`sort must be one of ${Object.keys(SORTS).join(', ')}`);
  const marker = text(params, 'marker');
  if (marker !== undefined && !ARTIFACT_ID.test(marker)) throw new BadRequest('marker is not an artifact id');
  const type = fixedType ?? text(params, 'type');
  const out: SearchParams = { q: text(params, 'q') ?? '', tags };
  if (sort !== undefined) out.sort = sort as SortName;
  if (type !== undefined) out.type = type;
  for (const key of ['license', 'provider', 'release'] as const) {
    const value = text(params, key);
    if (value !== undefined) out[key] = value;
  }
  if (marker !== undefined) out.marker = marker.toLowerCase();
  return out;
}

/**
 * Full-text search, read as the API reads `q=` (one grammar: words of letters and digits, each a
 * prefix), with its relevance order.
 */
function textSearch(q: string): { filter: Filter; relevance: SortKey } {
  const parsed = parseListQuery(undefined, [['q', q]], { defaultLimit: 1, maxLimit: 1, types: [] });
  const filter = parsed.filters.find((f) => f.kind === 'search');
  const relevance = parsed.sort[0];
  if (!filter || !relevance) throw new Error('q= parsed into no search filter');
  return { filter, relevance };
}

export function sortOf(p: Pick<SearchParams, 'q' | 'sort'>): SortName {
  return p.sort ?? (p.q ? 'relevance' : 'newest');
}

export function listQueryOf(p: SearchParams, limit = PAGE_SIZE): ListQuery {
  const filters: Filter[] = [];
  const search = p.q ? textSearch(p.q) : undefined;
  if (search) filters.push(search.filter);
  if (p.tags.length > 0) filters.push({ kind: 'tags', match: 'all', values: p.tags });
  if (p.license) filters.push({ kind: 'compare', field: FIELDS.license, op: 'eq', values: [p.license] });
  if (p.provider) filters.push({ kind: 'dict_value', field: FIELDS.providedBy, key: 'name', op: 'eq', values: [p.provider] });
  if (p.release) filters.push({ kind: 'member', field: FIELDS.release, op: 'eq', values: [p.release] });
  const sortName = sortOf(p);
  if (sortName === 'relevance' && !search) throw new BadRequest('sort "relevance" needs text to search for (q)');
  const sort: SortKey[] =
    sortName === 'relevance' && search
      ? [search.relevance]
      : sortName === 'downloads' || sortName === 'rating'
        ? [{ computed: { by: sortName }, direction: 'desc' }]
        : SORTS[sortName].keys.map(([name, direction]) => ({ field: field(name), direction }));
  return { filters, latest: false, sort, limit, ...(p.marker ? { marker: p.marker } : {}) };
}

/** The query string of `p` changed by `change` (paging restarts on any change but the marker). */
export function searchHref(p: SearchParams, change: Partial<SearchParams>, path = '/search'): string {
  const next = { ...p, ...change };
  if (!('marker' in change)) delete next.marker;
  const qs = new URLSearchParams();
  if (next.q) qs.set('q', next.q);
  if (next.type && path === '/search') qs.set('type', next.type);
  for (const t of next.tags) qs.append('tag', t);
  if (next.license) qs.set('license', next.license);
  if (next.provider) qs.set('provider', next.provider);
  if (next.release) qs.set('release', next.release);
  if (next.sort) qs.set('sort', next.sort);
  if (next.marker) qs.set('marker', next.marker);
  const s = qs.toString();
  return s ? `${path}?${s}` : path;
}
