import { mkdtempSync } from 'node:fs';
import { createApp } from '/work/wt-lists/src/app.js';
import { openPostgres } from '/work/wt-lists/src/db/client.js';
import { buildDeps, closeDeps } from '/work/wt-lists/src/deps.js';
import { benchNodeConfig } from '/work/wt-lists/bench/node-config.js';
import { pino } from 'pino';
const url = 'postgres://postgres@127.0.0.1:5432/bench_1000000';
const config = benchNodeConfig({ databaseUrl: url, poolSize: 2, dataDir: mkdtempSync('/tmp/lists-dbg-'), countTtlSeconds: 0 });
const database = openPostgres(url, { poolSize: 2, preparedStatements: true });
const deps = await buildDeps({ ...config, log: { ...config.log, level: 'error' } } as never, { database, log: pino({ level: 'error' }) });
const app = createApp(deps);
for (const p of process.argv.slice(2)) {
  const t = performance.now();
  const res = await app.request(p);
  const body = await res.text();
  console.log(res.status, (performance.now() - t).toFixed(1), "ms", body.match(/"total_count.*/)?.[0]);
}
await closeDeps(deps); await database.close();
