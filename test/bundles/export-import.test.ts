/**
 * Export and import of a whole closure between two nodes (each over its own PostgreSQL database
 * and blob directory): the bundle's layout, links rewritten to the new ids, blobs verified and
 * stored, external blobs kept external, idempotent re-import, conflicts reported by name, and
 * refused bundles (tampered, truncated, incomplete) leaving nothing behind.
 */
import { randomBytes, createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { count } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifacts } from '../../src/db/schema/index.js';
import type { Body } from '../support/json.js';
import { createTestNode, type TestNode } from '../support/node.js';
import { storedLocators, upload } from '../types/uploads.js';
import { openBundle, readTar, withManifest, writeTar, type TarEntry } from './tar.js';

const TYPES_DIR = 'test/bundles/fixtures/types';
const TAR = { 'content-type': 'application/x-tar' };

let source: TestNode;
let target: TestNode;
/** Stays empty: every bundle sent to it is refused. */
let refusing: TestNode;
let p1: Record<string, string>;

const link = (a: Body) => `/artifacts/kits/${String(a.id)}`;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

const corePayload = randomBytes(300 * 1024);
const libPayload = randomBytes(200 * 1024);
const readme = Buffer.from('read me first\n');
const external = { url: 'https://images.example.org/disk.qcow2', sha256: 'a'.repeat(64), size: 1234 };

let core: Body;
let lib: Body;
let app: Body;
let bundle: Buffer;

async function seedKit(node: TestNode, as: Record<string, string>, values: Record<string, unknown>, blobs: Record<string, Buffer>): Promise<Body> {
  const created = await node.seed('kits', { vendor: 'acme', ...values }, { as });
  for (const [path, bytes] of Object.entries(blobs)) {
    const res = await upload(node, as, `/artifacts/kits/${created.id}/${path}`, bytes);
    expect(res.status, await res.clone().text()).toBe(200);
  }
  return created;
}

async function activate(node: TestNode, as: Record<string, string>, a: Body): Promise<Body> {
  const res = await node.request('PATCH', `/artifacts/kits/${a.id}`, { as, patch: [{ op: 'replace', path: '/status', value: 'active' }] });
  expect(res.status, await res.clone().text()).toBe(200);
  return res.json();
}

async function exportOf(node: TestNode, as: Record<string, string>, a: Body): Promise<Buffer> {
  const res = await node.request('GET', `/artifacts/kits/${a.id}/export`, { as });
  expect(res.status, res.status === 200 ? '' : await res.clone().text()).toBe(200);
  const bytes = Buffer.from(await res.arrayBuffer());
  expect(Number(res.headers.get('content-length'))).toBe(bytes.length);
  return bytes;
}

const importInto = (node: TestNode, as: Record<string, string>, body: Buffer, query = '') =>
  node.request('POST', `/import${query}`, { as, headers: TAR, body: new Uint8Array(body) });

async function artifactRows(node: TestNode): Promise<number> {
  const [row] = await node.deps.db.select({ n: count() }).from(artifacts);
  return row!.n;
}

beforeAll(async () => {
  [source, target, refusing] = await Promise.all([createTestNode({ types_dir: TYPES_DIR }), createTestNode({ types_dir: TYPES_DIR }), createTestNode({ types_dir: TYPES_DIR })]);
  p1 = source.as({ project: 'p1' });
  core = await activate(source, p1, await seedKit(source, p1, { name: 'core', version: '1.0' }, { payload: corePayload }));
  lib = await activate(source, p1, await seedKit(source, p1, { name: 'lib', version: '2.1', base: link(core), description: 'the library' }, { payload: libPayload, 'files/readme': readme }));
  const draft = await seedKit(source, p1, { name: 'app', version: '3.0.0', uses: [link(lib)], parts: { c: link(core) }, tags: ['web'] }, { 'files/readme': readme });
  const ext = await source.request('PUT', `/artifacts/kits/${draft.id}/files/disk`, { as: p1, headers: { 'content-type': 'application/vnd+openstack.glare-custom-location+json' }, json: external });
  expect(ext.status).toBe(200);
  app = await activate(source, p1, draft);
  bundle = await exportOf(source, p1, app);
});
afterAll(() => Promise.all([source?.close(), target?.close(), refusing?.close()]));

