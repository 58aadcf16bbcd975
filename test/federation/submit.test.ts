/**
 * Submitting artifacts up a real three-level tree on loopback ports (leaf → vendor → global), each
 * node with its own database and a BullMQ worker running its jobs: the vendor takes submissions
 * active, the global catalog drafts them for review.
 */
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findOrigin } from '../../src/db/queries/pulls.js';
import { bodyDigest } from '../../src/federation/node-jwt.js';
import { prepareSubmission, SUBMISSION_PLAN_PATH, SUBMISSIONS_PATH, type PostToUpstream } from '../../src/federation/submissions.js';
import { readHop } from '../../src/federation/provenance.js';
import { json, type Body } from '../support/json.js';
import { pulled } from './pull-support.js';
import { enrol, publishImage, serveNode, until, type ServedNode } from './tree.js';

let global: ServedNode;
let vendor: ServedNode;
let leaf: ServedNode;
let searchOnly: ServedNode;
const workers: Array<{ close(): Promise<void> }> = [];

const publisher = (n: ServedNode) => n.node.as({ project: 'publisher' });

async function submit(from: ServedNode, body: Record<string, unknown>, as = from.node.admin) {
  return from.node.request('POST', '/federation/v1/submit', { as, json: body });
}

/** Submits and waits until the child's record of it leaves queued and sending. */
async function submitted(from: ServedNode, body: Record<string, unknown>, as = from.node.admin): Promise<Body> {
  const res = await submit(from, body, as);
  expect(res.status, await res.clone().text()).toBe(202);
  const { id } = await res.json();
  return until(
    `submission ${id} to be sent`,
    async () => (await from.node.request('GET', `/federation/v1/submit/${id}`, { as })).json(),
    (s: Body) => s.state !== 'queued' && s.state !== 'sending',
  );
}

async function imagesOf(n: ServedNode, project: string): Promise<Body[]> {
  const res = await n.node.request('GET', `/artifacts/images?owner=${project}&limit=100`, { as: n.node.admin });
  expect(res.status).toBe(200);
  return (await res.json()).artifacts;
}

/** Posts as `from`'s node to `to`, as the submission job does. */
function poster(from: ServedNode, to: ServedNode): PostToUpstream {
  return async (path, body, extra) => {
    const res = await from.node.deps.federation.client.request({ nodeId: to.id, url: to.url }, { method: 'POST', path, body, ...extra, timeoutMs: 10_000 });
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return res.json();
  };
}

async function provenanceOf(n: ServedNode, id: string): Promise<Body> {
  const res = await n.node.request('GET', `/artifacts/images/${id}/provenance`, { as: n.node.admin });
  expect(res.status).toBe(200);
  return res.json();
}

function filesUnder(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name));
  } catch {
    return [];
  }
}

beforeAll(async () => {
  [global, vendor, leaf, searchOnly] = await Promise.all([
    serveNode('global', 'global'),
    serveNode('vendor', 'vendor', { federation: { submissions: { land_as: 'active' } } }),
    serveNode('leaf', 'enterprise'),
    serveNode('lurker', 'enterprise'),
  ]);
  workers.push(...[global, vendor, leaf, searchOnly].map((n) => n.startWorker()));
  await enrol(vendor, global, { permissions: ['search', 'pull', 'submit'], project: 'p-vendor' });
  await enrol(leaf, vendor, { permissions: ['search', 'submit'], project: 'p-leaf' });
  await enrol(searchOnly, vendor, { permissions: ['search', 'pull'] });
});
afterAll(async () => {
  await Promise.all(workers.map((w) => w.close()));
  await Promise.all([global?.close(), vendor?.close(), leaf?.close(), searchOnly?.close()]);
});

