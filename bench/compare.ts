/**
 * Two checkouts of the node side by side on one database, request by request: the same paths,
 * alternating which node answers first, one request at a time, so the machine's load falls on
 * both alike and their ratio means something on a busy host. Prints a markdown table of p50/p99
 * per workload and the ratio of p50s (this checkout ÷ the base).
 *
 *   npx tsx bench/compare.ts --base /path/to/other/checkout [--database bench_search_100000] [--rounds 100]
 *
 * The base checkout needs its node_modules (a symlink to this one's will do) and must run on the
 * database's schema (apply this checkout's migrations first: a newer schema is usually fine for
 * older code). Workloads: bench/search.ts's searches (API) and bench/pages.ts's pages (HTML).
 */
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parsePositive, runIfEntryPoint } from './cli.js';
import { databaseUrl, DEFAULT_ADMIN_URL } from './databases.js';
import { createHttpClient, type HttpClient } from './http-client.js';
import { startNodeProcess, type NodeProcess } from './node-process.js';
import { pageWorkloads, secondPages } from './pages.js';
import { searchWorkloads } from './search.js';
import { fixed, markdownTable } from './table.js';

interface Side {
  label: string;
  node: NodeProcess;
  client: HttpClient;
}

const HTML = { accept: 'text/html' };
const percentile = (sorted: readonly number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

const wordPages = (apiPaths: readonly string[]) => apiPaths.map((p) => `/search?q=${encodeURIComponent(new URL(p, 'http://x').searchParams.get('q')!)}`);

async function timed(side: Side, path: string, headers: Record<string, string>): Promise<number> {
  const t0 = performance.now();
  await side.client.get(path, headers);
  return performance.now() - t0;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      base: { type: 'string' },
      database: { type: 'string', default: 'bench_search_100000' },
      rounds: { type: 'string', default: '100' },
      'admin-url': { type: 'string', default: process.env.BENCH_DATABASE_URL ?? DEFAULT_ADMIN_URL },
    },
  });
  if (!values.base) throw new Error('--base <checkout> is required');
  const rounds = parsePositive('--rounds', values.rounds!, { integer: true });
  const url = databaseUrl(values['admin-url']!, values.database!);
  const baseStart = (await import(pathToFileURL(join(values.base, 'bench/node-process.ts')).href)) as { startNodeProcess: typeof startNodeProcess };
  // Forked in its own directory, so tsx compiles its sources with its own tsconfig (JSX).
  const here = process.cwd();
  process.chdir(values.base);
  const baseNode = baseStart.startNodeProcess({ databaseUrl: url, poolSize: 10, countTtlSeconds: 0 });
  process.chdir(here);
  const nodes = await Promise.all([baseNode, startNodeProcess({ databaseUrl: url, poolSize: 10, countTtlSeconds: 0 })]);
  const sides: Side[] = nodes.map((node, i) => ({ label: i === 0 ? 'base' : 'this', node, client: createHttpClient({ port: node.port, concurrency: 1, timeoutMs: 60_000 }) }));
  try {
    const pages = await pageWorkloads(url);
    const textSearches = pages.find((w) => w.label.startsWith('search, full text'))!.paths;
    // Page 2 as each node links to it: their orders differ, so do their markers.
    const page2 = await Promise.all(sides.map((s) => secondPages(`http://127.0.0.1:${s.node.port}`, textSearches)));
    const workloads: Array<{ id: string; paths: string[][]; headers: Record<string, string> }> = [
      ...searchWorkloads().map((w) => ({ id: `API ${w.id}`, paths: [w.paths, w.paths], headers: {} })),
      ...pages.filter((w) => w.paths.length > 0).map((w) => ({ id: `page: ${w.label}`, paths: [w.paths, w.paths], headers: HTML })),
      // The search page for the API workloads' words (the page workloads' words come from names).
      ...[wordPages(searchWorkloads().find((w) => w.id === 'q-word-type')!.paths)].map((p) => ({ id: 'page: search, q=<vocabulary word>', paths: [p, p], headers: HTML })),
      ...(page2[0]!.length > 0 && page2[1]!.length > 0 ? [{ id: 'page: search, page 2 (marker)', paths: page2, headers: HTML }] : []),
    ];
    const rows: string[][] = [];
    for (const w of workloads) {
      const times: number[][] = [[], []];
      for (let i = 0; i < rounds + 10; i++) {
        const order = i % 2 === 0 ? [0, 1] : [1, 0];
        for (const s of order) {
          const paths = w.paths[s]!;
          const ms = await timed(sides[s]!, paths[i % paths.length]!, w.headers);
          if (i >= 10) times[s]!.push(ms);
        }
      }
      const [base, mine] = times.map((t) => [...t].sort((a, b) => a - b)) as [number[], number[]];
      rows.push([w.id, fixed(percentile(base, 50), 1), fixed(percentile(base, 99), 1), fixed(percentile(mine, 50), 1), fixed(percentile(mine, 99), 1), fixed(percentile(mine, 50) / percentile(base, 50), 2)]);
    }
    console.log(`\n## This checkout against ${values.base}, ${values.database}, ${rounds} requests each, alternating (ms)\n`);
    console.log(markdownTable(['workload', 'base p50', 'base p99', 'this p50', 'this p99', 'this ÷ base p50'], rows, ['left', 'right', 'right', 'right', 'right', 'right']));
  } finally {
    for (const s of sides) s.client.close();
    await Promise.all(nodes.map((n) => n.stop()));
  }
}

runIfEntryPoint(import.meta.url, main);
