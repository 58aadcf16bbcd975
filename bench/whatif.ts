/**
 * What-ifs for the node's SQL: replays the statements the node issues (captured as in run.ts)
 * with one change at a time, to size the fixes bench/README.md proposes before anyone edits src/.
 *
 *   npx tsx bench/whatif.ts [--size 1000000] [--duration 6] [--concurrency 8] [--reuse] [--keep]
 *
 * Changes tried: unnamed statements, generic plans allowed, jit off, the list's estimate (its
 * EXPLAIN) or capped count left out, and a multi-column GIN index. The index goes on a copy
 * of the database (bench_<size>_whatif, dropped afterwards), never on bench_<size>.
 */
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import type { Phases, Statement } from './capture.js';
import { parsePositive, runIfEntryPoint } from './cli.js';
import { benchDatabaseName, databaseExists, databaseUrl, DEFAULT_ADMIN_URL, dropDatabase, recreateDatabase } from './databases.js';
import { generateBenchDatabase } from './generate.js';
import { waitForQuietHost } from './host.js';
import { captureWorkloadRuns, measureSql, type MeasureSettings, type WorkloadRun } from './measure.js';
import { fixed, markdownTable, thousands } from './table.js';
import { WORKLOADS } from './workloads.js';

/** The index proposed for the list's filters (needs the btree_gin extension). */
const MULTI_COLUMN_GIN = 'create index whatif_list_filters_gin on artifacts using gin (type_name, visibility, status, tags, metadata jsonb_path_ops)';

interface WhatIf {
  label: string;
  /** Only for the list workload. */
  listOnly?: boolean;
  prepare?: boolean;
  settings?: Record<string, string>;
  onCopy?: boolean;
  rewrite?(statement: Statement): Statement | undefined;
}

const WHAT_IFS: readonly WhatIf[] = [
  { label: 'as the node sends it (named, planned per execution)', prepare: true },
  { label: 'unnamed statements', prepare: false },
  { label: 'named, generic plans allowed', prepare: true, settings: { plan_cache_mode: 'auto' } },
  { label: 'jit off', prepare: true, settings: { jit: 'off' } },
  { label: 'no estimate (EXPLAIN)', listOnly: true, prepare: true, rewrite: (s) => (s.text.startsWith('explain ') ? undefined : s) },
  { label: 'no total count', listOnly: true, prepare: true, rewrite: (s) => (s.text.startsWith('select count(') ? undefined : s) },
  { label: 'multi-column GIN index', listOnly: true, prepare: true, onCopy: true },
];

function rewritePhases(phases: Phases, rewrite: WhatIf['rewrite']): Phases {
  if (!rewrite) return phases;
  return phases.map((phase) => phase.map(rewrite).filter((s): s is Statement => s !== undefined)).filter((phase) => phase.length > 0);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      size: { type: 'string', default: '1000000' },
      duration: { type: 'string', default: '6' },
      warmup: { type: 'string', default: '1.5' },
      concurrency: { type: 'string', default: '8' },
      'pool-size': { type: 'string', default: '10' },
      variants: { type: 'string', default: '100' },
      'admin-url': { type: 'string', default: process.env.BENCH_DATABASE_URL ?? DEFAULT_ADMIN_URL },
      seed: { type: 'string', default: '42' },
      reuse: { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
    },
  });
  const size = parsePositive('size', values.size, { integer: true });
  const adminUrl = values['admin-url'];
  const settings: MeasureSettings = {
    concurrency: parsePositive('concurrency', values.concurrency, { integer: true }),
    warmupMs: parsePositive('warmup', values.warmup) * 1000,
    durationMs: parsePositive('duration', values.duration) * 1000,
    maxRequests: 2_000_000,
    timeoutMs: 10_000,
    poolSize: parsePositive('pool-size', values['pool-size'], { integer: true }),
  };
  const name = benchDatabaseName(size);
  const url = databaseUrl(adminUrl, name);
  const copyName = `${name}_whatif`;
  const copyUrl = databaseUrl(adminUrl, copyName);

  const reused = values.reuse && (await databaseExists(adminUrl, name));
  if (reused) console.log(`reusing ${name}`);
  else await generateBenchDatabase({ adminUrl, size, seed: Number(values.seed), log: (line) => console.log(line) });

  try {
    const runs = await captureWorkloadRuns(url, {
      workloads: WORKLOADS.filter((w) => w.target !== 'none'),
      variants: parsePositive('variants', values.variants, { integer: true }),
      seed: Number(values.seed),
      poolSize: settings.poolSize,
    });
    await createIndexedCopy(adminUrl, name, copyName);
    const rows: string[][] = [];
    for (const run of runs) {
      for (const whatIf of WHAT_IFS) {
        if (whatIf.listOnly && run.workload.target !== 'list-bounded') continue;
        const changed: WorkloadRun = { ...run, phases: run.phases.map((p) => rewritePhases(p, whatIf.rewrite)) };
        await waitForQuietHost(30_000, (line) => console.log(line));
        const m = await measureSql(whatIf.onCopy ? copyUrl : url, changed, whatIf.prepare ? 'sql' : 'unprepared', {
          ...settings,
          ...(whatIf.settings ? { settings: whatIf.settings } : {}),
        });
        console.log(`  ${run.workload.id} / ${whatIf.label}: ${thousands(m.result.rps)} req/s, p50 ${fixed(m.result.latency.p50, 2)} ms, p99 ${fixed(m.result.latency.p99, 2)} ms`);
        rows.push([run.workload.id, whatIf.label, thousands(m.result.rps), fixed(m.result.latency.p50, 2), fixed(m.result.latency.p99, 2), String(m.result.errors)]);
      }
    }
    console.log(`\n### What-ifs at ${thousands(size)} artifacts (raw-SQL replay of the node's statements, c=${settings.concurrency}, pool ${settings.poolSize})\n`);
    console.log(markdownTable(['workload', 'change', 'req/s', 'p50 ms', 'p99 ms', 'errors'], rows, ['left', 'left', 'right', 'right', 'right', 'right']));
  } finally {
    await dropDatabase(adminUrl, copyName);
    if (!values.keep) await dropDatabase(adminUrl, name);
  }
}

/** A copy of the bench database with the proposed index (a template copy: no connections to it may be open). */
async function createIndexedCopy(adminUrl: string, template: string, copy: string): Promise<void> {
  await recreateDatabase(adminUrl, copy, template);
  const sql = postgres(databaseUrl(adminUrl, copy), { max: 1, onnotice: () => {}, connection: { maintenance_work_mem: '1GB' } });
  try {
    await sql.unsafe('create extension if not exists btree_gin');
    await sql.unsafe(MULTI_COLUMN_GIN);
    await sql.unsafe('vacuum (analyze) artifacts');
  } finally {
    await sql.end({ timeout: 5 });
  }
}

runIfEntryPoint(import.meta.url, main);
