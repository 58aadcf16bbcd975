import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestNode, type TestNode } from '../support/node.js';

let node: TestNode;
let owner: Record<string, string>;

beforeAll(async () => {
  node = await createTestNode();
  owner = node.as({ project: 'p1' });
});
afterAll(() => node.close());

describe('POST /artifacts/{type}', () => {
  it('creates a drafted private artifact owned by the caller’s project', async () => {
    const res = await node.request('POST', '/artifacts/images', {
      as: owner,
      json: { name: 'cirros', version: '0.6', tags: ['tiny'], metadata: { os: 'cirros' }, min_ram: 64, disk_format: 'qcow2', license: 'GPL-2.0' },
    });
    expect(res.status).toBe(201);
    const a = await res.json();
    expect(a).toMatchObject({
      name: 'cirros',
      version: '0.6.0',
      status: 'drafted',
      visibility: 'private',
      owner: 'p1',
      tags: ['tiny'],
      metadata: { os: 'cirros' },
      min_ram: 64,
      disk_format: 'qcow2',
      license: 'GPL-2.0',
      image: null,
      display_type_name: 'Image',
      activated_at: null,
    });
    expect(res.headers.get('location')).toBe(`/artifacts/images/${a.id}`);
    const shown = await node.request('GET', `/artifacts/images/${a.id}`, { as: owner });
    expect(shown.status).toBe(200);
    expect(await shown.json()).toEqual(a);
  });

  it('defaults the version to 0.0.0', async () => {
    const res = await node.request('POST', '/artifacts/heat_templates', { as: owner, json: { name: 'no-version' } });
    expect(res.status).toBe(201);
    expect((await res.json()).version).toBe('0.0.0');
  });

  it('answers 409 for the same name and version in the same project, but not in another project', async () => {
    expect((await node.request('POST', '/artifacts/heat_templates', { as: owner, json: { name: 'dup', version: '1.0.0' } })).status).toBe(201);
    const again = await node.request('POST', '/artifacts/heat_templates', { as: owner, json: { name: 'dup', version: '1.0' } });
    expect(again.status).toBe(409);
    expect((await again.json()).explanation).toMatch(/dup.*1\.0\.0.*already exists/);
    const elsewhere = await node.request('POST', '/artifacts/heat_templates', { as: node.as({ project: 'p2' }), json: { name: 'dup', version: '1.0.0' } });
    expect(elsewhere.status).toBe(201);
  });

  it.each([
    [{ version: '1.0.0' }, /name is required/],
    [{ name: '' }, /name/],
    [{ name: 'x', version: 'one' }, /not a semantic version/],
    [{ name: 'x', nope: 1 }, /no field "nope"/],
    [{ name: 'x', id: '5b2c9d1e-8c1f-4e7a-9a53-0d0c2f3e4a5b' }, /set by the catalog/],
    [{ name: 'x', owner: 'p9' }, /set by the catalog/],
    [{ name: 'x', status: 'active' }, /cannot be set at creation/],
    [{ name: 'x', visibility: 'public' }, /cannot be set at creation/],
    [{ name: 'x', image: 'bytes' }, /is a blob/],
    [{ name: 'x', min_ram: 'lots' }, /min_ram.*number/],
    [{ name: 'x', min_ram: -1 }, /min_ram.*at least 0/],
    [{ name: 'x', min_ram: 1.5 }, /whole number/],
    [{ name: 'x', disk_format: 'floppy' }, /disk_format.*one of/],
    [{ name: 'x', tags: 'a,b' }, /tags.*list/],
    [{ name: 'x', tags: ['a', 'a'] }, /tags.*repeat/],
    [{ name: 'x', metadata: { k: 1 } }, /metadata\.k.*string/],
    [{ name: 'x', metadata: ['a'] }, /metadata.*object/],
    [{ name: 'x', kernel_id: 'not-a-uuid' }, /kernel_id.*match/],
    [{ name: 'x', license_url: 'ftp://x' }, /license_url.*link/],
    [{ name: 'x'.repeat(256) }, /name.*255/],
  ])('refuses %j with 400', async (body, message) => {
    const res = await node.request('POST', '/artifacts/images', { as: owner, json: body });
    expect(res.status).toBe(400);
    const err = await res.json();
    expect(err).toMatchObject({ code: 400, title: 'Bad Request', error: { type: 'BadRequest' } });
    expect(err.explanation).toMatch(message);
  });

  it('refuses bodies that are not a JSON object', async () => {
    const notJson = await node.request('POST', '/artifacts/images', { as: owner, body: '{"name":', headers: { 'content-type': 'application/json' } });
    expect(notJson.status).toBe(400);
    expect((await notJson.json()).explanation).toMatch(/not valid JSON/);
    const list = await node.request('POST', '/artifacts/images', { as: owner, json: [1] });
    expect(list.status).toBe(400);
    const empty = await node.request('POST', '/artifacts/images', { as: owner, body: '', headers: { 'content-type': 'application/json' } });
    expect(empty.status).toBe(400);
    const form = await node.request('POST', '/artifacts/images', { as: owner, body: 'name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(form.status).toBe(415);
    const huge = await node.request('POST', '/artifacts/images', { as: owner, json: { name: 'x', description: 'd'.repeat(2 * 1024 * 1024) } });
    expect(huge.status).toBe(413);
  });

  it('answers 404 for an unknown type and 403 for writes to the all view (Glare: "This type is read only")', async () => {
    const unknown = await node.request('POST', '/artifacts/nope', { as: owner, json: { name: 'x' } });
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).explanation).toMatch(/unknown artifact type "nope"/);
    expect((await node.request('POST', '/artifacts/all', { as: owner, json: { name: 'x' } })).status).toBe(403);
    expect((await node.request('POST', '/artifacts/Bad-Type', { as: owner, json: { name: 'x' } })).status).toBe(400);
  });

  it('checks that internal links point at artifacts the caller can see', async () => {
    const env = await node.seed('heat_environments', { name: 'env', version: '1.0.0' }, { as: owner });
    const ok = await node.request('POST', '/artifacts/heat_templates', {
      as: owner,
      json: { name: 'linked', environments: { prod: `/artifacts/heat_environments/${env.id}` } },
    });
    expect(ok.status).toBe(201);
    const stranger = await node.request('POST', '/artifacts/heat_templates', {
      as: node.as({ project: 'p2' }),
      json: { name: 'linked', environments: { prod: `/artifacts/heat_environments/${env.id}` } },
    });
    expect(stranger.status).toBe(400);
    expect((await stranger.json()).explanation).toMatch(/not an artifact you can see/);
    const external = await node.request('POST', '/artifacts/heat_templates', {
      as: owner,
      json: { name: 'linked-ext', environments: { prod: 'https://example.org/env.yaml' } },
    });
    expect(external.status).toBe(201);
  });
});

