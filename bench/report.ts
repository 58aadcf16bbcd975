/** The tables the benchmark prints, the issue's targets, and the EXPLAIN summaries. */
import { statementLabel } from './capture.js';
import { explainStatement } from './explain.js';
import { issuesSql, PATHS, type Measurement, type WorkloadRun } from './measure.js';
import { openDriverClient } from './sql-replay.js';
import { fixed, markdownTable, thousands } from './table.js';
import { CALLER_MIX, WORKLOADS } from './workloads.js';

/** The issues' targets: #2 (latest-in-range latency), #13 (bounded lists, node ÷ raw SQL). */
export const TARGETS = {
  latestP50Ms: 3,
  latestP99Ms: 15,
  latestAtSize: 1_000_000,
  listP50Ms: 10,
  listP99Ms: 50,
  /** Node throughput ÷ raw replay of its own SQL, for latest-in-range and show at 8 in flight. */
  nodeMinRatio: 0.85,
} as const;

/** A run's CPU shares (% of one core) as µs per request served; undefined where not measured. */
export function cpuMicrosPerRequest(m: Measurement, cores: number): Record<'node' | 'bench' | 'postgres' | 'host', number | undefined> {
  const per = (percent: number | undefined) => (percent === undefined || m.result.rps <= 0 ? undefined : (percent / 100 / m.result.rps) * 1e6);
  return { node: per(m.nodeCpu), bench: per(m.benchCpu), postgres: per(m.postgresCpu), host: per(m.hostCpu === undefined ? undefined : m.hostCpu * cores) };
}

/**
 * Where each request's CPU goes, in µs: the node (every process of it), this benchmark's process (the
 * HTTP load generator, or the raw-SQL client), the local PostgreSQL (postmaster and backends), and
 * the rest of the host (the kernel's softirq work, anything else running). When the host is full,
 * req/s = cores ÷ host µs per request, so the rows say what any path could reach on this machine.
 */
export function cpuPerRequestTable(ms: readonly Measurement[], cores: number): string {
  const us = (v: number | undefined) => (v === undefined ? '' : fixed(v, 0));
  return markdownTable(
    ['workload', 'path', 'conc', 'req/s', 'node µs', 'bench process µs', 'PostgreSQL µs', 'rest of host µs', 'host µs', 'host busy'],
    ms.map((m) => {
      const { node, bench, postgres, host } = cpuMicrosPerRequest(m, cores);
      const rest = host === undefined || postgres === undefined || bench === undefined ? undefined : host - postgres - bench - (node ?? 0);
      return [m.workload.id, PATHS[m.path], String(m.concurrency), thousands(m.result.rps), us(node), us(bench), us(postgres), us(rest), us(host), m.hostCpu === undefined ? '' : `${Math.round(m.hostCpu)}%`];
    }),
    ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
  );
}

export function resultsTable(ms: readonly Measurement[]): string {
  return markdownTable(
    ['workload', 'path', 'conc', 'req/s', 'p50 ms', 'p99 ms', 'p90 ms', 'max ms', 'errors', 'node cpu', 'bench cpu', 'host cpu'],
    ms.map((m) => [
      m.workload.id,
      PATHS[m.path],
      String(m.concurrency),
      thousands(m.result.rps),
      fixed(m.result.latency.p50, 2),
      fixed(m.result.latency.p99, 2),
      fixed(m.result.latency.p90, 2),
      fixed(m.result.latency.max, 1),
      String(m.result.errors),
      m.nodeCpu === undefined ? '' : `${Math.round(m.nodeCpu)}%`,
      `${Math.round(m.benchCpu)}%`,
      m.hostCpu === undefined ? '' : `${Math.round(m.hostCpu)}%`,
    ]),
    ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
  );
}

/** Latency per kind of caller, node vs raw SQL, at one concurrency. */
export function callerTable(ms: readonly Measurement[], concurrency: number): string {
  const rows: string[][] = [];
  for (const workload of WORKLOADS) {
    const node = ms.find((m) => m.workload === workload && m.path === 'node' && m.concurrency === concurrency);
    const sql = ms.find((m) => m.workload === workload && m.path === 'sql' && m.concurrency === concurrency);
    for (const [caller] of CALLER_MIX) {
      const n = node?.result.byGroup.get(caller);
      const s = sql?.result.byGroup.get(caller);
      if (!n && !s) continue;
      rows.push([workload.id, caller, thousands(n?.count ?? Number.NaN), fixed(n?.p50 ?? Number.NaN, 2), fixed(n?.p99 ?? Number.NaN, 2), fixed(s?.p50 ?? Number.NaN, 2), fixed(s?.p99 ?? Number.NaN, 2)]);
    }
  }
  return markdownTable(['workload', 'caller', 'node n', 'node p50', 'node p99', 'raw SQL p50', 'raw SQL p99'], rows, ['left', 'left', 'right', 'right', 'right', 'right', 'right']);
}

/**
 * Node ÷ raw SQL per workload and concurrency. Like for like ("fair") when the node remembers no
 * counts: it then sends exactly the statements replayed. Fair rows first.
 */
export function ratioTable(ms: readonly Measurement[], countTtlSeconds: number): string {
  const rows: Array<{ fair: boolean; cells: string[] }> = [];
  for (const node of ms.filter((m) => m.path === 'node')) {
    const sql = ms.find((m) => m.workload === node.workload && m.path === 'sql' && m.concurrency === node.concurrency);
    if (!sql) continue;
    const fair = countTtlSeconds === 0;
    rows.push({
      fair,
      cells: [
        node.workload.id,
        String(node.concurrency),
        thousands(node.result.rps),
        thousands(sql.result.rps),
        fixed(node.result.rps / sql.result.rps, 2),
        `${fixed(node.result.latency.p50, 2)} / ${fixed(sql.result.latency.p50, 2)}`,
        `${fixed(node.result.latency.p99, 2)} / ${fixed(sql.result.latency.p99, 2)}`,
        fair ? 'yes' : `no: the node remembers counts ${countTtlSeconds} s`,
      ],
    });
  }
  rows.sort((a, b) => Number(b.fair) - Number(a.fair));
  return markdownTable(
    ['workload', 'conc', 'node req/s', 'raw req/s', 'node ÷ raw', 'p50 ms node / raw', 'p99 ms node / raw', 'like for like'],
    rows.map((r) => r.cells),
    ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'left'],
  );
}

