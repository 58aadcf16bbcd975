/**
 * The web catalog's pages at scale: load (or reuse) `bench_pages_<size>` with the benchmark's
 * data generator, start a real node on a loopback port (bench/server.ts), then request each page
 * one at a time as a browser would (Accept: text/html) and print time to first byte and to the
 * last byte, p50/p95/p99, per page. Target: p50 ≤ 20 ms for the search and artifact pages.
 *
 *   npx tsx bench/pages.ts [--size 100000] [--requests 200] [--reuse]
 */
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { parsePositive, runIfEntryPoint } from './cli.js';
import { databaseExists, databaseUrl, DEFAULT_ADMIN_URL } from './databases.js';
import { formatSeconds, generateBenchDatabase } from './generate.js';
import { startNodeProcess } from './node-process.js';
import { fixed, markdownTable } from './table.js';

interface Sample {
  ttfb: number;
  full: number;
  bytes: number;
  status: number;
}

interface PageWorkload {
  label: string;
  /** Paths to cycle through (different data each request, so no single row stays hot). */
  paths: string[];
}

const WARMUP = 20;

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function timeRequest(url: string): Promise<Sample> {
  const t0 = performance.now();
  const res = await fetch(url, { headers: { accept: 'text/html' } });
  const ttfb = performance.now() - t0;
  const body = await res.arrayBuffer();
  return { ttfb, full: performance.now() - t0, bytes: body.byteLength, status: res.status };
}

async function measure(base: string, workload: PageWorkload, requests: number): Promise<Sample[]> {
  for (let i = 0; i < WARMUP; i++) await timeRequest(base + workload.paths[i % workload.paths.length]!);
  const samples: Sample[] = [];
  for (let i = 0; i < requests; i++) {
    const sample = await timeRequest(base + workload.paths[i % workload.paths.length]!);
    if (sample.status !== 200) throw new Error(`${workload.label}: ${workload.paths[i % workload.paths.length]} answered ${sample.status}`);
    samples.push(sample);
  }
  return samples;
}

/** Paths drawn from the data: public artifacts, words of their names, licenses and tags that exist. */
export async function pageWorkloads(url: string): Promise<PageWorkload[]> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const rows = await sql<Array<{ id: string; type_name: string; name: string; license: string | null; tag: string | null }>>`
      select id, type_name, name, license, tags[1] as tag from artifacts
      where visibility = 'public' and status = 'active' order by md5(id::text) limit 200`;
    const words = [...new Set(rows.flatMap((r) => r.name.split(/[^a-z0-9]+/i).filter((w) => w.length >= 3)))].slice(0, 50);
    const licenses = [...new Set(rows.map((r) => r.license).filter((l): l is string => l !== null))].slice(0, 10);
    const tags = [...new Set(rows.map((r) => r.tag).filter((t): t is string => t !== null))].slice(0, 20);
    const types = [...new Set(rows.map((r) => r.type_name))];
    const enc = encodeURIComponent;
    return [
      { label: 'artifact page', paths: rows.map((r) => `/browse/${r.type_name}/${r.id}`) },
      { label: 'search, full text (q=word)', paths: words.map((w) => `/search?q=${enc(w)}`) },
      { label: 'search, browse (no text)', paths: ['/search'] },
      { label: 'search, facet (license + tag)', paths: licenses.flatMap((l, i) => (tags[i] ? [`/search?license=${enc(l)}&tag=${enc(tags[i]!)}`] : [`/search?license=${enc(l)}`])) },
      { label: 'search, page 2 (marker)', paths: [] },
      { label: 'type page', paths: types.map((t) => `/browse/${t}`) },
      { label: 'front page', paths: ['/'] },
    ];
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** Page 2 of each full-text search: the marker is read from page 1's "next" link. */
export async function secondPages(base: string, searches: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const path of searches.slice(0, 20)) {
    const html = await (await fetch(base + path, { headers: { accept: 'text/html' } })).text();
    const next = /href="([^"]+)" rel="next"/.exec(html)?.[1];
    if (next) out.push(next.replaceAll('&amp;', '&'));
  }
  return out;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      size: { type: 'string', default: '100000' },
      requests: { type: 'string', default: '200' },
      reuse: { type: 'boolean', default: false },
      'admin-url': { type: 'string', default: process.env.BENCH_ADMIN_URL ?? DEFAULT_ADMIN_URL },
    },
  });
  const size = parsePositive('--size', values.size, { integer: true });
  const requests = parsePositive('--requests', values.requests, { integer: true });
  const adminUrl = values['admin-url'];
  const name = `bench_pages_${size}`;
  const url = databaseUrl(adminUrl, name);
  if (values.reuse && (await databaseExists(adminUrl, name))) console.log(`reusing ${name}`);
  else {
    const generated = await generateBenchDatabase({ adminUrl, size, name, log: (line) => console.log(line) });
    console.log(`generated ${name} in ${formatSeconds(generated.timings.total ?? 0)}`);
  }

  const node = await startNodeProcess({ databaseUrl: url, poolSize: 10 });
  const base = `http://127.0.0.1:${node.port}`;
  try {
    const all = await pageWorkloads(url);
    const page2 = all.find((w) => w.label.startsWith('search, page 2'))!;
    page2.paths = await secondPages(base, all.find((w) => w.label.startsWith('search, full text'))!.paths);
    const rows: string[][] = [];
    for (const workload of all) {
      if (workload.paths.length === 0) continue;
      const samples = await measure(base, workload, requests);
      const ttfb = samples.map((s) => s.ttfb).sort((a, b) => a - b);
      const full = samples.map((s) => s.full).sort((a, b) => a - b);
      const kib = samples.reduce((sum, s) => sum + s.bytes, 0) / samples.length / 1024;
      rows.push([workload.label, String(samples.length), fixed(percentile(ttfb, 50), 1), fixed(percentile(full, 50), 1), fixed(percentile(full, 95), 1), fixed(percentile(full, 99), 1), fixed(kib, 1)]);
    }
    console.log(`\n## Web pages at ${size.toLocaleString('en')} artifacts (one request at a time, after ${WARMUP} warm-up requests; ms)\n`);
    console.log(markdownTable(['page', 'requests', 'TTFB p50', 'full p50', 'full p95', 'full p99', 'KiB'], rows, ['left', 'right', 'right', 'right', 'right', 'right', 'right']));
    console.log('\nTarget: p50 ≤ 20 ms for the search and artifact pages.');
  } finally {
    await node.stop();
  }
}

runIfEntryPoint(import.meta.url, main);
