import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Body } from '../support/json.js';
import { createTestNode, type TestNode } from '../support/node.js';

const T = 'components';
const link = (a: Body) => `/artifacts/${T}/${a.id}`;
let node: TestNode;
let owner: Record<string, string>;

beforeAll(async () => {
  node = await createTestNode({ types_dir: 'test/dependencies/fixtures/types' });
  owner = node.as({ project: 'p1' });
});
afterAll(() => node.close());

const graphOf = async (a: Body, query = '', as = owner) => {
  const res = await node.request('GET', `/artifacts/${T}/${a.id}/dependencies${query}`, { as });
  return { status: res.status, body: await res.json() };
};

describe('GET /artifacts/{type}/{id}/dependencies', () => {
  it('returns nodes, edges and which range picked which version, limited in depth', async () => {
    const lib = await node.seed(T, { name: 'g-lib', version: '1.3.0' }, { activate: true });
    await node.seed(T, { name: 'g-lib', version: '2.0.0' }, { activate: true });
    const mid = await node.seed(T, { name: 'g-mid', version: '1.0', requires: [{ type: T, name: 'g-lib', range: '~1.3' }] }, { activate: true });
    const app = await node.seed(T, { name: 'g-app', version: '1.0', base: link(mid), uses: ['https://example.org/docs'] });
    const { status, body } = await graphOf(app);
    expect(status).toBe(200);
    expect(body.root).toEqual({ id: app.id, type_name: T, name: 'g-app', version: '1.0.0' });
    expect(body.nodes).toEqual([
      { id: mid.id, type_name: T, name: 'g-mid', version: '1.0.0', status: 'active', depth: 1, picked_by: { by: expect.objectContaining({ id: app.id }), field: 'base', key: '', link: link(mid) } },
      { id: lib.id, type_name: T, name: 'g-lib', version: '1.3.0', status: 'active', depth: 2, picked_by: { by: expect.objectContaining({ id: mid.id }), requirement: { type: T, name: 'g-lib', range: '~1.3' } } },
    ]);
    expect(body.edges).toEqual([
      { from: app.id, to: mid.id, via: 'link', field: 'base', key: '', link: link(mid) },
      { from: mid.id, to: lib.id, via: 'requires', requirement: { type: T, name: 'g-lib', range: '~1.3' } },
    ]);
    expect(body.unresolved).toEqual([{ from: app.id, via: 'link', field: 'uses', key: '0', link: 'https://example.org/docs', reason: 'external' }]);

    const shallow = (await graphOf(app, '?depth=1')).body;
    expect(shallow.nodes.map((n: Body) => n.name)).toEqual(['g-mid']);
    expect(shallow.unresolved).toContainEqual({ from: mid.id, via: 'requires', requirement: { type: T, name: 'g-lib', range: '~1.3' }, reason: 'too_deep' });
    expect((await graphOf(app, '?depth=0')).status).toBe(400);
    expect((await graphOf(app, '?depth=many')).status).toBe(400);
  });

  it('reports a private artifact of another project as invisible, never leaking it, and an unmet requirement as unsatisfied', async () => {
    const other = node.as({ project: 'p-secret' });
    const secret = await node.seed(T, { name: 'top-secret-name', version: '7.7.7', description: 'classified' }, { as: other, activate: true });
    // Linked while p1 could see it (a share), then the share is withdrawn.
    expect((await node.request('PUT', `/artifacts/${T}/${secret.id}/shares/p1`, { as: other })).status).toBe(200);
    const app = await node.seed(T, { name: 'v-app', version: '1.0', base: link(secret), requires: [{ type: T, name: 'nowhere', range: '^1' }] });
    expect((await node.request('DELETE', `/artifacts/${T}/${secret.id}/shares/p1`, { as: other })).status).toBe(204);

    const { status, body } = await graphOf(app);
    expect(status).toBe(200);
    expect(body.nodes).toEqual([]);
    expect(body.unresolved).toHaveLength(2);
    expect(body.unresolved).toEqual(
      expect.arrayContaining([
        { from: app.id, via: 'link', field: 'base', key: '', link: link(secret), reason: 'invisible' },
        { from: app.id, via: 'requires', requirement: { type: T, name: 'nowhere', range: '^1' }, reason: 'unsatisfied' },
      ]),
    );
    const text = JSON.stringify(body);
    for (const leak of ['top-secret-name', '7.7.7', 'classified', 'p-secret']) expect(text).not.toContain(leak);
    // The strict forms refuse instead, still without naming it.
    const resolved = await node.request('GET', `/artifacts/${T}/${app.id}/resolve`, { as: owner });
    expect(resolved.status).toBe(409);
    expect(await resolved.text()).not.toContain('top-secret-name');
    // Its owner, or an admin, sees the whole graph.
    const full = await graphOf(app, '', node.admin);
    expect(full.body.nodes.map((n: Body) => n.name)).toEqual(['top-secret-name']);
  });

  it('answers 404 for an artifact the caller cannot see', async () => {
    const hidden = await node.seed(T, { name: 'hidden', version: '1.0' }, { as: node.as({ project: 'p9' }) });
    expect((await graphOf(hidden)).status).toBe(404);
    expect((await node.request('GET', `/artifacts/${T}/${hidden.id}/dependants`, { as: owner })).status).toBe(404);
    expect((await node.request('GET', `/artifacts/${T}/${hidden.id}/resolve`, { as: owner })).status).toBe(404);
  });
});
