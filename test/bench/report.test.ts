/** The benchmark's verdict on the list compares like with like: both sides count every request. */
import { describe, expect, it } from 'vitest';
import type { Measurement } from '../../bench/measure.js';
import { targetsTable } from '../../bench/report.js';
import { WORKLOADS } from '../../bench/workloads.js';

const list = WORKLOADS.find((w) => w.target === 'list-throughput')!;
const latest = WORKLOADS.find((w) => w.target === 'latest-latency')!;

function measured(workload: Measurement['workload'], path: Measurement['path'], rps: number): Measurement {
  const latency = { count: 100, p50: 2, p90: 3, p99: 4, max: 5, mean: 2 };
  return { workload, path, concurrency: 8, benchCpu: 0, result: { rps, latency, byGroup: new Map(), errors: 0, issued: 100, windowMs: 1000 } };
}

describe('targetsTable', () => {
  it('judges the list by the node counting every time against raw SQL counting every time, first', () => {
    const table = targetsTable(1_000_000, [measured(latest, 'node', 1000), measured(list, 'node', 377), measured(list, 'sql', 45), measured(list, 'nodeCounting', 20)], 8);
    const rows = table.split('\n').slice(2);
    expect(rows[0]).toContain('both counting every request');
    expect(rows[0]).toContain('20 / 45 = 0.44');
    expect(rows[0]).toContain('FAIL');
    expect(rows.find((r) => r.includes('remembered counts'))).toContain('not judged');
  });
});
