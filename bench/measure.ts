/** One measurement: a workload's request pool driven over HTTP at the node, or replayed as raw SQL. */
import postgres from 'postgres';
import { captureStatements, type Phases } from './capture.js';
import { createRandom } from './dataset.js';
import { createHttpClient } from './http-client.js';
import { startUsage } from './host.js';
import { runClosedLoop, type LoadResult } from './load.js';
import type { NodeProcess } from './node-process.js';
import { createSqlReplayer, type SqlReplayer } from './sql-replay.js';
import { fixed, thousands } from './table.js';
import { buildVariants, type RequestVariant, type Workload, type WorkloadContext } from './workloads.js';

export const PATHS = {
  node: 'node (HTTP)',
  sql: 'raw SQL, as the node sends it',
  unprepared: 'raw SQL, unnamed statements',
} as const;

/** How the node sends its hot reads (src/db/client.ts): named, and planned for their parameters (but those of its generically planning twin, `Statement.generic`). */
const NODE_STATEMENTS = { prepare: true, settings: { plan_cache_mode: 'force_custom_plan' } } as const;
export type PathKey = keyof typeof PATHS;

/** A workload's requests and, for each, the statements the node issued for it. */
export interface WorkloadRun {
  workload: Workload;
  variants: RequestVariant[];
  phases: Phases[];
  /** Per request, the ids of the artifacts the node answered with. */
  pageIds: string[][];
}

export interface Measurement {
  workload: Workload;
  path: PathKey;
  concurrency: number;
  result: LoadResult;
  /** CPU the node process used during the run, in % of one core. */
  nodeCpu?: number;
  /** CPU this process (load generator, raw-SQL client) used, in % of one core. */
  benchCpu: number;
  /** Busy share of all the machine's cores during the run. */
  hostCpu?: number;
  /** CPU the local PostgreSQL used during the run, in % of one core. */
  postgresCpu?: number;
}

export interface MeasureSettings {
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  maxRequests: number;
  timeoutMs: number;
  poolSize: number;
}

/** Request pools per workload (`variants` requests each), and the SQL the node issues for each request. */
export async function captureWorkloadRuns(
  url: string,
  opts: { workloads: readonly Workload[]; variants: number; seed: number; poolSize: number },
): Promise<WorkloadRun[]> {
  const ctx = await workloadContext(url);
  const random = createRandom(opts.seed);
  const pools = opts.workloads.map((workload) => ({ workload, variants: buildVariants(workload, random, ctx, opts.variants) }));
  const captured = await captureStatements({ databaseUrl: url, poolSize: opts.poolSize, requests: pools.flatMap((p) => p.variants) });
  let offset = 0;
  return pools.map((p) => {
    const mine = captured.slice(offset, offset + p.variants.length);
    offset += p.variants.length;
    return { ...p, phases: mine.map((c) => c.phases), pageIds: mine.map((c) => c.pageIds) };
  });
}

async function workloadContext(url: string): Promise<WorkloadContext> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const names = await sql<Array<{ name: string }>>`select distinct name from artifacts where type_name = 'heat_templates' order by name`;
    if (names.length === 0) throw new Error('no heat_templates artifacts in the database');
    // A sample spread over the table (every 97th), the same for the same database.
    const ids = await sql<Array<{ id: string }>>`
      select id from (select id, row_number() over (order by id) as n from artifacts
        where type_name = 'heat_templates' and visibility = 'public' and status = 'active') t
      where n % 97 = 0 limit 1000`;
    return { heatNames: names.map((r) => r.name), publicHeatIds: ids.map((r) => r.id) };
  } finally {
    await sql.end({ timeout: 5 });
  }
}

export function issuesSql(run: WorkloadRun): boolean {
  return run.phases.some((phases) => phases.length > 0);
}

export async function measureNode(node: NodeProcess, run: WorkloadRun, s: MeasureSettings, path: 'node' = 'node'): Promise<Measurement> {
  const client = createHttpClient({ port: node.port, concurrency: s.concurrency, timeoutMs: s.timeoutMs });
  try {
    const nodeCpu0 = await node.cpuMicros();
    const usage = startUsage();
    const result = await runClosedLoop({
      items: run.variants,
      exec: (v) => client.get(v.path, v.headers),
      groupOf: (v) => v.caller,
      concurrency: s.concurrency,
      warmupMs: s.warmupMs,
      durationMs: s.durationMs,
      maxRequests: s.maxRequests,
    });
    const nodeCpu1 = await node.cpuMicros();
    const { wallMicros, benchCpu, hostCpu, postgresCpu } = usage.stop();
    return {
      workload: run.workload,
      path,
      concurrency: s.concurrency,
      result,
      nodeCpu: ((nodeCpu1 - nodeCpu0) / wallMicros) * 100,
      benchCpu,
      ...(hostCpu !== undefined ? { hostCpu } : {}),
      ...(postgresCpu !== undefined ? { postgresCpu } : {}),
    };
  } finally {
    client.close();
  }
}

/**
 * The same requests as raw SQL. `verify` first checks (on up to that many requests) that the
 * replay returns the page the node got, so the baseline provably does the node's work.
 */
export async function measureSql(
  url: string,
  run: WorkloadRun,
  path: 'sql' | 'unprepared',
  s: MeasureSettings & { verify?: number; settings?: Record<string, string> },
): Promise<Measurement> {
  const statements = path === 'sql' ? NODE_STATEMENTS : { prepare: false, settings: {} };
  const replayer = createSqlReplayer(url, {
    poolSize: s.poolSize,
    prepare: statements.prepare,
    timeoutMs: s.timeoutMs,
    settings: { ...statements.settings, ...s.settings },
    // Named statements the node plans once (its twin pool) are replayed planned once too.
    ...(statements.prepare ? { genericSettings: { ...statements.settings, plan_cache_mode: 'force_generic_plan', ...s.settings } } : {}),
  });
  const items = run.phases.map((phases, i) => ({ phases, caller: run.variants[i]!.caller }));
  try {
    if (s.verify) await verifyReplay(replayer, run, s.verify);
    const usage = startUsage();
    const result = await runClosedLoop({
      items,
      exec: (item) => replayer.run(item.phases),
      groupOf: (item) => item.caller,
      concurrency: s.concurrency,
      warmupMs: s.warmupMs,
      durationMs: s.durationMs,
      maxRequests: s.maxRequests,
    });
    const { benchCpu, hostCpu, postgresCpu } = usage.stop();
    return { workload: run.workload, path, concurrency: s.concurrency, result, benchCpu, ...(hostCpu !== undefined ? { hostCpu } : {}), ...(postgresCpu !== undefined ? { postgresCpu } : {}) };
  } finally {
    await replayer.close();
  }
}

async function verifyReplay(replayer: SqlReplayer, run: WorkloadRun, limit: number): Promise<void> {
  for (const [i, phases] of run.phases.slice(0, limit).entries()) {
    const mismatch = await replayer.verify(phases, run.pageIds[i]!);
    if (mismatch) throw new Error(`raw-SQL replay of ${run.variants[i]!.path} (${run.variants[i]!.caller}) differs: ${mismatch}`);
  }
}

export function describeMeasurement(m: Measurement, label: string = PATHS[m.path]): string {
  const { rps, latency, errors } = m.result;
  return `${m.workload.id} / ${label} / c=${m.concurrency}: ${thousands(rps)} req/s, p50 ${fixed(latency.p50, 2)} ms, p99 ${fixed(latency.p99, 2)} ms${errors ? `, ${errors} errors` : ''}`;
}
