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
import { buildDeps, closeDeps } from './deps.js';
import { startBullmqWorker } from './jobs/bullmq-runner.js';
import { jobHandlers } from './jobs/handlers/index.js';
import type { Logger } from 'pino';

const USAGE = [
  'usage: catalog-node <serve|worker|migrate>',
  '  serve    run the HTTP API (migrates first); without REDIS_URL it also runs the jobs',
  '  worker   run background jobs from Redis (needs REDIS_URL)',
  '  migrate  apply database migrations and exit',
].join('\n');

async function openDatabase(config: Config): Promise<DatabaseHandle> {
  return config.database.url
    ? openPostgres(config.database.url, { poolSize: config.database.pool_size, preparedStatements: config.database.prepared_statements })
    : openPglite(join(config.data_dir, 'pglite'));
}

async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const command = argv[0] ?? 'serve';
  if (command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (command !== 'serve' && command !== 'worker' && command !== 'migrate') {
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

  if (command === 'worker' && !config.queue.redis_url) {
    process.stderr.write('catalog-node worker needs REDIS_URL (queue.redis_url): without it, `serve` runs the jobs itself\n');
    await database.close();
    return 2;
  }

  const deps = await buildDeps(config, { database });
  const scrubEvery = config.blobs.scrub.every_minutes * 60_000;
  if (command === 'worker') {
    const worker = startBullmqWorker({ redisUrl: config.queue.redis_url!, prefix: config.queue.prefix, log: deps.log, handlers: jobHandlers(deps) });
    await deps.queue.schedule('scrub-blobs', {}, scrubEvery);
    deps.log.info({ redis: config.queue.prefix, database: database.describe }, 'catalog worker running');
    await untilSignal(deps.log);
    await worker.close();
    await closeDeps(deps);
    await database.close();
    return 0;
  }

  if (deps.queue.kind === 'inline') await deps.queue.schedule('scrub-blobs', {}, scrubEvery);
  const app = createApp(deps);
  const server = serve({ fetch: app.fetch, hostname: config.server.host, port: config.server.port }, (info) => {
    deps.log.info(
      {
        url: `http://${info.address.includes(':') ? `[${info.address}]` : info.address}:${info.port}`,
        database: database.describe,
        queue: deps.queue.kind,
        blobStores: deps.blobs.all().map((s) => `${s.name} (${s.store.kind})`),
        types: deps.types.list().map((t) => t.name),
      },
      'catalog node listening',
    );
  });

  await untilSignal(deps.log);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await closeDeps(deps);
  await database.close();
  deps.log.info('stopped');
  return 0;
}

function untilSignal(log: Logger): Promise<void> {
  return new Promise((resolve) => {
    const stop = (signal: string) => {
      log.info({ signal }, 'stopping: finishing work in flight');
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}

main(process.argv.slice(2), process.env).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`catalog-node failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
