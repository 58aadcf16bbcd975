/** @module Runs of a type upgrade (dry or real): what the job has done so far, readable while it runs. */
import { sql } from 'drizzle-orm';
import { boolean, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { lifecycleDates } from './columns.js';

export const TYPE_UPGRADE_STATUSES = ['queued', 'running', 'done', 'failed'] as const;

/** One artifact the upgrade could not carry over, and why. */
export interface UpgradeFailureRow {
  id: string;
  name: string;
  version: string;
  typeVersion: string;
  reason: string;
}

export const ONE_UNFINISHED_UPGRADE_INDEX = 'type_upgrades_one_unfinished_per_type';

export const typeUpgrades = pgTable(
  'type_upgrades',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    typeName: text('type_name').notNull(),
    /** The version artifacts are carried to. */
    targetVersion: text('target_version').notNull(),
    dryRun: boolean('dry_run').notNull(),
    status: text('status', { enum: TYPE_UPGRADE_STATUSES }).notNull().default('queued'),
    /** Artifacts not at the target version when the run started (or resumed). */
    total: integer('total').notNull().default(0),
    processed: integer('processed').notNull().default(0),
    /** Upgraded (a dry run: would be). */
    changed: integer('changed').notNull().default(0),
    failed: integer('failed').notNull().default(0),
    /** The first failures, with their reasons (`failed` counts them all). */
    failures: jsonb('failures').$type<UpgradeFailureRow[]>().notNull().default([]),
    /** The last artifact id handled: a resumed run goes on after it. */
    cursor: uuid('cursor'),
    /** How many times the run was started: each start is a job of its own. */
    starts: integer('starts').notNull().default(1),
    error: text('error'),
    startedAt: timestamp('started_at', { withTimezone: true, mode: 'date' }),
    finishedAt: timestamp('finished_at', { withTimezone: true, mode: 'date' }),
    ...lifecycleDates,
  },
  (t) => [
    /** One real upgrade of a type at a time: two would race over the same artifacts' counts. */
    uniqueIndex(ONE_UNFINISHED_UPGRADE_INDEX).on(t.typeName).where(sql`not dry_run and status in ('queued', 'running')`),
    index('type_upgrades_type_created_idx').on(t.typeName, t.createdAt),
  ],
);

export type TypeUpgradeRow = typeof typeUpgrades.$inferSelect;
