/** @module Blob records: one row per blob field (or blob-dict key) of an artifact. */
import { bigint, boolean, index, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
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
    ...lifecycleDates,
  },
  (t) => [
    uniqueIndex('artifact_blobs_slot_unique').on(t.artifactId, t.field, t.key),
    index('artifact_blobs_locator_idx').on(t.store, t.locator),
  ],
);

export type BlobRow = typeof artifactBlobs.$inferSelect;
