/**
 * @module What every artifact shows of its community data: its name's average rating and count,
 * and its downloads. One query each for a whole page of artifacts.
 */
import type { Artifact } from '../artifacts/artifact.js';
import { conn, type OpContext } from '../artifacts/context.js';
import { downloadTotals, ratingTotals, ratingTotalsOf, type RatingTotals } from '../db/queries/community.js';
import { nameOf } from './target.js';

export interface CommunitySummary {
  rating: RatingTotals;
  downloads: number;
}

/** Summaries of artifacts the caller has already been shown, by artifact id. */
export async function communitySummaries(ctx: OpContext, shown: readonly Artifact[]): Promise<Map<string, CommunitySummary>> {
  const names = [...new Map(shown.map((a) => [`${a.typeName}/${a.owner}/${a.name}`, nameOf(a)])).values()];
  const [ratings, downloads] = await Promise.all([ratingTotals(conn(ctx), names), downloadTotals(conn(ctx), shown.map((a) => a.id))]);
  return new Map(shown.map((a) => [a.id, { rating: ratingTotalsOf(ratings, nameOf(a)), downloads: downloads.get(a.id) ?? 0 }]));
}
