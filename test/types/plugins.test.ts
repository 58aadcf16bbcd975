/**
 * Type plugins an operator drops into the types folder: a TypeScript module with hooks, and the
 * YAML validators Glare's types have (allowed, required and length-limited dict keys, forbidden
 * characters, a blob dict's total size, null dict defaults, per-field metadata). Over HTTP.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestNode, type TestNode } from '../support/node.js';

const MODULE = `
export default {
  name: 'vnf_descriptors',
  version: '2.0',
  display_name: 'VNF descriptor',
  fields: {
    vendor: { kind: 'string', required_on_activate: false },
    descriptor: { kind: 'blob', max_blob_size: 1048576 },
  },
  hooks: {
    beforeCreate(draft, ctx) {
      if (draft.name.startsWith('bad')) ctx.refuse('names may not start with "bad"');
    },
    beforeUpload(artifact, blob, ctx) {
      if (blob.contentType !== 'application/yaml') ctx.refuse('a descriptor is application/yaml, not ' + blob.contentType);
    },
    afterUpload(artifact, blob, ctx) {
      if (blob.size === 0) ctx.refuse('an empty descriptor describes nothing');
    },
    beforeActivate(artifact, ctx) {
      if (!artifact.fields.vendor) ctx.refuse('name the vendor before activating');
    },
    output(artifact) {
      const descriptor = artifact.blobs.find((b) => b.field === 'descriptor');
      return { descriptor_bytes: descriptor ? descriptor.size : 0 };
    },
  },
};
`;

const YAML = `
name: kits
version: "1.0"
authorship: true
fields:
  labels:
    kind: string_dict
    required_on_activate: false
    default: null
    metadata: { ui: "key-value editor" }
    validators: { allowed_keys: [team, tier], max_key_length: 4 }
  ports:
    kind: integer_dict
    required_on_activate: false
    validators: { required_keys: [http] }
  slug:
    kind: string
    required_on_activate: false
    validators: { forbidden_chars: [",", "/"] }
  files:
    kind: blob_dict
    required_on_activate: false
    validators: { max_total_size: 10 }
`;

let dir: string;
let node: TestNode;
let owner: Record<string, string>;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'catalog-types-'));
  writeFileSync(join(dir, 'vnf-descriptors.ts'), MODULE);
  writeFileSync(join(dir, 'kits.yaml'), YAML);
  node = await createTestNode({ types_dir: dir });
  owner = node.as({ project: 'p-plugins' });
});
afterAll(async () => {
  await node.close();
  rmSync(dir, { recursive: true, force: true });
});

const create = (type: string, body: unknown) => node.request('POST', `/artifacts/${type}`, { as: owner, json: body });
const put = (path: string, body: string, contentType: string) => node.request('PUT', path, { as: owner, headers: { 'content-type': contentType }, body });

describe('a TypeScript type module', () => {
  it('is served beside the built-in types, with its version', async () => {
    const res = await node.request('GET', '/schemas/vnf_descriptors');
    expect(res.status).toBe(200);
    expect(JSON.stringify(await res.json())).toMatch(/"version":"2.0"/);
  });

  it('refuses through its hooks with 400, naming the type', async () => {
    const bad = await create('vnf_descriptors', { name: 'bad-one' });
    expect(bad.status).toBe(400);
    expect((await bad.json()).explanation).toBe('vnf_descriptors: names may not start with "bad"');

    const a = await (await create('vnf_descriptors', { name: 'edge-router' })).json();
    const wrongType = await put(`/artifacts/vnf_descriptors/${a.id}/descriptor`, 'x: 1', 'text/plain');
    expect(wrongType.status).toBe(400);
    expect((await wrongType.json()).explanation).toMatch(/application\/yaml, not text\/plain/);
    const empty = await put(`/artifacts/vnf_descriptors/${a.id}/descriptor`, '', 'application/yaml');
    expect(empty.status).toBe(400);
    // a refused upload leaves nothing behind
    expect((await (await node.request('GET', `/artifacts/vnf_descriptors/${a.id}`, { as: owner })).json()).descriptor).toBeNull();

    const activate = () => node.request('PATCH', `/artifacts/vnf_descriptors/${a.id}`, { as: owner, patch: [{ op: 'replace', path: '/status', value: 'active' }] });
    expect((await put(`/artifacts/vnf_descriptors/${a.id}/descriptor`, 'vnfd: {}\n', 'application/yaml')).status).toBe(200);
    const early = await activate();
    expect(early.status).toBe(400);
    expect((await early.json()).explanation).toMatch(/name the vendor/);
    await node.request('PATCH', `/artifacts/vnf_descriptors/${a.id}`, { as: owner, patch: [{ op: 'add', path: '/vendor', value: 'acme' }] });
    expect((await activate()).status).toBe(200);
  });

  it('adds computed values to what is shown and listed', async () => {
    const a = await (await create('vnf_descriptors', { name: 'computed' })).json();
    expect(a.descriptor_bytes).toBe(0);
    await put(`/artifacts/vnf_descriptors/${a.id}/descriptor`, '0123456789', 'application/yaml');
    const shown = await (await node.request('GET', `/artifacts/vnf_descriptors/${a.id}`, { as: owner })).json();
    expect(shown.descriptor_bytes).toBe(10);
    const listed = await (await node.request('GET', '/artifacts/vnf_descriptors?name=computed', { as: owner })).json();
    expect(listed.artifacts[0].descriptor_bytes).toBe(10);
  });

  it('that declares an unknown hook stops the node from starting, naming the file and the hook', async () => {
    const broken = mkdtempSync(join(tmpdir(), 'catalog-types-'));
    writeFileSync(join(broken, 'broken.mjs'), "export default { name: 'broken', version: '1', fields: {}, hooks: { onLaunch() {} } };");
    try {
      await expect(createTestNode({ types_dir: broken })).rejects.toThrow(/broken\.mjs[\s\S]*hooks\.onLaunch: unknown hook/);
    } finally {
      rmSync(broken, { recursive: true, force: true });
    }
  });
});

describe("Glare's validators in a YAML type", () => {
  it('keep a dict with a null default unset, and show field metadata in the schema', async () => {
    const k = await (await create('kits', { name: 'null-default' })).json();
    expect(k.labels).toBeNull();
    expect(k.provided_by).toBeNull(); // authorship: true brings the catalog's authorship fields
    const schema = await (await node.request('GET', '/schemas/kits')).json();
    expect(JSON.stringify(schema)).toMatch(/"metadata":\{"ui":"key-value editor"\}/);
  });

  it.each([
    [{ labels: { own: 'x' } }, /key "own" is not allowed; allowed keys: team, tier/],
    [{ labels: { team: 'a', tier: 'b', teams: 'c' } }, /key "teams" is longer than 4 characters/],
    [{ ports: { https: 443 } }, /must have the keys http/],
    [{ slug: 'a/b' }, /may not contain "\/"/],
    [{ slug: 'a,b' }, /may not contain ","/],
  ])('refuse %j with 400', async (values, message) => {
    const res = await create('kits', { name: `v-${Math.random()}`, ...values });
    expect(res.status).toBe(400);
    expect((await res.json()).explanation).toMatch(message);
  });

  it('accept what they allow', async () => {
    const res = await create('kits', { name: 'allowed', labels: { team: 'net' }, ports: { http: 80, https: 443 }, slug: 'edge-kit' });
    expect(res.status).toBe(201);
  });

  it('hold a blob dict to its total size over all keys', async () => {
    const k = await (await create('kits', { name: 'sized' })).json();
    expect((await put(`/artifacts/kits/${k.id}/files/a`, '123456', 'text/plain')).status).toBe(200);
    const over = await put(`/artifacts/kits/${k.id}/files/b`, '12345', 'text/plain');
    expect(over.status).toBe(413);
    expect((await over.json()).explanation).toMatch(/at most 10 bytes over all its keys; it holds 6/);
    // replacing a key counts its new size, not both
    await node.request('DELETE', `/artifacts/kits/${k.id}/files/a`, { as: owner });
    expect((await put(`/artifacts/kits/${k.id}/files/a`, '1234567890', 'text/plain')).status).toBe(200);
  });
});
