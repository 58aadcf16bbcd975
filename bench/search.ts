/**
 * Full-text search and download counting over HTTP, on a real node (child process) over a
 * generated catalog. Prints markdown tables.
 *
 *   npx tsx bench/search.ts [--size 100000] [--duration 5] [--reuse] [--download-rounds 20] [--download-burst 1] [--only-downloads] [--download-control] [--admin-url postgres://...]
 *
 * 1. Generates `bench_search_<size>` (bench/generate.ts, then descriptions and display names
 *    drawn from a 240-word vocabulary, deterministic per row), unless --reuse finds it.
 * 2. Search latency at concurrency 1 (p50/p99) and throughput at concurrency 8, for requests
 *    varying the words: a 4-letter prefix (type-ahead) across every type, a whole word in one type, two words with a
 *    visibility filter, and a word with sort=downloads.
 * 3. Downloads of one 64 KiB blob, counting on vs off (`community.count_downloads`): two nodes
 *    run side by side, one counting and one not, each driven at concurrency 8 at the same time,
 *    in --download-rounds bursts, so the machine's changing load weighs on both alike; the
 *    ratio is on ÷ off of requests per second, per round (median) and over all rounds.
 */
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { request } from 'node:http';
import { runIfEntryPoint, parsePositive } from './cli.js';
import { databaseExists, databaseUrl, DEFAULT_ADMIN_URL } from './databases.js';
import { generateBenchDatabase } from './generate.js';
import { createHttpClient } from './http-client.js';
import { runClosedLoop, type LoadResult } from './load.js';
import { startNodeProcess, type NodeProcess } from './node-process.js';
import { fixed, markdownTable } from './table.js';

const VOCABULARY = (
  'kubernetes nginx postgres redis mysql mariadb mongodb cassandra elasticsearch kibana grafana prometheus jenkins gitlab ' +
  'wordpress drupal joomla magento tomcat jetty wildfly apache haproxy varnish memcached rabbitmq kafka zookeeper spark ' +
  'hadoop hive presto airflow jupyter tensorflow pytorch cuda ubuntu debian centos fedora rhel alpine windows freebsd ' +
  'openbsd coreos flatcar docker podman containerd etcd consul vault nomad terraform ansible puppet chef saltstack ' +
  'openvpn wireguard strongswan bind unbound dnsmasq postfix dovecot exim squid samba nfs ceph gluster minio swift ' +
  'cinder nova neutron glance keystone heat murano tosca sahara trove magnum octavia barbican designate manila ironic ' +
  'firewall router loadbalancer gateway proxy cache queue broker database warehouse lake stream batch cluster node ' +
  'worker master replica primary standby backup restore snapshot monitor logging tracing metrics alerting dashboard ' +
  'web server client desktop workstation builder runner agent controller scheduler operator cloud edge core hybrid ' +
  'secure hardened minimal small medium large gpu storage network compute identity image template package bundle ' +
  'analytics machine learning inference training notebook portal cms blog shop forum wiki chat video voice mail ' +
  'calendar office crm erp billing inventory payroll ticketing helpdesk support deploy install upgrade migrate ' +
  'scale autoscale highly available resilient fast lightweight enterprise community edition release stable beta ' +
  'legacy modern classic reference sample demo starter quickstart tutorial training lab sandbox testing staging ' +
  'production development continuous integration delivery pipeline registry artifact catalog mirror cdn dns vpn ' +
  'ldap kerberos oauth saml sso radius tls ssl certificate acme letsencrypt'
).split(' ');

function words(seed: number, n: number): string[] {
  let x = seed >>> 0;
  return Array.from({ length: n }, () => {
    x = (Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0;
    return VOCABULARY[x % VOCABULARY.length]!;
  });
}

async function prepareDatabase(adminUrl: string, size: number, reuse: boolean, log: (l: string) => void): Promise<string> {
  const name = `bench_search_${size}`;
  const url = databaseUrl(adminUrl, name);
  if (reuse && (await databaseExists(adminUrl, name))) {
    log(`reusing ${name}`);
    return url;
  }
  await generateBenchDatabase({ adminUrl, size, name, log });
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const t0 = performance.now();
    // Descriptions of 12 words and a display name of 3, from the row's own hash: the same catalog every run.
    const vocabulary = VOCABULARY.join(' ');
    await sql`
      update artifacts set
        description = (select string_agg((string_to_array(${vocabulary}::text, ' '))[1 + abs(hashtext(id::text || i::text)) % ${VOCABULARY.length}], ' ') from generate_series(1, 12) as i),
        metadata = metadata || jsonb_build_object('display_name', (select string_agg((string_to_array(${vocabulary}::text, ' '))[1 + abs(hashtext(name || i::text)) % ${VOCABULARY.length}], ' ') from generate_series(1, 3) as i))`;
    await sql`vacuum (analyze) artifacts`;
    log(`  descriptions and display names: ${fixed((performance.now() - t0) / 1000, 1)} s`);
  } finally {
    await sql.end();
  }
  return url;
}

