/**
 * Blobs over a real socket, where the node streams the request's own IncomingMessage into the
 * hasher and writes downloads straight into the ServerResponse (in-process app.request() takes
 * neither path): bytes round-trip exactly, ranges are honoured, bad checksums and clients that
 * go away leave nothing behind.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, existsSync } from 'node:fs';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestNode, type TestNode } from '../support/node.js';
import { type Body, json } from '../support/json.js';

let node: TestNode;
let server: ServerType;
let base: string;

beforeAll(async () => {
  node = await createTestNode();
  server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: node.app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  await node.close();
});

it('a client that disconnects mid-upload leaves no blob, no row and no temporary file', async () => {
  const owner = node.as({ project: 'p1' });
  const a = await node.seed('images', { name: 'cut-off' }, { as: owner });
  await new Promise<void>((resolve) => {
    const req = request(`${base}/artifacts/images/${a.id}/image`, {
      method: 'PUT',
      headers: { ...owner, 'content-type': 'application/octet-stream', 'content-length': String(64 * 1024 * 1024) },
    });
    req.on('error', () => resolve());
    req.write(Buffer.alloc(4 * 1024 * 1024, 1));
    setTimeout(() => {
      req.destroy();
      resolve();
    }, 300);
  });
  // the server notices the reset and cleans up
  let shown: Body;
  for (let i = 0; i < 50; i++) {
    await new Promise((r) => setTimeout(r, 100));
    shown = await json(await fetch(`${base}/artifacts/images/${a.id}`, { headers: owner }));
    const tmp = join(node.dataDir, 'blobs', 'tmp');
    if (shown.image === null && (!existsSync(tmp) || readdirSync(tmp).length === 0)) break;
  }
  expect(shown.image).toBeNull();
  expect(readdirSync(join(node.dataDir, 'blobs', 'tmp'))).toEqual([]);
  // and the blob can be uploaded afresh
  const retry = await fetch(`${base}/artifacts/images/${a.id}/image`, { method: 'PUT', headers: { ...owner, 'content-type': 'application/octet-stream' }, body: 'complete' });
  expect(retry.status).toBe(200);
  expect((await json(retry)).image.size).toBe(8);
});

// Past 8 MiB and not a whole number of MiB: md5 is hashed on the worker thread in 1 MiB batches,
// and downloads take several of the sender's 1 MiB buffers, the last one partly filled.
const LARGE = randomBytes(9 * 1024 * 1024 + 123);
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

async function uploadLarge(name: string, headers: Record<string, string> = {}) {
  const owner = node.as({ project: 'p1' });
  const a = await node.seed('images', { name }, { as: owner });
  const res = await fetch(`${base}/artifacts/images/${a.id}/image`, {
    method: 'PUT',
    headers: { ...owner, 'content-type': 'application/octet-stream', ...headers },
    body: LARGE,
  });
  return { id: a.id as string, owner, res };
}

it('uploads a large blob with its checksums and downloads it byte for byte, whole and by range', async () => {
  const { id, owner, res } = await uploadLarge('round-trip', {
    'content-md5': createHash('md5').update(LARGE).digest('base64'),
    'x-expected-sha256': sha256(LARGE),
  });
  expect(res.status).toBe(200);
  const image = ((await res.json()) as { image: Record<string, unknown> }).image;
  expect(image).toMatchObject({
    size: LARGE.length,
    status: 'active',
    md5: createHash('md5').update(LARGE).digest('hex'),
    sha1: createHash('sha1').update(LARGE).digest('hex'),
    sha256: sha256(LARGE),
  });

  const whole = await fetch(`${base}/artifacts/images/${id}/image`, { headers: owner });
  expect(whole.status).toBe(200);
  expect(whole.headers.get('content-length')).toBe(String(LARGE.length));
  const bytes = new Uint8Array(await whole.arrayBuffer());
  expect(bytes.length).toBe(LARGE.length);
  expect(sha256(bytes)).toBe(sha256(LARGE));

  const start = 1024 * 1024 - 5;
  const end = 3 * 1024 * 1024 + 7;
  const part = await fetch(`${base}/artifacts/images/${id}/image`, { headers: { ...owner, range: `bytes=${start}-${end}` } });
  expect(part.status).toBe(206);
  expect(part.headers.get('content-range')).toBe(`bytes ${start}-${end}/${LARGE.length}`);
  expect(Buffer.from(await part.arrayBuffer()).equals(LARGE.subarray(start, end + 1))).toBe(true);
});

it('refuses a large upload whose Content-MD5 does not match and keeps nothing of it', async () => {
  const { id, owner, res } = await uploadLarge('bad-md5', { 'content-md5': createHash('md5').update('other bytes').digest('base64') });
  expect(res.status).toBe(400);
  expect(((await res.json()) as { explanation: string }).explanation).toMatch(/md5/);
  const shown = (await (await fetch(`${base}/artifacts/images/${id}`, { headers: owner })).json()) as { image: unknown };
  expect(shown.image).toBeNull();
  expect(readdirSync(join(node.dataDir, 'blobs', 'tmp'))).toEqual([]);
});

it('keeps serving after a client goes away in the middle of a download', async () => {
  const { id, owner, res } = await uploadLarge('walk-away');
  expect(res.status).toBe(200);
  await new Promise<void>((resolve, reject) => {
    const req = request(`${base}/artifacts/images/${id}/image`, { headers: owner }, (response) => {
      response.once('data', () => {
        req.destroy();
        resolve();
      });
    });
    req.on('error', (err) => (req.destroyed ? resolve() : reject(err)));
    req.end();
  });
  const again = await fetch(`${base}/artifacts/images/${id}/image`, { headers: owner });
  expect(again.status).toBe(200);
  expect(sha256(new Uint8Array(await again.arrayBuffer()))).toBe(sha256(LARGE));
});
