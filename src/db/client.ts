/**
 * @module Database drivers: postgres.js for a real PostgreSQL, PGlite (embedded, a folder on
 * disk) when no DATABASE_URL is given. Both satisfy the same drizzle `Db` type.
 */
import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import * as schema from './schema/index.js';

export type Schema = typeof schema;
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

export interface DatabaseHandle {
  db: Db;
  driver: 'postgres' | 'pglite';
  /** Where it is, for the start-up line (no password). */
  describe: string;
  close(): Promise<void>;
}

export function openPostgres(url: string, opts: { poolSize?: number } = {}): DatabaseHandle {
  const client = postgres(url, { max: opts.poolSize ?? 10, onnotice: () => {} });
  const shown = new URL(url);
  shown.password = '';
  return {
    db: drizzlePostgres(client, { schema }) as unknown as Db,
    driver: 'postgres',
    describe: `postgres ${shown.host}${shown.pathname}`,
    close: () => client.end({ timeout: 5 }),
  };
}

export async function openPglite(dataDir: string | undefined): Promise<DatabaseHandle> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const client = dataDir ? new PGlite(dataDir) : new PGlite();
  await client.waitReady;
  return {
    db: drizzlePglite(client, { schema }) as unknown as Db,
    driver: 'pglite',
    describe: dataDir ? `pglite ${dataDir}` : 'pglite (in memory)',
    close: () => client.close(),
  };
}
