/**
 * @module Community data: ratings and comments (per artifact name, that is type, owner and name:
 * they carry over from version to version, and never mix two projects' artifacts of one name)
 * and download counts (per artifact, that is per version, and per day).
 */
import { sql } from 'drizzle-orm';
import { bigint, check, date, index, pgTable, primaryKey, smallint, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { artifacts } from './artifacts.js';
import { lifecycleDates } from './columns.js';

/** One rating per user per artifact name; changing it replaces it. */
export const artifactRatings = pgTable(
  'artifact_ratings',
  {
    typeName: text('type_name').notNull(),
    owner: text('owner').notNull(),
    name: text('name').notNull(),
    userId: text('user_id').notNull(),
    score: smallint('score').notNull(),
    ...lifecycleDates,
  },
  (t) => [primaryKey({ columns: [t.typeName, t.owner, t.name, t.userId] }), check('artifact_ratings_score_range', sql`${t.score} between 1 and 5`)],
);

/**
 * Sum and count of the ratings of a name, kept in the transaction that changes a rating (under
 * a lock per name), so showing and sorting by the average reads one row.
 */
export const artifactRatingTotals = pgTable(
  'artifact_rating_totals',
  {
    typeName: text('type_name').notNull(),
    owner: text('owner').notNull(),
    name: text('name').notNull(),
    scoreSum: bigint('score_sum', { mode: 'number' }).notNull(),
    ratings: bigint('ratings', { mode: 'number' }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.typeName, t.owner, t.name] }),
    /** Lists sorted by rating walk the rated names best first (db/queries/list-parts.ts); the expression is averageRatingExpr's. */
    index('artifact_rating_totals_average_idx').on(sql`(score_sum::double precision / ratings)`).where(sql`ratings > 0`),
  ],
);

/** Flat comments on an artifact name. Bodies are plain text; whoever renders them escapes them. */
export const artifactComments = pgTable(
  'artifact_comments',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    typeName: text('type_name').notNull(),
    owner: text('owner').notNull(),
    name: text('name').notNull(),
    authorId: text('author_id').notNull(),
    authorProject: text('author_project').notNull(),
    body: text('body').notNull(),
    ...lifecycleDates,
    /** Set when the body was edited after posting. */
    editedAt: timestamp('edited_at', { withTimezone: true, mode: 'date' }),
    /** Set when an admin hid it: only admins see it then. */
    hiddenAt: timestamp('hidden_at', { withTimezone: true, mode: 'date' }),
    hiddenBy: text('hidden_by'),
  },
  (t) => [index('artifact_comments_name_created_idx').on(t.typeName, t.owner, t.name, t.createdAt, t.id)],
);

/** Downloads of an artifact per UTC day, added to in batches (community/downloads.ts). */
export const artifactDownloadDays = pgTable(
  'artifact_download_days',
  {
    artifactId: uuid('artifact_id')
      .notNull()
      .references(() => artifacts.id, { onDelete: 'cascade' }),
    day: date('day', { mode: 'string' }).notNull(),
    downloads: bigint('downloads', { mode: 'number' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.artifactId, t.day] })],
);

/** All-time downloads of an artifact, kept with the daily rows, so lists sort by it cheaply. */
export const artifactDownloadTotals = pgTable(
  'artifact_download_totals',
  {
    artifactId: uuid('artifact_id')
      .primaryKey()
      .references(() => artifacts.id, { onDelete: 'cascade' }),
    downloads: bigint('downloads', { mode: 'number' }).notNull(),
    lastDownloadAt: timestamp('last_download_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  /** Lists sorted by downloads walk it in order, ties by artifact id (db/queries/list-parts.ts). */
  (t) => [index('artifact_download_totals_downloads_idx').on(t.downloads, t.artifactId)],
);
