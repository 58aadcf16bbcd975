/**
 * Pull throughput benchmark (not a test): prints a markdown table.
 *
 *   npx tsx bench/pull.ts [--size-mib 256] [--rounds 3] [--cpu-prof-dir DIR]      # --size-mib 1024 for 1 GiB
 *
 * Starts two real nodes (`catalog-node serve`, each its own PostgreSQL database and filesystem
 * blob store, jobs run in-process) on loopback; the child enrols with the upstream for pull. On the
 * upstream, one public artifact holds a blob of `--size-mib` random bytes. Per round, interleaved:
 *   - local download: GET of that blob from the upstream with curl into /dev/null (what a client
 *     of the upstream gets);
 *   - pull through one hop: POST /federation/v1/pull on the child until its job has succeeded
 *     (the upstream describes and signs the closure, streams the bundle; the child verifies
 *     md5, sha1 and sha256 as the bytes arrive, stores them durably, checks provenance and
 *     records the copy), then the cached copy is deleted so the next round transfers again.
 * The pull also writes the bytes, so a reference row times curl writing the download to a file on
 * the same disk; and, since a pull is a bundle import fed by the upstream, another times POST
 * /import on the child of the same closure's bundle (exported to a file beforehand, into a new
 * project each round): the same verification and storage, without the network hop. The fairest
 * baseline is downloadStored (the download kept by the node's own store code), then downloadKept
 * with all three digests (the same per-byte work, written plainly). Each row also gives the CPU-seconds per GiB of
 * each node's process tree and of this process; `--cpu-prof-dir` profiles both nodes.
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { get, type IncomingMessage } from 'node:http';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { uploadKey } from '../src/blobs/blob-store.js';
import { writeHashed } from '../src/blobs/digest.js';
import { FsBlobStore } from '../src/blobs/fs.js';
import { curl, makeFile, median, mib } from './blobs.js';
import { runIfEntryPoint } from './cli.js';
import { treeCpuMicros } from './host.js';
import { withNodePair, type RunningNode } from './node-pair.js';

const TYPES_DIR = resolve('test/bundles/fixtures/types');
const MiB = 1024 ** 2;
const ADMIN = { 'X-User-Id': 'root', 'X-Project-Id': 'admin', 'X-Roles': 'admin' };

export function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

export interface CallableNode extends RunningNode {
  call(method: string, path: string, body?: unknown, contentType?: string): Promise<Record<string, unknown>>;
}

/** The node's API as an admin (trusted headers). */
export function callable(node: RunningNode): CallableNode {
  return {
    ...node,
    async call(method, path, body, contentType = 'application/json') {
      const res = await fetch(`${node.base}${path}`, { method, headers: { ...ADMIN, ...(body !== undefined ? { 'content-type': contentType } : {}) }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
      const text = await res.text();
      if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
      return text ? (JSON.parse(text) as Record<string, unknown>) : {};
    },
  };
}

/** curl's own time for a GET of `url` written to `file` (bench/blobs.ts's curl writes to /dev/null). */
export function curlToFile(url: string, file: string): number {
  const out = spawnSync('curl', ['-sS', '-f', '-o', file, '-w', '%{time_total}', url], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`curl ${url} failed: ${out.stderr}`);
  return Number(out.stdout.trim());
}

/**
 * A download kept the way a pull keeps it, in this process: the blob streamed from `url` into
 * `file`, the named digests computed as the bytes arrive, then fsynced. With ['sha256'] it is what
 * a careful client does to keep a verified copy; with md5, sha1 and sha256 it is the pull's own
 * per-byte work (the pull records all three for Glare's clients) without the catalog around it.
 */
export async function downloadKept(url: string, file: string, algorithms: string[]): Promise<number> {
  const t0 = performance.now();
  const hashes = algorithms.map((a) => createHash(a));
  const res = await new Promise<IncomingMessage>((resolve, reject) => get(url, resolve).on('error', reject));
  if (res.statusCode !== 200) throw new Error(`GET ${url}: ${res.statusCode}`);
  const digest = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      for (const h of hashes) h.update(chunk);
      done(null, chunk);
    },
  });
  await pipeline(res, digest, createWriteStream(file));
  for (const h of hashes) h.digest('hex');
  // fsync through a new descriptor flushes the file's data all the same.
  const handle = await open(file, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
  return (performance.now() - t0) / 1000;
}

/**
 * A download kept exactly as the node keeps a blob, in this process: the GET's body through the
 * node's own writeHashed (md5 on a worker thread, sha1 and sha256 inline) into a filesystem store
 * on the same disk (batched writes, background flushes, fsync before it answers). The pull does
 * this and more (the hop, the bundle, provenance, the catalog's rows): pull ÷ this is what the
 * federation adds to keeping the bytes at all.
 */
