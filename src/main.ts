/**
 * @module The composition root: `catalog-node serve | worker | migrate | upgrade-type`. Reads
 * config, opens the database (PostgreSQL when DATABASE_URL is set, embedded PGlite otherwise),
 * migrates, serves (on PostgreSQL from `server.processes` worker processes, src/cluster.ts);
 * stops cleanly on SIGTERM/SIGINT (src/http-server.ts).
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino, type Logger } from 'pino';
import { createApp } from './app.js';
import { systemActor } from './artifacts/actor.js';
import { opContext } from './artifacts/context.js';
import { AppError } from './errors.js';
import { showUpgradeRun, startTypeUpgrade, type UpgradeRun } from './types/upgrade-runs.js';
import { clusterMetrics, clusterNoticeChannel, clusterSlot, isClusterPrimary, runPrimary } from './cluster.js';
import { ConfigError, loadConfig } from './config/load.js';
import type { Config } from './config/schema.js';
import { openPglite, openPostgres, type DatabaseHandle } from './db/client.js';
import { runMigrations } from './db/migrate.js';
import { buildDeps, closeDeps, type Deps } from './deps.js';
import { startHttpServer } from './http-server.js';
import { IMPORT_USAGE, runImportCommand } from './importers/app-catalog-command.js';
import { startBullmqWorker } from './jobs/bullmq-runner.js';
import { jobHandlers } from './jobs/handlers/index.js';
import { createInlineQueue } from './jobs/inline-runner.js';
import type { JobQueue } from './jobs/queue.js';
import { assertSubscriptionSchedules } from './federation/subscriptions.js';

const USAGE = [
  'usage: catalog-node <serve|worker|migrate|upgrade-type|import-app-catalog>',
  '  serve    run the HTTP API (migrates first); without REDIS_URL it also runs the jobs',
  '  worker   run background jobs from Redis (needs REDIS_URL)',
  '  migrate  apply database migrations and exit',
  '  upgrade-type TYPE [--dry-run] [--to VERSION]',
  '           carry every artifact of TYPE to its newest (or the given) version as a job, printing',
  '           its progress; exits 3 when some artifacts could not be upgraded (they are listed)',
  `  ${IMPORT_USAGE}`,
].join('\n');

const COMMANDS = new Set(['serve', 'worker', 'migrate', 'upgrade-type', 'import-app-catalog']);

function openDatabase(config: Config): Promise<DatabaseHandle> {
  const db = config.database;
  return db.url
    ? Promise.resolve(
        openPostgres(db.url, {
          poolSize: db.pool_size,
          preparedStatements: db.prepared_statements,
          connectTimeoutSeconds: db.connect_timeout_seconds,
          statementTimeoutMs: db.statement_timeout_seconds * 1000,
          preparedStatementLimit: db.prepared_statement_limit,
        }),
      )
    : openPglite(join(config.data_dir, 'pglite'));
}

/** Migrations may build indexes over millions of rows: they run without the statement timeout. */
async function migratePostgres(url: string, connectTimeoutSeconds: number): Promise<void> {
  const unlimited = openPostgres(url, { poolSize: 1, connectTimeoutSeconds });
  try {
    await runMigrations(unlimited);
  } finally {
    await unlimited.close();
  }
}

/** HTTP processes `serve` runs: several only on PostgreSQL (an embedded PGlite belongs to one process). */
function serveProcesses(config: Config): number {
  if (!config.database.url) return 1;
  return config.server.processes === 0 ? availableParallelism() : config.server.processes;
}

