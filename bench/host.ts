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
  /** The local PostgreSQL's CPU time (the postmaster and every backend), in % of one core. */
  postgresCpu?: number;
}

/**
 * The pid of this machine's PostgreSQL postmaster (Debian keeps it in /var/run/postgresql), so its
 * backends' CPU can be told from the node's; undefined where there is none to read.
 */
function localPostmasterPid(): number | undefined {
  try {
    const pidFile = readdirSync('/var/run/postgresql').find((f) => f.endsWith('.pid'));
    const pid = pidFile ? Number(readFileSync(`/var/run/postgresql/${pidFile}`, 'utf8').split('\n', 1)[0]) : NaN;
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** CPU used by this process, by the local PostgreSQL and by the whole machine between start and stop(). */
export function startUsage(): { stop(): Usage } {
  const wall0 = performance.now();
  const cpu0 = process.cpuUsage();
  const host0 = readHostCpu();
  const postmaster = localPostmasterPid();
  const postgresSince = postmaster === undefined ? undefined : treeCpuFrom(postmaster);
  return {
    stop() {
      const wallMicros = (performance.now() - wall0) * 1000;
      const cpu = process.cpuUsage(cpu0);
      const hostCpu = busyPercent(host0, readHostCpu());
      const postgresCpu = postgresSince === undefined ? undefined : (postgresSince() / wallMicros) * 100;
      return {
        wallMicros,
        benchCpu: ((cpu.user + cpu.system) / wallMicros) * 100,
        ...(hostCpu !== undefined ? { hostCpu } : {}),
        ...(postgresCpu !== undefined ? { postgresCpu } : {}),
      };
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

/** CPU time (user + system) of each process of a tree, in microseconds, from /proc. */
function treeCpuByPid(pid: number): Map<number, number> {
  const byPid = new Map<number, number>();
  for (const p of processTree(pid)) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      byPid.set(p, ((Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND) * 1e6); // utime, stime
    } catch {
      // gone meanwhile
    }
  }
  return byPid;
}

/** CPU time (user + system) of a process and all its descendants, in microseconds, from /proc. */
export function treeCpuMicros(pid: number): number {
  let micros = 0;
  for (const m of treeCpuByPid(pid).values()) micros += m;
  return micros;
}

/**
 * CPU a process tree spends from now until the call of the function returned, in microseconds:
 * each process's growth, a process started meanwhile counted whole. One that ended meanwhile is left
 * out (what it spent in the window can no longer be read), so a tree whose members come and go
 * (PostgreSQL's backends) is never counted below zero, only a little low.
 */
export function treeCpuFrom(pid: number): () => number {
  const before = treeCpuByPid(pid);
  return () => {
    let micros = 0;
    for (const [p, m] of treeCpuByPid(pid)) micros += m - (before.get(p) ?? 0);
    return micros;
  };
}
