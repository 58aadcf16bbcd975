/** @module Ratings, comments and download counts: the SQL of src/community/. */
import { and, asc, desc, eq, gt, gte, inArray, isNull, lte, or, sql, sum } from 'drizzle-orm';
import type { Db, Tx } from '../client.js';
import { artifactComments, artifactDownloadDays, artifactDownloadTotals, artifactRatings, artifactRatingTotals, artifacts } from '../schema/index.js';

type Conn = Db | Tx;

/** What ratings and comments belong to: an artifact's name in its owner's project (every version shares them). */
export interface NameKey {
  typeName: string;
  owner: string;
  name: string;
}

export interface RatingTotals {
  count: number;
  /** Undefined while nobody has rated. */
  average?: number;
}

/**
 * Serialises rating changes of one name for the rest of the transaction, so the totals are
 * computed from every committed rating, never from a snapshot missing a concurrent one.
 */
async function lockName(tx: Tx, key: NameKey): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${JSON.stringify(['rating', key.typeName, key.owner, key.name])}, 0))`);
}

async function refreshRatingTotals(tx: Tx, key: NameKey): Promise<void> {
  await tx.execute(sql`
    insert into ${artifactRatingTotals} (type_name, owner, name, score_sum, ratings)
    select ${key.typeName}, ${key.owner}, ${key.name}, coalesce(sum(score), 0), count(*) from ${artifactRatings}
    where ${artifactRatings.typeName} = ${key.typeName} and ${artifactRatings.owner} = ${key.owner} and ${artifactRatings.name} = ${key.name}
    on conflict (type_name, owner, name) do update set score_sum = excluded.score_sum, ratings = excluded.ratings`);
}

/** Sets (or replaces) `userId`'s rating of the name; keeps the name's totals with it. */
export async function upsertRating(tx: Tx, key: NameKey & { userId: string; score: number; now: Date }): Promise<void> {
  await lockName(tx, key);
  await tx
    .insert(artifactRatings)
    .values({ typeName: key.typeName, owner: key.owner, name: key.name, userId: key.userId, score: key.score, createdAt: key.now, updatedAt: key.now })
    .onConflictDoUpdate({ target: [artifactRatings.typeName, artifactRatings.owner, artifactRatings.name, artifactRatings.userId], set: { score: key.score, updatedAt: key.now } });
  await refreshRatingTotals(tx, key);
}

/** Removes `userId`'s rating of the name, if any; true when there was one. */
export async function deleteRating(tx: Tx, key: NameKey & { userId: string }): Promise<boolean> {
  await lockName(tx, key);
  const removed = await tx
    .delete(artifactRatings)
    .where(and(eq(artifactRatings.typeName, key.typeName), eq(artifactRatings.owner, key.owner), eq(artifactRatings.name, key.name), eq(artifactRatings.userId, key.userId)))
    .returning({ userId: artifactRatings.userId });
  if (removed.length > 0) await refreshRatingTotals(tx, key);
  return removed.length > 0;
}

export async function findUserRating(db: Conn, key: NameKey & { userId: string }): Promise<number | undefined> {
  const [row] = await db
    .select({ score: artifactRatings.score })
    .from(artifactRatings)
    .where(and(eq(artifactRatings.typeName, key.typeName), eq(artifactRatings.owner, key.owner), eq(artifactRatings.name, key.name), eq(artifactRatings.userId, key.userId)));
  return row?.score;
}

const keyOf = (k: NameKey) => `${k.typeName}\u0000${k.owner}\u0000${k.name}`;

/** Rating totals of several names at once (a page of a list), keyed by type and name. */
export async function ratingTotals(db: Conn, keys: readonly NameKey[]): Promise<Map<string, RatingTotals>> {
  const found = new Map<string, RatingTotals>();
  if (keys.length === 0) return found;
  const rows = await db
    .select()
    .from(artifactRatingTotals)
    .where(or(...keys.map((k) => and(eq(artifactRatingTotals.typeName, k.typeName), eq(artifactRatingTotals.owner, k.owner), eq(artifactRatingTotals.name, k.name)))));
  for (const r of rows) {
    found.set(keyOf(r), r.ratings > 0 ? { count: r.ratings, average: r.scoreSum / r.ratings } : { count: 0 });
  }
  return found;
}

export function ratingTotalsOf(totals: ReadonlyMap<string, RatingTotals>, key: NameKey): RatingTotals {
  return totals.get(keyOf(key)) ?? { count: 0 };
}

export type CommentRow = typeof artifactComments.$inferSelect;

export async function insertComment(db: Conn, row: NameKey & { authorId: string; authorProject: string; body: string; now: Date }): Promise<CommentRow> {
  const [inserted] = await db
    .insert(artifactComments)
    .values({ typeName: row.typeName, owner: row.owner, name: row.name, authorId: row.authorId, authorProject: row.authorProject, body: row.body, createdAt: row.now, updatedAt: row.now })
    .returning();
  return inserted!;
}

export async function findComment(db: Conn, key: NameKey & { id: string }): Promise<CommentRow | undefined> {
  const [row] = await db
    .select()
    .from(artifactComments)
    .where(and(eq(artifactComments.id, key.id), eq(artifactComments.typeName, key.typeName), eq(artifactComments.owner, key.owner), eq(artifactComments.name, key.name)));
  return row;
}

export async function updateComment(db: Conn, id: string, changes: Partial<Pick<CommentRow, 'body' | 'editedAt' | 'hiddenAt' | 'hiddenBy' | 'updatedAt'>>): Promise<CommentRow | undefined> {
  const [row] = await db.update(artifactComments).set(changes).where(eq(artifactComments.id, id)).returning();
  return row;
}

export async function deleteComment(db: Conn, id: string): Promise<void> {
  await db.delete(artifactComments).where(eq(artifactComments.id, id));
}

/** Oldest first, keyset-paged after (createdAt, id) of the previous page's last comment. */
export async function listCommentRows(
  db: Conn,
  q: NameKey & { includeHidden: boolean; limit: number; after?: { createdAt: Date; id: string } },
): Promise<CommentRow[]> {
  const c = artifactComments;
  return db
    .select()
    .from(c)
    .where(
      and(
        eq(c.typeName, q.typeName),
        eq(c.owner, q.owner),
        eq(c.name, q.name),
        q.includeHidden ? undefined : isNull(c.hiddenAt),
        q.after ? or(gt(c.createdAt, q.after.createdAt), and(eq(c.createdAt, q.after.createdAt), gt(c.id, q.after.id))) : undefined,
      ),
    )
    .orderBy(asc(c.createdAt), asc(c.id))
    .limit(q.limit);
}

export async function countComments(db: Conn, q: NameKey & { includeHidden: boolean }): Promise<number> {
  const c = artifactComments;
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(c)
    .where(and(eq(c.typeName, q.typeName), eq(c.owner, q.owner), eq(c.name, q.name), q.includeHidden ? undefined : isNull(c.hiddenAt)));
  return Number(row?.n ?? 0);
}

export interface DownloadIncrement {
  artifactId: string;
  /** UTC day, YYYY-MM-DD. */
  day: string;
  downloads: number;
}

/**
 * Adds a batch of counts in one statement: to each artifact's day and to its total. Counts of
 * artifacts deleted since they were downloaded are dropped with them.
 */
export async function addDownloads(db: Conn, batch: readonly DownloadIncrement[], now: Date): Promise<void> {
  if (batch.length === 0) return;
  // One JSON parameter, which every driver passes the same way, whatever the batch's size.
  const rows = JSON.stringify(batch.map((b) => ({ artifact_id: b.artifactId, day: b.day, downloads: b.downloads })));
  await db.execute(sql`
    with batch as (
      select b.artifact_id, b.day, b.downloads from jsonb_to_recordset(${rows}::jsonb) as b(artifact_id uuid, day date, downloads bigint)
      where exists (select 1 from ${artifacts} where ${artifacts.id} = b.artifact_id)
    ), per_day as (
      insert into ${artifactDownloadDays} (artifact_id, day, downloads) select artifact_id, day, downloads from batch
      on conflict (artifact_id, day) do update set downloads = ${artifactDownloadDays.downloads} + excluded.downloads
    )
    insert into ${artifactDownloadTotals} (artifact_id, downloads, last_download_at)
    select artifact_id, sum(downloads), ${now.toISOString()}::timestamptz from batch group by artifact_id
    on conflict (artifact_id) do update set downloads = ${artifactDownloadTotals.downloads} + excluded.downloads, last_download_at = excluded.last_download_at`);
}

/** All-time downloads of several artifacts (a page of a list), by id; absent means none. */
export async function downloadTotals(db: Conn, artifactIds: readonly string[]): Promise<Map<string, number>> {
  if (artifactIds.length === 0) return new Map();
  const rows = await db
    .select({ id: artifactDownloadTotals.artifactId, downloads: artifactDownloadTotals.downloads })
    .from(artifactDownloadTotals)
    .where(inArray(artifactDownloadTotals.artifactId, [...artifactIds]));
  return new Map(rows.map((r) => [r.id, r.downloads]));
}

export interface DownloadStatsRow {
  total: number;
  lastDownloadAt: Date | null;
  days: Array<{ day: string; downloads: number }>;
  /** Every version of the artifact's name together. */
  nameTotal: number;
}

export async function findDownloadStats(db: Conn, q: NameKey & { artifactId: string; from: string; to: string }): Promise<DownloadStatsRow> {
  const [days, [total], [nameTotal]] = await Promise.all([
    db
      .select({ day: artifactDownloadDays.day, downloads: artifactDownloadDays.downloads })
      .from(artifactDownloadDays)
      .where(and(eq(artifactDownloadDays.artifactId, q.artifactId), gte(artifactDownloadDays.day, q.from), lte(artifactDownloadDays.day, q.to)))
      .orderBy(desc(artifactDownloadDays.day)),
    db.select().from(artifactDownloadTotals).where(eq(artifactDownloadTotals.artifactId, q.artifactId)),
    db
      .select({ n: sum(artifactDownloadTotals.downloads) })
      .from(artifactDownloadTotals)
      .innerJoin(artifacts, eq(artifacts.id, artifactDownloadTotals.artifactId))
      .where(and(eq(artifacts.typeName, q.typeName), eq(artifacts.owner, q.owner), eq(artifacts.name, q.name))),
  ]);
  return { total: total?.downloads ?? 0, lastDownloadAt: total?.lastDownloadAt ?? null, days, nameTotal: Number(nameTotal?.n ?? 0) };
}
