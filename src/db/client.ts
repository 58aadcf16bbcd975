/**
 * @module Database drivers: postgres.js for a real PostgreSQL, PGlite (embedded, a folder on
 * disk) when no DATABASE_URL is given. Both satisfy the same drizzle `Db` type.
 */
import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { fileURLToPath } from 'node:url';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { boundPreparedStatements, PreparedStatementBudget } from './prepared-statements.js';
import * as schema from './schema/index.js';

export type Schema = typeof schema;
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

export interface DatabaseHandle {
  db: Db;
  driver: 'postgres' | 'pglite';
  /** Where it is, for the start-up line (no password). */
  describe: string;
  /** Applies the committed drizzle-kit migrations (src/db/migrations). */
  migrate(): Promise<void>;
  close(): Promise<void>;
}

export const MIGRATIONS_FOLDER = fileURLToPath(new URL('./migrations', import.meta.url));

/**
 * Queries that call drizzle's `.prepare()` (the hot reads in db/queries) become named prepared
 * statements, cached per connection by their text: postgres.js then skips the describe round trip
 * an unnamed statement with parameters needs. Each execution is still planned for its actual
 * parameters (force_custom_plan), so one skewed filter value never locks in a plan that is bad for
 * another. How many texts get a name is bounded (prepared-statements.ts); connections are
 * recycled every 15 minutes. `preparedStatements: false` makes every statement unnamed (PgBouncer).
 */
export function openPostgres(url: string, opts: { poolSize?: number; preparedStatements?: boolean; preparedStatementLimit?: number } = {}): DatabaseHandle {
  const prepare = opts.preparedStatements ?? true;
  const maxLifetimeSeconds = 15 * 60;
  const budget = new PreparedStatementBudget({ capacity: opts.preparedStatementLimit ?? 100, windowMs: maxLifetimeSeconds * 1000 });
  const client = boundPreparedStatements(
    postgres(url, {
      max: opts.poolSize ?? 10,
      onnotice: () => {},
      prepare,
      max_lifetime: maxLifetimeSeconds,
      ...(prepare ? { connection: { plan_cache_mode: 'force_custom_plan' } } : {}),
    }),
    budget,
  );
  const shown = new URL(url);
  shown.password = '';
  const db = drizzlePostgres(client, { schema });
  return {
    db,
    driver: 'postgres',
    migrate: () => migratePostgres(db, { migrationsFolder: MIGRATIONS_FOLDER }),
    describe: `postgres ${shown.host}${shown.pathname}`,
    close: () => client.end({ timeout: 5 }),
  };
}

export async function openPglite(dataDir: string | undefined): Promise<DatabaseHandle> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const client = dataDir ? new PGlite(dataDir) : new PGlite();
  await client.waitReady;
  const db = drizzlePglite(client, { schema });
  return {
    db,
    driver: 'pglite',
    migrate: () => migratePglite(db, { migrationsFolder: MIGRATIONS_FOLDER }),
    describe: dataDir ? `pglite ${dataDir}` : 'pglite (in memory)',
    close: () => client.close(),
  };
}
