/**
 * A real catalog node for the benchmark, run as a child process (bench/node-process.ts forks it):
 * buildDeps + createApp from src, served by @hono/node-server on 127.0.0.1 with an ephemeral port.
 * Talks to its parent over IPC: `listening` (port), `cpu` (process.cpuUsage), `stop`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { createApp } from '../src/app.js';
import { openPostgres } from '../src/db/client.js';
import { buildDeps, closeDeps } from '../src/deps.js';
import { benchNodeConfig } from './node-config.js';

export type ParentMessage = { kind: 'stop' } | { kind: 'cpu' };
export type ChildMessage = { kind: 'listening'; port: number } | { kind: 'cpu'; usage: NodeJS.CpuUsage } | { kind: 'failed'; error: string };

async function startServer(databaseUrl: string, poolSize: number, countTtlSeconds: number | undefined, countDownloads: boolean | undefined): Promise<void> {
  const send = (message: ChildMessage) => process.send?.(message);
  const dataDir = mkdtempSync(join(tmpdir(), 'catalog-bench-'));
  const config = benchNodeConfig({ databaseUrl, poolSize, dataDir, countTtlSeconds, countDownloads });
  const database = openPostgres(databaseUrl, { poolSize: config.database.pool_size, preparedStatements: config.database.prepared_statements });
  const deps = await buildDeps(config, { database });
  const app = createApp(deps);
  const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info: AddressInfo) => send({ kind: 'listening', port: info.port }));

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    server.close();
    if ('closeAllConnections' in server) server.closeAllConnections();
    void Promise.allSettled([closeDeps(deps), database.close()]).then(() => {
      rmSync(dataDir, { recursive: true, force: true });
      process.exit(0);
    });
  };
  process.on('message', (message: ParentMessage) => {
    if (message.kind === 'cpu') send({ kind: 'cpu', usage: process.cpuUsage() });
    else if (message.kind === 'stop') stop();
  });
  // The parent died or let go of us: never outlive it.
  process.on('disconnect', stop);
}

const url = process.env.BENCH_NODE_DATABASE_URL;
if (!url || !process.send) {
  process.stderr.write('bench/server.ts is forked by bench/run.ts (needs an IPC channel and BENCH_NODE_DATABASE_URL)\n');
  process.exit(2);
}
const countTtl = process.env.BENCH_NODE_COUNT_TTL;
const countDownloads = process.env.BENCH_NODE_COUNT_DOWNLOADS;
startServer(url, Number(process.env.BENCH_NODE_POOL_SIZE ?? 10), countTtl === undefined ? undefined : Number(countTtl), countDownloads === undefined ? undefined : countDownloads === 'true').catch((err: unknown) => {
  process.send?.({ kind: 'failed', error: err instanceof Error ? (err.stack ?? err.message) : String(err) } satisfies ChildMessage);
  process.exit(1);
});
