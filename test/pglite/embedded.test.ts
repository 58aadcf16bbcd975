/**
 * The embedded path: the same app over PGlite in a temporary folder, as `npm start` runs it on a
 * bare machine. A smaller run than the PostgreSQL suites: the SQL that differs by driver.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestNode } from '../support/node.js';
import { createPgliteTestNode } from '../support/pglite-node.js';
import { type Body } from '../support/json.js';

let node: TestNode;

beforeAll(async () => {
  node = await createPgliteTestNode();
});
afterAll(() => node.close());

describe('on PGlite', () => {
  it('creates, filters by semver range, pages and patches', async () => {
    const p1 = node.as({ project: 'p1' });
    for (const v of ['1.0.0', '2.1.5', '3.0.0-rc.1', '3.5.6', '3.5.7', '10.0.0']) {
      await node.seed('images', { name: 'foo', version: v, tags: ['t'], metadata: { os: 'linux' } }, { as: p1, activate: true });
    }
    const latest = await node.request('GET', '/artifacts/images?name=foo&version=gt:2.1&version=lt:3.5.7&version=latest', { as: p1 });
    expect((await latest.json()).artifacts.map((a: Body) => a.version)).toEqual(['3.5.6']);
    const range = await node.request('GET', `/artifacts/images?version=${encodeURIComponent('>2.1.0 <3.5.7')}&metadata.os=linux&tags=t`, { as: p1 });
    expect((await range.json()).artifacts.map((a: Body) => a.version)).toEqual(['3.5.6', '2.1.5']);
    const sorted = await node.request('GET', '/artifacts/images?sort=version:desc&limit=2', { as: p1 });
    const page = await sorted.json();
    expect(page.artifacts.map((a: Body) => a.version)).toEqual(['10.0.0', '3.5.7']);
    const next = await (await node.request('GET', page.next, { as: p1 })).json();
    expect(next.artifacts.map((a: Body) => a.version)).toEqual(['3.5.6', '3.0.0-rc.1']);
  });

  it('keeps visibility and shares', async () => {
    const a = await node.seed('images', { name: 'mine' }, { as: node.as({ project: 'p1' }), activate: true });
    expect((await node.request('GET', `/artifacts/images/${a.id}`, { as: node.as({ project: 'p2' }) })).status).toBe(404);
    await node.request('PUT', `/artifacts/images/${a.id}/shares/p2`, { as: node.as({ project: 'p1' }) });
    expect((await node.request('GET', `/artifacts/images/${a.id}`, { as: node.as({ project: 'p2' }) })).status).toBe(200);
    expect((await node.request('GET', `/artifacts/images/${a.id}`)).status).toBe(404);
  });

  it('answers conflicts as 409 on this driver too', async () => {
    const p1 = node.as({ project: 'p1' });
    await node.seed('images', { name: 'dup', version: '1.0.0' }, { as: p1 });
    expect((await node.request('POST', '/artifacts/images', { as: p1, json: { name: 'dup', version: '1.0.0' } })).status).toBe(409);
  });

  it('resolves requirements with the candidate statement, newest fitting versions first', async () => {
    const p1 = node.as({ project: 'p1' });
    const req = (name: string, range: string) => ({ type: 'images', name, range });
    for (const v of ['1.0.0', '1.2.0', '2.0.0']) await node.seed('images', { name: 'lib', version: v }, { as: p1, activate: true });
    // Two versions with the same requirement list: the second comes as "as the newer one".
    for (const v of ['1.0.0', '1.1.0']) await node.seed('images', { name: 'app', version: v, requires: [req('lib', '^1')] }, { as: p1, activate: true });
    const res = await node.request('POST', '/resolve', { as: p1, json: { requires: [req('app', '*')] } });
    expect(res.status).toBe(200);
    expect((await res.json()).artifacts.map((a: Body) => `${a.name} ${a.version}`)).toEqual(['app 1.1.0', 'lib 1.2.0']);
    const conflict = await node.request('POST', '/resolve', { as: p1, json: { requires: [req('app', '*'), req('lib', '>=2')] } });
    expect(conflict.status).toBe(409);
  });

  it('reports ready', async () => {
    expect((await node.request('GET', '/readyz')).status).toBe(200);
  });
});
