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
import { Unavailable } from '../errors.js';
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
export interface PostgresOptions {
  poolSize?: number;
  preparedStatements?: boolean;
  preparedStatementLimit?: number;
  /** How long opening a connection may take before the query waiting for it fails (default 5). */
  connectTimeoutSeconds?: number;
  /** PostgreSQL's statement_timeout for every statement of this pool, in ms (default 0: none; main.ts passes the config's). */
  statementTimeoutMs?: number;
}

/**
 * During an outage a query fails at the latest after the connect timeout (the server or the
 * network is gone) or the statement timeout (the server is there but does not finish): requests
 * then answer 503 (see `unavailableError`) instead of hanging, and the pool reconnects by itself
 * on the next query once PostgreSQL answers again.
 */
export function openPostgres(url: string, opts: PostgresOptions = {}): DatabaseHandle {
  const prepare = opts.preparedStatements ?? true;
  const maxLifetimeSeconds = 15 * 60;
  const statementTimeoutMs = opts.statementTimeoutMs ?? 0;
  const sizes = splitPool(opts.poolSize ?? 10, prepare);
  const pool = (planCacheMode: 'force_custom_plan' | 'force_generic_plan', max: number) =>
    boundPreparedStatements(
      postgres(url, {
        max,
        onnotice: () => {},
        prepare,
        max_lifetime: maxLifetimeSeconds,
        connect_timeout: opts.connectTimeoutSeconds ?? 5,
        connection: {
          ...(statementTimeoutMs > 0 ? { statement_timeout: statementTimeoutMs } : {}),
          ...(prepare ? { plan_cache_mode: planCacheMode } : {}),
          // The node's statements are short; JIT compiling one costs seconds where running it costs
          // milliseconds (the resolver's recursive query, estimated large, paid 4.6 s for a 1 ms run).
          jit: 'off',
          // Nor in parallel: starting workers costs more than a page read saves, and on a busy host
          // far more (a 1,280-row bitmap scan of a search took 31 ms with two workers, 1.6 ms without).
          max_parallel_workers_per_gather: '0',
        },
      }),
      new PreparedStatementBudget({ capacity: opts.preparedStatementLimit ?? 100, windowMs: maxLifetimeSeconds * 1000 }),
    );
  const client = pool('force_custom_plan', sizes.main);
  const shown = new URL(url);
  shown.password = '';
  const db = drizzlePostgres(client, { schema });
  // Its connections open only when a statement first needs one, as the main pool's do.
  const genericClient = sizes.generic > 0 ? pool('force_generic_plan', sizes.generic) : undefined;
  if (genericClient) genericTwins.set(db, drizzlePostgres(genericClient, { schema }));
  return {
    db,
    driver: 'postgres',
    migrate: () => migratePostgres(db, { migrationsFolder: MIGRATIONS_FOLDER }),
    describe: `postgres ${shown.host}${shown.pathname}`,
    close: async () => {
      await Promise.all([client.end({ timeout: 5 }), genericClient?.end({ timeout: 5 })]);
    },
  };
}

/**
 * How `database.pool_size` connections are shared between the main pool and its generically
 * planning twin: a quarter (rounded up) to the twin, so the node never holds more connections than
 * configured; none below two connections, or when statements go unnamed (nothing to plan once).
 * When every connection of a pool is busy, postgres.js pipelines further statements onto them.
 */
export function splitPool(poolSize: number, prepared = true): { main: number; generic: number } {
  const generic = prepared && poolSize >= 2 ? Math.ceil(poolSize / 4) : 0;
  return { main: poolSize - generic, generic };
}

/**
 * Each pool's twin whose connections plan every named statement once (`force_generic_plan`).
 * Planning a statement afresh at each execution is what keeps one skewed filter value from
 * locking in a plan that is bad for another (a tag list's generic plan read every matching row:
 * 80 ms where its planned-per-value page took 1.5); but for a statement whose plan cannot depend
 * on its values, planning is all that costs: the newest version of one name, read down its
 * index, ran 4.3 × as fast generically planned (pgbench, bench/README.md). Kept beside the handle
 * rather than in it, so queries reach it from the `Db` they are given without new plumbing.
 */
const genericTwins = new WeakMap<Db | Tx, Db>();

/**
 * The connection to run a statement on whose best plan is the same for every value (a lookup by
 * primary key, the top of one name's versions): the pool's generically planning twin, or `db`
 * itself when it has none (a transaction, PGlite, statements left unnamed).
 */
export function genericallyPlanned(db: Db | Tx): Db | Tx {
  return genericTwins.get(db) ?? db;
}

/** For a handle opened elsewhere (the benchmark's recording one): its generically planning twin. */
export function setGenericTwin(db: Db, twin: Db): void {
  genericTwins.set(db, twin);
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

/** Errors of the driver or the network that mean "PostgreSQL cannot answer now", not "this query is wrong". */
const UNREACHABLE_CODES = new Set([
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_DESTROYED',
  'CONNECTION_ENDED',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);
/** SQLSTATEs of a server that is shutting down, starting, out of connections, or timed a statement out. */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300', '57014']);

/**
 * The domain's Unavailable for an error that says the database cannot answer now (drizzle wraps
 * the driver's error as its cause), undefined for any other error. api/errors.ts is handed this
 * (by app.ts), so the HTTP layer maps outages to 503 without knowing the driver.
 */
export function unavailableError(err: unknown): Unavailable | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 4 && e && typeof e === 'object'; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') {
      if (UNREACHABLE_CODES.has(code)) return new Unavailable('the database does not answer; retry shortly');
      if (UNAVAILABLE_SQLSTATES.has(code) || code.startsWith('08')) {
        return new Unavailable(code === '57014' ? 'the database took too long to answer; retry shortly' : 'the database cannot serve requests now; retry shortly');
      }
    }
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}
