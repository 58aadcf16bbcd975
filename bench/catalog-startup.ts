/**
 * How long `catalog` takes to start, beside a bare `node` and a node that only registers tsx:
 * the floor any command pays. Prints a markdown table of medians over --runs runs (default 9).
 *
 *   npx tsx bench/catalog-startup.ts [--runs 9]
 */
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';

const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 9;
const bin = join(import.meta.dirname, '..', 'bin', 'catalog.js');
const cases: Array<[string, string[]]> = [
  ['node -e 0 (floor)', ['-e', '0']],
  ['node + tsx register only', ['--import', 'tsx/esm', '-e', '0']],
  ['catalog --version', [bin, '--version']],
  ['catalog artifact list --help', [bin, 'artifact', 'list', '--help']],
  ['catalog completion bash', [bin, 'completion', 'bash']],
  ['catalog schema list (no node: exits 1)', [bin, 'schema', 'list']],
];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

console.log(`runs: ${runs}; load average before: ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
console.log('| command | median ms | min ms |');
console.log('|---|---:|---:|');
for (const [label, args] of cases) {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    spawnSync(process.execPath, args, { env: { ...process.env, CATALOG_URL: 'http://127.0.0.1:1' }, stdio: 'ignore' });
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  console.log(`| ${label} | ${median(times).toFixed(0)} | ${Math.min(...times).toFixed(0)} |`);
}
