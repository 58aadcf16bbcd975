/**
 * A full disk under the filesystem store: a real 2 MiB tmpfs mounted as the store's root (the
 * test runs as root, as CI does). An upload that does not fit answers 507 and leaves nothing
 * behind; the node goes on working once there is room.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestNode, type TestNode } from '../support/node.js';

const asRoot = process.getuid?.() === 0;
let mountPoint: string;
let node: TestNode;
const owner = { 'X-User-Id': 'u1', 'X-Project-Id': 'full', 'X-Roles': 'member' };

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

beforeAll(async () => {
  if (!asRoot) return;
  mountPoint = mkdtempSync(join(tmpdir(), 'catalog-full-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mountPoint]);
  node = await createTestNode({ blobs: { stores: { local: { kind: 'fs', root: mountPoint } }, default_store: 'local' } });
});

afterAll(async () => {
  if (!asRoot) return;
  await node?.close();
  execFileSync('umount', [mountPoint]);
  rmSync(mountPoint, { recursive: true, force: true });
});

describe.skipIf(!asRoot)('a full filesystem store (needs root to mount a tmpfs)', () => {
  it('answers 507 with a clear message, keeps nothing half-written, and works again once there is room', async () => {
    const artifact = await node.seed('images', { name: 'big' }, { as: owner });
    const path = `/artifacts/images/${artifact.id}/image`;

    const tooBig = await node.request('PUT', path, { as: owner, body: Buffer.alloc(3 << 20, 'x'), headers: { 'content-type': 'text/plain' } });
    expect(tooBig.status).toBe(507);
    const body = (await tooBig.json()) as { title: string; explanation: string };
    expect(body.title).toBe('Insufficient Storage');
    expect(body.explanation).toMatch(/no room to store blob "image".*nothing was kept/);

    expect(filesUnder(mountPoint)).toEqual([]);
    const shown = (await (await node.request('GET', `/artifacts/images/${artifact.id}`, { as: owner })).json()) as Record<string, unknown>;
    expect(shown.image ?? null).toBeNull();

    const fits = await node.request('PUT', path, { as: owner, body: 'small enough', headers: { 'content-type': 'text/plain' } });
    expect(fits.status).toBe(200);
    expect(await (await node.request('GET', path, { as: owner })).text()).toBe('small enough');
  });
});
