import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestNode, type TestNode } from '../support/node.js';
import { type Body } from '../support/json.js';
import { zipOf } from '../types/uploads.js';

let node: TestNode;
let owner: Record<string, string>;
let other: Record<string, string>;
const anonymous = {};

beforeAll(async () => {
  node = await createTestNode();
  owner = node.as({ project: 'p1' });
  other = node.as({ project: 'p2' });
});
afterAll(() => node.close());

describe('lifecycle', () => {
  it('activates a draft (owner), after which only mutable fields change', async () => {
    const a = await node.seed('images', { name: 'life', version: '1.0.0', min_ram: 64 }, { as: owner });
    const activated = await node.request('PATCH', `/artifacts/images/${a.id}`, { as: owner, patch: [{ op: 'replace', path: '/status', value: 'active' }] });
    expect(activated.status).toBe(200);
    const body = await activated.json();
    expect(body.status).toBe('active');
    expect(body.activated_at).not.toBeNull();

    const immutable = await node.request('PATCH', `/artifacts/images/${a.id}`, { as: owner, patch: [{ op: 'replace', path: '/min_ram', value: 128 }] });
    expect(immutable.status).toBe(403);
    expect((await immutable.json()).explanation).toMatch(/min_ram.*cannot change once the artifact has been activated/);
    const rename = await node.request('PATCH', `/artifacts/images/${a.id}`, { as: owner, patch: [{ op: 'replace', path: '/name', value: 'other' }] });
    expect(rename.status).toBe(403);

    const mutable = await node.request('PATCH', `/artifacts/images/${a.id}`, {
      as: owner,
      patch: [
        { op: 'replace', path: '/description', value: 'now documented' },
        { op: 'add', path: '/tags/-', value: 'stable' },
      ],
    });
    expect(mutable.status).toBe(200);
    expect(await mutable.json()).toMatchObject({ description: 'now documented', tags: ['stable'], min_ram: 64 });
  });

  it('refuses to activate without required_on_activate fields, naming them', async () => {
    const t = await node.seed('vnf_packages', { name: 'no-vendor' }, { as: owner });
    const res = await node.request('PATCH', `/artifacts/vnf_packages/${t.id}`, { as: owner, patch: [{ op: 'replace', path: '/status', value: 'active' }] });
    expect(res.status).toBe(403); // Glare: Forbidden ("field value must be set before activation")
    expect((await res.json()).explanation).toMatch(/required fields are not set: vendor/);
    const ok = await node.request('PATCH', `/artifacts/vnf_packages/${t.id}`, {
      as: owner,
      patch: [
        { op: 'add', path: '/vendor', value: 'acme' },
        { op: 'replace', path: '/status', value: 'active' },
      ],
    });
    expect(ok.status).toBe(200);
  });

  it('runs a type’s own activation rule (a murano Library must define classes)', async () => {
    const lib = await node.seed('murano_packages', { name: 'lib', type: 'Library' }, { as: owner });
    const zip = await node.request('PUT', `/artifacts/murano_packages/${lib.id}/package`, { as: owner, body: await zipOf({ 'manifest.yaml': 'Format: 1.0\nType: Library\nFullName: com.example.Lib\nClasses: {}\n' }), headers: { 'content-type': 'application/zip' } });
    expect(zip.status).toBe(200);
    const res = await node.request('PATCH', `/artifacts/murano_packages/${lib.id}`, { as: owner, patch: [{ op: 'replace', path: '/status', value: 'active' }] });
    expect(res.status).toBe(400);
    expect((await res.json()).explanation).toMatch(/Library package must define at least one class/);
  });

  it('lets only admins deactivate and reactivate', async () => {
    const a = await node.seed('images', { name: 'deact' }, { as: owner, activate: true });
    const byOwner = await node.request('PATCH', `/artifacts/images/${a.id}`, { as: owner, patch: [{ op: 'replace', path: '/status', value: 'deactivated' }] });
    expect(byOwner.status).toBe(403);
    const byAdmin = await node.request('PATCH', `/artifacts/images/${a.id}`, { as: node.admin, patch: [{ op: 'replace', path: '/status', value: 'deactivated' }] });
    expect(byAdmin.status).toBe(200);
    const back = await node.request('PATCH', `/artifacts/images/${a.id}`, { as: owner, patch: [{ op: 'replace', path: '/status', value: 'active' }] });
    expect(back.status).toBe(403);
    const reactivated = await node.request('PATCH', `/artifacts/images/${a.id}`, { as: node.admin, patch: [{ op: 'replace', path: '/status', value: 'active' }] });
    expect((await reactivated.json()).status).toBe('active');
    const toDraft = await node.request('PATCH', `/artifacts/images/${a.id}`, { as: node.admin, patch: [{ op: 'replace', path: '/status', value: 'drafted' }] });
    expect(toDraft.status).toBe(403); // Glare forbids every transition it does not allow
  });

  it('refuses to publish a second public artifact with the same name and version', async () => {
    await node.seed('images', { name: 'twin', version: '1.0.0' }, { as: owner, publish: true });
    const b = await node.seed('images', { name: 'twin', version: '1.0.0' }, { as: other, activate: true });
    const res = await node.request('PATCH', `/artifacts/images/${b.id}`, { as: node.admin, patch: [{ op: 'replace', path: '/visibility', value: 'public' }] });
    expect(res.status).toBe(409);
  });
});