export interface Workload {
  id: string;
  paths: string[];
}

export function searchWorkloads(): Workload[] {
  const pool = (make: (i: number) => string) => Array.from({ length: 200 }, (_, i) => make(i));
  return [
    { id: 'q-prefix-all', paths: pool((i) => `/artifacts/all?q=${words(i, 1)[0]!.slice(0, 4)}&limit=20`) },
    { id: 'q-word-type', paths: pool((i) => `/artifacts/heat_templates?q=${words(i + 1000, 1)[0]}&limit=20`) },
    { id: 'q-2-words-public', paths: pool((i) => `/artifacts/heat_templates?q=${encodeURIComponent(words(i + 2000, 2).join(' '))}&visibility=public&limit=20`) },
    { id: 'q-word-sort-downloads', paths: pool((i) => `/artifacts/images?q=${words(i + 3000, 1)[0]}&sort=downloads:desc&limit=20`) },
  ];
}

async function measure(node: NodeProcess, paths: readonly string[], concurrency: number, durationMs: number, warmupMs = 1000): Promise<LoadResult> {
  const client = createHttpClient({ port: node.port, concurrency, timeoutMs: 30_000 });
  try {
    return await runClosedLoop({ items: paths, exec: (p) => client.get(p, {}), concurrency, warmupMs, durationMs, maxRequests: 2_000_000 });
  } finally {
    client.close();
  }
}

