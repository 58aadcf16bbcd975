/** The configuration every benchmarked node (served or captured in-process) is built with. */
import type { Config } from '../src/config/schema.js';
import { configFrom } from '../src/config/load.js';

/** `countTtlSeconds`: how long list counts are remembered (the node's default when not given). */
export function benchNodeConfig(opts: { databaseUrl: string; poolSize: number; dataDir: string; countTtlSeconds?: number | undefined; countDownloads?: boolean | undefined }): Config {
  return configFrom({
    ...(opts.countDownloads !== undefined ? { community: { count_downloads: opts.countDownloads } } : {}),
    database: { url: opts.databaseUrl, pool_size: opts.poolSize },
    ...(opts.countTtlSeconds !== undefined ? { api: { list_count_ttl_seconds: opts.countTtlSeconds } } : {}),
    auth: { modes: ['anonymous', 'trusted-headers'] },
    log: { level: (process.env.BENCH_NODE_LOG_LEVEL ?? 'silent') as 'silent' },
    // Blob stores live under data_dir: keep them out of the working tree.
    data_dir: opts.dataDir,
  });
}