describe('GET /artifacts/{type}/{id}', () => {
  it('answers 404 for an id of another type, and shows it under all with generic fields only', async () => {
    const a = await node.seed('images', { name: 'typed', min_ram: 1 }, { as: owner });
    expect((await node.request('GET', `/artifacts/heat_templates/${a.id}`, { as: owner })).status).toBe(404);
    const all = await node.request('GET', `/artifacts/all/${a.id}`, { as: owner });
    expect(all.status).toBe(200);
    const body = await all.json();
    expect(body).toMatchObject({ id: a.id, name: 'typed', display_type_name: 'Image' });
    expect(body).not.toHaveProperty('min_ram');
  });

  it('answers 404 for an id that is not a UUID (as Glare) and for a missing one', async () => {
    expect((await node.request('GET', '/artifacts/images/123', { as: owner })).status).toBe(404);
    expect((await node.request('GET', '/artifacts/images/5b2c9d1e-8c1f-4e7a-9a53-0d0c2f3e4a5b', { as: owner })).status).toBe(404);
  });
});

describe('PATCH /artifacts/{type}/{id}', () => {
  it('applies a JSON patch to a draft', async () => {
    const a = await node.seed('images', { name: 'patchme', tags: ['a'] }, { as: owner });
    const res = await node.request('PATCH', `/artifacts/images/${a.id}`, {
      as: owner,
      patch: [
        { op: 'replace', path: '/name', value: 'patched' },
        { op: 'add', path: '/tags/-', value: 'b' },
        { op: 'add', path: '/metadata/arch', value: 'x86_64' },
        { op: 'replace', path: '/version', value: '2.1' },
        { op: 'replace', path: '/min_disk', value: 10 },
      ],
    });
    expect(res.status).toBe(200);
    const b = await res.json();
    expect(b).toMatchObject({ name: 'patched', tags: ['a', 'b'], metadata: { arch: 'x86_64' }, version: '2.1.0', min_disk: 10 });
    expect(Date.parse(b.updated_at)).toBeGreaterThanOrEqual(Date.parse(a.updated_at));
    const removed = await node.request('PATCH', `/artifacts/images/${a.id}`, { as: owner, patch: [{ op: 'remove', path: '/metadata/arch' }] });
    expect((await removed.json()).metadata).toEqual({});
  });

  it.each([
    [{ op: 'replace', path: '/nope', value: 1 }, 400, /no field "nope"|does not exist/],
    [{ op: 'replace', path: '/id', value: '5b2c9d1e-8c1f-4e7a-9a53-0d0c2f3e4a5b' }, 403, /set by the catalog/],
    [{ op: 'replace', path: '/owner', value: 'p9' }, 403, /set by the catalog/],
    [{ op: 'replace', path: '/min_ram', value: 'x' }, 400, /min_ram/],
    [{ op: 'replace', path: '/version', value: 'bad' }, 400, /semantic version/],
    [{ op: 'replace', path: '/image', value: { url: 'https://example.org/x.img' } }, 400, /blob/],
    [{ op: 'remove', path: '/metadata/missing' }, 400, /does not exist|JSON patch/],
    [{ op: 'jump', path: '/name' }, 400, /JSON patch/],
    [{ op: 'replace', path: '/status', value: 'gone' }, 400, /status/],
    [{ op: 'replace', path: '/status', value: 'deleted' }, 400, /DELETE/],
    [{ op: 'replace', path: '/visibility', value: 'public' }, 403, /only while the artifact is active/],
  ])('refuses %j', async (op, status, message) => {
    const a = await node.seed('images', { name: `bad-patch-${Math.random()}` }, { as: owner });
    const res = await node.request('PATCH', `/artifacts/images/${a.id}`, { as: owner, patch: [op] });
    expect(res.status).toBe(status);
    expect((await res.json()).explanation).toMatch(message);
    const after = await (await node.request('GET', `/artifacts/images/${a.id}`, { as: owner })).json();
    expect(after).toEqual(a);
  });

  it('refuses a patch body that is not a list of operations, and the wrong content type', async () => {
    const a = await node.seed('images', { name: 'patch-body' }, { as: owner });
    expect((await node.request('PATCH', `/artifacts/images/${a.id}`, { as: owner, patch: { op: 'replace' } })).status).toBe(400);
    const ct = await node.request('PATCH', `/artifacts/images/${a.id}`, { as: owner, body: '[]', headers: { 'content-type': 'text/plain' } });
    expect(ct.status).toBe(415);
  });

  it('answers 409 when a rename clashes with another artifact of the project', async () => {
    await node.seed('heat_templates', { name: 'taken', version: '1.0.0' }, { as: owner });
    const b = await node.seed('heat_templates', { name: 'free', version: '1.0.0' }, { as: owner });
    const res = await node.request('PATCH', `/artifacts/heat_templates/${b.id}`, { as: owner, patch: [{ op: 'replace', path: '/name', value: 'taken' }] });
    expect(res.status).toBe(409);
  });
});

describe('DELETE /artifacts/{type}/{id}', () => {
  it('deletes, then the artifact is gone', async () => {
    const a = await node.seed('images', { name: 'doomed' }, { as: owner });
    expect((await node.request('DELETE', `/artifacts/images/${a.id}`, { as: owner })).status).toBe(204);
    expect((await node.request('GET', `/artifacts/images/${a.id}`, { as: owner })).status).toBe(404);
    expect((await node.request('DELETE', `/artifacts/images/${a.id}`, { as: owner })).status).toBe(404);
  });
});
