/**
 * A copy keeps the requirement resolution it was made with. The source node resolves app's
 * `lib ^2` to lib 2.3; the target already holds a public lib 2.5, which fits the range too. The
 * import pins app's requirement to the lib 2.3 it brings, so on the target app still resolves to
 * 2.3: its signature (a manifest that binds lib 2.3) holds, its dependencies are the ones signed,
 * and a request that needs lib 2.5 beside app is a conflict that names the pin. A pin whose
 * target stops serving yields to the range.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Body } from '../support/json.js';
import { createTestNode, type TestNode } from '../support/node.js';
import { developerKey, register, signAndAttach, type DeveloperKeyPair } from '../signing/support.js';
import { openBundle, withManifest, writeTar } from './tar.js';

const TYPES_DIR = 'test/bundles/fixtures/types';
const TAR = { 'content-type': 'application/x-tar' };
const requires = (name: string, range: string) => [{ type: 'kits', name, range }];

let source: TestNode;
let target: TestNode;
let p1: Record<string, string>;
let onTarget: Record<string, string>;
let key: DeveloperKeyPair;
let bundle: Buffer;
let publicLib: Body;
let imported: Body;

const importInto = (node: TestNode, as: Record<string, string>, body: Buffer) => node.request('POST', '/import', { as, headers: TAR, body: new Uint8Array(body) });
const picked = (graph: Body) => graph.nodes.map((n: Body) => `${n.name}@${n.version}`);

async function signedKit(values: Record<string, unknown>): Promise<Body> {
  const kit = await source.seed('kits', { vendor: 'acme', ...values }, { as: p1 });
  const signed = await signAndAttach(source, p1, 'kits', String(kit.id), key);
  expect(signed.status, await signed.clone().text()).toBe(201);
  const res = await source.request('PATCH', `/artifacts/kits/${kit.id}`, { as: p1, patch: [{ op: 'replace', path: '/status', value: 'active' }] });
  expect(res.status, await res.clone().text()).toBe(200);
  return res.json();
}

beforeAll(async () => {
  [source, target] = await Promise.all([createTestNode({ types_dir: TYPES_DIR }), createTestNode({ types_dir: TYPES_DIR })]);
  p1 = source.as({ project: 'p1' });
  onTarget = target.as({ project: 'p1' });
  key = await developerKey('EdDSA');
  await register(source, p1, key, 'alice laptop');
  await signedKit({ name: 'lib', version: '2.3' });
  const app = await signedKit({ name: 'app', version: '1.0', requires: requires('lib', '^2') });
  const res = await source.request('GET', `/artifacts/kits/${app.id}/export`, { as: p1 });
  expect(res.status).toBe(200);
  bundle = Buffer.from(await res.arrayBuffer());
  publicLib = await target.seed('kits', { name: 'lib', version: '2.5', vendor: 'other' }, { as: target.as({ project: 'vendor' }), publish: true });
});
afterAll(() => Promise.all([source?.close(), target?.close()]));

describe('an imported copy', () => {
  it('is imported with its signature although the node holds a newer fitting version, and keeps the version it was resolved to', async () => {
    const res = await importInto(target, onTarget, bundle);
    imported = await res.json();
    expect(res.status, JSON.stringify(imported)).toBe(201);
    expect(imported.artifacts.map((a: Body) => [a.name, a.version, a.signatures_attached])).toEqual([
      ['lib', '2.3.0', 1],
      ['app', '1.0.0', 1],
    ]);
    const verified = await (await target.request('GET', `/artifacts/kits/${imported.root.id}/verify`, { as: onTarget })).json();
    expect(verified.verified, JSON.stringify(verified)).toBe(true);
    const graph = await (await target.request('GET', `/artifacts/kits/${imported.root.id}/dependencies`, { as: onTarget })).json();
    expect(picked(graph)).toEqual(['lib@2.3.0']);
  });

  it('is a conflict, naming the pin, beside a requirement only the other version satisfies', async () => {
    const res = await target.request('POST', '/resolve', { as: onTarget, json: { requires: [...requires('app', '1.0'), ...requires('lib', '>=2.5')] } });
    const body = await res.json();
    expect(res.status, JSON.stringify(body)).toBe(409);
    expect(body.explanation).toMatch(/kits app 1\.0\.0 requires kits lib \^2, pinned to 2\.3\.0 \(the version it was imported with\)/);
    const lib = imported.artifacts.find((a: Body) => a.name === 'lib');
    expect(body.conflict).toEqual(expect.arrayContaining([expect.objectContaining({ requires: requires('lib', '^2')[0], pinned_to: expect.objectContaining({ id: lib.id, version: '2.3.0' }) })]));
  });

  it('is refused when the bundle says a requirement resolved to an artifact that does not satisfy it', async () => {
    const { entries, manifest } = await openBundle(bundle);
    const app = manifest.artifacts.find((a: Body) => a.name === 'app');
    app.resolved_requires = [{ index: 0, target: app.id }];
    const res = await importInto(target, target.as({ project: 'p3' }), await writeTar(withManifest(entries, manifest)));
    expect(res.status).toBe(400);
    expect((await res.json()).explanation).toMatch(/requirement kits lib \^2 is said to resolve to kits "app" 1\.0\.0, which does not satisfy it/);
  });

  it('resolves the range again once the version it is pinned to no longer serves', async () => {
    const lib = imported.artifacts.find((a: Body) => a.name === 'lib');
    const res = await target.request('PATCH', `/artifacts/kits/${lib.id}`, { as: target.admin, patch: [{ op: 'replace', path: '/status', value: 'deactivated' }] });
    expect(res.status, await res.clone().text()).toBe(200);
    const graph = await (await target.request('GET', `/artifacts/kits/${imported.root.id}/dependencies`, { as: onTarget })).json();
    expect(graph.nodes.map((n: Body) => n.id)).toEqual([publicLib.id]);
  });
});
