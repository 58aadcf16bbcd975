/**
 * @module Facets of a list (the web catalog's "narrow by"): the most frequent types, tags,
 * licenses, providers and releases among what the list holds, as the actor sees it. Counting
 * every row of a broad list would read half the catalog, so at most `sampleLimit` rows are
 * tallied: exact counts when the list is no longer, else lower bounds, and said so.
 */
import { facetRows, FACETS, type FacetName } from '../db/queries/facets.js';
import type { ArtifactType } from './artifact-type.js';
import { conn, type OpContext } from './context.js';
import type { ListQuery } from './list-query.js';
import { sightOf } from './policy.js';

export interface FacetValue {
  value: string;
  count: number;
}

export type Facets = Record<FacetName, FacetValue[]>;

export interface FacetCounts {
  facets: Facets;
  /** Whether the counts cover the whole list; when not, each is a lower bound over `tallied` rows. */
  exact: boolean;
  tallied: number;
}

export async function countFacets(ctx: OpContext, intent: { type?: ArtifactType; query: Pick<ListQuery, 'filters' | 'anyOf'>; sampleLimit: number; top: number }): Promise<FacetCounts> {
  const found = await facetRows(conn(ctx), { typeName: intent.type?.name, query: { ...intent.query, latest: false }, sight: sightOf(ctx.actor), sampleLimit: intent.sampleLimit });
  const facets = Object.fromEntries(FACETS.map((f) => [f, [] as FacetValue[]])) as Facets;
  for (const v of found.values) facets[v.facet].push({ value: v.value, count: v.count });
  for (const f of FACETS) facets[f] = facets[f].sort((x, y) => y.count - x.count || x.value.localeCompare(y.value)).slice(0, intent.top);
  const exact = found.rows <= intent.sampleLimit;
  return { facets, exact, tallied: Math.min(found.rows, intent.sampleLimit) };
}
