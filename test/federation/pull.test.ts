/**
 * Pull over a real three-level tree on loopback ports (global ← vendor ← leaf), each node its own
 * database and blob directory, sharing Redis under their own prefixes, pulls run by BullMQ
 * workers: a closure two levels deep copied whole, provenance through two hops verified end to
 * end, one transfer for a hundred concurrent requests, permission refused, read-only copies, and
 * cached copies served with every upstream stopped.
 */
import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifactOrigins } from '../../src/db/schema/index.js';
import type { BullmqWorker } from '../../src/jobs/bullmq-runner.js';
import { developerKey, register, signAndAttach, type DeveloperKeyPair } from '../signing/support.js';
import type { Body } from '../support/json.js';
import { openBundle } from '../bundles/tar.js';
import { upload } from '../types/uploads.js';
import { askPull, download, job, KITS, link, publishKit, pulled, sha256, waitForJob } from './pull-support.js';
import { enrol, serveNode, type ServedNode } from './tree.js';

let global: ServedNode;
let vendor: ServedNode;
let leaf: ServedNode;
const workers: BullmqWorker[] = [];
let key: DeveloperKeyPair;

const corePayload = randomBytes(300 * 1024);
const libPayload = randomBytes(200 * 1024);
const readme = Buffer.from('read me first\n');
let core: Body;
let lib: Body;
let app: Body;

/** Upstream id → local id, from a finished pull. */
const localIds = (finished: Body) => new Map<string, string>(finished.result.artifacts.map((a: Body) => [a.upstream_id, a.id]));

beforeAll(async () => {
  [global, vendor, leaf] = await Promise.all([serveNode('global', 'global', KITS), serveNode('vendor', 'vendor', KITS), serveNode('leaf', 'enterprise', KITS)]);
  workers.push(vendor.startWorker(), leaf.startWorker());
  const dev = global.node.as({ project: 'acme-dev' });
  key = await developerKey('EdDSA');
  await register(global.node, dev, key, 'alice laptop');
  const sign = async (id: string) => {
    const res = await signAndAttach(global.node, dev, 'kits', id, key);
    expect(res.status, await res.clone().text()).toBe(201);
  };
  core = await publishKit(global, dev, { name: 'core', version: '1.0.0' }, { payload: corePayload }, sign);
  lib = await publishKit(global, dev, { name: 'lib', version: '2.1.0', base: link(core) }, { payload: libPayload });
  app = await publishKit(global, dev, { name: 'app', version: '3.0.0', uses: [link(lib)] }, { 'files/readme': readme }, sign);
  await enrol(vendor, global, { permissions: ['search', 'pull'] });
  await enrol(leaf, vendor, { permissions: ['pull'] });
  await enrol(leaf, global, { permissions: ['search'] });
});
afterAll(async () => {
  await Promise.all(workers.map((w) => w.close()));
  await Promise.all([global?.close(), vendor?.close(), leaf?.close()]);
});