describe('who sees what', () => {
  let draft: Body;
  let privateActive: Body;
  let publicActive: Body;
  let deactivated: Body;

  beforeAll(async () => {
    draft = await node.seed('tosca_templates', { name: 'draft' }, { as: owner });
    privateActive = await node.seed('images', { name: 'private-active' }, { as: owner, activate: true });
    publicActive = await node.seed('images', { name: 'public-active' }, { as: owner, publish: true });
    deactivated = await node.seed('images', { name: 'deactivated' }, { as: owner, publish: true });
    await node.request('PATCH', `/artifacts/images/${deactivated.id}`, { as: node.admin, patch: [{ op: 'replace', path: '/status', value: 'deactivated' }] });
  });

  const cases = [
    ['owner', () => owner, { draft: true, privateActive: true, publicActive: true, deactivated: true }],
    ['another project', () => other, { draft: false, privateActive: false, publicActive: true, deactivated: false }],
    ['admin', () => node.admin, { draft: true, privateActive: true, publicActive: true, deactivated: true }],
    ['anonymous', () => anonymous, { draft: false, privateActive: false, publicActive: true, deactivated: false }],
  ] as const;

  describe.each(cases)('%s', (_who, headers, expected) => {
    it('sees exactly what the policy allows, and gets 404 (never 403) for the rest', async () => {
      const artifacts = { draft, privateActive, publicActive, deactivated };
      for (const [key, a] of Object.entries(artifacts)) {
        const type = key === 'draft' ? 'tosca_templates' : 'images';
        const res = await node.request('GET', `/artifacts/${type}/${a.id}`, { as: headers() });
        expect(res.status, key).toBe(expected[key as keyof typeof expected] ? 200 : 404);
      }
      const listed = await (await node.request('GET', '/artifacts/all?limit=100', { as: headers() })).json();
      const ids = new Set(listed.artifacts.map((a: Body) => a.id));
      for (const [key, a] of Object.entries(artifacts)) expect(ids.has(a.id), `listed ${key}`).toBe(expected[key as keyof typeof expected]);
    });
  });

  it('anonymous callers change nothing (403, as Glare answers read-only callers)', async () => {
    expect((await node.request('POST', '/artifacts/images', { as: anonymous, json: { name: 'x' } })).status).toBe(403);
    expect((await node.request('PATCH', `/artifacts/images/${publicActive.id}`, { as: anonymous, patch: [] })).status).toBe(403);
    expect((await node.request('DELETE', `/artifacts/images/${publicActive.id}`, { as: anonymous })).status).toBe(403);
  });

  it('another project cannot change or delete what it cannot see (404) nor a public artifact it does not own (403)', async () => {
    const patch = [{ op: 'replace', path: '/description', value: 'mine now' }];
    expect((await node.request('PATCH', `/artifacts/images/${privateActive.id}`, { as: other, patch })).status).toBe(404);
    expect((await node.request('DELETE', `/artifacts/images/${privateActive.id}`, { as: other })).status).toBe(404);
    expect((await node.request('PATCH', `/artifacts/images/${publicActive.id}`, { as: other, patch })).status).toBe(403);
    expect((await node.request('DELETE', `/artifacts/images/${publicActive.id}`, { as: other })).status).toBe(403);
  });

  it('only admins change public artifacts, even the owner', async () => {
    const patch = [{ op: 'replace', path: '/description', value: 'edited' }];
    expect((await node.request('PATCH', `/artifacts/images/${publicActive.id}`, { as: owner, patch })).status).toBe(403);
    expect((await node.request('PATCH', `/artifacts/images/${publicActive.id}`, { as: node.admin, patch })).status).toBe(200);
  });
});

