/**
 * Status codes as Glare answers them (glare/api/v1/resource.py, glare/engine.py, glare/quota.py,
 * glare/objects/all.py), where python-glareclient and scripts written against Glare tell errors
 * apart by status.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestNode, type TestNode } from '../../support/node.js';

let node: TestNode;
const owner = () => node.as({ project: 'p1' });
const anonymous = {};

beforeAll(async () => {
  node = await createTestNode({ quotas: { max_artifact_number: -1, max_uploaded_data: -1, types: { tosca_templates: { max_artifact_number: 1, max_uploaded_data: 4 } } } });
});
afterAll(() => node.close());

describe('ids, bodies and content types', () => {
  it('an id that is not a UUID is 404 on every artifact route', async () => {
    for (const [method, path] of [
      ['GET', '/artifacts/images/not-a-uuid'],
      ['DELETE', '/artifacts/images/not-a-uuid'],
      ['GET', '/artifacts/images/not-a-uuid/image'],
      ['GET', '/artifacts/all/123'],
    ] as const) {
      expect((await node.request(method, path, { as: owner() })).status, `${method} ${path}`).toBe(404);
    }
    expect((await node.request('PATCH', '/artifacts/images/not-a-uuid', { as: owner(), patch: [] })).status).toBe(404);
  });

  it('PATCH takes only application/json-patch+json (415), and says so when Content-Type is missing (400)', async () => {
    const a = await node.seed('images', { name: 'patched' }, { as: owner() });
    const asJson = await node.request('PATCH', `/artifacts/images/${a.id}`, { as: owner(), json: [{ op: 'replace', path: '/description', value: 'x' }] });
    expect(asJson.status).toBe(415);
    // Bytes, so that no Content-Type is added for us (a string body would be text/plain).
    const none = await node.request('PATCH', `/artifacts/images/${a.id}`, { as: owner(), body: new TextEncoder().encode('[]') });
    expect(none.status).toBe(400);
    expect((await none.json()).explanation).toMatch(/Content-Type must be given/);
    expect((await node.request('GET', `/artifacts/images/${a.id}`, { as: owner() })).status).toBe(200);
  });

  it('a body that is not JSON is 400 before the type is looked up', async () => {
    for (const path of ['/artifacts/images', '/artifacts/no_such_type']) {
      const res = await node.request('POST', path, { as: owner(), body: '{not json', headers: { 'content-type': 'application/json' } });
      expect(res.status, path).toBe(400);
      expect((await res.json()).explanation).toMatch(/not valid JSON/);
    }
  });
});

describe('read-only callers and views', () => {
  it('any write to /artifacts/all is 403', async () => {
    const a = await node.seed('images', { name: 'under-all' }, { as: owner() });
    const writes = [
      node.request('POST', '/artifacts/all', { as: owner(), json: { name: 'x' } }),
      node.request('PATCH', `/artifacts/all/${a.id}`, { as: owner(), patch: [{ op: 'replace', path: '/description', value: 'x' }] }),
      node.request('DELETE', `/artifacts/all/${a.id}`, { as: owner() }),
      node.request('PUT', `/artifacts/all/${a.id}/image`, { as: owner(), body: 'x', headers: { 'content-type': 'application/octet-stream' } }),
    ];
    for (const res of await Promise.all(writes)) expect(res.status).toBe(403);
    expect((await node.request('GET', `/artifacts/images/${a.id}`, { as: owner() })).status).toBe(200);
  });

  it('an anonymous write is 403', async () => {
    const res = await node.request('POST', '/artifacts/images', { as: anonymous, json: { name: 'x' } });
    expect(res.status).toBe(403);
    expect((await res.json()).explanation).toMatch(/anonymous/);
  });
});

describe('quotas', () => {
  it('too many artifacts is 403, too many bytes 413, with per-type defaults from the node config', async () => {
    const who = node.as({ project: 'quota-project' });
    expect((await node.request('POST', '/artifacts/tosca_templates', { as: who, json: { name: 'one' } })).status).toBe(201);
    const second = await node.request('POST', '/artifacts/tosca_templates', { as: who, json: { name: 'two' } });
    expect(second.status).toBe(403);
    expect((await second.json()).explanation).toMatch(/max_artifact_number:tosca_templates/);
    const one = (await (await node.request('GET', '/artifacts/tosca_templates?name=one', { as: who })).json()).artifacts[0];
    const big = await node.request('PUT', `/artifacts/tosca_templates/${one.id}/template`, { as: who, body: 'twelve bytes', headers: { 'content-type': 'text/plain' } });
    expect(big.status).toBe(413);
    expect((await node.request('POST', '/artifacts/images', { as: who, json: { name: 'other-type' } })).status).toBe(201);
  });

  it('GET /quotas lists the node’s defaults as global_quotas; /project-quotas/{project} as Glare routes it', async () => {
    const all = await (await node.request('GET', '/quotas', { as: node.admin })).json();
    expect(all.global_quotas).toEqual({
      max_artifact_number: -1,
      max_uploaded_data: -1,
      'max_artifact_number:tosca_templates': 1,
      'max_uploaded_data:tosca_templates': 4,
    });
    const own = await node.request('GET', '/project-quotas/quota-project', { as: node.as({ project: 'quota-project' }) });
    expect(own.status).toBe(200);
    expect((await own.json()).project_quotas).toContainEqual({ quota_name: 'max_artifact_number:tosca_templates', quota_value: 1, usage: 1 });
    expect((await node.request('GET', '/project-quotas/quota-project', { as: node.as({ project: 'someone-else' }) })).status).toBe(404);
    expect((await node.request('GET', '/project-quotas/quota-project', { as: node.admin })).status).toBe(200);
  });
});

describe('external locations', () => {
  it('stay once the artifact is active, as stored bytes do: a signature covers them (unlike Glare’s delete_external_blob)', async () => {
    const locate = { 'content-type': 'application/vnd+openstack.glare-custom-location+json' };
    const t = await node.seed('heat_templates', { name: 'with-remote' }, { as: owner() });
    expect((await node.request('PUT', `/artifacts/heat_templates/${t.id}/template`, { as: owner(), body: 'heat_template_version: 2016-10-14\n', headers: { 'content-type': 'text/yaml' } })).status).toBe(200);
    expect((await node.request('PUT', `/artifacts/heat_templates/${t.id}/nested_templates/remote.yaml`, { as: owner(), json: { url: 'https://example.org/remote.yaml', md5: null }, headers: locate })).status).toBe(200);
    expect((await node.request('PATCH', `/artifacts/heat_templates/${t.id}`, { as: owner(), patch: [{ op: 'replace', path: '/status', value: 'active' }] })).status).toBe(200);
    expect((await node.request('DELETE', `/artifacts/heat_templates/${t.id}/template`, { as: owner() })).status).toBe(403);
    expect((await node.request('DELETE', `/artifacts/heat_templates/${t.id}/nested_templates/remote.yaml`, { as: node.as({ project: 'p2' }) })).status).toBe(404);
    const kept = await node.request('DELETE', `/artifacts/heat_templates/${t.id}/nested_templates/remote.yaml`, { as: owner() });
    expect(kept.status).toBe(403);
    expect((await kept.json()).explanation).toMatch(/nested_templates.*active.*only while it is a draft/);
    const shown = await (await node.request('GET', `/artifacts/heat_templates/${t.id}`, { as: owner() })).json();
    expect(Object.keys(shown.nested_templates)).toEqual(['remote.yaml']);
    expect(shown.template.status).toBe('active');
  });
});

describe('smaller rules of Glare’s', () => {
  it('deleting a deactivated artifact takes an admin (policy artifact:delete_deactivated)', async () => {
    const a = await node.seed('images', { name: 'to-deactivate' }, { as: owner(), activate: true });
    expect((await node.request('PATCH', `/artifacts/images/${a.id}`, { as: node.admin, patch: [{ op: 'replace', path: '/status', value: 'deactivated' }] })).status).toBe(200);
    const refused = await node.request('DELETE', `/artifacts/images/${a.id}`, { as: owner() });
    expect(refused.status).toBe(403);
    expect((await refused.json()).explanation).toMatch(/deactivated/);
    expect((await node.request('DELETE', `/artifacts/images/${a.id}`, { as: node.admin })).status).toBe(204);
  });

  it('a patch may not remove a whole field (400), but may remove an item of one', async () => {
    const a = await node.seed('images', { name: 'keeps-fields', tags: ['a', 'b'], metadata: { k: 'v' } }, { as: owner() });
    const whole = await node.request('PATCH', `/artifacts/images/${a.id}`, { as: owner(), patch: [{ op: 'remove', path: '/description' }] });
    expect(whole.status).toBe(400);
    expect((await whole.json()).explanation).toMatch(/cannot remove field "description"/);
    const item = await node.request('PATCH', `/artifacts/images/${a.id}`, { as: owner(), patch: [{ op: 'remove', path: '/tags/0' }, { op: 'remove', path: '/metadata/k' }] });
    expect(item.status).toBe(200);
    expect(await item.json()).toMatchObject({ tags: ['b'], metadata: {} });
  });

  it('a limit above the maximum is clamped to it, as Glare does', async () => {
    const small = await createTestNode({ api: { default_limit: 1, max_limit: 2 } });
    try {
      for (const name of ['a', 'b', 'c']) await small.seed('images', { name }, { as: small.as({ project: 'p1' }) });
      const res = await small.request('GET', '/artifacts/images?limit=5000', { as: small.as({ project: 'p1' }) });
      expect(res.status).toBe(200);
      const body = await res.json();
      expect(body.artifacts).toHaveLength(2);
      expect(body.next).toContain('limit=5000');
    } finally {
      await small.close();
    }
  });
});