async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const command = argv[0] ?? 'serve';
  if (command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (!COMMANDS.has(command)) {
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
  const log = pino({ level: config.log.level, base: { node: config.node.name } });

  const databaseUrl = config.database.url;
  if (command === 'serve' && databaseUrl && isClusterPrimary() && serveProcesses(config) > 1) {
    // The primary migrates once, then only forks, relays and supervises: the workers serve.
    await migratePostgres(databaseUrl, config.database.connect_timeout_seconds);
    return runPrimary({ processes: serveProcesses(config), log, stopTimeoutMs: config.server.shutdown_grace_seconds * 1000 + 15_000 });
  }

  const database = await openDatabase(config);
  // A cluster's workers start after their primary migrated.
  if (isClusterPrimary()) await (databaseUrl ? migratePostgres(databaseUrl, config.database.connect_timeout_seconds) : runMigrations(database));
  if (command === 'migrate') {
    process.stdout.write(`migrations applied to ${database.describe}\n`);
    await database.close();
    return 0;
  }

  if (command === 'upgrade-type') {
    try {
      return await upgradeTypeCommand(config, database, log, argv.slice(1));
    } finally {
      await database.close();
    }
  }

  if (command === 'worker' && !config.queue.redis_url) {
    process.stderr.write('catalog-node worker needs REDIS_URL (queue.redis_url): without it, `serve` runs the jobs itself\n');
    await database.close();
    return 2;
  }

  if (command === 'import-app-catalog') {
    // Jobs run in this process: an import never waits on a worker.
    let inline: JobQueue | undefined;
    const deps = await buildDeps(config, { database, log, queue: (base) => (inline = createInlineQueue({ handlers: jobHandlers(base, () => inline!), log: base.log })) });
    try {
      return await runImportCommand(deps, argv.slice(1), { stdout: process.stdout, stderr: process.stderr });
    } finally {
      await closeDeps(deps);
      await database.close();
    }
  }

  const slot = clusterSlot(env);
  const deps = await buildDeps(config, { database, log, listCountsChannel: clusterNoticeChannel('list-counts'), peersChannel: clusterNoticeChannel('peers'), nodeMetrics: clusterMetrics });
  const scrubEvery = config.blobs.scrub.every_minutes * 60_000;
  if (command === 'worker') {
    const worker = startBullmqWorker({ redisUrl: config.queue.redis_url!, prefix: config.queue.prefix, log: deps.log, handlers: jobHandlers(deps, () => deps.queue) });
    await deps.queue.schedule('scrub-blobs', {}, scrubEvery);
    await assertSubscriptionSchedules(deps, deps.queue);
    // What a crash left (uploads whose lease ran out, their temporary files) goes at start, not an hour later.
    await deps.queue.enqueue('scrub-blobs', {});
    deps.log.info({ redis: config.queue.prefix, database: database.describe }, 'catalog worker running');
    await untilStopped(deps.log);
    await worker.close(config.queue.shutdown_grace_seconds * 1000);
    await closeDeps(deps);
    await database.close();
    return 0;
  }

  // One process of a cluster runs the node's schedules.
  if (deps.queue.kind === 'inline' && (slot ?? 0) === 0) {
    await deps.queue.schedule('scrub-blobs', {}, scrubEvery);
    await deps.queue.enqueue('scrub-blobs', {});
    await assertSubscriptionSchedules(deps, deps.queue);
  }
  const app = createApp(deps);
  const http = await startHttpServer({ fetch: app.fetch, host: config.server.host, port: config.server.port, idleTimeoutSeconds: config.server.idle_timeout_seconds });
  const { address, port } = http.address;
  const announce = slot === undefined || slot === 0 ? 'info' : 'debug';
  deps.log[announce](
    {
      url: `http://${address.includes(':') ? `[${address}]` : address}:${port}`,
      database: database.describe,
      processes: serveProcesses(config),
      queue: deps.queue.kind,
      blobStores: deps.blobs.all().map((s) => `${s.name} (${s.store.kind})`),
      types: deps.types.list().map((t) => t.name),
    },
    'catalog node listening',
  );

  await untilStopped(deps.log);
  const { cut } = await http.shutdown(config.server.shutdown_grace_seconds * 1000);
  if (cut > 0) deps.log.warn({ cut, graceSeconds: config.server.shutdown_grace_seconds }, 'requests still running after the grace period were cut');
  await closeDeps(deps);
  await database.close();
  deps.log.info('stopped');
  return 0;
}

/**
 * SIGTERM or SIGINT; in a cluster worker also the primary going away. The handlers stay installed:
 * a signal sent to the whole process group reaches a worker twice (directly and from its primary),
 * and the second must not kill it mid-drain.
 */
function untilStopped(log: Logger): Promise<void> {
  return new Promise((resolve) => {
    let stopping = false;
    const stop = (why: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ why }, 'stopping: no new connections, finishing work in flight');
      resolve();
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    if (!isClusterPrimary()) process.once('disconnect', () => stop('the primary process went away'));
  });
}

