/**
 * Bundle export/import benchmark (not a test): prints a table.
 *
 *   npx tsx bench/bundles.ts [--size-gib 1] [--parts 4] [--rounds 3] [--keep]
 *
 * Starts two real nodes (`catalog-node serve`, PostgreSQL, the filesystem blob store) on
 * loopback. On the first, a closure of `--parts` artifacts (the root links to the others) holds
 * `--size-gib` of random bytes in as many blobs. Then, with curl as the client:
 *   - export: GET /artifacts/kits/{root}/export into a file, vs `tar -cf` of the same blob files
 *     into a file on the same disk;
 *   - import: POST /import of that bundle into the second node (a new project each time, so every
 *     import creates the closure and stores its bytes), vs `tar -xf` of the same bundle, and vs
 *     `tar -xf` followed by md5sum, sha1sum, sha256sum and sync (the same work an import does);
 *   - each node's peak RSS growth during its transfers, for the large bundle and a 1 MiB one.
 * Each node run is followed by its reference runs (on a shared host, a pair sees the same load);
 * the ratios are the medians of the rounds' ratios.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { curl, GiB, makeFile, median, mib, rssKiB } from './blobs.js';
import { runIfEntryPoint } from './cli.js';
import { withNodePair, type RunningNode } from './node-pair.js';

const TYPES_DIR = resolve('test/bundles/fixtures/types');
const MiB = 1024 ** 2;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

const who = (project: string) => ['-H', 'X-User-Id: bench', '-H', `X-Project-Id: ${project}`, '-H', 'X-Roles: member'];

function curlJson(args: string[]): { id: string } {
  const out = spawnSync('curl', ['-sS', '-f', ...args], { encoding: 'utf8', maxBuffer: 16 << 20 });
  if (out.status !== 0) throw new Error(`curl ${args.join(' ')} failed: ${out.stderr}`);
  return JSON.parse(out.stdout) as { id: string };
}

/** A closure of `parts` kits holding `bytes` in all: the root links to every other part. */
async function seedClosure(node: RunningNode, work: string, label: string, bytes: number, parts: number): Promise<{ rootId: string; files: string[] }> {
  const dir = join(work, `files-${label}`);
  mkdirSync(dir);
  const files: string[] = [];
  const ids: string[] = [];
  const json = ['-H', 'Content-Type: application/json', ...who('source')];
  for (let i = 0; i < parts; i++) {
    const file = join(dir, `part-${i}.bin`);
    await makeFile(file, Math.floor(bytes / parts));
    files.push(file);
    const links = i === parts - 1 ? { uses: ids.map((id) => `/artifacts/kits/${id}`) } : {};
    const { id } = curlJson(['-X', 'POST', ...json, '-d', JSON.stringify({ name: `${label}-${i}`, version: '1.0.0', vendor: 'bench', ...links }), `${node.base}/artifacts/kits`]);
    curl(['-T', file, '-H', 'Content-Type: application/octet-stream', ...who('source'), `${node.base}/artifacts/kits/${id}/payload`]);
    curlJson(['-X', 'PATCH', '-H', 'Content-Type: application/json-patch+json', ...who('source'), '-d', '[{"op":"replace","path":"/status","value":"active"}]', `${node.base}/artifacts/kits/${id}`]);
    ids.push(id);
  }
  return { rootId: ids.at(-1)!, files };
}

/** Runs `work` while sampling `pid`'s RSS every 20 ms; the growth over the RSS before it, in MiB. */
async function peakGrowth(pid: number, work: () => void | Promise<void>): Promise<{ growthMiB: number; peakMiB: number }> {
  const baseline = rssKiB(pid);
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, rssKiB(pid))), 20);
  try {
    await work();
  } finally {
    clearInterval(sampler);
  }
  peak = Math.max(peak, rssKiB(pid));
  return { growthMiB: (peak - baseline) / 1024, peakMiB: peak / 1024 };
}

/** curl runs in a child process, so the sampler above keeps ticking while it transfers. */
function curlAsync(args: string[], output = '/dev/null'): Promise<{ seconds: number }> {
  return new Promise((resolveRun, reject) => {
    const child = spawn('curl', ['-sS', '-o', output, '-w', '%{time_total} %{http_code}', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', () => {
      const [time, code] = out.trim().split(' ');
      if (!code?.startsWith('2')) reject(new Error(`curl got HTTP ${code} for ${args.join(' ')}`));
      else resolveRun({ seconds: Number(time) });
    });
  });
}

const exportTo = (node: RunningNode, rootId: string, file: string) => curlAsync([...who('source'), `${node.base}/artifacts/kits/${rootId}/export`], file);
const importFrom = (node: RunningNode, file: string, project: string) =>
  curlAsync(['-X', 'POST', '-T', file, '-H', 'Content-Type: application/x-tar', ...who(project), `${node.base}/import`]);

