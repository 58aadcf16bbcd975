/** CPU accounting for the machine the benchmark shares with everything else. */
import { readdirSync, readFileSync } from 'node:fs';
import { processTree } from '../test/support/node-process.js';

/** Linux /proc/stat jiffies (undefined elsewhere). */
export function readHostCpu(): { idle: number; total: number } | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
    const fields = line.trim().split(/\s+/).slice(1).map(Number);
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
    return { idle, total: fields.reduce((a, b) => a + b, 0) };
  } catch {
    return undefined;
  }
}

function busyPercent(before: { idle: number; total: number } | undefined, after: { idle: number; total: number } | undefined): number | undefined {
  if (!before || !after || after.total <= before.total) return undefined;
  return (1 - (after.idle - before.idle) / (after.total - before.total)) * 100;
}

export interface Usage {
  wallMicros: number;
  /** This process's CPU time, in % of one core. */
  benchCpu: number;
  /** Busy share of all the machine's cores. */
  hostCpu?: number;
}

/** CPU used by this process and by the whole machine between start and stop(). */
export function startUsage(): { stop(): Usage } {
  const wall0 = performance.now();
  const cpu0 = process.cpuUsage();
  const host0 = readHostCpu();
  return {
    stop() {
      const wallMicros = (performance.now() - wall0) * 1000;
      const cpu = process.cpuUsage(cpu0);
      const hostCpu = busyPercent(host0, readHostCpu());
      return { wallMicros, benchCpu: ((cpu.user + cpu.system) / wallMicros) * 100, ...(hostCpu !== undefined ? { hostCpu } : {}) };
    },
  };
}

const QUIET_BUSY_PERCENT = 25;

/**
 * Other processes share this machine (test suites...): wait up to `timeoutMs` for the host to be
 * mostly idle (under a quarter of its CPU busy over half a second) before a measurement.
 */
export async function waitForQuietHost(timeoutMs: number, log: (line: string) => void): Promise<void> {
  if (timeoutMs <= 0) return;
  const deadline = performance.now() + timeoutMs;
  let busy: number | undefined;
  while (performance.now() < deadline) {
    const before = readHostCpu();
    await new Promise((resolve) => setTimeout(resolve, 500));
    busy = busyPercent(before, readHostCpu());
    if (busy === undefined || busy < QUIET_BUSY_PERCENT) return;
  }
  log(`  (the host stayed busy, ${Math.round(busy ?? 0)}% CPU, for ${timeoutMs / 1000} s: measuring anyway)`);
}

/**
 * CPU time of one process (every thread of it) in nanoseconds, from /proc/<pid>/task/<tid>/schedstat:
 * exact to the nanosecond, where /proc/<pid>/stat counts 10 ms ticks (too coarse for one request).
 */
export function processCpuNanos(pid: number): number {
  let ns = 0;
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return Number.NaN;
  }
  for (const tid of tids) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ', 1)[0]);
    } catch {
      // the thread ended meanwhile
    }
  }
  return ns;
}

const CLOCK_TICKS_PER_SECOND = 100;

/** CPU time (user + system) of a process and all its descendants, in microseconds, from /proc. */
export function treeCpuMicros(pid: number): number {
  let ticks = 0;
  for (const p of processTree(pid)) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime
    } catch {
      // gone meanwhile
    }
  }
  return (ticks / CLOCK_TICKS_PER_SECOND) * 1e6;
}
