/** What the pull tests share: kits published on a node, pulls asked for and waited on, a proxy that lies. */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { count } from 'drizzle-orm';
import { expect } from 'vitest';
import { artifactOrigins, artifacts } from '../../src/db/schema/index.js';
import type { Body } from '../support/json.js';
import { storedLocators, upload } from '../types/uploads.js';
import type { ServedNode } from './tree.js';

/** A type with blobs and every kind of link (test/bundles/fixtures/types/kits.yaml). */
export const KITS = { types_dir: 'test/bundles/fixtures/types' };

export const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
export const link = (a: Body) => `/artifacts/kits/${String(a.id)}`;

/** A kit made by `as` with `blobs` uploaded, optionally signed by `sign` before it is activated, then published. */
export async function publishKit(
  n: ServedNode,
  as: Record<string, string>,
  values: Record<string, unknown>,
  blobs: Record<string, Uint8Array> = {},
  sign?: (id: string) => Promise<void>,
): Promise<Body> {
  const created = await n.node.seed('kits', { vendor: 'acme', ...values }, { as });
  for (const [path, bytes] of Object.entries(blobs)) {
    const res = await upload(n.node, as, `/artifacts/kits/${created.id}/${path}`, bytes);
    expect(res.status, await res.clone().text()).toBe(200);
  }
  if (sign) await sign(String(created.id));
  const res = await n.node.request('PATCH', `/artifacts/kits/${created.id}`, {
    as: n.node.admin,
    patch: [
      { op: 'replace', path: '/status', value: 'active' },
      { op: 'replace', path: '/visibility', value: 'public' },
    ],
  });
  expect(res.status, await res.clone().text()).toBe(200);
  return res.json();
}

export async function askPull(n: ServedNode, body: Record<string, unknown>, as = n.node.admin) {
  return n.node.request('POST', '/federation/v1/pull', { as, json: body });
}

export async function job(n: ServedNode, id: string, as = n.node.admin): Promise<Body> {
  const res = await n.node.request('GET', `/federation/v1/jobs/${id}`, { as });
  expect(res.status, await res.clone().text()).toBe(200);
  return res.json();
}

/** Polls the job until `done` says so (default: it ended), failing after `timeoutMs`. */
export async function waitForJob(n: ServedNode, id: string, done: (j: Body) => boolean = (j) => j.status === 'succeeded' || j.status === 'failed', timeoutMs = 30_000): Promise<Body> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const j = await job(n, id);
    if (done(j)) return j;
    if (Date.now() > until) throw new Error(`job ${id} did not get there in ${timeoutMs} ms: ${JSON.stringify(j)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Asks for a pull and waits for it to succeed; returns the finished job. */
export async function pulled(n: ServedNode, body: Record<string, unknown>): Promise<Body> {
  const res = await askPull(n, body);
  expect([200, 202], await res.clone().text()).toContain(res.status);
  const finished = await waitForJob(n, String((await res.json()).id));
  expect(finished.status, finished.error).toBe('succeeded');
  return finished;
}

export async function download(n: ServedNode, path: string, as = n.node.admin): Promise<Buffer> {
  const res = await n.node.request('GET', path, { as });
  expect(res.status, res.status === 200 ? '' : await res.clone().text()).toBe(200);
  return Buffer.from(await res.arrayBuffer());
}

/** Bytes a tampering proxy finds and changes (see proxyTo). */
export const marked = (size: number) => Buffer.concat([Buffer.from('GOOD-BYTES'), randomBytes(size)]);

/** What a node holds: artifacts, cached copies' origins, and objects in its blob stores. */
export async function rowsOf(n: ServedNode) {
  const [a] = await n.node.deps.db.select({ n: count() }).from(artifacts);
  const [o] = await n.node.deps.db.select({ n: count() }).from(artifactOrigins);
  return { artifacts: a!.n, origins: o!.n, stored: (await storedLocators(n.node)).length };
}

/**
 * `honest`, or: `tamper-blob` (marked bytes of bundles changed), `forge-digest` (closures'
 * manifest digests replaced), `fail-once` (the next bundle answers 502), `trickle` (bundles sent
 * 64 KiB every 10 ms), `hold` (bundles sent half way, the rest once released), `down` (every
 * connection cut).
 */
type Mode = 'honest' | 'tamper-blob' | 'forge-digest' | 'fail-once' | 'trickle' | 'hold' | 'down';

export interface LyingProxy {
  state: {
    mode: Mode;
    /** Bundles sent half way in `hold` mode so far. */
    held: number;
    /** Sends the rest of every bundle held so far. */
    release(): void;
  };
  url: string;
  close(): Promise<void>;
}

/** An HTTP proxy in front of `target` whose answers to pulls can be made to lie, fail, crawl or wait. */
export async function proxyTo(target: string): Promise<LyingProxy> {
  let gate!: { passed: Promise<void>; open: () => void };
  const arm = () => {
    let open!: () => void;
    const passed = new Promise<void>((resolve) => (open = resolve));
    gate = { passed, open };
  };
  arm();
  const state: LyingProxy['state'] = {
    mode: 'honest',
    held: 0,
    release: () => {
      gate.open();
      arm();
    },
  };
  const hopHeaders = new Set(['host', 'connection', 'keep-alive', 'transfer-encoding', 'content-length']);
  const forwardable = (h: IncomingHttpHeaders) => Object.fromEntries(Object.entries(h).filter(([k, v]) => !hopHeaders.has(k) && typeof v === 'string')) as Record<string, string>;
  const server: Server = createServer((req, res) => {
    void (async () => {
      const path = req.url ?? '/';
      if (state.mode === 'down') {
        req.socket.destroy();
        return;
      }
      if (state.mode === 'fail-once' && path.endsWith('/bundle')) {
        state.mode = 'honest';
        res.writeHead(502, { 'content-type': 'text/plain' }).end('bad gateway');
        return;
      }
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const answer = await fetch(new URL(path, target), { method: req.method, headers: forwardable(req.headers), body: chunks.length > 0 ? Buffer.concat(chunks) : null, redirect: 'manual' });
      const headers = Object.fromEntries([...answer.headers].filter(([k]) => !hopHeaders.has(k)));
      let body = Buffer.from(await answer.arrayBuffer());
      if (state.mode === 'tamper-blob' && path.endsWith('/bundle')) {
        const at = body.indexOf('GOOD-BYTES');
        if (at >= 0) body.write('EVIL-BYTES', at);
      }
      if (state.mode === 'forge-digest' && path.endsWith('/closure')) {
        const closure = JSON.parse(body.toString()) as Body;
        for (const a of closure.artifacts) a.manifest_sha256 = 'f'.repeat(64);
        body = Buffer.from(JSON.stringify(closure));
      }
      res.writeHead(answer.status, { ...headers, 'content-length': String(body.length) });
      if (state.mode === 'trickle' && path.endsWith('/bundle')) {
        for (let i = 0; i < body.length && !res.destroyed; i += 64 * 1024) {
          res.write(body.subarray(i, i + 64 * 1024));
          await new Promise((r) => setTimeout(r, 10));
        }
        res.end();
        return;
      }
      if (state.mode === 'hold' && path.endsWith('/bundle')) {
        const half = Math.floor(body.length / 2);
        res.write(body.subarray(0, half));
        state.held += 1;
        await gate.passed;
        res.end(body.subarray(half));
        return;
      }
      res.end(body);
    })().catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    state,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        gate.open();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