function timed(command: string, args: string[]): number {
  const t0 = performance.now();
  const out = spawnSync(command, args, { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${out.stderr}`);
  return (performance.now() - t0) / 1000;
}

async function main() {
  const sizeGiB = arg('size-gib', 1);
  const parts = arg('parts', 4);
  const rounds = arg('rounds', 3);
  const bytes = sizeGiB * GiB;
  await withNodePair({ label: 'bundles', names: ['source', 'target'], auth: 'trusted-headers', typesDir: TYPES_DIR, keep: process.argv.includes('--keep') }, async ({ work, nodes: [source, target] }) => {

    process.stdout.write(`seeding a closure of ${parts} artifacts holding ${sizeGiB} GiB, and a 1 MiB one...\n`);
    const large = await seedClosure(source, work, 'large', bytes, parts);
    const small = await seedClosure(source, work, 'small', MiB, parts);

    // Each node run is followed by its reference run, so that every pair shares the host's load
    // of the moment; the ratios are the medians of the pairs' ratios.
    const bundle = join(work, 'bundle.tar');
    const tarOut = join(work, 'reference.tar');
    const exports: number[] = [];
    const tarCreates: number[] = [];
    const exportRss = await peakGrowth(source.pid, async () => {
      for (let i = 0; i < rounds; i++) {
        exports.push((await exportTo(source, large.rootId, bundle)).seconds);
        tarCreates.push(timed('tar', ['-cf', tarOut, '-C', join(work, 'files-large'), '.']));
      }
    });
    const bundleBytes = statSync(bundle).size;

    const extractDir = join(work, 'extracted');
    const fresh = () => {
      rmSync(extractDir, { recursive: true, force: true });
      mkdirSync(extractDir);
    };
    const imports: number[] = [];
    const tarExtracts: number[] = [];
    const extractHashSyncs: number[] = [];
    const importRss = await peakGrowth(target.pid, async () => {
      for (let i = 0; i < rounds; i++) {
        imports.push((await importFrom(target, bundle, `import-${i}`)).seconds);
        fresh();
        tarExtracts.push(timed('tar', ['-xf', bundle, '-C', extractDir]));
        // The same work as an import (unpack, hash, make durable), done by the usual tools.
        fresh();
        extractHashSyncs.push(
          timed('bash', ['-c', `tar -xf '${bundle}' -C '${extractDir}' && md5sum '${extractDir}'/blobs/* >/dev/null && sha1sum '${extractDir}'/blobs/* >/dev/null && sha256sum '${extractDir}'/blobs/* >/dev/null && sync -f '${extractDir}'`]),
        );
      }
    });
    const tarCreate = median(tarCreates);
    const tarExtract = median(tarExtracts);
    const extractHashSync = median(extractHashSyncs);
    // A rate ratio of one pair is the reference's seconds over the node's.
    const pairRatio = (node: number[], reference: number[]) => median(node.map((t, i) => reference[i]! / t));
    const exportRatio = pairRatio(exports, tarCreates);
    const importRatio = pairRatio(imports, tarExtracts);
    const importSameWorkRatio = pairRatio(imports, extractHashSyncs);

    const smallBundle = join(work, 'small.tar');
    const smallExportRss = await peakGrowth(source.pid, async () => void (await exportTo(source, small.rootId, smallBundle)));
    const smallImportRss = await peakGrowth(target.pid, async () => void (await importFrom(target, smallBundle, 'import-small')));

    const exportRate = bundleBytes / median(exports);
    const importRate = bundleBytes / median(imports);
    const tarCreateRate = bundleBytes / tarCreate;
    const tarExtractRate = bundleBytes / tarExtract;
    const rows = [
      [`export ${sizeGiB} GiB bundle, ${parts} blobs (median of ${rounds})`, `${mib(exportRate)} MiB/s`, `tar -cf ${mib(tarCreateRate)} MiB/s`, exportRatio.toFixed(2), '≥ 0.50', exportRatio >= 0.5],
      [`import ${sizeGiB} GiB bundle, md5+sha1+sha256 verified, fsynced (median of ${rounds})`, `${mib(importRate)} MiB/s`, `tar -xf ${mib(tarExtractRate)} MiB/s`, importRatio.toFixed(2), '≥ 0.50', importRatio >= 0.5],
      [`import ${sizeGiB} GiB bundle (as above)`, `${mib(importRate)} MiB/s`, `tar -xf, md5sum, sha1sum, sha256sum, sync ${mib(bundleBytes / extractHashSync)} MiB/s`, importSameWorkRatio.toFixed(2), '(same work)', null],
      [`peak RSS growth, exporting ${sizeGiB} GiB`, `${exportRss.growthMiB.toFixed(1)} MiB (peak ${exportRss.peakMiB.toFixed(0)} MiB)`, `1 MiB bundle: ${smallExportRss.growthMiB.toFixed(1)} MiB`, '', '≤ 64 MiB', exportRss.growthMiB <= 64],
      [`peak RSS growth, importing ${sizeGiB} GiB`, `${importRss.growthMiB.toFixed(1)} MiB (peak ${importRss.peakMiB.toFixed(0)} MiB)`, `1 MiB bundle: ${smallImportRss.growthMiB.toFixed(1)} MiB`, '', '≤ 64 MiB', importRss.growthMiB <= 64],
    ] as const;
    process.stdout.write(`\n| measure | node | reference | ratio | target | pass |\n|---|---|---|---|---|---|\n`);
    for (const r of rows) process.stdout.write(`| ${r.slice(0, 5).join(' | ')} | ${r[5] === null ? '' : r[5] ? 'PASS' : 'FAIL'} |\n`);
    const seconds = (list: number[]) => list.map((t) => t.toFixed(2)).join(', ');
    process.stdout.write(
      `\n(load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${cpus().length} cores; bundle ${bundleBytes} bytes; ratios are medians of each round's node ÷ reference; seconds per round: exports ${seconds(exports)}, tar -cf ${seconds(tarCreates)}; imports ${seconds(imports)}, tar -xf ${seconds(tarExtracts)}, tar -xf + sums + sync ${seconds(extractHashSyncs)})\n`,
    );
  });
}

runIfEntryPoint(import.meta.url, main);
