/**
 * Large transfers with the real `catalog` process: a 200 MiB file streamed up and down (never held
 * in memory) with its checksums verified, a download cut half-way and resumed with a Range
 * request, corrupted bytes refused, and a progress bar on a terminal but not in a pipe.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import type { Body } from '../support/json.js';
import { BIN, cleanEnv, runCli, runOnTerminal, serveNode, type CliOptions, type ServedNode } from './support.js';

vi.setConfig({ testTimeout: 300_000 });

const MiB = 1024 * 1024;
const BIG = 200 * MiB;

let s: ServedNode;
let member: string;
let big: { path: string; sha256: string };
let bigId: string;

async function sha256Of(path: string): Promise<string> {
  const h = createHash('sha256');
  await pipeline(createReadStream(path), h);
  return h.digest('hex');
}

/** Random bytes written a MiB at a time, hashed on the way: the file is never whole in memory. */
async function randomFile(path: string, size: number): Promise<{ path: string; sha256: string }> {
  const h = createHash('sha256');
  async function* chunks() {
    for (let done = 0; done < size; done += MiB) {
      const c = randomBytes(Math.min(MiB, size - done));
      h.update(c);
      yield c;
    }
  }
  await pipeline(chunks(), createWriteStream(path));
  return { path, sha256: h.digest('hex') };
}

beforeAll(async () => {
  s = await serveNode();
  member = await s.token({ project: 'p1', user: 'alice' });
  big = await randomFile(join(s.tmp, 'big.bin'), BIG);
});
afterAll(() => s.close());

const env = (extra: Record<string, string | undefined> = {}) => ({ XDG_CONFIG_HOME: s.configHome, CATALOG_URL: s.url, CATALOG_TOKEN: member, ...extra });
const cli = (args: string[], opts: CliOptions = {}) => runCli(args, { ...opts, env: env(opts.env) });
const json = (r: { stdout: string }): Body => JSON.parse(r.stdout);

/** The CLI under /usr/bin/time, for its peak resident memory. */
function cliMeasured(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string; maxRssKiB: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/time', ['-f', 'MAXRSS=%M', process.execPath, BIN, ...args], { env: cleanEnv(env()), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, maxRssKiB: Number(/MAXRSS=(\d+)/.exec(stderr)?.[1] ?? NaN) }));
  });
}

it('uploads and downloads 200 MiB, streamed, with the checksums checked on both sides', async () => {
  bigId = json(await cli(['artifact', 'create', 'images', 'name=big', '--json'])).id;
  const up = await cliMeasured(['blob', 'upload', 'images', bigId, 'image', big.path, '--json']);
  expect(up.code, up.stderr).toBe(0);
  const image = json(up).image;
  expect(image).toMatchObject({ size: BIG, sha256: big.sha256, status: 'active' });
  // md5 went along as Content-MD5 and the node checked it: what it recorded is the file's md5
  const md5 = createHash('md5');
  await pipeline(createReadStream(big.path), md5);
  expect(image.md5).toBe(md5.digest('hex'));
  // streamed: the process never held the file (200 MiB) in memory
  expect(up.maxRssKiB).toBeLessThan(160 * 1024);

  const out = join(s.tmp, 'big.down');
  const down = await cliMeasured(['blob', 'download', 'images', bigId, 'image', '-O', out, '--json']);
  expect(down.code, down.stderr).toBe(0);
  expect(json(down)).toEqual({ path: out, size: BIG, sha256: big.sha256, verified: true, resumed_from: 0 });
  expect(down.maxRssKiB).toBeLessThan(160 * 1024);
  expect(await sha256Of(out)).toBe(big.sha256);
  expect(existsSync(`${out}.part`)).toBe(false);
});

