/** Blob stores chosen per type, over HTTP: heat templates on the filesystem, images on S3 (Swift). */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BlobStore } from '../../src/blobs/blob-store.js';
import { createTestNode, type TestNode } from '../support/node.js';

let node: TestNode;
let owner: Record<string, string>;
const run = randomBytes(4).toString('hex');

async function locators(store: BlobStore): Promise<string[]> {
  const out: string[] = [];
  for await (const o of store.list()) out.push(o.locator);
  return out;
}

beforeAll(async () => {
  node = await createTestNode({
    blobs: {
      stores: {
        local: { kind: 'fs', root: 'blobs' },
        objects: {
          kind: 's3',
          endpoint: 'http://127.0.0.1:8080',
          bucket: `routing-${run}`,
          access_key_id: 'test:tester',
          secret_access_key: 'testing',
          force_path_style: true,
          redirect_downloads: false,
        },
        direct: {
          kind: 's3',
          endpoint: 'http://127.0.0.1:8080',
          bucket: `routing-direct-${run}`,
          access_key_id: 'test:tester',
          secret_access_key: 'testing',
          force_path_style: true,
          redirect_downloads: true,
        },
      },
      default_store: 'local',
      type_stores: { images: 'objects', tosca_templates: 'direct' },
    },
  });
  owner = node.as({ project: 'p1' });
});
afterAll(async () => {
  for (const named of node.deps.blobs.all()) for (const l of await locators(named.store)) await named.store.remove(l);
  await node.close();
});

describe('per-type blob stores', () => {
  it('keeps images on S3 and heat templates on the filesystem, and serves both', async () => {
    const image = await node.seed('images', { name: 'routed' }, { as: owner });
    const bytes = randomBytes(70_000);
    const up = await node.request('PUT', `/artifacts/images/${image.id}/image`, { as: owner, body: bytes as never, headers: { 'content-type': 'application/octet-stream' } });
    expect(up.status).toBe(200);
    const objects = node.deps.blobs.byName('objects').store;
    const stored = await locators(objects);
    expect(stored.some((l) => l.includes(image.id))).toBe(true);
    const down = await node.request('GET', `/artifacts/images/${image.id}/image`, { as: owner });
    expect(Buffer.from(await down.arrayBuffer())).toEqual(bytes);

    const tpl = await node.seed('heat_templates', { name: 'routed' }, { as: owner });
    await node.request('PUT', `/artifacts/heat_templates/${tpl.id}/template`, { as: owner, body: 'heat_template_version: 2018-08-31\n', headers: { 'content-type': 'text/yaml' } });
    expect((await locators(node.deps.blobs.byName('local').store)).length).toBe(1);
    expect((await locators(objects)).length).toBe(1);

    expect((await node.request('DELETE', `/artifacts/images/${image.id}`, { as: owner })).status).toBe(204);
    expect(await locators(objects)).toEqual([]);
  });

  it('redirects downloads to a presigned URL when the store is set to', async () => {
    const t = await node.seed('tosca_templates', { name: 'redirected' }, { as: owner });
    await node.request('PUT', `/artifacts/tosca_templates/${t.id}/template`, { as: owner, body: 'tosca_definitions_version: tosca_simple_yaml_1_3', headers: { 'content-type': 'text/yaml' } });
    const res = await node.request('GET', `/artifacts/tosca_templates/${t.id}/template`, { as: owner });
    expect(res.status).toBe(302);
    const location = res.headers.get('location')!;
    expect(location).toMatch(/^http:\/\/127\.0\.0\.1:8080\/routing-direct-/);
    expect(await (await fetch(location)).text()).toBe('tosca_definitions_version: tosca_simple_yaml_1_3');
  });

  it('refuses a config naming a store that does not exist', async () => {
    await expect(createTestNode({ blobs: { stores: { local: { kind: 'fs' } }, default_store: 'local', type_stores: { images: 'nowhere' } } })).rejects.toThrow(
      /type_stores\.images: names no store/,
    );
  });
});
