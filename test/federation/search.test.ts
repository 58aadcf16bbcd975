/**
 * Federated search over a real three-level tree on loopback ports: global ← vendor ← leaf, each
 * node its own database, sharing Redis under their own prefixes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signNodeJwt } from '../../src/federation/node-jwt.js';
import type { Body } from '../support/json.js';
import { enrol, publishImage, serveNode, type ServedNode } from './tree.js';

let global: ServedNode;
let vendor: ServedNode;
let leaf: ServedNode;

const names = (path: Array<{ name: string }>) => path.map((p) => p.name).join('>');

async function search(node: ServedNode, query: string, as = node.node.as({ project: 'leaf-users' })): Promise<Body> {
  const res = await node.node.request('GET', `/federation/v1/search?${query}`, { as });
  expect(res.status, await res.clone().text()).toBe(200);
  return res.json();
}

beforeAll(async () => {
  [global, vendor, leaf] = await Promise.all([serveNode('global', 'global'), serveNode('vendor', 'vendor'), serveNode('leaf', 'enterprise')]);
  await publishImage(global, 'ubuntu', '22.4.0', 'ubuntu bytes');
  await publishImage(global, 'shared', '1.0.0', 'the same bytes');
  await publishImage(global, 'clash', '1.0.0', 'global’s bytes');
  await global.node.seed('images', { name: 'secret', version: '1.0.0' }, { as: global.node.as({ project: 'someone' }), activate: true });
  await publishImage(vendor, 'vendor-tool', '2.0.0', 'vendor bytes');
  await publishImage(vendor, 'shared', '1.0.0', 'the same bytes');
  await publishImage(vendor, 'clash', '1.0.0', 'vendor’s bytes');
  await publishImage(leaf, 'leaf-app', '1.0.0');
  await enrol(vendor, global, { permissions: ['search'] });
  await enrol(leaf, vendor, { permissions: ['search', 'pull'] });
});
afterAll(async () => {
  await Promise.all([global?.close(), vendor?.close(), leaf?.close()]);
});

describe('GET /federation/v1/search', () => {
  it('finds artifacts two levels up, each with the path of nodes it came through', async () => {
    const answer = await search(leaf, 'type=images');
    const byName = new Map<string, Body[]>();
    for (const r of answer.results) byName.set(r.name, [...(byName.get(r.name) ?? []), r]);
    expect([...byName.keys()].sort()).toEqual(['clash', 'leaf-app', 'shared', 'ubuntu', 'vendor-tool']);
    expect(byName.get('ubuntu')![0].sources.map((s: Body) => names(s.path))).toEqual(['leaf>vendor>global']);
    expect(byName.get('vendor-tool')![0].sources.map((s: Body) => names(s.path))).toEqual(['leaf>vendor']);
    expect(byName.get('leaf-app')![0].sources.map((s: Body) => names(s.path))).toEqual(['leaf']);
    expect(byName.get('ubuntu')![0]).toMatchObject({ type_name: 'images', version: '22.4.0', conflict: false, artifact: { name: 'ubuntu', visibility: 'public' } });
    expect(byName.get('ubuntu')![0].sources[0].path.map((p: Body) => p.id)).toEqual([leaf.id, vendor.id, global.id]);
    // The other project's private image on global is not shown to a peer.
    expect(byName.has('secret')).toBe(false);

    expect(answer.partial).toBe(false);
    expect(answer.sources.map((s: Body) => [names(s.path), s.status])).toEqual([
      ['leaf', 'ok'],
      ['leaf>vendor', 'ok'],
      ['leaf>vendor>global', 'ok'],
    ]);
    for (const s of answer.sources) expect(s.ms).toBeGreaterThanOrEqual(0);
  });

  it('merges the same artifact found on two nodes and flags same coordinates with different content', async () => {
    const answer = await search(leaf, 'type=images&name=in:shared,clash');
    const shared = answer.results.filter((r: Body) => r.name === 'shared');
    expect(shared).toHaveLength(1);
    expect(shared[0].digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(shared[0].sources.map((s: Body) => names(s.path)).sort()).toEqual(['leaf>vendor', 'leaf>vendor>global']);
    expect(shared[0].conflict).toBe(false);

    const clash = answer.results.filter((r: Body) => r.name === 'clash');
    expect(clash).toHaveLength(2);
    expect(clash.every((r: Body) => r.conflict)).toBe(true);
    expect(new Set(clash.map((r: Body) => r.digest)).size).toBe(2);
    expect(answer.conflicts).toEqual([{ type_name: 'images', name: 'clash', version: '1.0.0', digests: expect.arrayContaining(clash.map((r: Body) => r.digest)) }]);
  });

  it('applies the list filters on every node', async () => {
    const answer = await search(leaf, 'type=images&name=ubuntu&version=>=22.0.0');
    expect(answer.results.map((r: Body) => r.name)).toEqual(['ubuntu']);
    const none = await search(leaf, 'type=images&name=ubuntu&version=<22.0.0');
    expect(none.results).toEqual([]);
    const all = await search(leaf, 'name=vendor-tool');
    expect(all.results.map((r: Body) => [r.type_name, r.name])).toEqual([['images', 'vendor-tool']]);
  });

  it('refuses a bad filter before asking anyone', async () => {
    const res = await leaf.node.request('GET', '/federation/v1/search?type=images&version=bogus:1', { as: leaf.node.as({ project: 'p' }) });
    expect(res.status).toBe(400);
  });

  it('pages across sources with a cursor until every source is done', async () => {
    const seen: string[] = [];
    let query = 'type=images&limit=1';
    for (let page = 0; page < 10; page++) {
      const answer = await search(leaf, query);
      for (const r of answer.results) for (const s of r.sources) seen.push(`${r.name}@${names(s.path)}`);
      if (!answer.next_cursor) break;
      query = `type=images&limit=1&cursor=${answer.next_cursor}`;
    }
    expect(seen.sort()).toEqual(
      [
        'clash@leaf>vendor',
        'clash@leaf>vendor>global',
        'leaf-app@leaf',
        'shared@leaf>vendor',
        'shared@leaf>vendor>global',
        'ubuntu@leaf>vendor>global',
        'vendor-tool@leaf>vendor',
      ].sort(),
    );
  });

  it('stops at the hop limit', async () => {
    const answer = await search(leaf, 'type=images&hops=1');
    expect(answer.results.map((r: Body) => r.name)).not.toContain('ubuntu');
    expect(answer.sources.find((s: Body) => names(s.path) === 'leaf>vendor>global')).toMatchObject({ status: 'skipped', message: 'hop limit reached' });
  });

  it('needs a credential: anonymous callers are refused', async () => {
    const res = await leaf.node.request('GET', '/federation/v1/search?type=images');
    expect(res.status).toBe(401);
  });

  it('refuses a node token the second time, and asks no upstream on the replay’s behalf', async () => {
    const identity = await leaf.node.deps.federation.identity();
    const path = '/federation/v1/search?type=images&name=ubuntu';
    const token = await signNodeJwt(identity, vendor.id, { method: 'GET', path }, new Date(), 60);
    const ask = () => fetch(new URL(path, vendor.url), { headers: { authorization: `Bearer ${token}` } });
    const first = await ask();
    expect(first.status).toBe(200);
    expect(((await first.json()) as Body).results.map((r: Body) => r.name)).toEqual(['ubuntu']);
    const globalAsked = global.requests.length;
    const replayed = await ask();
    expect(replayed.status).toBe(401);
    expect(((await replayed.json()) as Body).error.message).toContain('used already');
    // vendor read its own page meanwhile, but never called global for the replay.
    expect(global.requests.slice(globalAsked)).toEqual([]);
  });

  it('refuses a loop, and never asks a node already on the path', async () => {
    const direct = await vendor.node.request('GET', `/federation/v1/search?type=images&via=${vendor.id}`, { as: vendor.node.as({ project: 'p' }) });
    expect(direct.status).toBe(400);
    expect((await direct.json()).error.message).toContain('loop');

    // global now also takes leaf as an upstream: leaf → vendor → global → leaf would be a cycle.
    await enrol(global, leaf, { permissions: ['search'] });
    const answer = await search(leaf, 'type=images');
    expect(answer.sources.find((s: Body) => names(s.path) === 'leaf>vendor>global>leaf')).toMatchObject({ status: 'skipped', message: expect.stringContaining('loop') });
    expect(answer.results.find((r: Body) => r.name === 'leaf-app').sources.map((s: Body) => names(s.path))).toEqual(['leaf']);
  });
});
