/**
 * A bounded closed-loop load generator: `concurrency` workers each send one request, wait for the
 * answer, send the next. A warm-up period is run first and not measured; then requests are
 * measured for `durationMs`. Bounded in time (the deadline, each request's own timeout) and in
 * count (`maxRequests`, warm-up included).
 */

export interface LoadOptions<T> {
  /** Requests are taken round-robin from this pool. */
  items: readonly T[];
  exec(item: T): Promise<void>;
  /** Latencies are also reported per group (e.g. per kind of caller). */
  groupOf?(item: T): string;
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  maxRequests: number;
}

export interface Percentiles {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export interface LoadResult {
  /** Requests completed inside the measured window, per second. */
  rps: number;
  /** Latency (ms) of the requests started inside the measured window. */
  latency: Percentiles;
  byGroup: Map<string, Percentiles>;
  errors: number;
  firstError?: string;
  issued: number;
  windowMs: number;
}

export async function runClosedLoop<T>(opts: LoadOptions<T>): Promise<LoadResult> {
  if (opts.items.length === 0) throw new Error('runClosedLoop: no requests to send');
  const groupNames: string[] = [];
  const groupIndex = new Map<string, number>();
  const itemGroups = opts.items.map((item) => {
    const name = opts.groupOf?.(item) ?? 'all';
    if (!groupIndex.has(name)) {
      groupIndex.set(name, groupNames.length);
      groupNames.push(name);
    }
    return groupIndex.get(name)!;
  });

  const latencies = new Float64Array(opts.maxRequests);
  const groups = new Uint16Array(opts.maxRequests);
  let recorded = 0;
  let issued = 0;
  let completedInWindow = 0;
  let errors = 0;
  let firstError: string | undefined;
  let cursor = 0;

  const start = performance.now();
  const measureFrom = start + opts.warmupMs;
  const deadline = measureFrom + opts.durationMs;

  async function worker(): Promise<void> {
    while (issued < opts.maxRequests) {
      const t0 = performance.now();
      if (t0 >= deadline) return;
      const index = cursor++ % opts.items.length;
      issued++;
      let ok = true;
      try {
        await opts.exec(opts.items[index]!);
      } catch (err) {
        ok = false;
        errors++;
        firstError ??= err instanceof Error ? err.message : String(err);
      }
      const t1 = performance.now();
      if (t1 >= measureFrom && t1 <= deadline) completedInWindow++;
      if (ok && t0 >= measureFrom) {
        latencies[recorded] = t1 - t0;
        groups[recorded] = itemGroups[index]!;
        recorded++;
      }
    }
  }

  await Promise.all(Array.from({ length: opts.concurrency }, () => worker()));
  const windowMs = Math.min(performance.now(), deadline) - measureFrom;

  const all = latencies.subarray(0, recorded);
  const byGroup = new Map<string, Percentiles>();
  for (const [name, g] of groupIndex) {
    const samples = all.filter((_, i) => groups[i] === g);
    byGroup.set(name, percentiles(samples));
  }
  return {
    rps: windowMs > 0 ? completedInWindow / (windowMs / 1000) : 0,
    latency: percentiles(all),
    byGroup,
    errors,
    ...(firstError !== undefined ? { firstError } : {}),
    issued,
    windowMs,
  };
}

/** Nearest-rank percentiles of latency samples in ms. */
export function percentiles(samples: Float64Array): Percentiles {
  const sorted = Float64Array.from(samples).sort();
  const n = sorted.length;
  const rank = (p: number) => (n === 0 ? Number.NaN : sorted[Math.min(n - 1, Math.max(0, Math.ceil(p * n) - 1))]!);
  let sum = 0;
  for (const v of sorted) sum += v;
  return { count: n, p50: rank(0.5), p90: rank(0.9), p99: rank(0.99), max: n === 0 ? Number.NaN : sorted[n - 1]!, mean: n === 0 ? Number.NaN : sum / n };
}

/**
 * Runs `round(query, measured)` over `queries` in turn, round after round, for `warmupMs` and then
 * `durationMs` (`measured` is false during the warm-up). A round takes every scenario one request
 * at a time, so a machine whose load changes over time weighs on every scenario alike.
 */
export async function interleavedRounds(queries: readonly string[], opts: { warmupMs: number; durationMs: number }, round: (query: string, measured: boolean) => Promise<void>): Promise<void> {
  const t0 = performance.now();
  for (let i = 0; performance.now() - t0 < opts.warmupMs + opts.durationMs; i++) {
    await round(queries[i % queries.length]!, performance.now() - t0 >= opts.warmupMs);
  }
}