export async function downloadStored(url: string, root: string, sizeBytes: number): Promise<number> {
  const t0 = performance.now();
  const res = await new Promise<IncomingMessage>((resolve, reject) => get(url, resolve).on('error', reject));
  if (res.statusCode !== 200) throw new Error(`GET ${url}: ${res.statusCode}`);
  const store = new FsBlobStore(root);
  const stored = await writeHashed(store, res, { key: uploadKey('kits', randomUUID(), randomUUID()), signal: AbortSignal.timeout(600_000), maxBytes: sizeBytes, expectedSize: sizeBytes });
  const seconds = (performance.now() - t0) / 1000;
  await store.remove(stored.locator);
  return seconds;
}

/** curl's own time for POST /import of `file` into `project` on the node at `url`. */
export function curlImport(url: string, file: string, project: string): number {
  const out = spawnSync('curl', ['-sS', '-f', '-o', '/dev/null', '-w', '%{time_total}', '-X', 'POST', '-T', file, '-H', 'Content-Type: application/x-tar', '-H', 'X-User-Id: bench', '-H', `X-Project-Id: ${project}`, '-H', 'X-Roles: member', url], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`curl POST ${url} failed: ${out.stderr}`);
  return Number(out.stdout.trim());
}

/**
 * A pull, timed from its request to the end the node records for it (finished_at, the same clock):
 * the bench asks for the job's state every 250 ms, since asking every few milliseconds through a
 * transfer of seconds costs both processes CPU the pull competes for on a small machine.
 */
