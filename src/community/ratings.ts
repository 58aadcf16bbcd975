/**
 * @module Ratings: 1 to 5 stars, one per user per artifact name, changeable and removable. The
 * average and count are kept beside the ratings, in the same transaction, so every artifact
 * shows them (and lists sort by them) by reading one row.
 */
import type { Artifact } from '../artifacts/artifact.js';
import { conn, withTransaction, type OpContext } from '../artifacts/context.js';
import { deleteRating, findUserRating, ratingTotals, ratingTotalsOf, upsertRating, type RatingTotals } from '../db/queries/community.js';
import { BadRequest, NotFound } from '../errors.js';
import { contributedArtifact, contributor, nameOf, seenArtifact, type CommunityTarget, type NameOf } from './target.js';

export const MIN_SCORE = 1;
export const MAX_SCORE = 5;

export interface RatingSummary extends RatingTotals {
  /** The calling user's own rating, when they have one. */
  mine?: number;
}

async function summary(ctx: OpContext, key: NameOf): Promise<RatingSummary> {
  const totals = ratingTotalsOf(await ratingTotals(conn(ctx), [key]), key);
  if (ctx.actor.kind !== 'user') return totals;
  const mine = await findUserRating(conn(ctx), { ...key, userId: ctx.actor.userId });
  return mine === undefined ? totals : { ...totals, mine };
}

/** The artifact name's average and count (and the caller's own rating). */
export async function ratingOf(ctx: OpContext, target: CommunityTarget): Promise<RatingSummary> {
  return summary(ctx, nameOf(await seenArtifact(ctx, target)));
}

/** ratingOf an artifact the caller has already been shown (read with showArtifact for this actor). */
export function ratingOfShown(ctx: OpContext, artifact: Artifact): Promise<RatingSummary> {
  return summary(ctx, nameOf(artifact));
}

/** Sets the calling user's rating of the artifact's name (replacing an earlier one). */
export async function rate(ctx: OpContext, target: CommunityTarget & { score: number }): Promise<RatingSummary> {
  if (!Number.isInteger(target.score) || target.score < MIN_SCORE || target.score > MAX_SCORE) {
    throw new BadRequest(`a rating is a whole number from ${MIN_SCORE} to ${MAX_SCORE}`);
  }
  const { user, artifact } = await contributedArtifact(ctx, target, 'rate artifacts');
  const key = nameOf(artifact);
  await withTransaction(ctx, (tx) => upsertRating(tx.tx, { ...key, userId: user.userId, score: target.score, now: tx.now() }));
  return summary(ctx, key);
}

/** Removes the calling user's rating; NotFound when they had none. */
export async function unrate(ctx: OpContext, target: CommunityTarget): Promise<RatingSummary> {
  const user = contributor(ctx.actor, 'rate artifacts');
  const key = nameOf(await seenArtifact(ctx, target));
  const removed = await withTransaction(ctx, (tx) => deleteRating(tx.tx, { ...key, userId: user.userId }));
  if (!removed) throw new NotFound('you have not rated this artifact');
  return summary(ctx, key);
}
