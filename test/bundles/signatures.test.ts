/**
 * Developer signatures in bundles: export carries the signatures that hold (with their keys),
 * import verifies every one against the bundle's content and refuses a bundle whose signatures do
 * not verify, attaches them where the artifact keeps the owner they were made for, and honours a
 * node's policy requiring signatures.
 */
import { createHash, randomBytes } from 'node:crypto';
import { count } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifacts } from '../../src/db/schema/index.js';
import type { Body } from '../support/json.js';
import { createTestNode, type TestNode } from '../support/node.js';
import { developerKey, register, signAndAttach, type DeveloperKeyPair } from '../signing/support.js';
import { storedLocators, upload } from '../types/uploads.js';
import { openBundle, readTar, withManifest, writeTar, type TarEntry } from './tar.js';

const TYPES_DIR = 'test/bundles/fixtures/types';
const TAR = { 'content-type': 'application/x-tar' };
const sha = (algorithm: string, b: Buffer) => createHash(algorithm).update(b).digest('hex');

let source: TestNode;
let target: TestNode;
let refusing: TestNode;
let strict: TestNode;
let p1: Record<string, string>;
let key: DeveloperKeyPair;
let lib: Body;
let app: Body;
let bundle: Buffer;
const libPayload = randomBytes(64 * 1024);

const importInto = (node: TestNode, as: Record<string, string>, body: Buffer) => node.request('POST', '/import', { as, headers: TAR, body: new Uint8Array(body) });

async function artifactRows(node: TestNode): Promise<number> {
  const [row] = await node.deps.db.select({ n: count() }).from(artifacts);
  return row!.n;
}

async function signedKit(values: Record<string, unknown>, payload?: Buffer): Promise<Body> {
  const kit = await source.seed('kits', { vendor: 'acme', ...values }, { as: p1 });
  if (payload) expect((await upload(source, p1, `/artifacts/kits/${kit.id}/payload`, payload)).status).toBe(200);
  const signed = await signAndAttach(source, p1, 'kits', String(kit.id), key);
  expect(signed.status, await signed.clone().text()).toBe(201);
  const res = await source.request('PATCH', `/artifacts/kits/${kit.id}`, { as: p1, patch: [{ op: 'replace', path: '/status', value: 'active' }] });
  expect(res.status).toBe(200);
  return res.json();
}

beforeAll(async () => {
  [source, target, refusing, strict] = await Promise.all([
    createTestNode({ types_dir: TYPES_DIR }),
    createTestNode({ types_dir: TYPES_DIR }),
    createTestNode({ types_dir: TYPES_DIR }),
    createTestNode({ types_dir: TYPES_DIR, signing: { require_signatures: true } }),
  ]);
  p1 = source.as({ project: 'p1' });
  key = await developerKey('EdDSA');
  await register(source, p1, key, 'alice laptop');
  lib = await signedKit({ name: 'lib', version: '1.0' }, libPayload);
  app = await signedKit({ name: 'app', version: '1.0', uses: [`/artifacts/kits/${lib.id}`] });
  const res = await source.request('GET', `/artifacts/kits/${app.id}/export`, { as: p1 });
  expect(res.status).toBe(200);
  bundle = Buffer.from(await res.arrayBuffer());
});
afterAll(() => Promise.all([source?.close(), target?.close(), refusing?.close(), strict?.close()]));

