/** Migrates `catalog_template` once per run; each test file copies it into its own database. Dropped at the end. */
import postgres from 'postgres';
import { openPostgres } from '../src/db/client.js';
import { runMigrations } from '../src/db/migrate.js';
import { ADMIN_URL, TEMPLATE, databaseUrl } from './support/database.js';

export default async function setup() {
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`drop database if exists "${TEMPLATE}" with (force)`);
    await admin.unsafe(`create database "${TEMPLATE}"`);
    const handle = openPostgres(databaseUrl(TEMPLATE), { poolSize: 1 });
    await runMigrations(handle);
    await handle.close();
  } catch (err) {
    throw new Error(`cannot prepare the test template database at ${ADMIN_URL} (is PostgreSQL running?): ${(err as Error).message}`);
  } finally {
    await admin.end();
  }
  return async function teardown() {
    const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
    try {
      await admin.unsafe(`drop database if exists "${TEMPLATE}" with (force)`);
    } finally {
      await admin.end();
    }
  };
}
