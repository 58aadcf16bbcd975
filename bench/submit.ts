/**
 * Submission throughput benchmark (not a test): prints a markdown table.
 *
 *   npx tsx bench/submit.ts [--size-mib 256] [--rounds 3]
 *
 * Starts two real nodes (`catalog-node serve`, each its own PostgreSQL database and filesystem
 * blob store, jobs run in-process) on loopback; the child enrols with the upstream for submit. On
 * the child, one public artifact holds a blob of `--size-mib` random bytes. Per round, interleaved:
 *   - submit through one hop: POST /federation/v1/submit on the child until its submission has
 *     arrived (the child exports the closure, the upstream plans it, the child hashes the bundle
 *     and streams it; the upstream verifies the body's digest, md5, sha1 and sha256 as the bytes
 *     arrive, stores them and records the copy with its provenance), then the upstream's copy is
 *     deleted so the next round transfers again;
 *   - POST /import on the upstream of the same closure's bundle (exported beforehand, into a new
 *     project each round): the same verification and storage, without the child's work and hop.
 * It also reports the child's and the upstream's peak resident memory (VmHWM), which must not
 * grow with the blob.
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { curl, makeFile, median, mib } from './blobs.js';
import { runIfEntryPoint } from './cli.js';
import { withNodePair } from './node-pair.js';
import { arg, callable, curlImport, curlToFile, type CallableNode } from './pull.js';

const MiB = 1024 ** 2;
const ADMIN = { 'X-User-Id': 'root', 'X-Project-Id': 'admin', 'X-Roles': 'admin' };
async function submitOnce(child: CallableNode, upstreamId: string, artifactId: string): Promise<{ seconds: number; remoteArtifactId: string }> {
  const t0 = performance.now();
  const sub = await child.call('POST', '/federation/v1/submit', { upstream: upstreamId, type: 'kits', id: artifactId });
  for (;;) {
    const state = await child.call('GET', `/federation/v1/submit/${String(sub.id)}`);
    if (state.state === 'pending_review' || state.state === 'accepted') {
      return { seconds: (performance.now() - t0) / 1000, remoteArtifactId: String((state.remote as { artifact_id: string }).artifact_id) };
    }
    if (state.state === 'failed' || state.state === 'refused') throw new Error(`submission ${String(state.state)}: ${String(state.message)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Peak resident memory of a process, in MiB. */
function peakMiB(pid: number): string {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return (kib / 1024).toFixed(0);
}

async function main() {
  const sizeMiB = arg('size-mib', 256);
  const rounds = arg('rounds', 3);
  const typesDir = resolve('test/bundles/fixtures/types');
  await withNodePair({ label: 'submit', names: ['upstream', 'child'], auth: 'anonymous,trusted-headers', typesDir }, async ({ work, nodes }) => {
    const [upstream, child] = nodes.map(callable) as [CallableNode, CallableNode];

    process.stdout.write(`seeding one public artifact holding ${sizeMiB} MiB on the child ...\n`);
    const file = join(work, 'blob.bin');
    await makeFile(file, sizeMiB * MiB);
    const kit = await child.call('POST', '/artifacts/kits', { name: 'big', version: '1.0.0', vendor: 'bench' });
    curl(['-T', file, '-H', 'Content-Type: application/octet-stream', ...Object.entries(ADMIN).flatMap(([k, v]) => ['-H', `${k}: ${v}`]), `${child.base}/artifacts/kits/${String(kit.id)}/payload`]);
    await child.call('PATCH', `/artifacts/kits/${String(kit.id)}`, [{ op: 'replace', path: '/status', value: 'active' }, { op: 'replace', path: '/visibility', value: 'public' }], 'application/json-patch+json');
    const { token } = (await upstream.call('POST', '/federation/v1/admin/enrolment-tokens', { permissions: ['submit'], project: 'child-submissions' })) as { token: string };
    const peer = await child.call('POST', '/federation/v1/admin/upstreams', { url: upstream.base, token });
    const upstreamId = String(peer.node_id);

    const submits: number[] = [];
    const imports: number[] = [];
    const bundle = join(work, 'bundle.tar');
    curlToFile(`${child.base}/artifacts/kits/${String(kit.id)}/export`, bundle);
    const loads: string[] = [];
    // Warm-up: one, not counted (page cache, JIT, connection pools).
    await upstream.call('DELETE', `/artifacts/kits/${(await submitOnce(child, upstreamId, String(kit.id))).remoteArtifactId}`);
    for (let i = 0; i < rounds; i++) {
      loads.push(loadavg()[0]!.toFixed(1));
      const submitted = await submitOnce(child, upstreamId, String(kit.id));
      submits.push(submitted.seconds);
      await upstream.call('DELETE', `/artifacts/kits/${submitted.remoteArtifactId}`);
      imports.push(curlImport(`${upstream.base}/import`, bundle, `import-${i}`));
    }
    const bytes = sizeMiB * MiB;
    const submitRate = bytes / median(submits);
    const importRate = bytes / median(imports);
    process.stdout.write(`\n| measure (${sizeMiB} MiB blob, median of ${rounds}) | MiB/s | submit ÷ this |\n|---|---:|---:|\n`);
    process.stdout.write(`| submit through one hop (hashed, sent, verified, stored, recorded) | ${mib(submitRate)} | |\n`);
    process.stdout.write(`| POST /import of the same closure's bundle on the upstream (no hop) | ${mib(importRate)} | ${(submitRate / importRate).toFixed(2)} |\n`);
    process.stdout.write(
      `\n(peak resident memory: child ${peakMiB(child.child.pid!)} MiB, upstream ${peakMiB(upstream.child.pid!)} MiB; load average at each round ${loads.join(', ')}; end ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${cpus().length} cores; submits ${submits.map((s) => s.toFixed(2)).join(', ')} s; imports ${imports.map((s) => s.toFixed(2)).join(', ')} s)\n`,
    );
  });
}

runIfEntryPoint(import.meta.url, main);
