/**
 * Tree resolution (`scope=tree`) over a real three-level tree on loopback ports: global ← vendor ←
 * leaf. Newest wins wherever it is, the nearest copy of one version is the one taken, a conflict
 * names the node of each version it cites, and an upstream that is gone leaves a partial answer
 * chosen from the rest.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Body } from '../support/json.js';
import { enrol, serveNode, type ServedNode } from './tree.js';
import type { BullmqWorker } from '../../src/jobs/bullmq-runner.js';

let global: ServedNode;
let vendor: ServedNode;
let leaf: ServedNode;
let worker: BullmqWorker;

const names = (path: Array<{ name: string }>) => path.map((p) => p.name).join('>');
const req = (name: string, range: string) => ({ type: 'images', name, range });

/** An active public image requiring `requires` (which must resolve on that node: activation checks it). */
async function publish(n: ServedNode, name: string, version: string, requires: unknown[] = []): Promise<Body> {
  return n.node.seed('images', { name, version, requires }, { as: n.node.as({ project: 'publisher' }), publish: true });
}

async function resolve(node: ServedNode, requires: unknown[], scope = 'tree'): Promise<{ status: number; body: Body }> {
  const res = await node.node.request('POST', `/resolve?scope=${scope}`, { as: node.node.as({ project: 'leaf-users' }), json: { requires } });
  return { status: res.status, body: await res.json() };
}

/** name → "version@node" of what was chosen. */
const chosen = (body: Body) => Object.fromEntries(body.artifacts.map((a: Body) => [a.name, `${a.version}@${a.node?.name ?? 'here'}`]));

beforeAll(async () => {
  [global, vendor, leaf] = await Promise.all([serveNode('global', 'global'), serveNode('vendor', 'vendor'), serveNode('leaf', 'enterprise')]);
  await publish(global, 'base', '1.0.0');
  await publish(global, 'base', '2.0.0');
  await publish(global, 'app', '3.0.0', [req('base', '^2')]);
  await publish(vendor, 'base', '1.0.0');
  await publish(vendor, 'app', '2.0.0', [req('base', '^1')]);
  await publish(vendor, 'lib', '1.0.0');
  await publish(vendor, 'tool', '1.0.0', [req('lib', '^1')]);
  await publish(leaf, 'base', '1.5.0');
  await publish(leaf, 'app', '1.0.0', [req('base', '^1')]);
  await enrol(vendor, global, { permissions: ['search'] });
  await enrol(leaf, vendor, { permissions: ['search', 'pull'] });
  worker = leaf.startWorker();
});
afterAll(async () => {
  await worker?.close();
  await Promise.all([global?.close(), vendor?.close(), leaf?.close()]);
});

