/** @module Facet counts of a list: how often each type, tag, license, provider and release occurs among its rows. */
import { sql } from 'drizzle-orm';
import type { ListQuery } from '../../artifacts/list-query.js';
import type { Sight } from '../../artifacts/policy.js';
import type { Db, Tx } from '../client.js';
import { artifacts } from '../schema/index.js';
import { unorderedScope } from './artifacts.js';

export const FACETS = ['type', 'tags', 'license', 'provider', 'release'] as const;
export type FacetName = (typeof FACETS)[number];

export interface FacetRows {
  /** How many of the list's rows were tallied: at most `sampleLimit` + 1. */
  rows: number;
  values: Array<{ facet: FacetName; value: string; count: number }>;
}

/**
 * Tallies the facets over the list's rows, reading at most `sampleLimit + 1` of them in no
 * order (so an index scan stops there): when `rows` ≤ `sampleLimit` the counts are the whole
 * list's, else each is a lower bound. One statement.
 */
export async function facetRows(db: Db | Tx, q: { typeName?: string | undefined; query: Pick<ListQuery, 'filters' | 'anyOf' | 'latest'>; sight: Sight; sampleLimit: number }): Promise<FacetRows> {
  const scope = unorderedScope(q);
  const result: unknown = await db.execute(sql`
    with sample as materialized (
      select ${artifacts.typeName} as type_name, ${artifacts.tags} as tags, ${artifacts.license} as license,
        ${artifacts.providedBy} ->> 'name' as provider, ${artifacts.release} as release
      from ${artifacts} where ${scope ?? sql`true`} limit ${q.sampleLimit + 1}
    )
    select 'rows' as facet, '' as value, count(*)::int as n from sample
    union all select 'type', type_name, count(*)::int from sample group by type_name
    union all select 'tags', t, count(*)::int from sample, unnest(tags) as t group by t
    union all select 'license', license, count(*)::int from sample where license is not null group by license
    union all select 'provider', provider, count(*)::int from sample where provider is not null group by provider
    union all select 'release', r, count(*)::int from sample, unnest(release) as r group by r`);
  // postgres.js answers an array of rows, PGlite { rows }.
  const rows = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as Array<{ facet: string; value: string; n: number }>;
  let tallied = 0;
  const values: FacetRows['values'] = [];
  for (const r of rows) {
    if (r.facet === 'rows') tallied = Number(r.n);
    else values.push({ facet: r.facet as FacetName, value: r.value, count: Number(r.n) });
  }
  return { rows: tallied, values };
}
