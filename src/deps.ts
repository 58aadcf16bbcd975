/**
 * @module Everything a request handler or job needs, built once by main.ts (or a test) and passed
 * down. No module holds a database, Redis, config or logger of its own.
 */
import { pino, type Logger } from 'pino';
import { Registry as PromRegistry, collectDefaultMetrics, type Registry } from 'prom-client';
import { createTypeRegistry, type TypeRegistry } from './artifacts/registry.js';
import { createJwtVerifier, type JwtVerifier } from './auth/jwt.js';
import type { Config } from './config/schema.js';
import type { DatabaseHandle, Db } from './db/client.js';
import { BUILTIN_TYPES } from './types/builtin.js';
import { loadDeclarativeTypes } from './types/declarative.js';

export interface Deps {
  config: Config;
  db: Db;
  types: TypeRegistry;
  jwt: JwtVerifier;
  log: Logger;
  metrics: Registry;
  clock: () => Date;
}

export interface BuildDepsOptions {
  database: DatabaseHandle;
  log?: Logger;
  clock?: () => Date;
}

/** Everything but the database is built here from config; the database handle is opened by the caller. */
export async function buildDeps(config: Config, opts: BuildDepsOptions): Promise<Deps> {
  const log = opts.log ?? pino({ level: config.log.level, base: { node: config.node.name } });
  const metrics = new PromRegistry();
  collectDefaultMetrics({ register: metrics });
  return {
    config,
    db: opts.database.db,
    types: createTypeRegistry([...BUILTIN_TYPES, ...loadDeclarativeTypes(config.types_dir)]),
    jwt: await createJwtVerifier(config.auth.jwt, config.auth.admin_role),
    log,
    metrics,
    clock: opts.clock ?? (() => new Date()),
  };
}
