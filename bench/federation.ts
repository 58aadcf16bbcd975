/**
 * Federated search latency: one node, through one hop, through two hops, and what a dead upstream
 * costs (each time while its circuit is closed, and once its circuit is open).
 *
 *   npx tsx bench/federation.ts [--duration 10] [--artifacts 200] [--dead-timeout 200]
 *
 * Three real nodes (global ← vendor ← leaf), each over its own PostgreSQL database
 * (`bench_fed_*` at BENCH_DATABASE_URL's server) and served by @hono/node-server on a loopback
 * port, sharing Redis (REDIS_URL, default redis://127.0.0.1:6379) under their own prefixes. All
 * run in this one process, one request at a time (closed loop, concurrency 1), so a hop's added
 * latency is the work it does plus a loopback round trip, not contention between requests.
 * A dead upstream is a TCP proxy that accepts and never answers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
import { runClosedLoop, type LoadResult } from './load.js';
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
  result: LoadResult;
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
    const measure = async (scenario: string, node: BenchNode, path: (q: string) => string, note: string, before?: () => void): Promise<Row> => {
      const result = await runClosedLoop({
        items: queries,
        async exec(q) {
          before?.();
          const res = await fetch(new URL(path(q).slice(1), node.url), { headers: USER });
          const body = (await res.json()) as { sources?: Array<{ status: string; path: Array<{ name: string }> }> };
          if (!res.ok) throw new Error(`${res.status} ${JSON.stringify(body)}`);
          const unexpected = body.sources?.find((s) => s.status !== 'ok' && s.path.at(-1)?.name !== 'dead');
          if (unexpected) throw new Error(`source ${unexpected.path.map((p) => p.name).join('>')} is ${unexpected.status}`);
        },
        concurrency: 1,
        warmupMs,
        durationMs,
        maxRequests: 1_000_000,
      });
      if (result.errors > 0) console.warn(`${scenario}: ${result.errors} errors, first: ${result.firstError}`);
      return { scenario, result, note };
    };

    console.log(`measuring: ${durationMs / 1000} s per scenario after ${warmupMs / 1000} s of warm-up, one request at a time`);
    const rows: Row[] = [];
    rows.push(await measure('list on one node (GET /artifacts/images)', global, (q) => `/artifacts/images?${q.replace('type=images&', '')}`, 'the plain list, for reference'));
    const one = await measure('search, one node (global)', global, (q) => `/federation/v1/search?${q}`, 'no upstream');
    rows.push(one);
    const hop1 = await measure('search, one hop (vendor → global)', vendor, (q) => `/federation/v1/search?${q}`, 'fair: same filters on each node');
    rows.push(hop1);
    const hop2 = await measure('search, two hops (leaf → vendor → global)', leaf, (q) => `/federation/v1/search?${q}`, 'fair');
    rows.push(hop2);
    // The baseline without the dead upstream (suspended: not asked), then with it.
    await deadLeaf.request('POST', `/federation/v1/admin/upstreams/${deadId}/suspend`, { headers: ADMIN });
    const base = await measure('search, one hop (deadleaf → global)', deadLeaf, (q) => `/federation/v1/search?${q}`, 'baseline of the two rows below');
    rows.push(base);
    await deadLeaf.request('POST', `/federation/v1/admin/upstreams/${deadId}/resume`, { headers: ADMIN });
    const deadClosed = await measure(
      `+ black-holed upstream, circuit closed every time (timeout ${deadTimeoutMs} ms)`,
      deadLeaf,
      (q) => `/federation/v1/search?${q}`,
      'worst case: the breaker is reset before each request',
      () => deadLeaf.deps.federation.breakers.forget(deadId),
    );
    rows.push(deadClosed);
    const deadOpen = await measure('+ black-holed upstream, circuit open', deadLeaf, (q) => `/federation/v1/search?${q}`, 'what a dead upstream costs after its first timeout');
    rows.push(deadOpen);

    const ms = (n: number) => fixed(n, 2);
    console.log();
    console.log(
      markdownTable(
        ['scenario', 'requests', 'p50 ms', 'p90 ms', 'p99 ms', 'req/s', 'note'],
        rows.map((r) => [r.scenario, String(r.result.latency.count), ms(r.result.latency.p50), ms(r.result.latency.p90), ms(r.result.latency.p99), fixed(r.result.rps, 0), r.note]),
        ['left', 'right', 'right', 'right', 'right', 'right', 'left'],
      ),
    );
    const p50 = (r: Row) => r.result.latency.p50;
    console.log();
    console.log(
      markdownTable(
        ['target', 'measured', 'target value', 'met'],
        [
          ['added p50 per hop (one hop − one node)', ms(p50(hop1) - p50(one)), '≤ 2.00', p50(hop1) - p50(one) <= 2 ? 'yes' : 'no'],
          ['added p50 per hop (two hops − one hop)', ms(p50(hop2) - p50(hop1)), '≤ 2.00', p50(hop2) - p50(hop1) <= 2 ? 'yes' : 'no'],
          ['dead upstream, circuit closed: added p50', ms(p50(deadClosed) - p50(base)), `≤ ${deadTimeoutMs} + 20`, p50(deadClosed) - p50(base) <= deadTimeoutMs + 20 ? 'yes' : 'no'],
          ['dead upstream, circuit closed: added p99', ms(deadClosed.result.latency.p99 - p50(base)), `≤ ${deadTimeoutMs} + 20`, deadClosed.result.latency.p99 - p50(base) <= deadTimeoutMs + 20 ? 'yes' : 'no'],
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