/**
 * `upgrade-type TYPE`: starts the type's upgrade as a job (run here by the in-process runner, or
 * by a worker through Redis) and follows its progress in the database until it ends.
 */
async function upgradeTypeCommand(config: Config, database: DatabaseHandle, log: Logger, args: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseUpgradeArgs>;
  try {
    parsed = parseUpgradeArgs(args);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  // Without Redis the job runs in this process: once that queue is idle, the run has gone as far as it will.
  let inline: ReturnType<typeof createInlineQueue> | undefined;
  const deps = await buildDeps(config, {
    database,
    log,
    ...(config.queue.redis_url ? {} : { queue: (base: Omit<Deps, 'queue'>) => (inline = createInlineQueue({ handlers: jobHandlers(base, () => inline!), log })) }),
  });
  try {
    const ctx = opContext(deps, systemActor('upgrade-type'));
    let run: UpgradeRun;
    try {
      run = await startTypeUpgrade(ctx, deps.queue, { typeName: parsed.type, dryRun: parsed.dryRun, ...(parsed.to ? { to: parsed.to } : {}) });
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      process.stderr.write(`${err.message}\n`);
      return 1;
    }
    const what = `${parsed.dryRun ? 'dry run of the upgrade' : 'upgrade'} of ${run.typeName} to ${run.targetVersion}`;
    process.stdout.write(`${what}: run ${run.id}\n`);
    let shown = -1;
    let idle = false;
    void inline?.idle().then(() => (idle = true));
    while (run.status === 'queued' || run.status === 'running') {
      await new Promise((resolve) => setTimeout(resolve, 200));
      run = await showUpgradeRun(ctx, { typeName: run.typeName, id: run.id });
      if (idle && (run.status === 'queued' || run.status === 'running')) {
        process.stderr.write(`${what} stopped before the end${run.error ? `: ${run.error}` : ''}; run the command again to resume it\n`);
        return 1;
      }
      if (run.processed !== shown && run.status === 'running') {
        shown = run.processed;
        process.stdout.write(`${run.processed}/${run.total} artifacts, ${run.changed} ${run.dryRun ? 'would change' : 'upgraded'}, ${run.failed} failed\n`);
      }
    }
    if (run.status === 'failed') {
      process.stderr.write(`${what} failed: ${run.error}\n`);
      return 1;
    }
    process.stdout.write(`${what} done: ${run.processed} artifacts, ${run.changed} ${run.dryRun ? 'would change' : 'upgraded'}, ${run.failed} ${run.dryRun ? 'would fail' : 'left as they were'}\n`);
    for (const f of run.failures) process.stdout.write(`  ${f.id} ${f.name} ${f.version} (${run.typeName} ${f.typeVersion}): ${f.reason}\n`);
    if (run.failed > run.failures.length) process.stdout.write(`  ... and ${run.failed - run.failures.length} more\n`);
    return run.failed > 0 && !run.dryRun ? 3 : 0;
  } finally {
    await closeDeps(deps);
  }
}

function parseUpgradeArgs(args: string[]): { type: string; dryRun: boolean; to?: string } {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { 'dry-run': { type: 'boolean' }, to: { type: 'string' } } });
  if (positionals.length !== 1) throw new Error('upgrade-type takes one artifact type');
  return { type: positionals[0]!, dryRun: values['dry-run'] ?? false, ...(values.to ? { to: values.to } : {}) };
}

/** Problems an operator fixes in files, said without a stack trace. */
const OPERATOR_ERRORS = new Set(['IncompatibleTypesError', 'TypeFileError']);

main(process.argv.slice(2), process.env).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof Error && OPERATOR_ERRORS.has(err.name)) {
      process.stderr.write(`catalog-node: ${err.message}\n`);
      process.exit(1);
    }
    process.stderr.write(`catalog-node failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
