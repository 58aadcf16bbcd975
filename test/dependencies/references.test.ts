import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Body } from '../support/json.js';
import { createTestNode, type TestNode } from '../support/node.js';

const T = 'components';
const TYPES_DIR = 'test/dependencies/fixtures/types';
const link = (a: Body) => `/artifacts/${T}/${a.id}`;

describe.each([
  ['refuse', 'refuse'],
  ['mark_broken', 'mark_broken'],
])('with dependencies.on_depended_removal = %s', (_label, policy) => {
  let node: TestNode;
  let owner: Record<string, string>;
  beforeAll(async () => {
    node = await createTestNode({ types_dir: TYPES_DIR, dependencies: { on_depended_removal: policy } });
    owner = node.as({ project: 'p1' });
  });
  afterAll(() => node.close());

  const dependantsOf = async (a: Body, as = owner) => (await (await node.request('GET', `/artifacts/${T}/${a.id}/dependants`, { as })).json()).dependants as Body[];

  it('answers "what depends on X" from links in every kind of link field and from requirements X satisfies', async () => {
    const x = await node.seed(T, { name: 'x', version: '2.1.0' }, { activate: true });
    const viaBase = await node.seed(T, { name: 'by-base', version: '1.0', base: link(x) });
    const viaList = await node.seed(T, { name: 'by-list', version: '1.0', uses: ['https://example.org/a', link(x)] });
    const viaDict = await node.seed(T, { name: 'by-dict', version: '1.0', parts: { main: link(x) } });
    await node.seed(T, { name: 'by-range', version: '1.0', requires: [{ type: T, name: 'x', range: '^2' }] });
    await node.seed(T, { name: 'not-by-range', version: '1.0', requires: [{ type: T, name: 'x', range: '^3' }] });
    const dependants = await dependantsOf(x);
    expect(dependants.map((d) => [d.name, d.via, d.field ?? d.requirement.range, d.key ?? null]).sort()).toEqual([
      ['by-base', 'link', 'base', ''],
      ['by-dict', 'link', 'parts', 'main'],
      ['by-list', 'link', 'uses', '1'],
      ['by-range', 'requires', '^2', null],
    ]);
    // A link changed away is no longer a reference.
    expect((await node.request('PATCH', `/artifacts/${T}/${viaBase.id}`, { as: owner, patch: [{ op: 'replace', path: '/base', value: null }] })).status).toBe(200);
    expect((await dependantsOf(x)).map((d) => d.name).sort()).toEqual(['by-dict', 'by-list', 'by-range']);
    // Dependants another project cannot see are not shown to it.
    const shared = await node.seed(T, { name: 'x-public', version: '1.0' }, { activate: true, publish: true });
    await node.seed(T, { name: 'secret-user', version: '1.0', base: link(shared) });
    expect(await dependantsOf(shared, node.as({ project: 'p2' }))).toEqual([]);
    expect((await dependantsOf(shared)).map((d) => d.name)).toEqual(['secret-user']);
    void viaList;
    void viaDict;
  });

  it('deleting and deactivating a depended-on artifact follow the policy', async () => {
    const target = await node.seed(T, { name: 'target', version: '1.0' }, { activate: true });
    const holder = await node.seed(T, { name: 'holder', version: '1.0', base: link(target) });
    const deactivate = await node.request('PATCH', `/artifacts/${T}/${target.id}`, { as: node.admin, patch: [{ op: 'replace', path: '/status', value: 'deactivated' }] });
    const del = () => node.request('DELETE', `/artifacts/${T}/${target.id}`, { as: node.admin });
    if (policy === 'refuse') {
      expect(deactivate.status).toBe(409);
      expect((await deactivate.json()).explanation).toMatch(/cannot deactivate components target 1\.0\.0: other artifacts link to it: components holder 1\.0\.0/);
      const refused = await del();
      expect(refused.status).toBe(409);
      const body = await refused.json();
      expect(body.explanation).toMatch(/cannot delete components target 1\.0\.0/);
      expect(body.dependants).toEqual([{ id: holder.id, type_name: T, name: 'holder', version: '1.0.0' }]);
      expect((await node.request('GET', `/artifacts/${T}/${target.id}`, { as: owner })).status).toBe(200);
      // Once nothing links to it, it goes.
      await node.request('PATCH', `/artifacts/${T}/${holder.id}`, { as: owner, patch: [{ op: 'replace', path: '/base', value: null }] });
      expect((await del()).status).toBe(204);
    } else {
      expect(deactivate.status).toBe(200);
      expect((await dependantsOf(target, node.admin))[0]).toMatchObject({ name: 'holder', broken: 'deactivated' });
      const reactivate = await node.request('PATCH', `/artifacts/${T}/${target.id}`, { as: node.admin, patch: [{ op: 'replace', path: '/status', value: 'active' }] });
      expect(reactivate.status).toBe(200);
      expect((await dependantsOf(target, node.admin))[0]).toMatchObject({ name: 'holder', broken: null });
      expect((await del()).status).toBe(204);
      // The dependant stays, and its graph reports the reference as missing.
      const graph = await (await node.request('GET', `/artifacts/${T}/${holder.id}/dependencies`, { as: owner })).json();
      expect(graph.unresolved).toEqual([{ from: holder.id, via: 'link', field: 'base', key: '', link: link(target), reason: 'missing' }]);
      expect(graph.nodes).toEqual([]);
    }
  });
});