describe('GET /artifacts/{type}/{id}/export', () => {
  it('streams a tar: the manifest first, listing the closure dependencies first, then each stored blob once, named by its sha256', async () => {
    const entries = await readTar(bundle);
    expect(entries[0]!.name).toBe('manifest.json');
    const manifest = JSON.parse(entries[0]!.data.toString());
    expect(manifest.root).toBe(app.id);
    expect(manifest.artifacts.map((a: Body) => a.name)).toEqual(['core', 'lib', 'app']);
    const appEntry = manifest.artifacts[2];
    expect(appEntry.references).toEqual(expect.arrayContaining([{ field: 'uses', key: '0', target: lib.id }, { field: 'parts', key: 'c', target: core.id }]));
    expect(appEntry.blobs).toContainEqual({ field: 'files', key: 'disk', external: true, url: external.url, size: external.size, sha256: external.sha256, md5: null, sha1: null, content_type: null });
    const blobEntries = entries.slice(1);
    expect(blobEntries.map((e) => e.name).sort()).toEqual([corePayload, libPayload, readme].map((b) => `blobs/${sha256(b)}`).sort());
    for (const e of blobEntries) expect(`blobs/${sha256(e.data)}`).toBe(e.name);
  });

  it('over a real socket (blob bytes written straight from the store) sends the same entries, which GNU tar reads', async () => {
    const server = await new Promise<ServerType>((resolve) => {
      const s = serve({ fetch: source.app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
    });
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/artifacts/kits/${app.id}/export`, { headers: p1 });
      expect(res.status).toBe(200);
      const bytes = Buffer.from(await res.arrayBuffer());
      expect(Number(res.headers.get('content-length'))).toBe(bytes.length);
      const [socketManifest, ...socketBlobs] = await readTar(bytes);
      const [manifest, ...blobs] = await readTar(bundle);
      // Only the export's time differs.
      expect({ ...JSON.parse(socketManifest!.data.toString()), created_at: null }).toEqual({ ...JSON.parse(manifest!.data.toString()), created_at: null });
      expect(socketBlobs).toEqual(blobs);
      const listed = spawnSync('tar', ['-tvf', '-'], { input: bytes, encoding: 'utf8' });
      expect(listed.status, listed.stderr).toBe(0);
      const names = listed.stdout.trim().split('\n').map((line) => line.split(/\s+/).at(-1));
      expect(names).toEqual(['manifest.json', ...blobs.map((b) => b.name)]);
    } finally {
      // fetch keeps its connection alive; close it rather than wait for it to time out.
      (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      await new Promise((r) => server.close(r));
    }
  });

  it('refuses an artifact the caller does not see (404), and the read-only all view (403)', async () => {
    expect((await source.request('GET', `/artifacts/kits/${app.id}/export`, { as: source.as({ project: 'stranger' }) })).status).toBe(404);
    expect((await source.request('GET', `/artifacts/all/${app.id}/export`, { as: p1 })).status).toBe(403);
  });
});

describe('POST /import', () => {
  let imported: Body;

  it('recreates the closure on another node: new ids, links rewritten, blobs verified and served, external blobs still external, statuses kept', async () => {
    const p2 = target.as({ project: 'p2' });
    const res = await importInto(target, p2, bundle);
    imported = await res.json();
    expect(res.status, JSON.stringify(imported)).toBe(201);
    expect(imported.artifacts.map((a: Body) => [a.name, a.created, a.owner])).toEqual([
      ['core', true, 'p2'],
      ['lib', true, 'p2'],
      ['app', true, 'p2'],
    ]);
    const idOf = (name: string) => imported.artifacts.find((a: Body) => a.name === name).id;
    expect(imported.root.id).toBe(idOf('app'));
    expect(idOf('app')).not.toBe(app.id);

    const shown = await (await target.request('GET', `/artifacts/kits/${idOf('app')}`, { as: p2 })).json();
    expect(shown).toMatchObject({ name: 'app', version: '3.0.0', status: 'active', owner: 'p2', tags: ['web'], uses: [`/artifacts/kits/${idOf('lib')}`], parts: { c: `/artifacts/kits/${idOf('core')}` } });
    const libShown = await (await target.request('GET', `/artifacts/kits/${idOf('lib')}`, { as: p2 })).json();
    expect(libShown).toMatchObject({ description: 'the library', base: `/artifacts/kits/${idOf('core')}`, status: 'active' });

    const payload = await target.request('GET', `/artifacts/kits/${idOf('lib')}/payload`, { as: p2 });
    expect(payload.status).toBe(200);
    expect(Buffer.from(await payload.arrayBuffer()).equals(libPayload)).toBe(true);
    expect(payload.headers.get('etag')).toBe(`"${sha256(libPayload)}"`);
    const disk = await target.request('GET', `/artifacts/kits/${idOf('app')}/files/disk`, { as: p2 });
    expect(disk.status).toBe(301);
    expect(disk.headers.get('location')).toBe(external.url);
    expect(shown.files.disk).toMatchObject({ external: true, url: external.url, sha256: external.sha256, size: external.size });
  });

  it('is idempotent: importing the same bundle again creates nothing and stores no bytes', async () => {
    const p2 = target.as({ project: 'p2' });
    const rows = await artifactRows(target);
    const stored = await storedLocators(target);
    const res = await importInto(target, p2, bundle);
    const again = await res.json();
    expect(res.status, JSON.stringify(again)).toBe(200);
    expect(again.artifacts.map((a: Body) => a.created)).toEqual([false, false, false]);
    expect(again.artifacts.map((a: Body) => a.id)).toEqual(imported.artifacts.map((a: Body) => a.id));
    expect(await artifactRows(target)).toBe(rows);
    expect(await storedLocators(target)).toEqual(stored);
  });

  it('reports a conflict (same type, owner, name and version, other content) by name, and creates nothing', async () => {
    const p3 = target.as({ project: 'p3' });
    await target.seed('kits', { name: 'lib', version: '2.1.0', vendor: 'someone else' }, { as: p3 });
    const rows = await artifactRows(target);
    const stored = await storedLocators(target);
    const res = await importInto(target, p3, bundle);
    const body = await res.json();
    expect(res.status).toBe(409);
    expect(body.explanation).toMatch(/kits "lib" 2\.1\.0 \(project p3\)/);
    expect(body.explanation).not.toMatch(/"core"|"app"/);
    expect(await artifactRows(target)).toBe(rows);
    expect(await storedLocators(target)).toEqual(stored);
  });

  it("lets an admin keep the bundle's owner; a member may not ask for it", async () => {
    const member = await importInto(target, target.as({ project: 'p4' }), bundle, '?keep_owner=true');
    expect(member.status).toBe(403);
    const res = await importInto(target, target.admin, bundle, '?keep_owner=true');
    const body = await res.json();
    expect(res.status, JSON.stringify(body)).toBe(201);
    expect(body.artifacts.map((a: Body) => a.owner)).toEqual(['p1', 'p1', 'p1']);
  });

  it('carries requirements (type, name, range) with what they resolved to, and they resolve on the new node', async () => {
    const base = await source.seed('kits', { name: 'base', version: '1.4.0', vendor: 'acme' }, { as: p1, activate: true });
    await source.seed('kits', { name: 'base', version: '2.0.0', vendor: 'acme' }, { as: p1, activate: true });
    const tool = await source.seed('kits', { name: 'tool', version: '1.0.0', vendor: 'acme', requires: [{ type: 'kits', name: 'base', range: '^1.2' }] }, { as: p1, activate: true });
    const toolBundle = await exportOf(source, p1, tool);
    const { manifest } = await openBundle(toolBundle);
    expect(manifest.artifacts.map((a: Body) => `${a.name}@${a.version}`)).toEqual(['base@1.4.0', 'tool@1.0.0']);
    expect(manifest.artifacts[1].resolved_requires).toEqual([{ index: 0, target: base.id }]);

    const imported = await importInto(target, target.as({ project: 'p6' }), toolBundle);
    const body = await imported.json();
    expect(imported.status, JSON.stringify(body)).toBe(201);
    const shown = await (await target.request('GET', `/artifacts/kits/${body.root.id}`, { as: target.as({ project: 'p6' }) })).json();
    expect(shown).toMatchObject({ status: 'active', requires: [{ type: 'kits', name: 'base', range: '^1.2' }] });
  });

  it('is documented in /openapi.json with export', async () => {
    const doc = await (await target.request('GET', '/openapi.json')).json();
    expect(doc.paths['/import'].post.requestBody.content).toHaveProperty(['application/x-tar']);
    expect(doc.paths['/artifacts/{type}/{id}/export'].get.responses['200'].content).toHaveProperty(['application/x-tar']);
  });

  it('refuses anonymous callers and bodies that are not tars', async () => {
    expect((await target.request('POST', '/import', { headers: TAR, body: new Uint8Array(bundle) })).status).toBe(403);
    expect((await target.request('POST', '/import', { as: target.as({ project: 'p5' }), headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(415);
  });
});

describe('a bundle that is not whole or not what its manifest says', () => {
  let entries: TarEntry[];
  let manifest: Body;
  beforeAll(async () => {
    ({ entries, manifest } = await openBundle(bundle));
  });

  /** The last blob entry is the one spoiled, so the blobs before it were stored by the time it is refused. */
  const lastBlob = () => entries.length - 1;

  const cases: Array<[string, () => Promise<Buffer>, RegExp]> = [
    [
      'a changed byte in a blob',
      () => {
        const spoiled = entries.map((e, i) => (i === lastBlob() ? { ...e, data: Buffer.from(e.data) } : e));
        spoiled[lastBlob()]!.data[7] ^= 0xff;
        return writeTar(spoiled);
      },
      /does not match/,
    ],
    [
      'a changed manifest (another md5 for a blob)',
      () => {
        const m = structuredClone(manifest);
        const name = entries[lastBlob()]!.name.slice('blobs/'.length);
        for (const a of m.artifacts) for (const b of a.blobs) if (b.sha256 === name) b.md5 = '0'.repeat(32);
        return writeTar(withManifest(entries, m));
      },
      /does not match/,
    ],
    [
      'a changed manifest (a field value the type refuses)',
      () => {
        const m = structuredClone(manifest);
        m.artifacts[1].fields.uses = 'not a list';
        return writeTar(withManifest(entries, m));
      },
      /kits "lib"/,
    ],
    ['a dropped blob', () => writeTar(entries.filter((_, i) => i !== lastBlob())), /lacks blob/],
    ['a truncated tar', async () => bundle.subarray(0, bundle.length - 1024 - 50_000), /not a whole bundle/],
    ['a blob the manifest does not list', () => writeTar([...entries, { name: `blobs/${'b'.repeat(64)}`, data: Buffer.from('x') }]), /does not list/],
    ['blobs before the manifest', () => writeTar([...entries.slice(1), entries[0]!]), /first entry must be manifest\.json/],
    ['a manifest that is not JSON', () => writeTar([{ name: 'manifest.json', data: Buffer.from('{"format":') }, ...entries.slice(1)]), /not JSON/],
  ];

  it.each(cases)('is refused with 400 and leaves nothing behind: %s', async (_what, make, problem) => {
    const res = await importInto(refusing, refusing.as({ project: 'p1' }), await make());
    const body = await res.json();
    expect(res.status, JSON.stringify(body)).toBe(400);
    expect(body.explanation).toMatch(problem);
    expect(await artifactRows(refusing)).toBe(0);
    expect(await storedLocators(refusing)).toEqual([]);
  });

  it('a connection cut in the middle of a blob leaves nothing behind', async () => {
    const cutAt = bundle.length - 100_000;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new Uint8Array(bundle.subarray(0, cutAt)));
        setTimeout(() => controller.error(new Error('connection reset')), 50);
      },
    });
    const res = await refusing.request('POST', '/import', { as: refusing.as({ project: 'p1' }), headers: TAR, body });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(await artifactRows(refusing)).toBe(0);
    expect(await storedLocators(refusing)).toEqual([]);
  });

  it('the untouched bundle is then accepted by the same node', async () => {
    const res = await importInto(refusing, refusing.as({ project: 'p1' }), bundle);
    expect(res.status).toBe(201);
    expect(await artifactRows(refusing)).toBe(3);
    expect((await storedLocators(refusing)).length).toBe(3);
  });
});
