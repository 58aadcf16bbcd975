/** The benchmark's verdicts: lists by their latency, the node against the raw replay of its own SQL, fair rows first. */
import { describe, expect, it } from 'vitest';
import type { Measurement } from '../../bench/measure.js';
import { ratioTable, targetsTable } from '../../bench/report.js';
import { WORKLOADS } from '../../bench/workloads.js';

const list = WORKLOADS.find((w) => w.target === 'list-bounded')!;
const latest = WORKLOADS.find((w) => w.target === 'latest-latency')!;
const show = WORKLOADS.find((w) => w.target === 'show')!;

function measured(workload: Measurement['workload'], path: Measurement['path'], rps: number, p50 = 2, p99 = 4): Measurement {
  const latency = { count: 100, p50, p90: 3, p99, max: 5, mean: 2 };
  return { workload, path, concurrency: 8, benchCpu: 0, result: { rps, latency, byGroup: new Map(), errors: 0, issued: 100, windowMs: 1000 } };
}

describe('targetsTable', () => {
  it('judges a list by its latency and latest-in-range and show by node ÷ raw SQL', () => {
    const table = targetsTable(
      1_000_000,
      [measured(list, 'node', 300, 12, 40), measured(list, 'sql', 320), measured(latest, 'node', 900), measured(latest, 'sql', 1000), measured(show, 'node', 700), measured(show, 'sql', 1000)],
      8,
    );
    const rows = table.split('\n').slice(2);
    expect(rows.find((r) => r.includes(list.id) && r.includes('p50 ≤ 10 ms'))).toContain('FAIL');
    expect(rows.find((r) => r.includes(list.id) && r.includes('p99 ≤ 50 ms'))).toContain('PASS');
    expect(rows.find((r) => r.includes(latest.id) && r.includes('0.85'))).toContain('900 / 1,000 = 0.90');
    expect(rows.find((r) => r.includes(latest.id) && r.includes('0.85'))).toContain('PASS');
    expect(rows.find((r) => r.includes(show.id) && r.includes('0.85'))).toContain('FAIL');
  });
});

describe('ratioTable', () => {
  it('says the node ÷ raw SQL ratio, and is like for like only when the node remembers no counts', () => {
    const ms = [measured(list, 'node', 300), measured(list, 'sql', 400), measured(show, 'node', 500)];
    const fair = ratioTable(ms, 0).split('\n').slice(2);
    expect(fair).toHaveLength(1); // show has no raw-SQL row to hold it against
    expect(fair[0]).toContain('0.75');
    expect(fair[0]).toContain('yes');
    expect(ratioTable(ms, 10)).toContain('no: the node remembers counts 10 s');
  });
});
