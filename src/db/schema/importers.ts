/** @module Import runs: what an import job was given, how far it got, and what it reported. */
import { integer, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { lifecycleDates } from './columns.js';

export const IMPORT_RUN_STATUSES = ['queued', 'running', 'done', 'failed'] as const;

export const importRuns = pgTable('import_runs', {
  id: uuid('id').primaryKey().defaultRandom(),
  kind: text('kind').notNull(),
  /** The project the imported artifacts belong to. */
  project: text('project').notNull(),
  requestedBy: text('requested_by').notNull(),
  status: text('status', { enum: IMPORT_RUN_STATUSES }).notNull().default('queued'),
  /** The file as it was posted: the job reads it from here, so a retried job reads the same. */
  source: text('source').notNull(),
  done: integer('done').notNull().default(0),
  total: integer('total').notNull().default(0),
  report: jsonb('report'),
  error: text('error'),
  ...lifecycleDates,
  finishedAt: timestamp('finished_at', { withTimezone: true, mode: 'date' }),
});
