/**
 * Federated search latency: one node, through one hop, through two hops, and what a dead upstream
 * costs (each time while its circuit is closed, and once its circuit is open).
 *
 *   npx tsx bench/federation.ts [--duration 10] [--artifacts 200] [--dead-timeout 200]
 *
 * Three real nodes (global ← vendor ← leaf), each over its own PostgreSQL database
 * (`bench_fed_*` at BENCH_DATABASE_URL's server) and served by @hono/node-server on a loopback
 * port, sharing Redis (REDIS_URL, default redis://127.0.0.1:6379) under their own prefixes. All
 * run in this one process, one request at a time, the scenarios interleaved request by request, so
 * a hop's added latency is the work it does plus a loopback round trip, not contention between
 * requests, and load changing over time weighs on every row alike. The hop rows and the dead
 * upstream's rows are measured apart (each for `--duration`), so no hop waits behind a timeout.
 * A dead upstream is a TCP proxy that accepts and never answers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { serve, type ServerType } from '@hono/node-server';
import { createApp } from '../src/app.js';
import { configFrom } from '../src/config/load.js';
import { openPostgres, type DatabaseHandle } from '../src/db/client.js';
import { runMigrations } from '../src/db/migrate.js';
import { buildDeps, closeDeps, type Deps } from '../src/deps.js';
import { startTcpProxy, type TcpProxy } from '../test/support/tcp-proxy.js';
import { parsePositive, runIfEntryPoint } from './cli.js';
import { databaseUrl, DEFAULT_ADMIN_URL, dropDatabase, recreateDatabase } from './databases.js';
import { createHttpClient } from './http-client.js';
import { interleavedRounds, percentiles, type Percentiles } from './load.js';
import { fixed, markdownTable } from './table.js';

const ADMIN = { 'X-User-Id': 'root', 'X-Project-Id': 'admin', 'X-Roles': 'admin' };
const USER = { 'X-User-Id': 'bench', 'X-Project-Id': 'bench', 'X-Roles': 'member' };

interface BenchNode {
  name: string;
  url: string;
  deps: Deps;
  request(method: string, path: string, init?: { headers?: Record<string, string>; json?: unknown; patch?: unknown }): Promise<Response>;
  close(): Promise<void>;
}

async function startNode(name: string, role: string, adminUrl: string, extra: Record<string, unknown> = {}): Promise<BenchNode> {
  const dbName = `bench_fed_${name}`;
  await recreateDatabase(adminUrl, dbName);
  const url = databaseUrl(adminUrl, dbName);
  const migrator = openPostgres(url, { poolSize: 1 });
  await runMigrations(migrator);
  await migrator.close();
  const dataDir = mkdtempSync(join(tmpdir(), 'catalog-bench-fed-'));
  const config = configFrom({
    node: { name, role },
    database: { url, pool_size: 4 },
    queue: { redis_url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', prefix: `bench_fed_${process.pid}_${name}` },
    auth: { modes: ['anonymous', 'trusted-headers'] },
    log: { level: 'silent' },
    data_dir: dataDir,
    ...extra,
  });
  const database: DatabaseHandle = openPostgres(url, { poolSize: 4 });
  const deps = await buildDeps(config, { database });
  const app = createApp(deps);
  const server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return {
    name,
    url: base,
    deps,
    request(method, path, init = {}) {
      const headers: Record<string, string> = { ...(init.headers ?? {}) };
      let body: string | undefined;
      if (init.json !== undefined) {
        headers['content-type'] = 'application/json';
        body = JSON.stringify(init.json);
      } else if (init.patch !== undefined) {
        headers['content-type'] = 'application/json-patch+json';
        body = JSON.stringify(init.patch);
      }
      return fetch(new URL(path.slice(1), base), { method, headers, ...(body ? { body } : {}) });
    },
    async close() {
      await new Promise((r) => {
        server.close(r);
        (server as ServerType & { closeAllConnections(): void }).closeAllConnections();
      });
      await closeDeps(deps);
      await database.close();
      rmSync(dataDir, { recursive: true, force: true });
      await dropDatabase(adminUrl, dbName);
    },
  };
}

async function ok(res: Promise<Response>, what: string): Promise<Record<string, unknown>> {
  const r = await res;
  if (!r.ok) throw new Error(`${what}: ${r.status} ${await r.text()}`);
  return (await r.json()) as Record<string, unknown>;
}

async function seed(node: BenchNode, count: number, shared: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const name = i < shared ? `shared-${i}` : `${node.name}-${i}`;
    const created = await ok(node.request('POST', '/artifacts/images', { headers: USER, json: { name, version: `1.${i % 10}.0`, tags: ['bench'] } }), 'create');
    await ok(node.request('PATCH', `/artifacts/images/${String(created.id)}`, { headers: ADMIN, patch: [{ op: 'replace', path: '/status', value: 'active' }, { op: 'replace', path: '/visibility', value: 'public' }] }), 'publish');
  }
}

async function enrol(child: BenchNode, upstream: BenchNode, opts: { url?: string; timeoutMs?: number } = {}): Promise<string> {
  const { token } = (await ok(upstream.request('POST', '/federation/v1/admin/enrolment-tokens', { headers: ADMIN, json: { permissions: ['search'] } }), 'token')) as { token: string };
  const peer = await ok(
    child.request('POST', '/federation/v1/admin/upstreams', { headers: ADMIN, json: { url: opts.url ?? upstream.url, token, ...(opts.timeoutMs ? { timeout_ms: opts.timeoutMs } : {}) } }),
    'enrol',
  );
  return String(peer.node_id);
}

interface Row {
  scenario: string;
  latency: Percentiles;
  cpu: Percentiles;
  note: string;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '2' },
      artifacts: { type: 'string', default: '200' },
      'dead-timeout': { type: 'string', default: '200' },
    },
  });
  const durationMs = parsePositive('duration', values.duration!) * 1000;
  const warmupMs = parsePositive('warmup', values.warmup!) * 1000;
  const artifacts = parsePositive('artifacts', values.artifacts!, { integer: true });
  const deadTimeoutMs = parsePositive('dead-timeout', values['dead-timeout']!, { integer: true });
  const adminUrl = process.env.BENCH_DATABASE_URL ?? DEFAULT_ADMIN_URL;

  const nodes: BenchNode[] = [];
  let hole: TcpProxy | undefined;
  try {
    const [global, vendor, leaf, deadLeaf, deadOne] = await Promise.all([
      startNode('global', 'global', adminUrl),
      startNode('vendor', 'vendor', adminUrl),
      startNode('leaf', 'enterprise', adminUrl),
      // Probes every 10 minutes: an open circuit stays open for the whole measurement.
      startNode('deadleaf', 'enterprise', adminUrl, { federation: { breaker: { probe_every_ms: 600_000, probe_timeout_ms: 100 } } }),
      startNode('dead', 'vendor', adminUrl),
    ]);
    nodes.push(global, vendor, leaf, deadLeaf, deadOne);
    console.log(`seeding ${artifacts} public images on each node ...`);
    await Promise.all([seed(global, artifacts, 20), seed(vendor, artifacts, 20), seed(leaf, artifacts, 20), seed(deadLeaf, artifacts, 20)]);
    await enrol(vendor, global);
    await enrol(leaf, vendor);
    await enrol(deadLeaf, global);
    hole = await startTcpProxy({ host: '127.0.0.1', port: Number(new URL(deadOne.url).port) });
    const deadId = await enrol(deadLeaf, deadOne, { url: hole.rewrite(deadOne.url), timeoutMs: deadTimeoutMs });
    hole.cut('swallow');

    // Names every node has (shared-*), names only global has, and broad pages.
    const queries = [
      ...Array.from({ length: 20 }, (_, i) => `type=images&name=shared-${i}`),
      ...Array.from({ length: 20 }, (_, i) => `type=images&name=global-${20 + i * 7}`),
      ...Array.from({ length: 10 }, (_, i) => `type=images&tags=bench&version=1.${i}.0&limit=20`),
    ];
    interface Scenario {
      scenario: string;
      node: BenchNode;
      path: (q: string) => string;
      note: string;
      before?: () => void;
    }
    const search = (q: string) => `/federation/v1/search?${q}`;
    const scenarios: Scenario[] = [
      { scenario: 'list on one node (GET /artifacts/images)', node: global, path: (q) => `/artifacts/images?${q.replace('type=images&', '')}`, note: 'the plain list, for reference' },
      { scenario: 'search, one node (global)', node: global, path: search, note: 'no upstream' },
      { scenario: 'search, one hop (vendor → global)', node: vendor, path: search, note: 'fair: same filters on each node' },
      { scenario: 'search, two hops (leaf → vendor → global)', node: leaf, path: search, note: 'fair' },
      { scenario: 'search, one hop (deadleaf → global)', node: deadLeaf, path: search, note: 'baseline of the two rows below (dead upstream suspended)' },
      {
        scenario: `+ black-holed upstream, circuit closed every time (timeout ${deadTimeoutMs} ms)`,
        node: deadLeaf,
        path: search,
        note: 'worst case: the breaker is reset before each request',
        before: () => deadLeaf.deps.federation.breakers.forget(deadId),
      },
      { scenario: '+ black-holed upstream, circuit open', node: deadLeaf, path: search, note: 'what a dead upstream costs after its first timeout' },
    ];
    // The lean client of the load benches (bench/http-client.ts), one per node: fetch runs on the
    // event loop the nodes share here, and cost more CPU per request than a node's own search.
    const clients = new Map(nodes.map((n) => [n, createHttpClient({ port: Number(new URL(n.url).port), concurrency: 1, timeoutMs: 30_000 })]));
    const exec = async (s: Scenario, q: string) => {
      s.before?.();
      const answer = await clients
        .get(s.node)!
        .read(s.path(q), USER)
        .catch((err: Error) => {
          throw new Error(`${s.scenario}: ${err.message}`);
        });
      const body = JSON.parse(answer.toString('utf8')) as { sources?: Array<{ status: string; path: Array<{ name: string }> }> };
      const unexpected = body.sources?.find((src) => src.status !== 'ok' && src.path.at(-1)?.name !== 'dead');
      if (unexpected) throw new Error(`${s.scenario}: source ${unexpected.path.map((p) => p.name).join('>')} is ${unexpected.status}`);
    };
    // The baseline row must not ask the dead upstream, the two after it must: the dead upstream is
    // suspended around the baseline's requests (through deadleaf's own admin API, so at once).
    const setDead = (status: 'suspend' | 'resume') => ok(deadLeaf.request('POST', `/federation/v1/admin/upstreams/${deadId}/${status}`, { headers: ADMIN }), status);

    console.log(`load average before measuring: ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${availableParallelism()} cores`);
    console.log(`measuring: the scenarios interleaved, one request at a time, ${warmupMs / 1000} s of warm-up then ${durationMs / 1000} s, twice`);
    // Interleaved request by request, so a machine whose load changes over time weighs on every row alike.
    const samples = scenarios.map(() => [] as number[]);
    // CPU this process (all the nodes and the client) spends per request: unlike wall time, it
    // hardly moves with the machine's load.
    const cpu = scenarios.map(() => [] as number[]);
    const measure = async (indexes: readonly number[]) =>
      interleavedRounds(queries, { warmupMs, durationMs }, async (q, measured) => {
        for (const i of indexes) {
          const s = scenarios[i]!;
          if (i === 4) await setDead('suspend');
          // The baseline follows the suspension (which reloads deadleaf's peers), the open circuit
          // the closed one's timeout (~200 ms of idle nodes): one untimed search first, so both
          // are measured warm.
          if (i === 4 || i === 6) await exec(s, q);
          const cpuBefore = process.cpuUsage();
          const started = performance.now();
          await exec(s, q);
          const took = performance.now() - started;
          const used = process.cpuUsage(cpuBefore);
          if (i === 4) await setDead('resume');
          if (measured) {
            samples[i]!.push(took);
            cpu[i]!.push((used.user + used.system) / 1000);
          }
        }
      });
    // The hops, then the dead upstream: in one round, the closed circuit's timeout would leave the
    // nodes idle ~200 ms before every request, so that each hop were measured cold.
    await measure([0, 1, 2, 3]);
    await measure([4, 5, 6]);
    for (const client of clients.values()) client.close();
    const rows = scenarios.map((s, i) => ({ ...s, latency: percentiles(Float64Array.from(samples[i]!)), cpu: percentiles(Float64Array.from(cpu[i]!)) }));
    const [one, hop1, hop2, base, deadClosed, deadOpen] = rows.slice(1) as Row[] as [Row, Row, Row, Row, Row, Row];

    const ms = (n: number) => fixed(n, 2);
    console.log();
    console.log(
      markdownTable(
        ['scenario', 'requests', 'p50 ms', 'p90 ms', 'p99 ms', 'node CPU p50 ms', 'note'],
        rows.map((r) => [r.scenario, String(r.latency.count), ms(r.latency.p50), ms(r.latency.p90), ms(r.latency.p99), ms(r.cpu.p50), r.note]),
        ['left', 'right', 'right', 'right', 'right', 'right', 'left'],
      ),
    );
    const p50 = (r: Row) => r.latency.p50;
    console.log();
    console.log(
      markdownTable(
        ['target', 'measured', 'target value', 'met'],
        [
          ['added p50 per hop (one hop − one node)', ms(p50(hop1) - p50(one)), '≤ 2.00', p50(hop1) - p50(one) <= 2 ? 'yes' : 'no'],
          ['added p50 per hop (two hops − one hop)', ms(p50(hop2) - p50(hop1)), '≤ 2.00', p50(hop2) - p50(hop1) <= 2 ? 'yes' : 'no'],
          ['added node CPU p50 per hop (two hops − one hop)', ms(hop2.cpu.p50 - hop1.cpu.p50), '(≤ 2.00 wall on a quiet machine needs this well below)', ''],
          ['dead upstream, circuit closed: added p50', ms(p50(deadClosed) - p50(base)), `≤ ${deadTimeoutMs} + 20`, p50(deadClosed) - p50(base) <= deadTimeoutMs + 20 ? 'yes' : 'no'],
          ['dead upstream, circuit closed: added p99', ms(deadClosed.latency.p99 - p50(base)), `≤ ${deadTimeoutMs} + 20`, deadClosed.latency.p99 - p50(base) <= deadTimeoutMs + 20 ? 'yes' : 'no'],
          ['dead upstream, circuit open: added p50', ms(p50(deadOpen) - p50(base)), '≈ 0', Math.abs(p50(deadOpen) - p50(base)) <= 0.5 ? 'yes' : 'no'],
        ],
        ['left', 'right', 'right', 'left'],
      ),
    );
  } finally {
    await hole?.close();
    await Promise.allSettled(nodes.map((n) => n.close()));
  }
}

runIfEntryPoint(import.meta.url, main);
