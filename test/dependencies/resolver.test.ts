import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Body } from '../support/json.js';
import { createTestNode, type TestNode } from '../support/node.js';

let node: TestNode;
let owner: Record<string, string>;
const T = 'components';

beforeAll(async () => {
  node = await createTestNode({ types_dir: 'test/dependencies/fixtures/types' });
  owner = node.as({ project: 'p1' });
});
afterAll(() => node.close());

const req = (name: string, range: string) => ({ type: T, name, range });
/** An active component of project p1 (or `as`). */
const make = (name: string, version: string, requires: unknown[] = [], as = owner) => node.seed(T, { name, version, requires }, { as, activate: true });
const drafted = (name: string, version: string, requires: unknown[] = []) => node.seed(T, { name, version, requires });

async function resolve(id: unknown, as = owner): Promise<{ status: number; body: Body }> {
  const res = await node.request('GET', `/artifacts/${T}/${String(id)}/resolve`, { as });
  return { status: res.status, body: await res.json() };
}
const picked = (body: Body) => (body.artifacts as Body[]).map((a) => `${a.name}@${a.version}`).sort();

describe('the requires field', () => {
  it('is set on create, shown in Glare JSON, described in the schema, and changed by JSON patch', async () => {
    const created = await drafted('field-holder', '1.0', [req('dep', '^2.1'), { type: T, name: 'other', range: '>=1.4 <2', origin: 'global' }]);
    expect(created.requires).toEqual([req('dep', '^2.1'), { type: T, name: 'other', range: '>=1.4 <2', origin: 'global' }]);
    const patched = await node.request('PATCH', `/artifacts/${T}/${created.id}`, { as: owner, patch: [{ op: 'add', path: '/requires/-', value: req('third', '~3.4.1') }] });
    expect(patched.status).toBe(200);
    expect((await patched.json()).requires.map((r: Body) => r.range)).toEqual(['^2.1', '>=1.4 <2', '~3.4.1']);
    const schema = await (await node.request('GET', `/schemas/${T}`, { as: owner })).json();
    expect(schema.schemas[T].properties.requires).toMatchObject({ type: ['array', 'null'], items: { type: 'object', required: ['type', 'name'] } });
  });

  it.each([
    [[{ type: T, name: 'x', range: 'banana' }], /requires\[0\]\.range.*not a semver range/],
    [[{ type: 'Not A Type', name: 'x', range: '*' }], /requires\[0\]\.type/],
    [[{ type: T, name: 'x', range: '*', extra: 1 }], /unknown key "extra"/],
    [['x'], /must be an object/],
  ])('refuses an invalid requirement with 400 naming it: %j', async (requires, message) => {
    const res = await node.request('POST', `/artifacts/${T}`, { as: owner, json: { name: 'bad-req', requires } });
    expect(res.status).toBe(400);
    expect((await res.json()).explanation).toMatch(message);
  });

  it('cannot change once the artifact is active', async () => {
    const active = await make('frozen', '1.0');
    const res = await node.request('PATCH', `/artifacts/${T}/${active.id}`, { as: owner, patch: [{ op: 'replace', path: '/requires', value: [req('x', '*')] }] });
    expect(res.status).toBe(403);
  });
});