describe('signatures in a bundle', () => {
  it('are carried with the public key they name', async () => {
    const manifest = JSON.parse((await readTar(bundle))[0]!.data.toString());
    for (const a of manifest.artifacts) {
      expect(a.signatures).toHaveLength(1);
      expect(a.signatures[0]).toMatchObject({ kid: key.kid, key: { jwk: { kty: 'OKP', crv: 'Ed25519', x: key.publicJwk.x }, name: 'alice laptop', revoked_at: null } });
    }
  });

  it('are verified on import and attached where the artifact keeps its owner: they hold on the new node', async () => {
    const res = await importInto(target, target.as({ project: 'p1' }), bundle);
    const body = await res.json();
    expect(res.status, JSON.stringify(body)).toBe(201);
    expect(body.artifacts.map((a: Body) => [a.name, a.signatures_verified, a.signatures_attached])).toEqual([
      ['lib', 1, 1],
      ['app', 1, 1],
    ]);
    const verified = await (await target.request('GET', `/artifacts/kits/${body.root.id}/verify`, { as: target.as({ project: 'p1' }) })).json();
    expect(verified.verified).toBe(true);
    expect(verified.signatures[0]).toMatchObject({ kid: key.kid, holds: true });
  });

  it('are verified but not attached when the importer’s project becomes the owner (a signature binds its owner)', async () => {
    const res = await importInto(target, target.as({ project: 'p2' }), bundle);
    const body = await res.json();
    expect(res.status, JSON.stringify(body)).toBe(201);
    expect(body.artifacts.map((a: Body) => [a.owner, a.signatures_verified, a.signatures_attached])).toEqual([
      ['p2', 1, 0],
      ['p2', 1, 0],
    ]);
  });

  it('satisfy a node policy requiring signatures; an unsigned active closure is refused there, leaving nothing', async () => {
    const unsigned = await source.seed('kits', { name: 'plain', version: '1.0', vendor: 'acme' }, { as: p1, activate: true });
    const plain = Buffer.from(await (await source.request('GET', `/artifacts/kits/${unsigned.id}/export`, { as: p1 })).arrayBuffer());
    const refused = await importInto(strict, strict.as({ project: 'p1' }), plain);
    expect(refused.status).toBe(403);
    expect((await refused.json()).explanation).toMatch(/requires a developer signature/);
    expect(await artifactRows(strict)).toBe(0);
    const accepted = await importInto(strict, strict.as({ project: 'p1' }), bundle);
    expect(accepted.status, await accepted.clone().text()).toBe(201);
  });
});

describe('a bundle whose signatures do not verify', () => {
  let entries: TarEntry[];
  let manifest: Body;
  beforeAll(async () => {
    ({ entries, manifest } = await openBundle(bundle));
  });
  const libEntry = (m: Body) => m.artifacts.find((a: Body) => a.name === 'lib');

  const cases: Array<[string, () => Promise<Buffer>]> = [
    [
      'a signed field changed in the manifest',
      () => {
        const m = structuredClone(manifest);
        libEntry(m).fields.vendor = 'mallory';
        return writeTar(withManifest(entries, m));
      },
    ],
    [
      'a blob replaced, with the manifest’s digests made to match the new bytes',
      () => {
        const m = structuredClone(manifest);
        const evil = randomBytes(libPayload.length);
        const blob = libEntry(m).blobs.find((b: Body) => b.field === 'payload');
        const old = `blobs/${blob.sha256}`;
        Object.assign(blob, { sha256: sha('sha256', evil), md5: sha('md5', evil), sha1: sha('sha1', evil), size: evil.length });
        const rest = entries.slice(1).map((e) => (e.name === old ? { name: `blobs/${blob.sha256}`, data: evil } : e));
        return writeTar(withManifest([entries[0]!, ...rest], m));
      },
    ],
    [
      'a signature made with another key, shipped with that key',
      async () => {
        const m = structuredClone(manifest);
        const other = await developerKey('EdDSA');
        const s = libEntry(m).signatures[0];
        const [, , signature] = String(s.jws).split('.');
        const header = Buffer.from(JSON.stringify({ alg: 'EdDSA', kid: other.kid })).toString('base64url');
        Object.assign(s, { kid: other.kid, jws: `${header}..${signature}`, key: { ...s.key, jwk: other.publicJwk } });
        return writeTar(withManifest(entries, m));
      },
    ],
    [
      'a key revoked before the signature was made',
      () => {
        const m = structuredClone(manifest);
        const s = libEntry(m).signatures[0];
        s.key.revoked_at = new Date(Date.parse(s.signed_at) - 1000).toISOString();
        s.key.revocation_reason = 'stolen';
        return writeTar(withManifest(entries, m));
      },
    ],
  ];

  it.each(cases)('is refused with 400 naming the artifact, and leaves nothing: %s', async (_what, make) => {
    const res = await importInto(refusing, refusing.as({ project: 'p1' }), await make());
    const body = await res.json();
    expect(res.status, JSON.stringify(body)).toBe(400);
    expect(body.explanation).toMatch(/signature of kits "lib" 1\.0\.0 does not verify/);
    expect(await artifactRows(refusing)).toBe(0);
    expect(await storedLocators(refusing)).toEqual([]);
  });
});
