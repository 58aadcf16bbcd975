/** What the pull tests share: kits published on a node, pulls asked for and waited on. */
import { createHash } from 'node:crypto';
import { expect } from 'vitest';
import type { Body } from '../support/json.js';
import { upload } from '../types/uploads.js';
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