describe('POST /federation/v1/submit', () => {
  it('sends an artifact up two levels: the vendor takes it active, passes it on, global reviews it; resubmitting creates nothing', async () => {
    const image = await publishImage(leaf, 'edge-router', '1.2.0', 'edge router bytes');
    const sha256 = createHash('sha256').update('edge router bytes').digest('hex');

    // The owning project's user submits its public artifact; the vendor takes it at once.
    const first = await submitted(leaf, { upstream: 'vendor', type: 'images', id: image.id }, publisher(leaf));
    expect(first).toMatchObject({ state: 'accepted', upstream: vendor.id, artifact: { id: image.id, name: 'edge-router', version: '1.2.0' } });
    const [atVendor, ...more] = await imagesOf(vendor, 'p-leaf');
    expect(more).toEqual([]);
    expect(atVendor).toMatchObject({ id: first.remote.artifact_id, name: 'edge-router', version: '1.2.0', status: 'active', visibility: 'private', owner: 'p-leaf' });
    const download = await vendor.node.request('GET', `/artifacts/images/${atVendor.id}/image`, { as: vendor.node.admin });
    expect(await download.text()).toBe('edge router bytes');
    // Its origin: the leaf, with the leaf's signed hop.
    const vendorOrigin = await findOrigin(vendor.node.deps.db, atVendor.id);
    expect(vendorOrigin).toMatchObject({ upstreamNodeId: leaf.id, upstreamArtifactId: image.id });
    expect(vendorOrigin!.chain.map((h) => readHop(h).claims.node)).toEqual([leaf.id]);
    // The leaf's hop binds the copy's manifest as it is here (in project p-leaf): it verifies here.
    expect(await provenanceOf(vendor, atVendor.id)).toMatchObject({ verified: true, hops: [{ node: leaf.id, verified: true }], summary: expect.stringMatching(/submitted to vendor$/) });
    // A copy is the leaf's: the project it landed in may not change it here.
    const edit = await vendor.node.request('PATCH', `/artifacts/images/${atVendor.id}`, { as: vendor.node.as({ project: 'p-leaf' }), patch: [{ op: 'replace', path: '/description', value: 'mine now' }] });
    expect(edit.status).toBe(403);

    // The vendor passes it on (it is private there: an admin says it may go), global drafts it for review.
    const refusedPrivate = await submit(vendor, { upstream: global.id, type: 'images', id: atVendor.id });
    expect(refusedPrivate.status).toBe(403);
    expect((await refusedPrivate.json()).error.message).toMatch(/private/);
    const second = await submitted(vendor, { upstream: global.id, type: 'images', id: atVendor.id, include_private: true });
    expect(second.state).toBe('pending_review');
    const [atGlobal] = await imagesOf(global, 'p-vendor');
    expect(atGlobal).toMatchObject({ id: second.remote.artifact_id, status: 'drafted', owner: 'p-vendor', image: { sha256 } });
    const globalOrigin = await findOrigin(global.node.deps.db, atGlobal.id);
    expect(globalOrigin).toMatchObject({ upstreamNodeId: vendor.id, upstreamArtifactId: atVendor.id });
    // Owned by another project here, its manifest is another: the vendor's hop starts the chain.
    expect(globalOrigin!.manifestSha256).not.toBe(vendorOrigin!.manifestSha256);
    expect(globalOrigin!.chain.map((h) => readHop(h).claims.node)).toEqual([vendor.id]);
    expect(await provenanceOf(global, atGlobal.id)).toMatchObject({ verified: true, hops: [{ node: vendor.id, verified: true }] });

    // Global's reviewer sees it pending and accepts it (publishing it); the vendor learns so when it reads its submission.
    const pending = await global.node.request('GET', '/federation/v1/admin/submissions?state=pending_review', { as: global.node.admin });
    const [review] = (await pending.json()).submissions;
    expect(review).toMatchObject({ id: second.remote.id, child: vendor.id, project: 'p-vendor', artifact: { id: atGlobal.id, source_id: atVendor.id } });
    const accepted = await global.node.request('POST', `/federation/v1/admin/submissions/${review.id}/accept`, { as: global.node.admin, json: { publish: true } });
    expect(accepted.status, await accepted.clone().text()).toBe(200);
    const shown = await global.node.request('GET', `/artifacts/images/${atGlobal.id}`, { as: global.node.as({ project: 'anyone' }) });
    expect(await shown.json()).toMatchObject({ status: 'active', visibility: 'public' });
    const refreshed = await vendor.node.request('GET', `/federation/v1/submit/${second.id}`, { as: vendor.node.admin });
    expect(await refreshed.json()).toMatchObject({ id: second.id, state: 'accepted' });

    // The vendor's admin publishes the copy (through its review: copies are read-only to users), and
    // another child pulls it on: its chain (the leaf's hop, the vendor's) verifies there.
    const published = await vendor.node.request('POST', `/federation/v1/admin/submissions/${first.remote.id}/accept`, { as: vendor.node.admin, json: { publish: true } });
    expect(published.status, await published.clone().text()).toBe(200);
    const pull = await pulled(searchOnly, { upstream: vendor.id, id: atVendor.id });
    const [pulledId] = pull.result.roots;
    expect(await provenanceOf(searchOnly, pulledId)).toMatchObject({ verified: true, hops: [{ node: leaf.id, verified: true }, { node: vendor.id, verified: true }] });

    // Resubmitting: the same submission on both sides, nothing new anywhere.
    const again = await submitted(leaf, { upstream: vendor.id, type: 'images', id: image.id }, publisher(leaf));
    expect(again).toMatchObject({ id: first.id, state: 'accepted', remote: { id: first.remote.id, artifact_id: atVendor.id } });
    expect((await imagesOf(vendor, 'p-leaf')).map((a) => a.id)).toEqual([atVendor.id]);
    // What the resubmission sent: the manifest, and no blob (the vendor said it lacks none).
    const plans: unknown[] = [];
    const post = poster(leaf, vendor);
    await prepareSubmission(leaf.node.deps, { typeName: 'images', id: image.id }, async (path, body, extra) => {
      const answer = await post(path, body, extra);
      if (path === SUBMISSION_PLAN_PATH) plans.push(answer);
      return answer;
    });
    expect(plans).toMatchObject([{ needed_blobs: [], present: [image.id], manifests: { [image.id]: vendorOrigin!.manifestSha256 } }]);
    const list = await leaf.node.request('GET', '/federation/v1/submit', { as: publisher(leaf) });
    expect((await list.json()).submissions.map((s: Body) => s.id)).toEqual([first.id]);
  });

  it('refuses an upstream that did not grant submit (one granting search and pull), and callers who are not this node’s users', async () => {
    const image = await publishImage(searchOnly, 'lurker-tool', '1.0.0', 'lurker bytes');
    const res = await submit(searchOnly, { upstream: 'vendor', type: 'images', id: image.id });
    expect(res.status).toBe(403);
    expect((await res.json()).error.message).toMatch(/did not grant this node submit/);
    // Its node token on the upstream's receiving route: refused before any byte is read.
    const direct = await searchOnly.node.deps.federation.client.request(
      { nodeId: vendor.id, url: vendor.url },
      { method: 'POST', path: SUBMISSIONS_PATH, body: new Uint8Array([1, 2, 3]), bodyDigest: bodyDigest(new Uint8Array([1, 2, 3])), contentType: 'application/x-tar', timeoutMs: 5000 },
    );
    expect(direct.status).toBe(403);
    expect(await searchOnly.node.request('POST', '/federation/v1/submit', { json: { upstream: 'vendor', type: 'images', id: image.id } }).then((r) => r.status)).toBe(401);
  });

  it('sends private artifacts only when an admin says so', async () => {
    const secret = await leaf.node.seed('images', { name: 'internal-tool', version: '0.1.0' }, { as: publisher(leaf), activate: true });
    const byOwner = await submit(leaf, { upstream: 'vendor', type: 'images', id: secret.id }, publisher(leaf));
    expect(byOwner.status).toBe(403);
    expect((await byOwner.json()).error.message).toMatch(/private/);
    const ownerOverride = await submit(leaf, { upstream: 'vendor', type: 'images', id: secret.id, include_private: true }, publisher(leaf));
    expect(ownerOverride.status).toBe(403);
    expect((await submit(leaf, { upstream: 'vendor', type: 'images', id: secret.id })).status).toBe(403);
    const sent = await submitted(leaf, { upstream: 'vendor', type: 'images', id: secret.id, include_private: true });
    expect(sent).toMatchObject({ state: 'accepted', include_private: true });
    expect((await imagesOf(vendor, 'p-leaf')).map((a) => a.name)).toContain('internal-tool');
  });

  it('refuses a tampered body and keeps nothing of it', async () => {
    const image = await publishImage(leaf, 'tamper-me', '1.0.0', 'bytes that must not land');
    const { bundle, needed } = await prepareSubmission(leaf.node.deps, { typeName: 'images', id: image.id }, poster(leaf, vendor));
    expect(needed.size).toBe(1);
    const tar = bundle.openWith(needed);
    const chunks: Buffer[] = [];
    for await (const chunk of tar.open()) chunks.push(chunk as Buffer);
    const original = Buffer.concat(chunks);
    const blobFilesBefore = filesUnder(join(vendor.node.dataDir, 'blobs')).length;
    const send = (body: Buffer) =>
      leaf.node.deps.federation.client.request(
        { nodeId: vendor.id, url: vendor.url },
        { method: 'POST', path: SUBMISSIONS_PATH, body, bodyDigest: bodyDigest(original), contentType: 'application/x-tar', contentLength: body.length, timeoutMs: 10_000 },
      );

    // A manifest changed in transit (still a valid one): only the digest the token binds tells.
    const otherManifest = Buffer.from(original.toString('latin1').replace('"version":"1.0.0"', '"version":"1.0.1"'), 'latin1');
    expect(otherManifest.equals(original)).toBe(false);
    const refused = await send(otherManifest);
    expect(refused.status).toBe(401);
    expect((await json(refused)).error.message).toMatch(/not the one the node token was signed for/);
    // A blob byte changed in transit.
    const otherBlob = Buffer.from(original);
    const at = otherBlob.indexOf('bytes that must not land');
    otherBlob[at] = 'B'.charCodeAt(0);
    const refusedBlob = await send(otherBlob);
    expect([400, 401]).toContain(refusedBlob.status);

    // A whole, signed-for bundle whose artifacts come without provenance (a plain export).
    const plain = Buffer.from(await (await leaf.node.request('GET', `/artifacts/images/${image.id}/export`, { as: leaf.node.admin })).arrayBuffer());
    const unproven = await leaf.node.deps.federation.client.request(
      { nodeId: vendor.id, url: vendor.url },
      { method: 'POST', path: SUBMISSIONS_PATH, body: plain, bodyDigest: bodyDigest(plain), contentType: 'application/x-tar', timeoutMs: 10_000 },
    );
    expect(unproven.status).toBe(400);
    expect((await json(unproven)).error.message).toMatch(/without provenance/);

    expect((await imagesOf(vendor, 'p-leaf')).map((a) => a.name)).not.toContain('tamper-me');
    expect(filesUnder(join(vendor.node.dataDir, 'blobs')).length).toBe(blobFilesBefore);
    // The untouched body, signed again, lands.
    const fine = await send(original);
    expect(fine.status, await fine.clone().text()).toBe(201);
    expect((await imagesOf(vendor, 'p-leaf')).map((a) => a.name)).toContain('tamper-me');
  });

  it('a refused submission leaves nothing upstream and the child sees why', async () => {
    const image = await publishImage(vendor, 'not-wanted', '3.0.0', 'unwanted bytes');
    const sent = await submitted(vendor, { upstream: global.id, type: 'images', id: image.id });
    expect(sent.state).toBe('pending_review');
    const refuse = await global.node.request('POST', `/federation/v1/admin/submissions/${sent.remote.id}/refuse`, { as: global.node.admin, json: { reason: 'duplicates the distribution image' } });
    expect(refuse.status, await refuse.clone().text()).toBe(200);
    expect((await imagesOf(global, 'p-vendor')).map((a) => a.name)).not.toContain('not-wanted');
    const seen = await vendor.node.request('GET', `/federation/v1/submit/${sent.id}`, { as: vendor.node.admin });
    expect(await seen.json()).toMatchObject({ state: 'refused', message: expect.stringMatching(/duplicates the distribution image/) });
    // A reviewer cannot accept what was refused.
    const late = await global.node.request('POST', `/federation/v1/admin/submissions/${sent.remote.id}/accept`, { as: global.node.admin });
    expect(late.status).toBe(409);
  });
});
