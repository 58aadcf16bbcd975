import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestNode, type TestNode } from '../support/node.js';
import { SIGNING_TYPES_DIR, activate, developerKey, register, signAndAttach, upload, type DeveloperKeyPair } from './support.js';

let byType: TestNode;
let byNode: TestNode;
let key: DeveloperKeyPair;
const p1 = { 'X-User-Id': 'alice', 'X-Project-Id': 'p1', 'X-Roles': 'member' };

beforeAll(async () => {
  [byType, byNode] = await Promise.all([
    createTestNode({ types_dir: SIGNING_TYPES_DIR, signing: { types: { apps: { require_signatures: true } } } }),
    createTestNode({ types_dir: SIGNING_TYPES_DIR, signing: { require_signatures: true } }),
  ]);
  key = await developerKey('EdDSA');
  await register(byType, p1, key, 'release key');
  await register(byNode, p1, key, 'release key');
});
afterAll(async () => {
  await Promise.all([byType?.close(), byNode?.close()]);
});

async function draft(node: TestNode, name: string, bytes = `bytes of ${name}`) {
  const a = await node.seed('apps', { name, version: '1.0' }, { as: p1 });
  expect((await upload(node, p1, 'apps', String(a.id), 'package', bytes)).status).toBe(200);
  return String(a.id);
}

describe('a type policy requiring signatures', () => {
  it('refuses to activate an unsigned artifact of that type with 403 naming why; a signed one activates', async () => {
    const id = await draft(byType, 'unsigned');
    const refused = await activate(byType, p1, 'apps', id);
    expect(refused.status).toBe(403);
    expect((await refused.json()).explanation).toBe('cannot activate: the policy of type apps requires a developer signature that holds, and apps unsigned 1.0.0 has no signature');
    expect((await (await byType.request('GET', `/artifacts/apps/${id}`, { as: p1 })).json()).status).toBe('drafted');

    expect((await signAndAttach(byType, p1, 'apps', id, key)).status).toBe(201);
    const ok = await activate(byType, p1, 'apps', id);
    expect(ok.status).toBe(200);
    expect((await ok.json()).status).toBe('active');
  });

  it('names the signature that no longer holds: a blob changed after signing', async () => {
    const id = await draft(byType, 'changed-after-signing', 'v1');
    expect((await signAndAttach(byType, p1, 'apps', id, key)).status).toBe(201);
    expect((await byType.request('DELETE', `/artifacts/apps/${id}/package`, { as: p1 })).status).toBe(204);
    expect((await upload(byType, p1, 'apps', id, 'package', 'v2')).status).toBe(200);
    const refused = await activate(byType, p1, 'apps', id);
    expect(refused.status).toBe(403);
    expect((await refused.json()).explanation).toMatch(
      new RegExp(`^cannot activate: the policy of type apps requires a developer signature that holds, and no signature of apps changed-after-signing 1.0.0 holds: the artifact changed since key ${key.kid} \\("release key"\\) signed it: blob package changed`),
    );
  });

  it('leaves other types alone', async () => {
    const image = await byType.seed('images', { name: 'plain' }, { as: p1, activate: true });
    expect(image.status).toBe('active');
  });
});

describe('a node policy requiring signatures', () => {
  it('refuses to activate any unsigned artifact with 403 naming the node policy', async () => {
    const created = await byNode.request('POST', '/artifacts/images', { as: p1, json: { name: 'img' } });
    const imageId = String((await created.json()).id);
    const res = await activate(byNode, p1, 'images', imageId);
    expect(res.status).toBe(403);
    expect((await res.json()).explanation).toBe("cannot activate: the node's policy requires a developer signature that holds, and images img 0.0.0 has no signature");

    const id = await draft(byNode, 'signed');
    expect((await signAndAttach(byNode, p1, 'apps', id, key)).status).toBe(201);
    expect((await activate(byNode, p1, 'apps', id)).status).toBe(200);
  });
});

describe('the signing settings', () => {
  it('refuse a type the node does not serve', async () => {
    await expect(createTestNode({ signing: { types: { nope: { require_signatures: true } } } })).rejects.toThrow(/signing.types names unknown artifact type "nope"/);
  });
});