function send(port: number, method: string, path: string, headers: Record<string, string>, body?: Buffer | string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A public image with a 64 KiB blob, created through the node; returns the blob's path. */
async function downloadTarget(node: NodeProcess): Promise<string> {
  const admin = { 'X-User-Id': 'bench', 'X-Project-Id': 'bench', 'X-Roles': 'admin' };
  const created = await send(node.port, 'POST', '/artifacts/images', { ...admin, 'content-type': 'application/json' }, JSON.stringify({ name: `download-bench-${Date.now()}`, version: '1.0.0' }));
  const { id } = JSON.parse(created.text) as { id: string };
  const uploaded = await send(node.port, 'PUT', `/artifacts/images/${id}/image`, { ...admin, 'content-type': 'application/octet-stream' }, Buffer.alloc(64 * 1024, 7));
  if (uploaded.status !== 200) throw new Error(`upload failed: ${uploaded.status} ${uploaded.text}`);
  const patch = JSON.stringify([{ op: 'replace', path: '/status', value: 'active' }, { op: 'replace', path: '/visibility', value: 'public' }]);
  const published = await send(node.port, 'PATCH', `/artifacts/images/${id}`, { ...admin, 'content-type': 'application/json-patch+json' }, patch);
  if (published.status !== 200) throw new Error(`publish failed: ${published.status} ${published.text}`);
  return `/artifacts/images/${id}/image`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      size: { type: 'string', default: '100000' },
      duration: { type: 'string', default: '5' },
      reuse: { type: 'boolean', default: false },
      'download-rounds': { type: 'string', default: '20' },
      'download-burst': { type: 'string', default: '1' },
      'only-downloads': { type: 'boolean', default: false },
      'download-control': { type: 'boolean', default: false },
      'admin-url': { type: 'string', default: process.env.BENCH_DATABASE_URL ?? DEFAULT_ADMIN_URL },
    },
  });
  const size = parsePositive('--size', values.size!, { integer: true });
  const durationMs = parsePositive('--duration', values.duration!) * 1000;
  const rounds = parsePositive('--download-rounds', values['download-rounds']!, { integer: true });
  const burstMs = parsePositive('--download-burst', values['download-burst']!) * 1000;
  const log = (line: string) => process.stdout.write(`${line}\n`);
  const url = await prepareDatabase(values['admin-url']!, size, values.reuse!, log);

  const rows: string[][] = [];
  const node = await startNodeProcess({ databaseUrl: url, poolSize: 10, countTtlSeconds: 0 });
  try {
    for (const w of values['only-downloads'] ? [] : searchWorkloads()) {
      const one = await measure(node, w.paths, 1, durationMs);
      const eight = await measure(node, w.paths, 8, durationMs);
      if (one.errors + eight.errors > 0) throw new Error(`${w.id}: ${one.firstError ?? eight.firstError}`);
      rows.push([w.id, fixed(one.latency.p50, 2), fixed(one.latency.p99, 2), fixed(eight.rps, 0), fixed(eight.latency.p50, 2), fixed(eight.latency.p99, 2)]);
    }
  } finally {
    await node.stop();
  }
  if (rows.length > 0) log(`\n## Full-text search over HTTP, ${size.toLocaleString('en-US')} artifacts (target p50 ≤ 10 ms at concurrency 1)\n`);
  if (rows.length > 0) log(markdownTable(['workload', 'c=1 p50 ms', 'c=1 p99 ms', 'c=8 req/s', 'c=8 p50 ms', 'c=8 p99 ms'], rows, ['left', 'right', 'right', 'right', 'right', 'right']));

  // --download-control: both nodes count, to show how far two identical nodes differ on this host.
  const nodes = { on: await startNodeProcess({ databaseUrl: url, poolSize: 10, countTtlSeconds: 0, countDownloads: true }), off: await startNodeProcess({ databaseUrl: url, poolSize: 10, countTtlSeconds: 0, countDownloads: values['download-control']! }) };
  const rps: Record<'on' | 'off', number[]> = { on: [], off: [] };
  const latency: Record<'on' | 'off', number[]> = { on: [], off: [] };
  // Node CPU per download moves far less with the host's load than requests per second.
  const cpuPer: Record<'on' | 'off', number[]> = { on: [], off: [] };
  try {
    const paths = { on: await downloadTarget(nodes.on), off: await downloadTarget(nodes.off) };
    for (let round = 0; round < rounds; round++) {
      // Both at once, so every moment of the machine's load falls on both alike.
      const cpuBefore = await Promise.all([nodes.on.cpuMicros(), nodes.off.cpuMicros()]);
      const [on, off] = await Promise.all([measure(nodes.on, [paths.on], 8, burstMs, 0), measure(nodes.off, [paths.off], 8, burstMs, 0)]);
      const cpuAfter = await Promise.all([nodes.on.cpuMicros(), nodes.off.cpuMicros()]);
      for (const [i, counting, r] of [[0, 'on', on], [1, 'off', off]] as const) {
        if (r.errors > 0) throw new Error(`download: ${r.firstError}`);
        rps[counting].push(r.rps);
        latency[counting].push(r.latency.p50);
        cpuPer[counting].push((cpuAfter[i]! - cpuBefore[i]!) / r.issued);
      }
    }
  } finally {
    await Promise.all([nodes.on.stop(), nodes.off.stop()]);
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const ratios = rps.on.map((on, i) => on / rps.off[i]!);
  if (values['download-control']) log('\n(control run: the "off" node counts too)');
  log(`\n## Download of a 64 KiB blob, counting on vs off (concurrency 8, ${rounds} rounds of ${burstMs} ms, both nodes at once; target on ÷ off ≥ 0.95)\n`);
  log(
    markdownTable(
      ['counting', 'mean req/s', 'median req/s', 'median of p50 ms', 'node CPU µs per download (median)'],
      (['on', 'off'] as const).map((k) => [k, fixed(mean(rps[k]), 0), fixed(median(rps[k]), 0), fixed(median(latency[k]), 2), fixed(median(cpuPer[k]), 0)]),
      ['left', 'right', 'right', 'right', 'right'],
    ),
  );
  const sorted = [...ratios].sort((a, b) => a - b);
  log(`\non ÷ off: mean req/s ${fixed(mean(rps.on) / mean(rps.off), 3)}; per round median ${fixed(median(ratios), 3)} (middle half ${fixed(sorted[Math.floor(sorted.length / 4)]!, 3)}–${fixed(sorted[Math.floor((3 * sorted.length) / 4)]!, 3)}); node CPU per download, off ÷ on (median): ${fixed(median(cpuPer.off) / median(cpuPer.on), 3)}`);
}

runIfEntryPoint(import.meta.url, main);
