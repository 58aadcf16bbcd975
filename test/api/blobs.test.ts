import { createHash } from 'node:crypto';
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestNode, type TestNode } from '../support/node.js';
import { type Body } from '../support/json.js';

let node: TestNode;
let owner: Record<string, string>;

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const md5b64 = (b: Buffer | string) => createHash('md5').update(b).digest('base64');

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

async function upload(type: string, id: string, path: string, body: string | Buffer, headers: Record<string, string> = {}, as = owner) {
  return node.request('PUT', `/artifacts/${type}/${id}/${path}`, { as, body: body as never, headers: { 'content-type': 'application/octet-stream', ...headers } });
}

beforeAll(async () => {
  node = await createTestNode();
  owner = node.as({ project: 'p1' });
});
afterAll(() => node.close());

describe('upload and download', () => {
  it('stores a blob with size and checksums, then serves it back', async () => {
    const t = await node.seed('heat_templates', { name: 'stack', version: '1.0.0' }, { as: owner });
    const body = 'heat_template_version: 2018-08-31\nresources: {}\n';
    const res = await upload('heat_templates', t.id, 'template', body, { 'content-type': 'application/x-yaml' });
    expect(res.status).toBe(200);
    const artifact = await res.json();
    // Exactly the keys Glare shows a client: its blob id stays inside (fields.py BlobFieldType.to_primitive).
    expect(artifact.template).toEqual({
      status: 'active',
      size: Buffer.byteLength(body),
      sha256: sha256(body),
      md5: createHash('md5').update(body).digest('hex'),
      sha1: createHash('sha1').update(body).digest('hex'),
      external: false,
      content_type: 'application/x-yaml',
      url: `/artifacts/heat_templates/${t.id}/template`,
    });

    const down = await node.request('GET', `/artifacts/heat_templates/${t.id}/template`, { as: owner });
    expect(down.status).toBe(200);
    expect(down.headers.get('content-type')).toBe('application/x-yaml');
    expect(down.headers.get('content-length')).toBe(String(Buffer.byteLength(body)));
    expect(down.headers.get('etag')).toBe(`"${sha256(body)}"`);
    // Glare's form, which python-glareclient compares with hashlib's hexdigest().
    expect(down.headers.get('content-md5')).toBe(createHash('md5').update(body).digest('hex'));
    expect(await down.text()).toBe(body);

    const activated = await node.request('PATCH', `/artifacts/heat_templates/${t.id}`, { as: owner, patch: [{ op: 'replace', path: '/status', value: 'active' }] });
    expect(activated.status).toBe(200);
  });

  it('honours Range and If-None-Match', async () => {
    const t = await node.seed('images', { name: 'ranged' }, { as: owner });
    const body = Buffer.from('0123456789abcdefghij');
    await upload('images', t.id, 'image', body);
    const path = `/artifacts/images/${t.id}/image`;
    const part = await node.request('GET', path, { as: owner, headers: { range: 'bytes=5-9' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe('bytes 5-9/20');
    expect(await part.text()).toBe('56789');
    const suffix = await node.request('GET', path, { as: owner, headers: { range: 'bytes=-3' } });
    expect(await suffix.text()).toBe('hij');
    const open = await node.request('GET', path, { as: owner, headers: { range: 'bytes=18-' } });
    expect(await open.text()).toBe('ij');
    const bad = await node.request('GET', path, { as: owner, headers: { range: 'bytes=50-60' } });
    expect(bad.status).toBe(416);
    expect(bad.headers.get('content-range')).toBe('bytes */20');
    const cached = await node.request('GET', path, { as: owner, headers: { 'if-none-match': `"${sha256(body)}"` } });
    expect(cached.status).toBe(304);
    const stale = await node.request('GET', path, { as: owner, headers: { 'if-none-match': '"other"' } });
    expect(stale.status).toBe(200);
  });

  it('fills blob dict entries by key', async () => {
    const t = await node.seed('heat_templates', { name: 'nested' }, { as: owner });
    expect((await upload('heat_templates', t.id, 'nested_templates/net.yaml', 'heat_template_version: 2018-08-31\nresources: {}\n')).status).toBe(200);
    const res = await upload('heat_templates', t.id, 'nested_templates/vol.yaml', 'heat_template_version: rocky\n');
    const artifact = await res.json();
    expect(Object.keys(artifact.nested_templates).sort()).toEqual(['net.yaml', 'vol.yaml']);
    expect(artifact.nested_templates['net.yaml'].url).toBe(`/artifacts/heat_templates/${t.id}/nested_templates/net.yaml`);
    expect(await (await node.request('GET', `/artifacts/heat_templates/${t.id}/nested_templates/vol.yaml`, { as: owner })).text()).toBe('heat_template_version: rocky\n');
    expect((await node.request('DELETE', `/artifacts/heat_templates/${t.id}/nested_templates/net.yaml`, { as: owner })).status).toBe(204);
    const after = await (await node.request('GET', `/artifacts/heat_templates/${t.id}`, { as: owner })).json();
    expect(Object.keys(after.nested_templates)).toEqual(['vol.yaml']);
  });

  it('shows each artifact’s own blobs in a show and in a list', async () => {
    const a = await node.seed('images', { name: 'listed-a' }, { as: owner });
    const b = await node.seed('images', { name: 'listed-b' }, { as: owner });
    await upload('images', a.id, 'image', 'a: 1');
    await upload('images', b.id, 'image', 'bb: 22');
    const shown = await (await node.request('GET', `/artifacts/images/${b.id}`, { as: owner })).json();
    expect(shown.image).toMatchObject({ size: 6, sha256: sha256('bb: 22'), status: 'active' });
    const listed = await (await node.request('GET', '/artifacts/images?name=in:listed-a,listed-b&sort=name:asc', { as: owner })).json();
    expect(listed.artifacts.map((x: Body) => [x.name, x.image?.size, x.image?.sha256])).toEqual([
      ['listed-a', 4, sha256('a: 1')],
      ['listed-b', 6, sha256('bb: 22')],
    ]);
    const none = await (await node.request('GET', '/artifacts/images?name=in:listed-a,listed-b&limit=1&sort=name:desc', { as: owner })).json();
    expect(none.artifacts[0].image.size).toBe(6);
  });

  it('stores identical bytes once, and keeps them while another artifact uses them', async () => {
    const body = `shared bytes ${Math.random()}`;
    const a = await node.seed('images', { name: 'same-a' }, { as: owner });
    const b = await node.seed('images', { name: 'same-b' }, { as: owner });
    await upload('images', a.id, 'image', body);
    await upload('images', b.id, 'image', body);
    const copies = () => filesUnder(join(node.dataDir, 'blobs', 'sha256')).filter((f) => f.endsWith(sha256(body)));
    expect(copies()).toHaveLength(1);
    expect((await node.request('DELETE', `/artifacts/images/${a.id}`, { as: owner })).status).toBe(204);
    expect(copies()).toHaveLength(1);
    expect(await (await node.request('GET', `/artifacts/images/${b.id}/image`, { as: owner })).text()).toBe(body);
    expect((await node.request('DELETE', `/artifacts/images/${b.id}`, { as: owner })).status).toBe(204);
    expect(copies()).toHaveLength(0);
  });
});

describe('integrity and limits', () => {
  it('refuses bytes whose Content-MD5 or X-Expected-SHA256 does not match, keeping nothing', async () => {
    const t = await node.seed('images', { name: 'checked' }, { as: owner });
    const before = filesUnder(join(node.dataDir, 'blobs')).length;
    const wrongMd5 = await upload('images', t.id, 'image', 'hello', { 'content-md5': md5b64('other') });
    expect(wrongMd5.status).toBe(400);
    expect((await wrongMd5.json()).explanation).toMatch(/md5/);
    const wrongSha = await upload('images', t.id, 'image', 'hello', { 'x-expected-sha256': sha256('other') });
    expect(wrongSha.status).toBe(400);
    expect((await wrongSha.json()).explanation).toMatch(/sha256/);
    expect(filesUnder(join(node.dataDir, 'blobs')).length).toBe(before);
    const shown = await (await node.request('GET', `/artifacts/images/${t.id}`, { as: owner })).json();
    expect(shown.image).toBeNull();
    const wrongHex = await upload('images', t.id, 'image', 'hello', { 'content-md5': createHash('md5').update('other').digest('hex') });
    expect(wrongHex.status).toBe(400);
    const malformed = await upload('images', t.id, 'image', 'hello', { 'content-md5': 'not-an-md5' });
    expect(malformed.status).toBe(400);
    expect((await malformed.json()).explanation).toMatch(/Content-MD5 must be/);
    const right = await upload('images', t.id, 'image', 'hello', { 'content-md5': md5b64('hello'), 'x-expected-sha256': sha256('hello') });
    expect(right.status).toBe(200);
    // Glare's own form of Content-MD5, hex, is accepted too.
    const u = await node.seed('images', { name: 'checked-hex' }, { as: owner });
    expect((await upload('images', u.id, 'image', 'hello', { 'content-md5': createHash('md5').update('hello').digest('hex') })).status).toBe(200);
  });

  it('answers 413 past the field’s size limit, before or while reading, keeping nothing', async () => {
    const t = await node.seed('vnf_packages', { name: 'big' }, { as: owner });
    const stored = filesUnder(join(node.dataDir, 'blobs', 'sha256')).length;
    const tooBig = Buffer.alloc(1024 * 1024 + 1, 7);
    const declared = await upload('vnf_packages', t.id, 'descriptor', tooBig);
    expect(declared.status).toBe(413);
    const streamed = await node.request('PUT', `/artifacts/vnf_packages/${t.id}/descriptor`, {
      as: owner,
      body: new ReadableStream({
        start(controller) {
          for (let i = 0; i < 17; i++) controller.enqueue(new Uint8Array(64 * 1024));
          controller.close();
        },
      }) as never,
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(streamed.status).toBe(413);
    expect(filesUnder(join(node.dataDir, 'blobs', 'sha256'))).toHaveLength(stored);
    expect(filesUnder(join(node.dataDir, 'blobs', 'tmp'))).toEqual([]);
    expect((await upload('vnf_packages', t.id, 'descriptor', Buffer.alloc(1024 * 1024, 1))).status).toBe(200);
  });

  it('counts blob bytes against the project’s data quota', async () => {
    const quotaProject = node.as({ project: 'p-quota' });
    await node.request('PUT', '/quotas', { as: node.admin, json: [{ project_id: 'p-quota', project_quotas: [{ quota_name: 'max_uploaded_data', quota_value: 10 }] }] });
    const a = await node.seed('images', { name: 'q1' }, { as: quotaProject });
    const b = await node.seed('images', { name: 'q2' }, { as: quotaProject });
    expect((await upload('images', a.id, 'image', '123456', {}, quotaProject)).status).toBe(200);
    const over = await upload('images', b.id, 'image', '123456', {}, quotaProject);
    expect(over.status).toBe(413);
    expect((await over.json()).explanation).toMatch(/max_uploaded_data/);
    const usage = await (await node.request('GET', '/project-quotas', { as: quotaProject })).json();
    expect(usage.project_quotas.find((q: Body) => q.quota_name === 'max_uploaded_data').usage).toBe(6);
  });
});

describe('rules', () => {
  it('answers 409 for a second upload to the same blob, and 403 once the artifact is active', async () => {
    const t = await node.seed('images', { name: 'once' }, { as: owner });
    await upload('images', t.id, 'image', 'a');
    expect((await upload('images', t.id, 'image', 'b')).status).toBe(409);
    await node.request('PATCH', `/artifacts/images/${t.id}`, { as: owner, patch: [{ op: 'replace', path: '/status', value: 'active' }] });
    expect((await node.request('DELETE', `/artifacts/images/${t.id}/image`, { as: owner })).status).toBe(403);
  });

  it.each([
    ['name', 400, /no blob field "name"/],
    ['nope', 400, /no blob field/],
    ['nested_templates', 400, /name the key/],
    ['template/extra', 400, /single blob/],
  ])('PUT to %s answers %i', async (path, status, message) => {
    const t = await node.seed('heat_templates', { name: `paths-${path}` }, { as: owner });
    const res = await upload('heat_templates', t.id, path, 'x');
    expect(res.status).toBe(status);
    expect((await res.json()).explanation).toMatch(message);
  });

  it('follows visibility: others get 404, anonymous reads public blobs, writes need the owner', async () => {
    const t = await node.seed('images', { name: 'vis' }, { as: owner });
    await upload('images', t.id, 'image', 'secret');
    const path = `/artifacts/images/${t.id}/image`;
    expect((await node.request('GET', path, { as: node.as({ project: 'p2' }) })).status).toBe(404);
    expect((await node.request('GET', path)).status).toBe(404);
    expect((await upload('images', t.id, 'image', 'x', {}, node.as({ project: 'p2' }))).status).toBe(404);
    await node.request('PATCH', `/artifacts/images/${t.id}`, { as: owner, patch: [{ op: 'replace', path: '/status', value: 'active' }] });
    await node.request('PATCH', `/artifacts/images/${t.id}`, { as: node.admin, patch: [{ op: 'replace', path: '/visibility', value: 'public' }] });
    expect(await (await node.request('GET', path)).text()).toBe('secret');
    await node.request('PATCH', `/artifacts/images/${t.id}`, { as: node.admin, patch: [{ op: 'replace', path: '/status', value: 'deactivated' }] });
    expect((await node.request('GET', path, { as: owner })).status).toBe(403);
    expect((await node.request('GET', path, { as: node.admin })).status).toBe(200);
  });

  it('registers an external location and redirects downloads to it', async () => {
    const t = await node.seed('images', { name: 'external' }, { as: owner });
    const res = await node.request('PUT', `/artifacts/images/${t.id}/image`, {
      as: owner,
      json: { url: 'https://mirror.example.org/cirros.img', md5: 'a'.repeat(32), size: 123 },
      headers: { 'content-type': 'application/vnd+openstack.glare-custom-location+json' },
    });
    expect(res.status).toBe(200);
    expect((await res.json()).image).toMatchObject({ external: true, url: 'https://mirror.example.org/cirros.img', status: 'active', size: 123 });
    const down = await node.request('GET', `/artifacts/images/${t.id}/image`, { as: owner });
    expect(down.status).toBe(301);
    expect(down.headers.get('location')).toBe('https://mirror.example.org/cirros.img');
    expect(down.headers.get('content-md5')).toBe('a'.repeat(32));
    const other = (await node.seed('images', { name: 'external-bad' }, { as: owner })).id;
    const locate = (json: unknown) =>
      node.request('PUT', `/artifacts/images/${other}/image`, { as: owner, json, headers: { 'content-type': 'application/vnd+openstack.glare-custom-location+json' } });
    expect((await locate({ url: 'file:///etc/passwd' })).status).toBe(400);
    // Checksums of an external blob are the client's word: any header-safe text, as Glare stores it.
    expect((await locate({ url: 'https://mirror.example.org/x.img', md5: 'bad\nheader' })).status).toBe(400);
    expect((await locate({ url: 'https://mirror.example.org/x.img', md5: 42 })).status).toBe(400);
    const loose = await node.seed('images', { name: 'external-loose' }, { as: owner });
    const looseRes = await node.request('PUT', `/artifacts/images/${loose.id}/image`, {
      as: owner,
      json: { url: 'https://mirror.example.org/loose.img', md5: 'not-hex', sha256: 'ABC' },
      headers: { 'content-type': 'application/vnd+openstack.glare-custom-location+json' },
    });
    expect(looseRes.status).toBe(200);
    expect((await looseRes.json()).image).toMatchObject({ md5: 'not-hex', sha256: 'ABC' });
    expect((await node.request('GET', `/artifacts/images/${loose.id}/image`, { as: owner })).headers.get('content-md5')).toBe('not-hex');
    // Glare: internal locations through file://, filesystem://, swift+config:// or sql:// are forbidden;
    // other internal schemes name objects in Glare's own store, which this node does not have.
    const internalFile = await locate({ url: 'file:///etc/passwd', md5: null, location_type: 'internal' });
    expect(internalFile.status).toBe(403);
    expect((await internalFile.json()).explanation).toMatch(/scheme "file"/);
    expect((await locate({ url: 'swift+config://ref/c/o', location_type: 'internal' })).status).toBe(403);
    expect((await locate({ url: 'rbd://pool/image', location_type: 'internal' })).status).toBe(400);
    // python-glareclient sends every checksum key, null when not given.
    const nulls = await locate({ url: 'https://mirror.example.org/x.img', md5: null, sha1: null, sha256: null });
    expect(nulls.status).toBe(200);
    expect(Object.keys((await nulls.json()).image).sort()).toEqual(['content_type', 'external', 'md5', 'sha1', 'sha256', 'size', 'status', 'url']);
  });
});
