/**
 * @module References as rows: every link an artifact holds (link, link-list and link-dict
 * fields), so the catalog answers "what depends on X" with an index, not a scan of every
 * artifact's fields.
 */
import { index, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core';
import { artifacts } from './artifacts.js';

export const BROKEN_REASONS = ['deleted', 'deactivated'] as const;

export const artifactReferences = pgTable(
  'artifact_references',
  {
    fromId: uuid('from_id')
      .notNull()
      .references(() => artifacts.id, { onDelete: 'cascade' }),
    field: text('field').notNull(),
    /** The list index or dict key; '' for a plain link field. */
    key: text('key').notNull().default(''),
    /** The link as written: /artifacts/<type>/<id> or a URL. */
    link: text('link').notNull(),
    /** The artifact an internal link names. No foreign key: the target may go (policy `allow`) and the row stays, broken. */
    targetId: uuid('target_id'),
    /** The target's ArtifactRef when the link was made, meaningful on any node. */
    targetOrigin: text('target_origin'),
    targetType: text('target_type'),
    targetOwner: text('target_owner'),
    targetName: text('target_name'),
    targetVersion: text('target_version'),
    /** Why the target no longer serves, when it does not. */
    broken: text('broken', { enum: BROKEN_REASONS }),
  },
  (t) => [primaryKey({ columns: [t.fromId, t.field, t.key] }), index('artifact_references_target_idx').on(t.targetId)],
);

export type ReferenceRow = typeof artifactReferences.$inferSelect;
