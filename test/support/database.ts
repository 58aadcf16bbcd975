/** A private PostgreSQL database per test file, copied from the migrated template. */
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { inject } from 'vitest';
import { openPostgres, type DatabaseHandle } from '../../src/db/client.js';

export const ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The migrated template database of this run (test/global-setup.ts). */
    catalogTemplate: string;
  }
}

export function databaseUrl(name: string): string {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return url.href;
}

export async function createTestDatabase(): Promise<DatabaseHandle & { name: string; url: string; drop(): Promise<void> }> {
  const name = `t_${randomBytes(6).toString('hex')}`;
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}" template "${inject('catalogTemplate')}"`);
  const url = databaseUrl(name);
  const handle = openPostgres(url, { poolSize: 4 });
  return {
    ...handle,
    name,
    url,
    async drop() {
      await handle.close();
      await admin.unsafe(`drop database if exists "${name}" with (force)`);
      await admin.end();
    },
  };
}

/** The same database as a handle whose close leaves it open: for a test that starts several nodes over it in turn. */
export function keptOpen(database: DatabaseHandle): DatabaseHandle {
  return { db: database.db, driver: database.driver, describe: database.describe, migrate: database.migrate, close: async () => {} };
}