describe('shares', () => {
  it('a project an artifact is shared with sees it and lists it; others do not; unsharing hides it again', async () => {
    const a = await node.seed('images', { name: 'shared-one' }, { as: owner, activate: true });
    const third = node.as({ project: 'p3' });
    expect((await node.request('GET', `/artifacts/images/${a.id}`, { as: other })).status).toBe(404);

    const shared = await node.request('PUT', `/artifacts/images/${a.id}/shares/p2`, { as: owner });
    expect(shared.status).toBe(200);
    expect((await shared.json()).shares.map((s: Body) => s.project)).toEqual(['p2']);
    expect((await node.request('PUT', `/artifacts/images/${a.id}/shares/p2`, { as: owner })).status).toBe(200);

    expect((await node.request('GET', `/artifacts/images/${a.id}`, { as: other })).status).toBe(200);
    const listed = await (await node.request('GET', '/artifacts/images?name=shared-one', { as: other })).json();
    expect(listed.artifacts.map((x: Body) => x.id)).toEqual([a.id]);
    expect((await node.request('GET', `/artifacts/images/${a.id}`, { as: third })).status).toBe(404);
    expect((await node.request('GET', `/artifacts/images/${a.id}`, { as: anonymous })).status).toBe(404);

    // a share grants reading, not changing, and not managing shares
    expect((await node.request('PATCH', `/artifacts/images/${a.id}`, { as: other, patch: [{ op: 'replace', path: '/description', value: 'x' }] })).status).toBe(403);
    expect((await node.request('PUT', `/artifacts/images/${a.id}/shares/p3`, { as: other })).status).toBe(403);
    expect((await node.request('GET', `/artifacts/images/${a.id}/shares`, { as: other })).status).toBe(403);

    expect((await node.request('DELETE', `/artifacts/images/${a.id}/shares/p2`, { as: owner })).status).toBe(204);
    expect((await node.request('GET', `/artifacts/images/${a.id}`, { as: other })).status).toBe(404);
    expect((await node.request('DELETE', `/artifacts/images/${a.id}/shares/p2`, { as: owner })).status).toBe(404);
  });

  it('shares only active, private artifacts', async () => {
    const draft = await node.seed('images', { name: 'shared-draft' }, { as: owner });
    expect((await node.request('PUT', `/artifacts/images/${draft.id}/shares/p2`, { as: owner })).status).toBe(409);
    const pub = await node.seed('images', { name: 'shared-public' }, { as: owner, publish: true });
    expect((await node.request('PUT', `/artifacts/images/${pub.id}/shares/p2`, { as: owner })).status).toBe(409);
    const a = await node.seed('images', { name: 'shared-bad' }, { as: owner, activate: true });
    expect((await node.request('PUT', `/artifacts/images/${a.id}/shares/bad%20project`, { as: owner })).status).toBe(400);
    expect((await node.request('PUT', `/artifacts/images/${a.id}/shares/p1`, { as: owner })).status).toBe(400);
  });

  it('a deactivated shared artifact is hidden from the share', async () => {
    const a = await node.seed('images', { name: 'shared-deact' }, { as: owner, activate: true });
    await node.request('PUT', `/artifacts/images/${a.id}/shares/p2`, { as: owner });
    await node.request('PATCH', `/artifacts/images/${a.id}`, { as: node.admin, patch: [{ op: 'replace', path: '/status', value: 'deactivated' }] });
    expect((await node.request('GET', `/artifacts/images/${a.id}`, { as: other })).status).toBe(404);
  });
});
