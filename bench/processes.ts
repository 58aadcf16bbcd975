/**
 * One node process against N (`server.processes`, node:cluster): latest-in-range with 8 requests
 * in flight, through a real `catalog-node serve` on a loopback port. Prints one table.
 *
 *   npx tsx bench/processes.ts [--size 1000000] [--processes 2] [--duration 10] [--reuse] [--keep]
 */
import { availableParallelism, cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { startNodeProcess } from '../test/support/node-process.js';
import { parsePositive, runIfEntryPoint } from './cli.js';
import { benchDatabaseName, DEFAULT_ADMIN_URL, dropDatabase } from './databases.js';
import { treeCpuMicros, waitForQuietHost } from './host.js';
import { captureWorkloadRuns, describeMeasurement, measureNode, type Measurement } from './measure.js';
import type { NodeProcess } from './node-process.js';
import { cpuMicrosPerRequest, cpuPerRequestTable, TARGETS } from './report.js';
import { prepareDatabase } from './run.js';
import { fixed, markdownTable, thousands } from './table.js';
import { WORKLOADS } from './workloads.js';

/** A real `catalog-node serve` with `processes` HTTP processes (the reliability tests' launcher). */
async function startServe(databaseUrl: string, processes: number, poolSize: number): Promise<NodeProcess> {
  // Access lines would cost the node more than some requests do.
  const node = await startNodeProcess(databaseUrl, { server: { processes }, database: { pool_size: poolSize }, log: { level: 'warn' } });
  // Every worker of a cluster must be up before measuring, not only the first to answer.
  await new Promise((r) => setTimeout(r, 2000));
  return { port: node.port, pid: node.pid, cpuMicros: async () => treeCpuMicros(node.pid), stop: () => node.stop(45_000) };
}

/**
 * The most `processes` node processes can give over one, on `cores` cores, at the CPU per request
 * one process was measured with: one process serves at most 1 ÷ node µs (one thread), and any
 * number at most cores ÷ (node + everything else) µs, everything else being PostgreSQL, the load
 * generator and the kernel (the host's busy time per request). Undefined without the figures.
 */
function processesCeiling(one: Measurement, processes: number, cores: number): { nodeUs: number; restUs: number; times: number } | undefined {
  const { node: nodeUs, host: hostUs } = cpuMicrosPerRequest(one, cores);
  if (nodeUs === undefined || hostUs === undefined) return undefined;
  const restUs = Math.max(0, hostUs - nodeUs);
  const rate = (n: number) => Math.min(n / nodeUs, cores / (nodeUs + restUs));
  return { nodeUs, restUs, times: rate(processes) / rate(1) };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      size: { type: 'string', default: '1000000' },
      processes: { type: 'string', default: String(availableParallelism()) },
      duration: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '2' },
      concurrency: { type: 'string', default: '8' },
      'pool-size': { type: 'string', default: '10' },
      'admin-url': { type: 'string', default: process.env.BENCH_DATABASE_URL ?? DEFAULT_ADMIN_URL },
      'quiet-wait': { type: 'string', default: '30' },
      reuse: { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
    },
  });
  const size = parsePositive('size', values.size, { integer: true });
  const processes = parsePositive('processes', values.processes, { integer: true });
  const concurrency = parsePositive('concurrency', values.concurrency, { integer: true });
  const poolSize = parsePositive('pool-size', values['pool-size'], { integer: true });
  const settings = {
    concurrency,
    warmupMs: parsePositive('warmup', values.warmup) * 1000,
    durationMs: parsePositive('duration', values.duration) * 1000,
    maxRequests: 2_000_000,
    timeoutMs: 10_000,
    poolSize,
  };
  const adminUrl = values['admin-url'];
  const workload = WORKLOADS.find((w) => w.id === 'latest-in-range')!;

  console.log('# One node process against several (node:cluster)\n');
  console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}; node ${process.version}`);
  console.log(`latest-in-range at ${thousands(size)} artifacts, ${concurrency} in flight, ${settings.durationMs / 1000} s after ${settings.warmupMs / 1000} s warm-up, pool ${poolSize} per process\n`);
  try {
    const url = await prepareDatabase({ adminUrl, reuse: values.reuse, seed: 42 }, size);
    const [run] = await captureWorkloadRuns(url, { workloads: [workload], variants: 200, seed: 42, poolSize });
    const measured: Array<{ processes: number; m: Measurement }> = [];
    for (const n of [...new Set([1, processes])]) {
      const node = await startServe(url, n, poolSize);
      try {
        await waitForQuietHost(Number(values['quiet-wait']) * 1000, (line) => console.log(line));
        const m = await measureNode(node, run!, settings);
        console.log(`  ${n} process${n > 1 ? 'es' : ''}: ${describeMeasurement(m)}`);
        measured.push({ processes: n, m });
      } finally {
        await node.stop();
      }
    }
    const one = measured[0]!.m.result.rps;
    console.log(
      `\n${markdownTable(
        ['processes', 'req/s', '× one process', 'p50 ms', 'p99 ms', 'errors', 'node cpu (all processes)'],
        measured.map(({ processes: n, m }) => [
          String(n),
          thousands(m.result.rps),
          fixed(m.result.rps / one, 2),
          fixed(m.result.latency.p50, 2),
          fixed(m.result.latency.p99, 2),
          String(m.result.errors),
          `${Math.round(m.nodeCpu ?? 0)}%`,
        ]),
        ['right', 'right', 'right', 'right', 'right', 'right', 'right'],
      )}`,
    );
    console.log(`\nCPU per request (µs; when the host is full, req/s = cores ÷ host µs):\n\n${cpuPerRequestTable(measured.map(({ m }) => m), cpus().length)}`);
    const ceiling = processesCeiling(measured[0]!.m, processes, cpus().length);
    if (ceiling) {
      console.log(
        `\nAt one process's CPU per request (node ${fixed(ceiling.nodeUs, 0)} µs, everything else ${fixed(ceiling.restUs, 0)} µs), ${processes} processes on ${cpus().length} cores reach at most ` +
          `${fixed(ceiling.times, 2)} × one process: one process is held to one core (1 ÷ node µs), and every process together to the cores (cores ÷ host µs).`,
      );
    }
    const many = measured.at(-1)!.m;
    const note = size >= TARGETS.latestAtSize ? '' : ` (target set for ${thousands(TARGETS.latestAtSize)})`;
    console.log(
      `\n${markdownTable(
        ['target', 'measured', 'verdict'],
        [
          [`p50 ≤ ${TARGETS.latestP50Ms} ms at c=${concurrency}, ${processes} processes`, `${fixed(many.result.latency.p50, 2)} ms`, (many.result.latency.p50 <= TARGETS.latestP50Ms ? 'PASS' : 'FAIL') + note],
          [`throughput ≥ 1.7 × one process`, fixed(many.result.rps / one, 2), many.result.rps / one >= 1.7 ? 'PASS' : 'FAIL'],
        ],
      )}`,
    );
  } finally {
    if (!values.keep) await dropDatabase(adminUrl, benchDatabaseName(size));
  }
}

runIfEntryPoint(import.meta.url, main);
