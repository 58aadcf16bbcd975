/** Uploads over a real socket: a client that goes away mid-upload leaves nothing behind. */
import { readdirSync, existsSync } from 'node:fs';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestNode, type TestNode } from '../support/node.js';

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
  let shown: any;
  for (let i = 0; i < 50; i++) {
    await new Promise((r) => setTimeout(r, 100));
    shown = await (await fetch(`${base}/artifacts/images/${a.id}`, { headers: owner })).json();
    const tmp = join(node.dataDir, 'blobs', 'tmp');
    if (shown.image === null && (!existsSync(tmp) || readdirSync(tmp).length === 0)) break;
  }
  expect(shown.image).toBeNull();
  expect(readdirSync(join(node.dataDir, 'blobs', 'tmp'))).toEqual([]);
  // and the blob can be uploaded afresh
  const retry = await fetch(`${base}/artifacts/images/${a.id}/image`, { method: 'PUT', headers: { ...owner, 'content-type': 'application/octet-stream' }, body: 'complete' });
  expect(retry.status).toBe(200);
  expect((await retry.json()).image.size).toBe(8);
});
