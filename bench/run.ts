/**
 * The catalog node benchmark: for each size, load (or reuse) `bench_<size>`, start a real node on
 * a loopback port, drive each workload over HTTP with a closed-loop load generator, then replay
 * the exact SQL the node issued for the same requests straight through postgres.js, and print
 * one table per size (plus the issue's targets, latency per caller, and EXPLAIN summaries).
 *
 *   npx tsx bench/run.ts [--sizes 100000,1000000] [--duration 10] [--reuse] [--keep]
 *
 * See bench/README.md for the options and what each workload is.
 */
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { parsePositive, parseSizes, runIfEntryPoint } from './cli.js';
import { benchDatabaseName, databaseExists, databaseUrl, DEFAULT_ADMIN_URL, dropDatabase } from './databases.js';
import { formatSeconds, generateBenchDatabase } from './generate.js';
import { waitForQuietHost } from './host.js';
import { captureWorkloadRuns, describeMeasurement, issuesSql, measureNode, measureSql, PATHS, type Measurement, type MeasureSettings, type WorkloadRun } from './measure.js';
import { startNodeProcess } from './node-process.js';
import { callerTable, cpuPerRequestTable, printCapturedSql, printExplains, ratioTable, resultsTable, targetsTable } from './report.js';
import { thousands } from './table.js';
import { CALLER_MIX, WORKLOADS, type Workload } from './workloads.js';

/** Requests per workload whose raw-SQL replay is checked against what the node returned. */
const VERIFY_REQUESTS = 50;

interface RunOptions {
  sizes: number[];
  durationMs: number;
  warmupMs: number;
  concurrency: number;
  /** Closed-loop concurrency of the extra latency runs of the latest-in-range workloads (0: none). */
  latencyConcurrency: number;
  poolSize: number;
  variants: number;
  maxRequests: number;
  timeoutMs: number;
  adminUrl: string;
  seed: number;
  reuse: boolean;
  keep: boolean;
  unprepared: boolean;
  explain: 'largest' | 'all' | 'none';
  showSql: boolean;
  quietWaitMs: number;
  nodeArgs: string[];
  workloads: readonly Workload[];
  /** How long the measured node remembers list counts (0: never, the node then sends what the replay sends). */
  countTtlSeconds: number;
}