describe('POST /federation/v1/pull', () => {
  let vendorApp: string;

  it('copies an artifact with its two-level closure, links rewritten, blobs whole, owners kept', async () => {
    const finished = await pulled(vendor, { upstream: global.id, type: 'kits', name: 'app', version: '^3.0' });
    expect(finished).toMatchObject({ kind: 'pull', upstream: global.id, artifact_ids: [app.id], attempts: 1, transfers: 1, error: null });
    expect(finished.result.artifacts.map((a: Body) => [a.name, a.created])).toEqual([
      ['core', true],
      ['lib', true],
      ['app', true],
    ]);
    const ids = localIds(finished);
    vendorApp = ids.get(String(app.id))!;
    expect(finished.result.roots).toEqual([vendorApp]);
    expect(finished.progress.bytes_done).toBe(finished.progress.bytes_total);
    expect(finished.progress.bytes_done).toBeGreaterThan(corePayload.length + libPayload.length);

    const copy = await download(vendor, `/artifacts/kits/${vendorApp}`, vendor.node.as({ project: 'anyone' }));
    expect(JSON.parse(copy.toString())).toMatchObject({ name: 'app', version: '3.0.0', owner: 'acme-dev', status: 'active', visibility: 'public', uses: [`/artifacts/kits/${ids.get(String(lib.id))}`] });
    const localLib = JSON.parse((await download(vendor, `/artifacts/kits/${ids.get(String(lib.id))}`)).toString());
    expect(localLib.base).toBe(`/artifacts/kits/${ids.get(String(core.id))}`);
    expect(sha256(await download(vendor, `/artifacts/kits/${ids.get(String(core.id))}/payload`))).toBe(sha256(corePayload));
    expect(sha256(await download(vendor, `/artifacts/kits/${ids.get(String(lib.id))}/payload`))).toBe(sha256(libPayload));
    // The developer's signatures came along and hold here.
    const verify = JSON.parse((await download(vendor, `/artifacts/kits/${vendorApp}/verify`)).toString());
    expect(verify).toMatchObject({ verified: true, signatures: [{ kid: key.kid, holds: true }] });
  });

  it('records where the copy came from: made by the developer, published on global, cached on vendor', async () => {
    const p = JSON.parse((await download(vendor, `/artifacts/kits/${vendorApp}/provenance`)).toString());
    expect(p).toMatchObject({ cached: true, verified: true, origin: { upstream: global.id, upstream_name: 'global', upstream_artifact_id: app.id } });
    expect(p.hops).toEqual([expect.objectContaining({ node: global.id, name: 'global', artifact: app.id, verified: true })]);
    expect(p.developer_signatures).toEqual([expect.objectContaining({ kid: key.kid, key_name: 'alice laptop', holds: true })]);
    expect(p.summary).toBe(`made by developer key "alice laptop" ${key.kid} of acme-dev, published on global, cached on vendor`);
    // On global, the artifact is its own.
    const own = JSON.parse((await download(global, `/artifacts/kits/${app.id}/provenance`)).toString());
    expect(own).toMatchObject({ cached: false, verified: true, hops: [], manifest_sha256: p.manifest_sha256 });
  });

  it('pulled on by a leaf from the vendor, the copy carries both hops, each verified', async () => {
    const finished = await pulled(leaf, { id: vendorApp });
    const leafApp = finished.result.roots[0];
    const p = JSON.parse((await download(leaf, `/artifacts/kits/${leafApp}/provenance`)).toString());
    expect(p.hops.map((h: Body) => [h.name, h.node, h.artifact, h.verified])).toEqual([
      ['global', global.id, app.id, true],
      ['vendor', vendor.id, vendorApp, true],
    ]);
    expect(p).toMatchObject({ cached: true, verified: true, origin: { upstream: vendor.id, upstream_artifact_id: vendorApp } });
    expect(p.summary).toBe(`made by developer key "alice laptop" ${key.kid} of acme-dev, published on global, mirrored by vendor, cached on leaf`);
    expect(sha256(await download(leaf, `/artifacts/kits/${finished.result.artifacts.find((a: Body) => a.name === 'core').id}/payload`))).toBe(sha256(corePayload));

    // A chain with global's hop left out no longer verifies: the vendor's hop links to it.
    const [origin] = await leaf.node.deps.db.select().from(artifactOrigins).where(eq(artifactOrigins.artifactId, leafApp));
    await leaf.node.deps.db.update(artifactOrigins).set({ chain: origin!.chain.slice(1) }).where(eq(artifactOrigins.artifactId, leafApp));
    const broken = JSON.parse((await download(leaf, `/artifacts/kits/${leafApp}/provenance`)).toString());
    expect(broken.verified).toBe(false);
    expect(broken.problem).toMatch(/vendor.*names a hop before it, but it is the first/);
    await leaf.node.deps.db.update(artifactOrigins).set({ chain: origin!.chain }).where(eq(artifactOrigins.artifactId, leafApp));
  });

  it('answers a pull of what is cached already with the finished job, and transfers nothing', async () => {
    const before = global.requests.length;
    const res = await askPull(vendor, { upstream: global.id, id: app.id });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'succeeded', transfers: 1 });
    expect(global.requests.length).toBe(before);
  });

  it('pulls anew once an admin evicted the copy', async () => {
    const kit = await publishKit(global, global.node.as({ project: 'acme-dev' }), { name: 'evicted', version: '1.0.0' }, { payload: randomBytes(1024) });
    const first = await pulled(vendor, { upstream: global.id, id: kit.id });
    const deleted = await vendor.node.request('DELETE', `/artifacts/kits/${first.result.roots[0]}`, { as: vendor.node.admin });
    expect(deleted.status, await deleted.clone().text()).toBe(204);
    const res = await askPull(vendor, { upstream: global.id, id: kit.id });
    expect(res.status, await res.clone().text()).toBe(202);
    const again = await waitForJob(vendor, (await res.json()).id);
    expect(again).toMatchObject({ status: 'succeeded', transfers: 2 });
    expect(again.result.roots[0]).not.toBe(first.result.roots[0]);
  });

  it('leaves cached copies read-only, saying why', async () => {
    const [leafApp] = (await waitForJob(leaf, (await (await askPull(leaf, { id: vendorApp })).json()).id)).result.roots;
    const patched = await leaf.node.request('PATCH', `/artifacts/kits/${leafApp}`, { as: leaf.node.admin, patch: [{ op: 'replace', path: '/description', value: 'mine now' }] });
    expect(patched.status).toBe(403);
    expect((await patched.json()).explanation).toMatch(/is a read-only cached copy pulled from upstream node .*: no one may change this artifact here/);
    const uploaded = await upload(leaf.node, leaf.node.admin, `/artifacts/kits/${leafApp}/files/extra`, Buffer.from('more'));
    expect(uploaded.status).toBe(403);
    expect((await uploaded.json()).explanation).toMatch(/read-only cached copy.*upload blobs/);
  });

  it('makes one transfer for a hundred concurrent requests of the same artifact', async () => {
    const bulk = await publishKit(global, global.node.as({ project: 'acme-dev' }), { name: 'bulk', version: '1.0.0' }, { payload: randomBytes(2 * 1024 * 1024) });
    const answers = await Promise.all(Array.from({ length: 100 }, () => askPull(vendor, { upstream: global.id, id: bulk.id })));
    const bodies = await Promise.all(answers.map(async (r) => ({ status: r.status, body: (await r.json()) as Body })));
    expect(new Set(bodies.map((b) => b.status))).toEqual(new Set([202]));
    const ids = new Set(bodies.map((b) => b.body.id));
    expect(ids.size).toBe(1);
    const finished = await waitForJob(vendor, [...ids][0]);
    expect(finished).toMatchObject({ status: 'succeeded', transfers: 1, attempts: 1 });
    expect(global.requests.filter((r) => r === `GET /federation/v1/artifacts/${bulk.id}/bundle`)).toHaveLength(1);
    expect(global.requests.filter((r) => r === `GET /federation/v1/artifacts/${bulk.id}/closure`)).toHaveLength(1);
  });

  it('shares one transfer between concurrent pulls of different sets holding the same artifact', async () => {
    const dev = global.node.as({ project: 'acme-dev' });
    const [a, b] = [await publishKit(global, dev, { name: 'pair-a', version: '1.0.0' }, { payload: randomBytes(512 * 1024) }), await publishKit(global, dev, { name: 'pair-b', version: '1.0.0' })];
    const asked = await Promise.all([askPull(vendor, { upstream: global.id, ids: [a.id] }), askPull(vendor, { upstream: global.id, ids: [a.id, b.id] })]);
    const jobs = await Promise.all(asked.map(async (r) => waitForJob(vendor, (await r.json()).id)));
    expect(jobs.map((j) => j.status)).toEqual(['succeeded', 'succeeded']);
    expect(jobs[0]!.id).not.toBe(jobs[1]!.id);
    expect(localIds(jobs[1]!).get(String(a.id))).toBe(jobs[0]!.result.roots[0]);
    expect(global.requests.filter((r) => r === `GET /federation/v1/artifacts/${a.id}/bundle`)).toHaveLength(1);
  });

  it('keeps the requirement resolution of the upstream when this node holds another fitting version, and passes it on', async () => {
    const dev = global.node.as({ project: 'acme-dev' });
    const sign = async (id: string) => {
      const res = await signAndAttach(global.node, dev, 'kits', id, key);
      expect(res.status, await res.clone().text()).toBe(201);
    };
    await publishKit(global, dev, { name: 'pin-lib', version: '2.3.0' }, {}, sign);
    const pinApp = await publishKit(global, dev, { name: 'pin-app', version: '1.0.0', requires: [{ type: 'kits', name: 'pin-lib', range: '^2' }] }, {}, sign);
    const own = await publishKit(vendor, vendor.node.as({ project: 'vendor-own' }), { name: 'pin-lib', version: '2.5.0' });
    await publishKit(leaf, leaf.node.as({ project: 'leaf-own' }), { name: 'pin-lib', version: '2.6.0' });

    const finished = await pulled(vendor, { upstream: global.id, id: pinApp.id });
    expect(finished.result.artifacts.map((a: Body) => [a.name, a.version])).toEqual([
      ['pin-lib', '2.3.0'],
      ['pin-app', '1.0.0'],
    ]);
    const copy = finished.result.roots[0];
    const copiedLib = localIds(finished).get(finished.result.artifacts[0].upstream_id)!;
    expect(copiedLib).not.toBe(own.id);
    const p = JSON.parse((await download(vendor, `/artifacts/kits/${copy}/provenance`)).toString());
    expect(p).toMatchObject({ cached: true, verified: true });
    expect(JSON.parse((await download(vendor, `/artifacts/kits/${copy}/verify`)).toString())).toMatchObject({ verified: true });
    const graph = JSON.parse((await download(vendor, `/artifacts/kits/${copy}/dependencies`)).toString());
    expect(graph.nodes.map((n: Body) => [n.id, n.version])).toEqual([[copiedLib, '2.3.0']]);

    // Exported again, the copy ships the version it was resolved to; the leaf's copy (beside its own 2.6) verifies too.
    const bundle = await openBundle(await download(vendor, `/artifacts/kits/${copy}/export`));
    expect(bundle.manifest.artifacts.map((a: Body) => [a.name, a.version])).toEqual([
      ['pin-lib', '2.3.0'],
      ['pin-app', '1.0.0'],
    ]);
    expect(bundle.manifest.artifacts[1].resolved_requires).toEqual([{ index: 0, target: copiedLib }]);
    const onLeaf = await pulled(leaf, { id: copy });
    expect(onLeaf.result.artifacts.map((a: Body) => [a.name, a.version])).toEqual([
      ['pin-lib', '2.3.0'],
      ['pin-app', '1.0.0'],
    ]);
    const leafProvenance = JSON.parse((await download(leaf, `/artifacts/kits/${onLeaf.result.roots[0]}/provenance`)).toString());
    expect(leafProvenance).toMatchObject({ cached: true, verified: true });
  });

  it('counts a copy of a copy as published on the node its provenance starts at, not the one it was pulled from', async () => {
    // The leaf's lib 2.1.0 came from the vendor, which had it from global.
    const resolveFrom = (origin: string) => leaf.node.request('POST', '/resolve', { as: leaf.node.admin, json: { requires: [{ type: 'kits', name: 'lib', range: '^2', origin }] } });
    const fromGlobal = await resolveFrom('global');
    expect(fromGlobal.status, await fromGlobal.clone().text()).toBe(200);
    expect((await fromGlobal.json()).artifacts.map((a: Body) => `${a.name}@${a.version}`)).toEqual(['lib@2.1.0', 'core@1.0.0']);
    const fromVendor = await resolveFrom('vendor');
    expect(fromVendor.status).toBe(409);
    expect((await fromVendor.json()).explanation).toMatch(/requires kits lib \^2 from vendor; no kits lib satisfies it \(available: 2\.1\.0 \(published on global\)\)/);
  });

  it('is refused without the pull permission, by this node and by the upstream', async () => {
    const res = await askPull(leaf, { upstream: global.id, id: app.id });
    expect(res.status).toBe(403);
    expect((await res.json()).explanation).toMatch(/upstream global \(.*\) did not grant this node pull \(it granted: search\)/);
    // Asked directly, the upstream refuses the node too.
    const direct = await leaf.node.deps.federation.client.request({ nodeId: global.id, url: global.url }, { method: 'GET', path: `/federation/v1/artifacts/${app.id}/closure`, timeoutMs: 5000 });
    expect(direct.status).toBe(403);
    expect(await direct.text()).toMatch(/is not enrolled for pull/);
    // And users of this node cannot ask an upstream for bundles themselves.
    const asUser = await global.node.request('GET', `/federation/v1/artifacts/${app.id}/bundle`, { as: global.node.admin });
    expect(asUser.status).toBe(403);
    // Anonymous callers may not pull.
    expect((await askPull(vendor, { id: app.id }, {})).status).toBe(401);
  });

  it('says what is wrong with a request it cannot take', async () => {
    const bad = await askPull(vendor, { id: app.id, type: 'kits' });
    expect(bad.status).toBe(400);
    expect((await bad.json()).explanation).toMatch(/name what to pull in one way/);
    const unknown = await askPull(vendor, { upstream: global.id, type: 'kits', name: 'nothing-like-it', version: '^1' });
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).explanation).toMatch(/upstream global refused to resolve kits "nothing-like-it" \^1: 404: no active kits "nothing-like-it" satisfies \^1 here/);
    expect((await askPull(vendor, { upstream: 'no-such-node', id: app.id })).status).toBe(404);
    expect((await vendor.node.request('GET', '/federation/v1/jobs/pull-0000', { as: vendor.node.admin })).status).toBe(404);
  });

  it('keeps serving cached copies with every upstream stopped', async () => {
    const [leafApp] = (await job(leaf, (await (await askPull(leaf, { id: vendorApp })).json()).id)).result.roots;
    await Promise.all([vendor.stop(), global.stop()]);
    const shown = JSON.parse((await download(leaf, `/artifacts/kits/${leafApp}`, leaf.node.as({ project: 'anyone' }))).toString());
    expect(shown).toMatchObject({ name: 'app', status: 'active' });
    const readmeHere = await download(leaf, `/artifacts/kits/${leafApp}/files/readme`);
    expect(readmeHere.equals(readme)).toBe(true);
    const p = JSON.parse((await download(leaf, `/artifacts/kits/${leafApp}/provenance`)).toString());
    expect(p.verified).toBe(true);
  });
});