describe('GET /artifacts/{type}/{id}/resolve', () => {
  // The first candidate statement reads each name's newest 10 versions (resolver.ts NEWEST_CANDIDATES).
  it('finds a version older than a name\'s newest ten, and lists every version when none fits', async () => {
    for (let minor = 0; minor < 15; minor++) await make('deep-lib', `1.${minor}.0`);
    const old = await drafted('deep-old', '1.0', [req('deep-lib', '<1.3')]);
    const found = await resolve(old.id);
    expect(found.status).toBe(200);
    expect(picked(found.body)).toEqual(['deep-lib@1.2.0']);
    const none = await drafted('deep-none', '1.0', [req('deep-lib', '^0.1')]);
    const conflict = await resolve(none.id);
    expect(conflict.status).toBe(409);
    expect(conflict.body.explanation ?? JSON.stringify(conflict.body)).toContain('1.14.0, 1.13.0');
  });

  it('resolves a diamond to one version of the shared dependency, the newest that satisfies both', async () => {
    for (const v of ['1.0.0', '1.5.0', '1.9.0', '2.0.0']) await make('d-base', v);
    await make('d-left', '1.0', [req('d-base', '^1.2')]);
    await make('d-right', '1.0', [req('d-base', '<1.6')]);
    const top = await drafted('d-top', '1.0', [req('d-left', '*'), req('d-right', '*')]);
    const { status, body } = await resolve(top.id);
    expect(status).toBe(200);
    expect(picked(body)).toEqual(['d-base@1.5.0', 'd-left@1.0.0', 'd-right@1.0.0']);
    const base = body.artifacts.find((a: Body) => a.name === 'd-base');
    expect(base.picked_by).toMatchObject({ by: { name: 'd-left' }, requirement: req('d-base', '^1.2') });
  });

  it('backtracks to an older version when the newest one leads to a conflict', async () => {
    await make('bt-lib', '1.0.0');
    await make('bt-lib', '3.0.0');
    await make('bt-mid', '1.0.0', [req('bt-lib', '^1')]);
    await make('bt-mid', '2.0.0', [req('bt-lib', '^3')]);
    // bt-lib 3.0.0 is withdrawn: the newest bt-mid now leads nowhere.
    await node.request('PATCH', `/artifacts/${T}/${(await (await node.request('GET', `/artifacts/${T}?name=bt-lib&version=3.0.0`, { as: owner })).json()).artifacts[0].id}`, {
      as: node.admin,
      patch: [{ op: 'replace', path: '/status', value: 'deactivated' }],
    });
    const top = await drafted('bt-top', '1.0', [req('bt-mid', '*'), req('bt-lib', '*')]);
    const { status, body } = await resolve(top.id);
    expect(status).toBe(200);
    expect(picked(body)).toEqual(['bt-lib@1.0.0', 'bt-mid@1.0.0']);
  });

  it('resolves cycles once', async () => {
    // Active artifacts' requirements are fixed, so a cycle closes through a newer version.
    await make('cy-a', '1.0');
    await make('cy-b', '1.0', [req('cy-a', '^1')]);
    await make('cy-a', '1.1', [req('cy-b', '^1')]);
    const top = await drafted('cy-top', '1.0', [req('cy-a', '^1')]);
    const { status, body } = await resolve(top.id);
    expect(status).toBe(200);
    expect(picked(body)).toEqual(['cy-a@1.1.0', 'cy-b@1.0.0']);
    const graph = await (await node.request('GET', `/artifacts/${T}/${top.id}/dependencies`, { as: owner })).json();
    const a = graph.nodes.find((n: Body) => n.name === 'cy-a').id;
    const b = graph.nodes.find((n: Body) => n.name === 'cy-b').id;
    expect(graph.edges).toEqual(expect.arrayContaining([expect.objectContaining({ from: b, to: a, via: 'requires' }), expect.objectContaining({ from: a, to: b, via: 'requires' })]));
  });

  it('leaves prereleases out unless a range names one of the same version', async () => {
    await make('pre', '2.0.0');
    await make('pre', '2.1.0-beta.1');
    const plain = await drafted('pre-user', '1.0', [req('pre', '^2')]);
    expect(picked((await resolve(plain.id)).body)).toEqual(['pre@2.0.0']);
    const wantsBeta = await drafted('pre-user', '2.0', [req('pre', '>=2.1.0-beta.0')]);
    expect(picked((await resolve(wantsBeta.id)).body)).toEqual(['pre@2.1.0-beta.1']);
  });

  it('answers 409 with the conflict as a chain when no consistent set exists', async () => {
    await make('cf-b', '1.4.2');
    await make('cf-b', '2.3.0');
    await make('cf-a', '1.2.0', [req('cf-b', '^2')]);
    await make('cf-c', '3.0.0', [req('cf-b', '~1.4')]);
    const top = await drafted('cf-top', '1.0', [req('cf-a', '1.2.0'), req('cf-c', '3.0.0')]);
    const { status, body } = await resolve(top.id);
    expect(status).toBe(409);
    expect(body.explanation).toMatch(/components cf-a 1\.2\.0 requires components cf-b \^2; components cf-c 3\.0\.0 requires components cf-b ~1\.4; no components cf-b satisfies both/);
    expect(body.conflict).toEqual([
      { by: expect.objectContaining({ name: 'cf-a', version: '1.2.0' }), requires: req('cf-b', '^2') },
      { by: expect.objectContaining({ name: 'cf-c', version: '3.0.0' }), requires: req('cf-b', '~1.4') },
      { reason: expect.stringMatching(/no components cf-b satisfies both/) },
    ]);
  });

  it('chooses only among artifacts the caller may see', async () => {
    const other = node.as({ project: 'p-other' });
    await make('vis-lib', '1.0.0');
    await make('vis-lib', '9.0.0', [], other); // private to p-other: never a candidate for p1
    const top = await drafted('vis-top', '1.0', [req('vis-lib', '*')]);
    expect(picked((await resolve(top.id)).body)).toEqual(['vis-lib@1.0.0']);
    const onlyHidden = await drafted('vis-top2', '1.0', [req('vis-lib', '^9')]);
    const { status, body } = await resolve(onlyHidden.id);
    expect(status).toBe(409);
    expect(JSON.stringify(body)).not.toContain('9.0.0');
  });
});

describe('POST /resolve', () => {
  it('resolves a list of top-level requirements, saying which requirement picked each version', async () => {
    await make('pip-c', '1.1.0');
    await make('pip-c', '2.0.0');
    await make('pip-a', '1.0.0', [req('pip-c', '>=1')]);
    await make('pip-b', '2.0.0', [req('pip-c', '<2')]);
    const res = await node.request('POST', '/resolve', { as: owner, json: { requires: [req('pip-a', '*'), req('pip-b', '^2')] } });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(picked(body)).toEqual(['pip-a@1.0.0', 'pip-b@2.0.0', 'pip-c@1.1.0']);
    expect(body.artifacts.find((a: Body) => a.name === 'pip-b').picked_by).toEqual({ by: null, requirement: req('pip-b', '^2') });
  });

  it('refuses a malformed list with 400', async () => {
    for (const json of [{}, { requires: [] }, { requires: [req('x', 'nope')] }, { requires: [], more: 1 }]) {
      const res = await node.request('POST', '/resolve', { as: owner, json });
      expect(res.status).toBe(400);
    }
  });
});

describe('activation', () => {
  it('refuses (403, naming the unmet requirement) an artifact whose requirements do not resolve, and allows it once they do', async () => {
    const pending = await drafted('act-app', '1.0', [req('act-lib', '^3')]);
    const activate = () => node.request('PATCH', `/artifacts/${T}/${pending.id}`, { as: owner, patch: [{ op: 'replace', path: '/status', value: 'active' }] });
    const refused = await activate();
    expect(refused.status).toBe(403);
    expect((await refused.json()).explanation).toMatch(/cannot activate.*requires components act-lib \^3/);
    await make('act-lib', '3.1.0');
    expect((await activate()).status).toBe(200);
  });
});
