/**
 * @module Everything a request handler or job needs, built once by main.ts (or a test) and passed
 * down. No module holds a database, Redis, config or logger of its own.
 */
import { pino, type Logger } from 'pino';
import { Registry as PromRegistry, collectDefaultMetrics, type Registry } from 'prom-client';
import type { ActivationGuard } from './artifacts/context.js';
import { changesListings, createCatalogEvents, type CatalogEvents } from './artifacts/events.js';
import { createListCounts, type InvalidationChannel, type ListCounts } from './artifacts/list-counts.js';
import { createTypeRegistry, type TypeRegistry } from './artifacts/registry.js';
import { createDownloadCounter, NOT_COUNTING, type DownloadCounter } from './community/downloads.js';
import { createJwtVerifier, type JwtVerifier } from './auth/jwt.js';
import { createFederation, type Federation } from './federation/federation.js';
import { memoryReplayCache, redisReplayCache } from './federation/replay-cache.js';
import type { Config } from './config/schema.js';
import type { DatabaseHandle, Db } from './db/client.js';
import { openBlobStore } from './blobs/options.js';
import { createBlobStores, type BlobStores } from './blobs/routing.js';
import { createBullmqQueue } from './jobs/bullmq-runner.js';
import { jobHandlers } from './jobs/handlers/index.js';
import { createInlineQueue } from './jobs/inline-runner.js';
import type { JobQueue } from './jobs/queue.js';
import { signaturePolicyGuard } from './signing/policy.js';
import { BUILTIN_TYPES } from './types/builtin.js';
import { assertStoredArtifactsReadable } from './types/compatibility.js';
import { loadTypePlugins } from './types/load.js';

export interface Deps {
  config: Config;
  db: Db;
  types: TypeRegistry;
  /** Remembered list total counts; forgotten on every change committed through this node. */
  listCounts: ListCounts;
  /** Told after each committed change to the catalog. */
  events: CatalogEvents;
  blobs: BlobStores;
  /** Download counts, gathered in memory and added to the database in batches. */
  downloads: DownloadCounter;
  queue: JobQueue;
  jwt: JwtVerifier;
  /** Node identity, peer trust and the peer client (src/federation/). */
  federation: Federation;
  log: Logger;
  metrics: Registry;
  /** The node's metrics in Prometheus' text format (summed over its processes when it has several). */
  metricsText(): Promise<string>;
  clock: () => Date;
  /** Checks every activation passes (the signature policy). */
  activationGuards: readonly ActivationGuard[];
}

export interface BuildDepsOptions {
  database: DatabaseHandle;
  log?: Logger;
  clock?: () => Date;
  /** When the node serves from several processes: how forgetting list counts reaches the others. */
  listCountsChannel?: InvalidationChannel;
  /** When the node serves from several processes: how a change of its peers reaches the others. */
  peersChannel?: InvalidationChannel;
  /** When the node serves from several processes: its metrics, this process's `local` registry among them. */
  nodeMetrics?: (local: Registry) => (() => Promise<string>) | undefined;
  /** Which job runner this process uses to enqueue (default: BullMQ when REDIS_URL is set). */
  queue?: (deps: Omit<Deps, 'queue'>) => JobQueue;
}

/** Everything but the database is built here from config; the database handle is opened by the caller. */
export async function buildDeps(config: Config, opts: BuildDepsOptions): Promise<Deps> {
  const log = opts.log ?? pino({ level: config.log.level, base: { node: config.node.name } });
  const metrics = new PromRegistry();
  collectDefaultMetrics({ register: metrics });
  const types = createTypeRegistry([...BUILTIN_TYPES, ...(await loadTypePlugins(config.types_dir))]);
  await assertStoredArtifactsReadable(opts.database.db, types);
  for (const typeName of Object.keys(config.quotas.types)) {
    if (!types.has(typeName)) throw new Error(`quotas.types names unknown artifact type "${typeName}"`);
  }
  for (const typeName of Object.keys(config.signing.types)) {
    if (!types.has(typeName)) throw new Error(`signing.types names unknown artifact type "${typeName}"`);
  }
  for (const typeName of config.federation.submissions.types) {
    if (!types.has(typeName)) throw new Error(`federation.submissions.types names unknown artifact type "${typeName}"`);
  }
  for (const typeName of Object.keys(config.blobs.type_stores)) {
    if (!types.has(typeName)) throw new Error(`blobs.type_stores names unknown artifact type "${typeName}"`);
  }
  const blobs = createBlobStores(
    Object.entries(config.blobs.stores).map(([name, options]) => ({
      name,
      store: openBlobStore(options, { dataDir: config.data_dir }),
      redirectDownloads: options.kind !== 'fs' && options.redirect_downloads,
    })),
    { defaultStore: config.blobs.default_store, typeStores: config.blobs.type_stores },
  );
  const listCounts = createListCounts({ ttlMs: config.api.list_count_ttl_seconds * 1000, maxEntries: config.api.list_count_entries, channel: opts.listCountsChannel });
  const events = createCatalogEvents(log);
  events.on((event) => {
    if (changesListings(event)) listCounts.invalidate();
  });
  const clock = opts.clock ?? (() => new Date());
  const redisUrl = config.queue.redis_url;
  const replay = redisUrl ? redisReplayCache({ redisUrl, prefix: config.queue.prefix, log }) : memoryReplayCache(clock);
  const federation = createFederation({ db: opts.database.db, config, log, clock, replay, peersChannel: opts.peersChannel });
  const base: Omit<Deps, 'queue'> = {
    config,
    db: opts.database.db,
    types,
    listCounts,
    events,
    blobs,
    downloads: config.community.count_downloads ? createDownloadCounter({ db: opts.database.db, log, flushMs: config.community.download_flush_ms, clock }) : NOT_COUNTING,
    jwt: await createJwtVerifier(config.auth.jwt, config.auth.admin_role),
    federation,
    log,
    metrics,
    metricsText: opts.nodeMetrics?.(metrics) ?? (() => metrics.metrics()),
    clock,
    activationGuards: [signaturePolicyGuard],
  };
  const queue: JobQueue = opts.queue
    ? opts.queue(base)
    : config.queue.redis_url
      ? createBullmqQueue({ redisUrl: config.queue.redis_url, prefix: config.queue.prefix, log })
      : createInlineQueue({ handlers: jobHandlers(base, () => queue), log });
  return { ...base, queue };
}

/** Releases what buildDeps opened (the database handle is the caller's). */
export async function closeDeps(deps: Deps): Promise<void> {
  await deps.downloads.close();
  await deps.queue.close();
  deps.federation.close();
  await deps.blobs.close();
}