function parseOptions(argv: string[]): RunOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      sizes: { type: 'string', default: '100000,1000000' },
      duration: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '2' },
      concurrency: { type: 'string', default: '8' },
      'latency-concurrency': { type: 'string', default: '1' },
      'pool-size': { type: 'string', default: '10' },
      variants: { type: 'string', default: '200' },
      'max-requests': { type: 'string', default: '2000000' },
      timeout: { type: 'string', default: '10' },
      'admin-url': { type: 'string', default: process.env.BENCH_DATABASE_URL ?? DEFAULT_ADMIN_URL },
      seed: { type: 'string', default: '42' },
      reuse: { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      'no-unprepared': { type: 'boolean', default: false },
      explain: { type: 'string', default: 'largest' },
      'show-sql': { type: 'boolean', default: false },
      'quiet-wait': { type: 'string', default: '30' },
      'node-arg': { type: 'string', multiple: true, default: [] },
      workloads: { type: 'string' },
      'count-ttl': { type: 'string', default: '0' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(
      [
        'usage: npx tsx bench/run.ts [options]',
        '  --sizes 100000,1000000   artifact counts, one database bench_<size> each',
        '  --duration 10            measured seconds per workload and path',
        '  --warmup 2               unmeasured seconds before each measurement',
        '  --concurrency 8          closed-loop workers (requests in flight)',
        '  --latency-concurrency 1  also run the latest-in-range workloads at this concurrency (0: skip)',
        '  --pool-size 10           database pool of the node and of the raw-SQL baseline',
        '  --variants 200           distinct requests per workload (filter values, names, callers)',
        '  --max-requests 2000000   hard cap on requests per run (warm-up included)',
        '  --timeout 10             per-request timeout, seconds',
        '  --reuse                  reuse bench_<size> when it holds <size> artifacts',
        '  --keep                   keep the bench databases (dropped at the end otherwise)',
        '  --no-unprepared          skip the "raw SQL, unnamed statements" path (what prepared statements buy)',
        '  --explain largest|all|none   EXPLAIN (ANALYZE, BUFFERS) summaries (default: largest size)',
        '  --show-sql               print the captured statements of one request per workload',
        `  --workloads a,b          run only these workloads (${WORKLOADS.map((w) => w.id).join(', ')})`,
        '  --count-ttl 0            api.list_count_ttl_seconds of the measured node (0: counts never remembered, like for like with the replay)',
        '  --node-arg FLAG          extra node flag for the node process, repeatable (e.g. --node-arg=--cpu-prof)',
        '  --quiet-wait 30          before each run, wait up to this many seconds for the host to be idle (0: no wait)',
        '  --admin-url URL          server to create databases on (or BENCH_DATABASE_URL)',
      ].join('\n'),
    );
    process.exit(0);
  }
  const explain = values.explain;
  if (explain !== 'largest' && explain !== 'all' && explain !== 'none') throw new Error('--explain must be largest, all or none');
  return {
    sizes: parseSizes(values.sizes),
    durationMs: parsePositive('duration', values.duration) * 1000,
    warmupMs: values.warmup === '0' ? 0 : parsePositive('warmup', values.warmup) * 1000,
    concurrency: parsePositive('concurrency', values.concurrency, { integer: true }),
    latencyConcurrency: values['latency-concurrency'] === '0' ? 0 : parsePositive('latency-concurrency', values['latency-concurrency'], { integer: true }),
    poolSize: parsePositive('pool-size', values['pool-size'], { integer: true }),
    variants: parsePositive('variants', values.variants, { integer: true }),
    maxRequests: parsePositive('max-requests', values['max-requests'], { integer: true }),
    timeoutMs: parsePositive('timeout', values.timeout) * 1000,
    adminUrl: values['admin-url'],
    seed: Number(values.seed),
    reuse: values.reuse,
    keep: values.keep,
    unprepared: !values['no-unprepared'],
    explain,
    showSql: values['show-sql'],
    quietWaitMs: values['quiet-wait'] === '0' ? 0 : parsePositive('quiet-wait', values['quiet-wait']) * 1000,
    nodeArgs: values['node-arg'],
    workloads: selectWorkloads(values.workloads),
    countTtlSeconds: Number(values['count-ttl']),
  };
}

function selectWorkloads(raw: string | undefined): readonly Workload[] {
  if (raw === undefined) return WORKLOADS;
  const ids = raw.split(',').map((s) => s.trim());
  for (const id of ids) if (!WORKLOADS.some((w) => w.id === id)) throw new Error(`unknown workload "${id}"; known: ${WORKLOADS.map((w) => w.id).join(', ')}`);
  return WORKLOADS.filter((w) => ids.includes(w.id));
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  await printEnvironment(opts);
  const touched: string[] = [];
  const reports: string[] = [];
  const largest = Math.max(...opts.sizes);
  try {
    for (const size of opts.sizes) {
      touched.push(benchDatabaseName(size));
      const url = await prepareDatabase(opts, size);
      const explain = opts.explain === 'all' || (opts.explain === 'largest' && size === largest);
      reports.push(await benchmarkSize(opts, size, url, explain));
    }
    if (reports.length > 1) {
      console.log('\n## Summary\n');
      console.log(reports.join('\n\n'));
    }
  } finally {
    if (!opts.keep) {
      for (const name of touched) await dropDatabase(opts.adminUrl, name);
      if (touched.length > 0) console.log(`\ndropped ${touched.join(', ')} (use --keep to keep them)`);
    }
  }
}

