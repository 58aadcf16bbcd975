/** @module Blob records: one row per blob field (or blob-dict key) of an artifact. */
import { sql } from 'drizzle-orm';
import { bigint, boolean, index, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { artifacts } from './artifacts.js';
import { lifecycleDates } from './columns.js';

export const artifactBlobs = pgTable(
  'artifact_blobs',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    artifactId: uuid('artifact_id')
      .notNull()
      .references(() => artifacts.id, { onDelete: 'cascade' }),
    field: text('field').notNull(),
    /** The blob-dict key, or '' for a plain blob field. */
    key: text('key').notNull().default(''),
    status: text('status', { enum: ['saving', 'active'] }).notNull(),
    external: boolean('external').notNull().default(false),
    /** For external blobs: where the bytes are. */
    url: text('url'),
    size: bigint('size', { mode: 'number' }),
    md5: text('md5'),
    sha1: text('sha1'),
    sha256: text('sha256'),
    contentType: text('content_type'),
    /** Which configured blob store holds the bytes, and where in it. */
    store: text('store'),
    locator: text('locator'),
    /**
     * While `saving`: until when the upload counts as running. The process writing the bytes
     * moves it forward (a heartbeat); once it has passed, no live process holds the upload and
     * the row may be reclaimed. Null once active.
     */
    leaseExpiresAt: timestamp('lease_expires_at', { withTimezone: true, mode: 'date' }),
    ...lifecycleDates,
  },
  (t) => [
    uniqueIndex('artifact_blobs_slot_unique').on(t.artifactId, t.field, t.key),
    index('artifact_blobs_locator_idx').on(t.store, t.locator),
    index('artifact_blobs_saving_lease_idx').on(t.leaseExpiresAt).where(sql`status = 'saving'`),
  ],
);

export type BlobRow = typeof artifactBlobs.$inferSelect;
