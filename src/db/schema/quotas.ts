/** @module Per-project limits set by an admin, optionally for one artifact type. */
import { bigint, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';
import { lifecycleDates } from './columns.js';

export const quotas = pgTable(
  'quotas',
  {
    projectId: text('project_id').notNull(),
    /** max_artifact_number or max_uploaded_data. */
    quotaName: text('quota_name').notNull(),
    /** '' for a limit over all types. */
    typeName: text('type_name').notNull().default(''),
    /** -1 means unlimited. */
    value: bigint('value', { mode: 'number' }).notNull(),
    ...lifecycleDates,
  },
  (t) => [primaryKey({ columns: [t.projectId, t.quotaName, t.typeName] })],
);