/** A loopback proxy to the node that cuts the first connection carrying more than `cutAfter` bytes back. */
async function cuttingProxy(target: URL, cutAfter: number): Promise<{ url: string; cuts: () => number; close: () => Promise<void> }> {
  let cuts = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    sockets.add(client).add(upstream);
    let sent = 0;
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      sent += chunk.length;
      if (cuts === 0 && sent > cutAfter) {
        cuts += 1;
        client.resetAndDestroy();
        upstream.destroy();
        return;
      }
      if (!client.write(chunk)) {
        upstream.pause();
        client.once('drain', () => upstream.resume());
      }
    });
    upstream.on('end', () => client.end());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    cuts: () => cuts,
    close: async () => {
      for (const x of sockets) x.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

it('resumes an interrupted download with a Range request and verifies the whole', async () => {
  const proxy = await cuttingProxy(new URL(s.url), 60 * MiB);
  try {
    const out = join(s.tmp, 'resumed.bin');
    const first = await cli(['blob', 'download', 'images', bigId, 'image', '-O', out], { env: { CATALOG_URL: proxy.url } });
    expect(proxy.cuts()).toBe(1);
    expect(first.code).toBe(1);
    expect(first.stderr).toContain('download interrupted');
    expect(first.stderr).toContain('run the same command again to resume');
    const partial = statSync(`${out}.part`).size;
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(BIG);
    expect(existsSync(out)).toBe(false);

    const second = await cli(['blob', 'download', 'images', bigId, 'image', '-O', out, '--json'], { env: { CATALOG_URL: proxy.url } });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toContain(`resuming image at`);
    expect(json(second)).toMatchObject({ size: BIG, sha256: big.sha256, verified: true, resumed_from: partial });
    expect(await sha256Of(out)).toBe(big.sha256);
  } finally {
    await proxy.close();
  }
});

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
}

it('refuses bytes that do not match the record’s sha256, and keeps neither the file nor a part', async () => {
  const a = json(await cli(['artifact', 'create', 'images', 'name=tampered', '--json']));
  const file = join(s.tmp, 'small.bin');
  const content = randomBytes(64 * 1024);
  writeFileSync(file, content);
  expect((await cli(['blob', 'upload', 'images', a.id, 'image', file])).code).toBe(0);
  // Bit rot in the store, behind the node's back.
  const stored = filesUnder(s.node.dataDir).find((f) => statSync(f).size === content.length && readFileSync(f).equals(content));
  expect(stored).toBeDefined();
  const rotten = Buffer.from(content);
  rotten[100] = rotten[100]! ^ 0xff;
  writeFileSync(stored!, rotten);
  const out = join(s.tmp, 'tampered.out');
  const r = await cli(['blob', 'download', 'images', a.id, 'image', '-O', out]);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain('sha256 mismatch');
  expect(existsSync(out)).toBe(false);
  expect(existsSync(`${out}.part`)).toBe(false);
});

const onTerminal = (args: string[]) => runOnTerminal(args, { ...env(), COLUMNS: '100' });

it('draws a progress bar (bytes, rate, ETA) on a terminal and none when piped', async () => {
  const file = (await randomFile(join(s.tmp, 'medium.bin'), 24 * MiB)).path;
  const a = json(await cli(['artifact', 'create', 'images', 'name=progress', '--json']));
  const up = await onTerminal(['blob', 'upload', 'images', a.id, 'image', file]);
  expect(up.code, up.output).toBe(0);
  expect(up.output).toMatch(/uploading \[#+\] 100% 24\.0 MiB\/24\.0 MiB [\d.]+ [KMG]?i?B\/s in \d+:\d\d/);
  expect(up.output).toContain('\r');
  const out = join(s.tmp, 'medium.down');
  const down = await onTerminal(['blob', 'download', 'images', a.id, 'image', '-O', out]);
  expect(down.code, down.output).toBe(0);
  expect(down.output).toMatch(/downloading \[#+\] 100% 24\.0 MiB\/24\.0 MiB/);

  const piped = await cli(['blob', 'download', 'images', a.id, 'image', '-O', join(s.tmp, 'medium.piped')]);
  expect(piped.code).toBe(0);
  expect(piped.stderr).toBe('');
  expect(piped.stdout).toMatch(/^saved .*medium\.piped: 24\.0 MiB, sha256 [0-9a-f]{64} \(verified\)\n$/);
  const quiet = await onTerminal(['blob', 'download', 'images', a.id, 'image', '-O', join(s.tmp, 'medium.quiet'), '--quiet']);
  expect(quiet.output).not.toContain('downloading');
});
