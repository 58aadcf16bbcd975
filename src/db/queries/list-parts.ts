/**
 * @module Lists ordered by one computed key (relevance, downloads, rating), read in parts.
 *
 * Sorting every match by a computed value visits every match: at 100k artifacts a word found in
 * 5% of them is thousands of heap rows (and a ts_rank each) for a page of 20. Each such order is
 * instead a sequence of parts, every part's rows ordered by an index that serves them:
 *
 * - relevance: one part per tier (predicates.ts SEARCH_TIERS): the rows matching within the
 *   tier's weights and not within the tier before, newest first (created_at, id), which the
 *   tier's GIN index (few matches) or the created_at index (many) serves;
 * - downloads: the artifacts with a download total, by the totals' (downloads, artifact_id)
 *   index, then those never downloaded (0), by id;
 * - rating: the names with ratings, by the totals' average index, then the unrated (0), by id.
 *
 * The parts are disjoint, cover the list, and follow one another in the list's order (the
 * direction reverses them), so a page is the first part's rows after the marker, then the next
 * part's, until the page is full: a page of common words reads about a page of rows.
 */
import { and, asc, desc, eq, gt, lt, not, sql, type SQL } from 'drizzle-orm';
import type { SortKey } from '../../artifacts/list-query.js';
import { artifactDownloadTotals, artifactRatingTotals, artifacts } from '../schema/index.js';
import { averageRatingExpr, matchesWithinTier, SEARCH_TIERS } from './predicates.js';

export interface ListPart {
  /** The rows of the list's scope this part holds, after the marker when the marker is in it. */
  where: SQL;
  /** Where the rows come from beside artifacts, to order by. */
  join?: 'download_totals' | 'rating_totals';
  orderBy: SQL[];
}

export interface PartedOrder {
  /** Relevance parts each hold their own tier's match: the list's search filter with these words is left to them. */
  searchWords?: readonly string[];
  parts: ListPart[];
}

type Direction = 'asc' | 'desc';

const ordered = (dir: Direction, ...exprs: SQL[]) => exprs.map((e) => (dir === 'asc' ? asc(e) : desc(e)));

/** `(a, b) > (x, y)` ascending, `<` descending: strictly after in that order; a btree on (a, b) starts there. */
function rowAfter(dir: Direction, columns: SQL[], values: SQL[]): SQL {
  return sql`(${sql.join(columns, sql`, `)}) ${sql.raw(dir === 'asc' ? '>' : '<')} (${sql.join(values, sql`, `)})`;
}

const idAfter = (dir: Direction, id: string) => (dir === 'asc' ? gt(artifacts.id, id) : lt(artifacts.id, id));

/**
 * The parts of a list sorted by `sort`, when it is one computed key; the marker (its values of
 * predicates.ts orderTerms, and its id) drops the parts before it and starts its own part after it.
 * Undefined: read the list in one statement.
 */
export function partedOrder(sort: readonly SortKey[], marker?: { values: readonly unknown[]; id: string }): PartedOrder | undefined {
  const [key] = sort;
  if (sort.length !== 1 || !key || !('computed' in key)) return undefined;
  const dir = key.direction;
  // Best first for desc: the parts in the order they come in descending; ascending reverses it.
  const inOrder = (parts: ListPart[], markerPart: number | undefined, markerWhere: SQL | undefined): ListPart[] => {
    const list = dir === 'desc' ? parts : [...parts].reverse();
    if (markerPart === undefined) return list;
    const at = list.indexOf(parts[markerPart]!);
    return list.slice(at).map((p, i) => (i === 0 && markerWhere ? { ...p, where: and(p.where, markerWhere)! } : p));
  };

  switch (key.computed.by) {
    case 'relevance': {
      const words = key.computed.words;
      const tiers = [...SEARCH_TIERS.keys(), SEARCH_TIERS.length];
      const parts = tiers.map(
        (tier): ListPart => ({
          where: tier === 0 ? matchesWithinTier(words, 0, true) : and(matchesWithinTier(words, tier, true), not(matchesWithinTier(words, tier - 1)))!,
          orderBy: ordered(dir, sql`${artifacts.createdAt}`, sql`${artifacts.id}`),
        }),
      );
      // The marker's values: its tier's score (predicates.ts relevanceScore), then its created_at.
      const markerPart = marker ? SEARCH_TIERS.length + 1 - Number(marker.values[0]) : undefined;
      const markerWhere = marker ? rowAfter(dir, [sql`${artifacts.createdAt}`, sql`${artifacts.id}`], [sql`${String(marker.values[1])}::timestamptz`, sql`${marker.id}::uuid`]) : undefined;
      return { searchWords: words, parts: inOrder(parts, markerPart, markerWhere) };
    }
    case 'downloads': {
      const t = artifactDownloadTotals;
      const downloaded: ListPart = { join: 'download_totals', where: gt(t.downloads, 0), orderBy: ordered(dir, sql`${t.downloads}`, sql`${t.artifactId}`) };
      const never: ListPart = {
        where: sql`not exists (select 1 from ${t} where ${t.artifactId} = ${artifacts.id} and ${t.downloads} > 0)`,
        orderBy: ordered(dir, sql`${artifacts.id}`),
      };
      if (!marker) return { parts: inOrder([downloaded, never], undefined, undefined) };
      const count = Number(marker.values[0]);
      return count > 0
        ? { parts: inOrder([downloaded, never], 0, rowAfter(dir, [sql`${t.downloads}`, sql`${t.artifactId}`], [sql`${count}::bigint`, sql`${marker.id}::uuid`])) }
        : { parts: inOrder([downloaded, never], 1, idAfter(dir, marker.id)) };
    }
    case 'rating': {
      const r = artifactRatingTotals;
      const rated: ListPart = { join: 'rating_totals', where: gt(r.ratings, 0), orderBy: ordered(dir, averageRatingExpr, sql`${artifacts.id}`) };
      const unrated: ListPart = {
        where: sql`not exists (select 1 from ${r} where ${r.typeName} = ${artifacts.typeName} and ${r.owner} = ${artifacts.owner} and ${r.name} = ${artifacts.name} and ${r.ratings} > 0)`,
        orderBy: ordered(dir, sql`${artifacts.id}`),
      };
      if (!marker) return { parts: inOrder([rated, unrated], undefined, undefined) };
      const average = Number(marker.values[0]);
      if (!(average > 0)) return { parts: inOrder([rated, unrated], 1, idAfter(dir, marker.id)) };
      // The average index starts the walk at the marker's average; the id orders within it.
      const from = sql`${averageRatingExpr} ${sql.raw(dir === 'asc' ? '>=' : '<=')} ${average}::double precision`;
      const beyond = sql`(${averageRatingExpr} ${sql.raw(dir === 'asc' ? '>' : '<')} ${average}::double precision or ${idAfter(dir, marker.id)})`;
      return { parts: inOrder([rated, unrated], 0, and(from, beyond)) };
    }
  }
}

/** The join a part orders by. */
export function partJoin(join: NonNullable<ListPart['join']>): { table: typeof artifactDownloadTotals | typeof artifactRatingTotals; on: SQL } {
  if (join === 'download_totals') return { table: artifactDownloadTotals, on: eq(artifactDownloadTotals.artifactId, artifacts.id) };
  const r = artifactRatingTotals;
  return { table: r, on: and(eq(r.typeName, artifacts.typeName), eq(r.owner, artifacts.owner), eq(r.name, artifacts.name))! };
}
