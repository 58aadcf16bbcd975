/**
 * @module The composition root: `catalog-node serve | migrate`. Reads config, opens the database
 * (PostgreSQL when DATABASE_URL is set, embedded PGlite otherwise), migrates, serves; stops cleanly
 * on SIGTERM/SIGINT.
 */
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { createApp } from './app.js';
import { ConfigError, loadConfig } from './config/load.js';
import type { Config } from './config/schema.js';
import { openPglite, openPostgres, type DatabaseHandle } from './db/client.js';
import { runMigrations } from './db/migrate.js';
import { buildDeps } from './deps.js';

const USAGE = 'usage: catalog-node <serve|migrate>\n  serve    run the HTTP API (migrates first)\n  migrate  apply database migrations and exit';

async function openDatabase(config: Config): Promise<DatabaseHandle> {
  return config.database.url
    ? openPostgres(config.database.url, { poolSize: config.database.pool_size })
    : openPglite(join(config.data_dir, 'pglite'));
}

async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const command = argv[0] ?? 'serve';
  if (command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (command !== 'serve' && command !== 'migrate') {
    process.stderr.write(`unknown command "${command}"\n${USAGE}\n`);
    return 2;
  }

  let config: Config;
  try {
    config = loadConfig({ env });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      return 1;
    }
    throw err;
  }

  const database = await openDatabase(config);
  await runMigrations(database);
  if (command === 'migrate') {
    process.stdout.write(`migrations applied to ${database.describe}\n`);
    await database.close();
    return 0;
  }

  const deps = await buildDeps(config, { database });
  const app = createApp(deps);
  const server = serve({ fetch: app.fetch, hostname: config.server.host, port: config.server.port }, (info) => {
    deps.log.info(
      { url: `http://${info.address.includes(':') ? `[${info.address}]` : info.address}:${info.port}`, database: database.describe, types: deps.types.list().map((t) => t.name) },
      'catalog node listening',
    );
  });

  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      deps.log.info({ signal }, 'stopping: finishing requests in flight');
      server.close(() => resolve());
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  await database.close();
  deps.log.info('stopped');
  return 0;
}

main(process.argv.slice(2), process.env).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`catalog-node failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