/**
 * PASS/FAIL against the issues' targets: lists' latency with counts never remembered (#13), the
 * node's throughput against the raw replay of its own SQL for latest-in-range and show (#13), and
 * latest-in-range's latency at every concurrency measured (#2).
 */
export function targetsTable(size: number, ms: readonly Measurement[], concurrency: number): string {
  const rows: string[][] = [];
  const note = size >= TARGETS.latestAtSize ? '' : ` (target set for ${thousands(TARGETS.latestAtSize)})`;
  const find = (workload: (typeof WORKLOADS)[number], path: Measurement['path'], c = concurrency) =>
    ms.find((m) => m.workload === workload && m.path === path && m.concurrency === c);
  for (const workload of WORKLOADS) {
    if (workload.target === 'list-bounded') {
      const node = find(workload, 'node');
      if (!node) continue;
      const { p50, p99 } = node.result.latency;
      const ok = node.result.errors === 0;
      rows.push([workload.id, `node p50 ≤ ${TARGETS.listP50Ms} ms, c=${concurrency}`, `${fixed(p50, 2)} ms`, verdict(ok && p50 <= TARGETS.listP50Ms) + note]);
      rows.push([workload.id, `node p99 ≤ ${TARGETS.listP99Ms} ms, c=${concurrency}`, `${fixed(p99, 2)} ms`, verdict(ok && p99 <= TARGETS.listP99Ms) + note]);
    }
    if (workload.target === 'latest-latency' || workload.target === 'show') {
      const node = find(workload, 'node');
      const sql = find(workload, 'sql');
      if (node && sql) {
        const ratio = node.result.rps / sql.result.rps;
        rows.push([
          workload.id,
          `node req/s ≥ ${TARGETS.nodeMinRatio} × raw SQL req/s, c=${concurrency}`,
          `${thousands(node.result.rps)} / ${thousands(sql.result.rps)} = ${fixed(ratio, 2)}`,
          verdict(ratio >= TARGETS.nodeMinRatio && node.result.errors === 0),
        ]);
      }
    }
    if (workload.target === 'latest-latency') {
      for (const node of ms.filter((m) => m.workload === workload && m.path === 'node')) {
        const { p50, p99 } = node.result.latency;
        const ok = node.result.errors === 0;
        rows.push([workload.id, `node p50 ≤ ${TARGETS.latestP50Ms} ms, c=${node.concurrency}`, `${fixed(p50, 2)} ms`, verdict(ok && p50 <= TARGETS.latestP50Ms) + note]);
        rows.push([workload.id, `node p99 ≤ ${TARGETS.latestP99Ms} ms, c=${node.concurrency}`, `${fixed(p99, 2)} ms`, verdict(ok && p99 <= TARGETS.latestP99Ms) + note]);
      }
    }
  }
  return markdownTable(['workload', 'target', 'measured', 'verdict'], rows);
}

function verdict(pass: boolean): string {
  return pass ? 'PASS' : 'FAIL';
}

/** The statements of one request per workload (an anonymous one when there is one). */
export function printCapturedSql(runs: readonly WorkloadRun[]): void {
  for (const run of runs.filter(issuesSql)) {
    const found = run.variants.findIndex((v) => v.caller === 'anonymous');
    const index = found === -1 ? 0 : found;
    console.log(`\n${run.workload.id}: ${run.variants[index]!.path} (${run.variants[index]!.caller})`);
    run.phases[index]!.forEach((phase, p) => {
      for (const s of phase) console.log(`  phase ${p + 1} [${statementLabel(s)}] ${s.text}\n    params ${JSON.stringify(s.params)}`);
    });
  }
}

/** EXPLAIN (ANALYZE, BUFFERS) of each workload's statements, for one request per kind of caller. */
export async function printExplains(url: string, runs: readonly WorkloadRun[]): Promise<void> {
  console.log('\n### EXPLAIN (ANALYZE, BUFFERS) of the statements per request\n');
  const sql = openDriverClient(url, { max: 1 });
  try {
    for (const run of runs.filter(issuesSql)) {
      for (const [caller] of CALLER_MIX) {
        const index = run.variants.findIndex((v) => v.caller === caller);
        if (index === -1) continue;
        console.log(`#### ${run.workload.id}, ${caller}: ${run.variants[index]!.path}\n`);
        console.log('```');
        for (const statement of run.phases[index]!.flat()) {
          const label = statementLabel(statement);
          if (label === 'estimate') continue; // an EXPLAIN itself: nothing to explain
          const e = await explainStatement(sql, statement);
          const jit = e.jitMs !== undefined ? `, JIT ${e.jitMs.toFixed(1)} ms` : '';
          console.log(`[${label}] execution ${e.executionMs.toFixed(2)} ms, planning ${e.planningMs.toFixed(2)} ms${jit}, shared hit ${e.sharedHit} read ${e.sharedRead}; ${e.topScan}`);
          if (label !== 'blobs') for (const line of e.lines) console.log(`    ${line}`);
        }
        console.log('```\n');
      }
    }
  } finally {
    await sql.end({ timeout: 5 });
  }
}
