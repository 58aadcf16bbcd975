/**
 * Blob transfer benchmark (not a test): prints a table.
 *
 *   npx tsx bench/blobs.ts [--size-gib 1] [--rss-gib 4] [--keep]
 *
 * Starts a real node (`catalog-node serve`, PostgreSQL, the filesystem blob store) on loopback
 * and measures, with curl as the client for every transfer:
 *   - upload of a file through the API (md5 + sha1 + sha256 computed on the way, written and
 *     fsynced into the store) vs `sha256sum` reading the same file;
 *   - download through the API vs nginx serving the same file (sendfile off, nginx's default, and on);
 *   - the node's peak RSS growth while a larger upload streams through it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import postgres from 'postgres';
import { runIfEntryPoint } from './cli.js';
import { freePort } from '../test/support/node-process.js';

export const GiB = 1024 ** 3;
const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}


export async function waitFor(url: string, seconds = 60): Promise<void> {
  for (let i = 0; i < seconds * 10; i++) {
    try {
      if ((await fetch(url, { method: 'HEAD' })).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer within ${seconds}s`);
}

export async function makeFile(path: string, bytes: number): Promise<void> {
  const block = randomBytes(4 * 1024 * 1024);
  let left = bytes;
  await pipeline(
    Readable.from(
      (function* () {
        while (left > 0) {
          const n = Math.min(left, block.length);
          left -= n;
          yield n === block.length ? block : block.subarray(0, n);
        }
      })(),
    ),
    createWriteStream(path),
  );
}

export function curl(args: string[]): { seconds: number; speed: number } {
  const out = spawnSync('curl', ['-sS', '-o', '/dev/null', '-w', '%{time_total} %{speed_download} %{speed_upload} %{http_code}', ...args], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (out.status !== 0) throw new Error(`curl failed: ${out.stderr}`);
  const [time, down, up, code] = out.stdout.trim().split(' ');
  if (!code!.startsWith('2')) throw new Error(`curl got HTTP ${code} for ${args.join(' ')}`);
  return { seconds: Number(time), speed: Math.max(Number(down), Number(up)) };
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export function rssKiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
}

export const mib = (bytesPerSecond: number) => (bytesPerSecond / 1024 ** 2).toFixed(0);

async function main() {
  const sizeGiB = arg('size-gib', 1);
  const rssGiB = arg('rss-gib', 4);
  const work = mkdtempSync(join(tmpdir(), 'bench-blobs-'));
  const dbName = `bench_blobs_${randomBytes(3).toString('hex')}`;
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${dbName}"`);
  const dbUrl = new URL(ADMIN_URL);
  dbUrl.pathname = `/${dbName}`;
  const children: ChildProcess[] = [];

  try {
    const file = join(work, 'blob.bin');
    process.stdout.write(`making a ${sizeGiB} GiB file of random bytes...\n`);
    await makeFile(file, sizeGiB * GiB);

    const port = await freePort();
    const node = spawn(process.execPath, [resolve('bin/catalog-node.js'), 'serve'], {
      env: { ...process.env, DATABASE_URL: dbUrl.href, PORT: String(port), CATALOG_DATA_DIR: join(work, 'data'), CATALOG_AUTH: 'trusted-headers', REDIS_URL: '' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(node);
    // The node's log, kept to show what it said should a request fail.
    const nodeLog: string[] = [];
    node.stdout!.setEncoding('utf8').on('data', (text: string) => nodeLog.push(...text.split('\n').filter((l) => l && !l.includes('"msg":"request"')).slice(-20)));
    node.on('exit', (code, signal) => nodeLog.push(`the node exited: code ${code}, signal ${signal}`));
    process.on('exit', () => {
      if (process.exitCode) process.stderr.write(`last lines of the node's log:\n${nodeLog.slice(-20).join('\n')}\n`);
    });
    const base = `http://127.0.0.1:${port}`;
    await waitFor(`${base}/readyz`);
    const who = ['-H', 'X-User-Id: bench', '-H', 'X-Project-Id: bench', '-H', 'X-Roles: admin'];

    // With curl, as every transfer here: a fresh connection each time (a keep-alive socket left
    // idle through a 5 s upload may be closed by the server just as it is reused).
    const create = async (name: string) => {
      const out = spawnSync('curl', ['-sS', '-f', '-X', 'POST', '-H', 'Content-Type: application/json', ...who, '-d', JSON.stringify({ name }), `${base}/artifacts/images`], { encoding: 'utf8' });
      if (out.status !== 0) throw new Error(`creating artifact ${name} failed: ${out.stderr}`);
      return (JSON.parse(out.stdout) as { id: string }).id;
    };

    // upload vs sha256sum
    const sha256sumSeconds = median(
      [1, 2, 3].map(() => {
        const t0 = performance.now();
        const sum = spawnSync('sha256sum', [file], { encoding: 'utf8' });
        if (sum.status !== 0) throw new Error('sha256sum failed');
        return (performance.now() - t0) / 1000;
      }),
    );
    // Three uploads into three artifacts; the first one's blob is the one downloaded below.
    const uploadIds: string[] = [];
    const uploads: number[] = [];
    for (let i = 0; i < 3; i++) {
      const id = await create(`upload-${i}`);
      uploadIds.push(id);
      uploads.push(curl(['-T', file, '-H', 'Content-Type: application/octet-stream', ...who, `${base}/artifacts/images/${id}/image`]).seconds);
    }
    const uploadId = uploadIds[0]!;

    // download vs nginx
    const downloads = [1, 2, 3].map(() => curl([...who, `${base}/artifacts/images/${uploadId}/image`]));
    // nginx as shipped (sendfile off is nginx's own default) and tuned (sendfile on, Debian's default)
    const nginxRates: Record<'off' | 'on', number> = { off: 0, on: 0 };
    for (const sendfile of ['off', 'on'] as const) {
      const nginxPort = await freePort();
      const conf = join(work, `nginx-${sendfile}.conf`);
      writeFileSync(
        conf,
        `daemon off; user root; worker_processes 1; pid ${work}/nginx-${sendfile}.pid; error_log ${work}/nginx-error.log;
events {} http { access_log off; sendfile ${sendfile}; tcp_nopush on;
  client_body_temp_path ${work}/ngx; proxy_temp_path ${work}/ngx; fastcgi_temp_path ${work}/ngx; uwsgi_temp_path ${work}/ngx; scgi_temp_path ${work}/ngx;
  server { listen 127.0.0.1:${nginxPort}; root ${work}; } }\n`,
      );
      const nginx = spawn('nginx', ['-c', conf, '-p', work], { stdio: 'inherit' });
      children.push(nginx);
      await waitFor(`http://127.0.0.1:${nginxPort}/blob.bin`);
      nginxRates[sendfile] = median([1, 2, 3].map(() => curl([`http://127.0.0.1:${nginxPort}/blob.bin`]).speed));
      nginx.kill('SIGTERM');
    }

    // peak RSS during a large upload, generated on the fly (no disk on the client side)
    const rssId = await create('rss');
    const baseline = rssKiB(node.pid!);
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, rssKiB(node.pid!))), 50);
    const big = spawn('bash', ['-c', `head -c ${rssGiB * GiB} /dev/zero | curl -sS -o /dev/null -w '%{http_code}' -T - -H 'Content-Type: application/octet-stream' -H 'X-User-Id: bench' -H 'X-Project-Id: bench' -H 'X-Roles: admin' ${base}/artifacts/images/${rssId}/image`], { stdio: ['ignore', 'pipe', 'inherit'] });
    let code = '';
    big.stdout.on('data', (d: Buffer) => (code += d.toString()));
    const rssStarted = performance.now();
    await new Promise((r) => big.on('exit', r));
    const rssSeconds = (performance.now() - rssStarted) / 1000;
    clearInterval(sampler);
    if (!code.startsWith('2')) throw new Error(`the ${rssGiB} GiB upload answered ${code}`);

    const uploadRate = (sizeGiB * GiB) / median(uploads);
    const sumRate = (sizeGiB * GiB) / sha256sumSeconds;
    const apiDown = median(downloads.map((d) => d.speed));
    const ngxDown = nginxRates.off;
    const ngxSendfile = nginxRates.on;
    const growthMiB = (peak - baseline) / 1024;
    const rows = [
      ['download 1 GiB (median of 3)', 'fs', `${mib(apiDown)} MiB/s`, `nginx, sendfile off ${mib(ngxDown)} MiB/s`, (apiDown / ngxDown).toFixed(2), '≥ 0.80', apiDown / ngxDown >= 0.8],
      ['download 1 GiB (median of 3)', 'fs', `${mib(apiDown)} MiB/s`, `nginx, sendfile on ${mib(ngxSendfile)} MiB/s`, (apiDown / ngxSendfile).toFixed(2), '(zero-copy)', apiDown / ngxSendfile >= 0.8],
      ['upload 1 GiB, md5+sha1+sha256 (median of 3)', 'fs', `${mib(uploadRate)} MiB/s`, `sha256sum ${mib(sumRate)} MiB/s`, (uploadRate / sumRate).toFixed(2), '≥ 0.50', uploadRate / sumRate >= 0.5],
      [`peak RSS growth, ${rssGiB} GiB upload`, 'fs', `${growthMiB.toFixed(1)} MiB`, `baseline ${(baseline / 1024).toFixed(0)} MiB`, '', '≤ 64 MiB', growthMiB <= 64],
    ] as const;
    process.stdout.write(`\n| measure | backend | node | reference | ratio | target | pass |\n|---|---|---|---|---|---|---|\n`);
    for (const r of rows) process.stdout.write(`| ${r.slice(0, 6).join(' | ')} | ${r[6] ? 'PASS' : 'FAIL'} |\n`);
    process.stdout.write(`\n(${rssGiB} GiB upload took ${rssSeconds.toFixed(1)} s: ${mib((rssGiB * GiB) / rssSeconds)} MiB/s)\n`);
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 1000));
    await admin.unsafe(`drop database if exists "${dbName}" with (force)`);
    await admin.end();
    if (!process.argv.includes('--keep')) rmSync(work, { recursive: true, force: true });
  }
}

// Other benchmarks (bench/bundles.ts) borrow the helpers above; only running this file measures.
runIfEntryPoint(import.meta.url, main);
