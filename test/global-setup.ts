/**
 * Migrates a template database once per run; each test file copies it into its own database.
 * The template's name is new each run, so runs from several checkouts can share one PostgreSQL.
 * Dropped at the end.
 */
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import type { TestProject } from 'vitest/node';
import { openPostgres } from '../src/db/client.js';
import { runMigrations } from '../src/db/migrate.js';
import { ADMIN_URL, databaseUrl } from './support/database.js';

export default async function setup(project: TestProject) {
  const template = `catalog_template_${randomBytes(4).toString('hex')}`;
  project.provide('catalogTemplate', template);
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`drop database if exists "${template}" with (force)`);
    await admin.unsafe(`create database "${template}"`);
    const handle = openPostgres(databaseUrl(template), { poolSize: 1 });
    await runMigrations(handle);
    await handle.close();
  } catch (err) {
    throw new Error(`cannot prepare the test template database at ${ADMIN_URL} (is PostgreSQL running?): ${(err as Error).message}`, { cause: err });
  } finally {
    await admin.end();
  }
  return async function teardown() {
    const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
    try {
      await admin.unsafe(`drop database if exists "${template}" with (force)`);
    } finally {
      await admin.end();
    }
  };
}