describe('POST /resolve?scope=tree', () => {
  it('takes the newest version wherever it is, and says which node holds each artifact', async () => {
    const local = await resolve(leaf, [req('app', '*')], 'local');
    expect(local.status).toBe(200);
    expect(chosen(local.body)).toEqual({ app: '1.0.0@here', base: '1.5.0@here' });
    expect(local.body.scope).toBe('local');

    const { status, body } = await resolve(leaf, [req('app', '*')]);
    expect(status, JSON.stringify(body)).toBe(200);
    expect(chosen(body)).toEqual({ app: '3.0.0@global', base: '2.0.0@global' });
    const app = body.artifacts.find((a: Body) => a.name === 'app');
    expect(names(app.path)).toBe('leaf>vendor>global');
    expect(app.node).toEqual({ id: global.id, name: 'global' });
    // The id is the artifact's id on the node holding it: what a pull asks that node for.
    const onGlobal = await global.node.request('GET', `/artifacts/images/${app.id}`, { as: global.node.admin });
    expect(((await onGlobal.json()) as Body).version).toBe('3.0.0');
    expect(body.partial).toBe(false);
    expect(body.sources.map((s: Body) => [names(s.path), s.status])).toEqual([
      ['leaf', 'ok'],
      ['leaf>vendor', 'ok'],
      ['leaf>vendor>global', 'ok'],
    ]);
  });

  it('mixes sources: a range that excludes the newest takes what fits from each node', async () => {
    const { status, body } = await resolve(leaf, [req('app', '<3')]);
    expect(status, JSON.stringify(body)).toBe(200);
    // app 2.0.0 is on vendor; its base ^1 is best met by leaf's own 1.5.0.
    expect(chosen(body)).toEqual({ app: '2.0.0@vendor', base: '1.5.0@leaf' });
  });

  it('takes the nearest copy of a version several nodes hold', async () => {
    const { body } = await resolve(leaf, [req('base', '1.0.0')]);
    expect(chosen(body)).toEqual({ base: '1.0.0@vendor' });
    expect(names(body.artifacts[0].path)).toBe('leaf>vendor');
  });

  it('resolves a draft artifact of the leaf against the tree (GET .../resolve?scope=tree)', async () => {
    const root = await leaf.node.seed('images', { name: 'mine', version: '0.1.0', requires: [req('app', '>=2')] }, { as: leaf.node.as({ project: 'leaf-users' }) });
    const res = await leaf.node.request('GET', `/artifacts/images/${root.id}/resolve?scope=tree`, { as: leaf.node.as({ project: 'leaf-users' }) });
    expect(res.status).toBe(200);
    expect(chosen(await res.json())).toEqual({ app: '3.0.0@global', base: '2.0.0@global' });
    const local = await leaf.node.request('GET', `/artifacts/images/${root.id}/resolve`, { as: leaf.node.as({ project: 'leaf-users' }) });
    expect(local.status).toBe(409);
  });

  it('explains a conflict across sources, naming the node of each version', async () => {
    const { status, body } = await resolve(leaf, [req('app', '>=3'), req('base', '<2')]);
    expect(status).toBe(409);
    expect(body.error.message).toContain('images app 3.0.0 from global requires images base ^2');
    expect(body.error.message).toMatch(/available: 2\.0\.0 from global, 1\.5\.0 from leaf, 1\.0\.0 from vendor/);
    expect(body.conflict).toEqual(expect.arrayContaining([expect.objectContaining({ by: expect.objectContaining({ name: 'app', version: '3.0.0', node: 'global' }) })]));
    expect(body.partial).toBe(false);
  });

  it('takes, for a requirement naming an origin, only versions first published on that node, named by name or id', async () => {
    // base: 1.0.0 and 2.0.0 published on global, 1.0.0 on the vendor, 1.5.0 on the leaf.
    const from = (origin: string, range = '*', scope = 'tree') => resolve(leaf, [{ ...req('base', range), origin }], scope);
    expect(chosen((await from('vendor')).body)).toEqual({ base: '1.0.0@vendor' });
    expect(chosen((await from(global.id)).body)).toEqual({ base: '2.0.0@global' });
    // Global's 1.0.0 is not the vendor's, though the vendor's copy of that version is nearer.
    const older = await from('global', '<2');
    expect(older.status, JSON.stringify(older.body)).toBe(200);
    expect(chosen(older.body)).toEqual({ base: '1.0.0@global' });
    expect(chosen((await from('leaf')).body)).toEqual({ base: '1.5.0@leaf' });
    const nowhere = await from('elsewhere');
    expect(nowhere.status).toBe(409);
    expect(nowhere.body.explanation).toMatch(/the request requires images base \* from elsewhere; no images base satisfies it \(available: 2\.0\.0 from global \(published on global\), .*1\.0\.0 from vendor \(published on vendor\)/);
    // This node's catalog alone: only what was published here.
    expect(chosen((await from('leaf', '*', 'local')).body)).toEqual({ base: '1.5.0@here' });
    expect(chosen((await from(leaf.id, '*', 'local')).body)).toEqual({ base: '1.5.0@here' });
    expect((await from('vendor', '*', 'local')).status).toBe(409);
    // Asked by an artifact, not by the request: the same.
    await publish(leaf, 'own-base-user', '1.0.0', [{ ...req('base', '*'), origin: 'leaf' }]);
    expect(chosen((await resolve(leaf, [req('own-base-user', '*')], 'local')).body)).toEqual({ 'own-base-user': '1.0.0@here', base: '1.5.0@here' });
    expect(chosen((await resolve(leaf, [req('own-base-user', '*')])).body)).toEqual({ 'own-base-user': '1.0.0@leaf', base: '1.5.0@leaf' });
  });

  it('refuses a bad scope', async () => {
    const { status } = await resolve(leaf, [req('app', '*')], 'galaxy');
    expect(status).toBe(400);
  });
});

describe('POST /federation/v1/candidates', () => {
  it('needs a credential, and refuses a loop', async () => {
    const anonymous = await vendor.node.request('POST', '/federation/v1/candidates', { json: { names: [{ type: 'images', name: 'app' }] } });
    expect(anonymous.status).toBe(401);
    const loop = await vendor.node.request('POST', '/federation/v1/candidates', { as: vendor.node.as({ project: 'p' }), json: { names: [{ type: 'images', name: 'app' }], via: [vendor.id] } });
    expect(loop.status).toBe(400);
    expect(((await loop.json()) as Body).error.message).toContain('loop');
  });

  it('answers the closure of the names asked, from the node and its upstreams, with paths', async () => {
    const res = await vendor.node.request('POST', '/federation/v1/candidates', { as: vendor.node.as({ project: 'p' }), json: { names: [{ type: 'images', name: 'app' }] } });
    expect(res.status).toBe(200);
    const body: Body = await res.json();
    const seen = body.candidates.map((c: Body) => `${c.name} ${c.version}@${names(c.path)}`).sort();
    // base 1.0.0 was published on both: two artifacts, each answered with its origin.
    expect(seen).toEqual(['app 2.0.0@vendor', 'app 3.0.0@vendor>global', 'base 1.0.0@vendor', 'base 1.0.0@vendor>global', 'base 2.0.0@vendor>global']);
    const origins = body.candidates.filter((c: Body) => c.name === 'base').map((c: Body) => `${c.version}@${c.origin.name}`);
    expect(origins.sort()).toEqual(['1.0.0@global', '1.0.0@vendor', '2.0.0@global']);
  });
});

describe('POST /resolve?scope=tree&pull=true', () => {
  it('pulls the chosen artifacts its upstream holds in one job; then they are held here', async () => {
    const res = await leaf.node.request('POST', '/resolve?scope=tree&pull=true', { as: leaf.node.as({ project: 'leaf-users' }), json: { requires: [req('tool', '*')] } });
    expect(res.status).toBe(200);
    const body: Body = await res.json();
    expect(chosen(body)).toEqual({ tool: '1.0.0@vendor', lib: '1.0.0@vendor' });
    const ids = body.artifacts.map((a: Body) => a.id).sort();
    expect(body.pull.jobs).toEqual([expect.objectContaining({ upstream: { id: vendor.id, name: 'vendor' }, artifact_ids: ids })]);
    expect(body.pull.not_pulled).toEqual([]);

    const jobId = body.pull.jobs[0].job_id;
    const deadline = Date.now() + 15_000;
    for (;;) {
      const job: Body = await (await leaf.node.request('GET', `/federation/v1/jobs/${jobId}`, { as: leaf.node.admin })).json();
      if (job.status === 'succeeded') break;
      if (job.status === 'failed' || Date.now() > deadline) throw new Error(`pull ${job.status}: ${job.error}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    // Held here now: the nearest copies, so the same resolution takes them from this node.
    const again = await resolve(leaf, [req('tool', '*')]);
    expect(chosen(again.body)).toEqual({ tool: '1.0.0@leaf', lib: '1.0.0@leaf' });
  });

  it('counts a pulled copy as published where its provenance starts, locally and across the tree', async () => {
    const local = (origin: string) => resolve(leaf, [{ ...req('lib', '^1'), origin }], 'local');
    expect(chosen((await local('vendor')).body)).toEqual({ lib: '1.0.0@here' });
    expect(chosen((await local(vendor.id)).body)).toEqual({ lib: '1.0.0@here' });
    expect((await local('leaf')).status).toBe(409);
    const tree = await resolve(leaf, [{ ...req('lib', '^1'), origin: 'vendor' }]);
    expect(chosen(tree.body)).toEqual({ lib: '1.0.0@leaf' });
  });

  it('names what was chosen further up than a direct upstream, and does not pull it', async () => {
    const res = await leaf.node.request('POST', '/resolve?scope=tree&pull=true', { as: leaf.node.as({ project: 'leaf-users' }), json: { requires: [req('app', '*')] } });
    const body: Body = await res.json();
    expect(chosen(body)).toEqual({ app: '3.0.0@global', base: '2.0.0@global' });
    expect(body.pull.jobs).toEqual([]);
    expect(body.pull.not_pulled.map((n: Body) => `${n.name} ${n.version}@${n.node.name}`).sort()).toEqual(['app 3.0.0@global', 'base 2.0.0@global']);
    expect(body.pull.not_pulled[0].reason).toContain('vendor must hold it first');
  });

  it('needs scope=tree', async () => {
    const res = await leaf.node.request('POST', '/resolve?pull=true', { as: leaf.node.as({ project: 'leaf-users' }), json: { requires: [req('app', '*')] } });
    expect(res.status).toBe(400);
  });
});

describe('an upstream that is gone', () => {
  it('leaves a partial answer chosen from the sources that answered', async () => {
    await global.stop();
    const { status, body } = await resolve(leaf, [req('app', '*')]);
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body.partial).toBe(true);
    expect(chosen(body)).toEqual({ app: '2.0.0@vendor', base: '1.5.0@leaf' });
    expect(body.sources.find((s: Body) => names(s.path) === 'leaf>vendor>global')).toMatchObject({ status: 'error' });
    expect(body.sources.find((s: Body) => names(s.path) === 'leaf>vendor')).toMatchObject({ status: 'ok' });
  });

  it('marks a conflict partial too: the missing upstream may be why nothing fits', async () => {
    const { status, body } = await resolve(leaf, [req('app', '>=3')]);
    expect(status).toBe(409);
    expect(body.partial).toBe(true);
    expect(body.error.message).toContain('partial: leaf>vendor>global');
  });
});