async function pullOnce(child: CallableNode, upstreamId: string, artifactId: string): Promise<{ seconds: number; rootId: string }> {
  const requested = Date.now();
  const job = await child.call('POST', '/federation/v1/pull', { upstream: upstreamId, id: artifactId });
  for (;;) {
    const state = await child.call('GET', `/federation/v1/jobs/${String(job.id)}`);
    if (state.status === 'succeeded') return { seconds: (Date.parse(String(state.finished_at)) - requested) / 1000, rootId: (state.result as { roots: string[] }).roots[0]! };
    if (state.status === 'failed') throw new Error(`pull failed: ${String(state.error)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function main() {
  const sizeMiB = arg('size-mib', 256);
  const rounds = arg('rounds', 3);
  const profiles = process.argv.indexOf('--cpu-prof-dir');
  // Each node process (and its md5 worker) writes a .cpuprofile there when it exits.
  const nodeArgs = profiles > 0 ? ['--cpu-prof', `--cpu-prof-dir=${resolve(process.argv[profiles + 1]!)}`] : [];
  await withNodePair({ label: 'pull', names: ['upstream', 'child'], auth: 'anonymous,trusted-headers', typesDir: TYPES_DIR, nodeArgs }, async ({ work, nodes }) => {
    const [upstream, child] = nodes.map(callable) as [CallableNode, CallableNode];

    process.stdout.write(`seeding one public artifact holding ${sizeMiB} MiB ...\n`);
    const file = join(work, 'blob.bin');
    await makeFile(file, sizeMiB * MiB);
    const kit = await upstream.call('POST', '/artifacts/kits', { name: 'big', version: '1.0.0', vendor: 'bench' });
    curl(['-T', file, '-H', 'Content-Type: application/octet-stream', ...Object.entries(ADMIN).flatMap(([k, v]) => ['-H', `${k}: ${v}`]), `${upstream.base}/artifacts/kits/${String(kit.id)}/payload`]);
    await upstream.call('PATCH', `/artifacts/kits/${String(kit.id)}`, [{ op: 'replace', path: '/status', value: 'active' }, { op: 'replace', path: '/visibility', value: 'public' }], 'application/json-patch+json');
    const { token } = (await upstream.call('POST', '/federation/v1/admin/enrolment-tokens', { permissions: ['pull'] })) as { token: string };
    const peer = await child.call('POST', '/federation/v1/admin/upstreams', { url: upstream.base, token });
    const upstreamId = String(peer.node_id);

    const blobUrl = `${upstream.base}/artifacts/kits/${String(kit.id)}/payload`;
    const bytes = sizeMiB * MiB;
    const bundle = join(work, 'bundle.tar');
    curlToFile(`${upstream.base}/artifacts/kits/${String(kit.id)}/export`, bundle);
    const loads: string[] = [];
    const out = join(work, 'download.bin');
    const rows = new Map<string, Array<{ seconds: number; upstream: number; child: number; bench: number }>>();
    /** Times `run` (seconds it reports) and the CPU each process used meanwhile (curl's own is not counted). */
    const measured = async (row: string, run: () => number | Promise<number>) => {
      const cpu0 = { upstream: treeCpuMicros(upstream.pid), child: treeCpuMicros(child.pid), bench: process.cpuUsage() };
      const seconds = await run();
      const bench = process.cpuUsage(cpu0.bench);
      const sample = { seconds, upstream: treeCpuMicros(upstream.pid) - cpu0.upstream, child: treeCpuMicros(child.pid) - cpu0.child, bench: bench.user + bench.system };
      rows.set(row, [...(rows.get(row) ?? []), sample]);
    };
    // Warm-up: one of each, not counted (page cache, JIT, connection pools).
    curl([blobUrl]);
    await child.call('DELETE', `/artifacts/kits/${(await pullOnce(child, upstreamId, String(kit.id))).rootId}`);
    for (let i = 0; i < rounds; i++) {
      loads.push(loadavg()[0]!.toFixed(1));
      await measured('devnull', () => curl([blobUrl]).seconds);
      await measured('toFile', () => curlToFile(blobUrl, out));
      rmSync(out, { force: true });
      await measured('keptSha256', () => downloadKept(blobUrl, out, ['sha256']));
      rmSync(out, { force: true });
      await measured('keptAll', () => downloadKept(blobUrl, out, ['md5', 'sha1', 'sha256']));
      rmSync(out, { force: true });
      await measured('stored', () => downloadStored(blobUrl, join(work, 'stored'), bytes));
      let rootId = '';
      await measured('pull', async () => {
        const pulled = await pullOnce(child, upstreamId, String(kit.id));
        rootId = pulled.rootId;
        return pulled.seconds;
      });
      await child.call('DELETE', `/artifacts/kits/${rootId}`);
      await measured('import', () => curlImport(`${child.base}/import`, bundle, `import-${i}`));
    }
    const gib = bytes / 1024 ** 3;
    const rate = (row: string) => bytes / median(rows.get(row)!.map((r) => r.seconds));
    const cpu = (row: string, of: 'upstream' | 'child' | 'bench') => (median(rows.get(row)!.map((r) => r[of])) / 1e6 / gib).toFixed(2);
    const pullRate = rate('pull');
    const verdict = (ratio: number) => `≥ 0.80 ${ratio >= 0.8 ? 'PASS' : 'FAIL'}`;
    const line = (row: string, label: string, target: string, benchCpu = true) => {
      const ratio = row === 'pull' ? '' : (pullRate / rate(row)).toFixed(2);
      process.stdout.write(`| ${label} | ${mib(rate(row))} | ${ratio} | ${target} | ${cpu(row, 'upstream')} | ${cpu(row, 'child')} | ${benchCpu ? cpu(row, 'bench') : 'curl'} |\n`);
    };
    process.stdout.write(`\n| measure (${sizeMiB} MiB blob, median of ${rounds}) | MiB/s | pull ÷ this | target | CPU s/GiB upstream | child | bench |\n|---|---:|---:|---|---:|---:|---:|\n`);
    line('pull', 'pull through one hop (verified, stored, recorded)', '');
    line('stored', "local download kept as the node keeps a blob: through the node's writeHashed into a filesystem store, fsynced (same code, same work)", verdict(pullRate / rate('stored')));
    line('keptAll', 'local download kept as a pull keeps it: to a file, md5+sha1+sha256 as bytes arrive, fsynced (same per-byte work)', verdict(pullRate / rate('keptAll')));
    line('keptSha256', 'local download kept verified: to a file, sha256 as bytes arrive, fsynced', verdict(pullRate / rate('keptSha256')));
    line('devnull', 'local download from the upstream, curl → /dev/null', '(unfair: no write, no digest)', false);
    line('toFile', 'local download from the upstream, curl → file', '', false);
    line('import', "POST /import of the same closure's bundle on the child (no hop)", '', false);
    const times = (row: string) => rows.get(row)!.map((r) => r.seconds.toFixed(2)).join(', ');
    process.stdout.write(
      `\n(load average at each round ${loads.join(', ')}; end ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${cpus().length} cores; pulls ${times('pull')} s; downloads ${times('devnull')} s; to file ${times('toFile')} s; kept sha256 ${times('keptSha256')} s; kept 3 digests ${times('keptAll')} s; kept by the store ${times('stored')} s; imports ${times('import')} s)\n`,
    );
  });
}

runIfEntryPoint(import.meta.url, main);