async function printEnvironment(opts: RunOptions): Promise<void> {
  const sql = postgres(opts.adminUrl, { max: 1, onnotice: () => {} });
  try {
    const settings = await sql<Array<{ name: string; setting: string }>>`
      select name, current_setting(name) as setting from pg_settings
      where name in ('server_version', 'shared_buffers', 'work_mem', 'effective_cache_size', 'random_page_cost', 'jit', 'max_parallel_workers_per_gather')
      order by name`;
    console.log('# Catalog node benchmark\n');
    console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}; node ${process.version}`);
    console.log(`postgres: ${settings.map((s) => `${s.name}=${s.setting}`).join(', ')}`);
    console.log(
      `runs: ${opts.durationMs / 1000} s measured after ${opts.warmupMs / 1000} s warm-up, concurrency ${opts.concurrency}, pool ${opts.poolSize}, ` +
        `${opts.variants} request variants per workload, counts remembered ${opts.countTtlSeconds} s, callers ${CALLER_MIX.map(([k, s]) => `${k} ${Math.round(s * 100)}%`).join(' / ')}`,
    );
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** `bench_<size>` ready to measure: reused when asked and complete, generated otherwise. */
export async function prepareDatabase(opts: Pick<RunOptions, 'adminUrl' | 'reuse' | 'seed'>, size: number): Promise<string> {
  const name = benchDatabaseName(size);
  const url = databaseUrl(opts.adminUrl, name);
  if (opts.reuse && (await databaseExists(opts.adminUrl, name))) {
    const count = await countArtifacts(url);
    if (count === size) {
      console.log(`\nreusing ${name} (${thousands(count)} artifacts)`);
      return url;
    }
    console.log(`\n${name} holds ${count === undefined ? 'no artifacts table' : `${thousands(count)} artifacts`}: regenerating`);
  }
  console.log('');
  const generated = await generateBenchDatabase({ adminUrl: opts.adminUrl, size, seed: opts.seed, log: (line) => console.log(line) });
  return generated.url;
}

async function countArtifacts(url: string): Promise<number | undefined> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql<Array<{ n: number }>>`select count(*)::int as n from artifacts`;
    return row?.n;
  } catch {
    return undefined;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

async function benchmarkSize(opts: RunOptions, size: number, url: string, explain: boolean): Promise<string> {
  console.log(`\n## ${thousands(size)} artifacts (${benchDatabaseName(size)})\n`);
  const t0 = performance.now();
  const runs = await captureWorkloadRuns(url, opts);
  console.log(`captured the node's SQL for ${runs.length * opts.variants} requests in ${formatSeconds(performance.now() - t0)}`);
  if (opts.showSql) printCapturedSql(runs);

  const measurements: Measurement[] = [];
  // Counts never remembered by default: the node then sends exactly the statements replayed raw.
  const node = await startNodeProcess({ databaseUrl: url, poolSize: opts.poolSize, nodeArgs: opts.nodeArgs, countTtlSeconds: opts.countTtlSeconds });
  const record = (m: Measurement) => {
    measurements.push(m);
    console.log(`  ${describeMeasurement(m)}`);
  };
  const quiet = () => waitForQuietHost(opts.quietWaitMs, (line) => console.log(line));
  try {
    const measureAll = async (run: WorkloadRun, concurrency: number) => {
      const settings: MeasureSettings = { ...opts, concurrency };
      await quiet();
      record(await measureNode(node, run, settings));
      if (!issuesSql(run)) return;
      await quiet();
      record(await measureSql(url, run, 'sql', { ...settings, verify: concurrency === opts.concurrency ? VERIFY_REQUESTS : 0 }));
      if (!opts.unprepared) return;
      await quiet();
      record(await measureSql(url, run, 'unprepared', settings));
    };
    for (const run of runs) await measureAll(run, opts.concurrency);
    // Latency without queueing: the same requests, one (or a few) at a time.
    if (opts.latencyConcurrency > 0 && opts.latencyConcurrency !== opts.concurrency) {
      for (const run of runs.filter((r) => r.workload.target === 'latest-latency')) await measureAll(run, opts.latencyConcurrency);
    }
  } finally {
    await node.stop();
  }

  const report = [
    `### ${thousands(size)} artifacts: ${opts.durationMs / 1000} s per run, concurrency ${opts.concurrency}, pool ${opts.poolSize}`,
    '',
    resultsTable(measurements),
    '',
    'CPU per request (µs; when the host is full, req/s = cores ÷ host µs):',
    '',
    cpuPerRequestTable(measurements, cpus().length),
    '',
    `Latency (ms) by caller, c=${opts.concurrency}:`,
    '',
    callerTable(measurements, opts.concurrency),
    '',
    'Node ÷ raw SQL (the same statements, one process against one process):',
    '',
    ratioTable(measurements, opts.countTtlSeconds),
    '',
    'Targets:',
    '',
    targetsTable(size, measurements, opts.concurrency),
  ].join('\n');
  console.log(`\n${report}`);
  for (const m of measurements) {
    if (m.result.errors > 0) console.log(`\n${m.workload.id} / ${PATHS[m.path]}: ${m.result.errors} errors, first: ${m.result.firstError}`);
  }
  if (explain) await printExplains(url, runs);
  return report;
}

runIfEntryPoint(import.meta.url, main);
