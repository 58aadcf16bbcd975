import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { flattenedVerify, importJWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestNode, type TestNode } from '../support/node.js';
import { SIGNING_TYPES_DIR, activate, developerKey, manifestBytes, register, signAndAttach, signDetached, upload, type DeveloperKeyPair } from './support.js';

let node: TestNode;
let p1: Record<string, string>;
let p2: Record<string, string>;
let ed: DeveloperKeyPair;
let ec: DeveloperKeyPair;

beforeAll(async () => {
  // mark_broken: a dependency may be deleted under a signed artifact, which verify must then report.
  node = await createTestNode({ types_dir: SIGNING_TYPES_DIR, dependencies: { on_depended_removal: 'mark_broken' } });
  p1 = node.as({ project: 'p1', user: 'alice' });
  p2 = node.as({ project: 'p2', user: 'bob' });
  ed = await developerKey('EdDSA');
  ec = await developerKey('ES256');
  await register(node, p1, ed, 'alice laptop');
  await register(node, p1, ec, 'ci');
});
afterAll(() => node.close());

const link = (a: { id: unknown }) => `/artifacts/apps/${String(a.id)}`;
const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');

async function app(name: string, body: Record<string, unknown> = {}, bytes = `bytes of ${name}`) {
  const a = await node.seed('apps', { name, version: '1.0', platform: 'linux', ...body }, { as: p1 });
  expect((await upload(node, p1, 'apps', String(a.id), 'package', bytes)).status).toBe(200);
  return a;
}

/** A draft's blob replaced: removed, then uploaded anew. */
async function replaceBlob(id: unknown, field: string, bytes: string) {
  expect((await node.request('DELETE', `/artifacts/apps/${String(id)}/${field}`, { as: p1 })).status).toBe(204);
  expect((await upload(node, p1, 'apps', String(id), field, bytes)).status).toBe(200);
}

async function verify(id: unknown, as = p1) {
  const res = await node.request('GET', `/artifacts/apps/${String(id)}/verify`, { as });
  expect(res.status).toBe(200);
  return res.json();
}

describe('GET /artifacts/{type}/{id}/manifest', () => {
  it('serves the RFC 8785 canonical manifest: identity, immutable fields, blob digests and sizes, dependencies with their manifest digests', async () => {
    const lib = await app('lib-m');
    const root = await app('root-m', { uses: [link(lib)] }, 'root package');
    const res = await node.request('GET', `/artifacts/apps/${root.id}/manifest`, { as: p1 });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect(res.headers.get('etag')).toBe(`"${sha256(bytes)}"`);
    const text = new TextDecoder().decode(bytes);
    const manifest = JSON.parse(text);
    expect(canonicalize(manifest)).toBe(text); // already canonical: what is served is what is signed
    const libBytes = await manifestBytes(node, p1, 'apps', String(lib.id));
    expect(manifest).toEqual({
      format: 'artifact-catalog-manifest/1',
      type: 'apps',
      owner: 'p1',
      name: 'root-m',
      version: '1.0.0',
      fields: { platform: 'linux', requires: [], uses: ['artifact:apps/p1/lib-m@1.0.0'] },
      blobs: [{ field: 'package', key: '', sha256: sha256('root package'), size: 'root package'.length }],
      dependencies: [{ ref: { type: 'apps', owner: 'p1', name: 'lib-m', version: '1.0.0' }, manifest_sha256: sha256(libBytes) }],
    });
    // Mutable fields and blobs are not signed; nothing node-specific (ids, dates, status) is in it.
    expect(text).not.toContain(String(root.id));
    expect(text).not.toContain('drafted');
  });

  it('answers 404 to a project that cannot see the artifact', async () => {
    const a = await app('hidden-m');
    expect((await node.request('GET', `/artifacts/apps/${a.id}/manifest`, { as: p2 })).status).toBe(404);
  });
});

describe('attaching and verifying a signature', () => {
  it.each([['Ed25519', () => ed, 'alice laptop'], ['ECDSA P-256', () => ec, 'ci']] as const)(
    'a %s signature made by the developer over the served manifest verifies: who, with which key, holds',
    async (_kind, key, keyName) => {
      const a = await app(`signed-${keyName.replace(' ', '-')}`);
      const res = await signAndAttach(node, p1, 'apps', String(a.id), key());
      expect(res.status).toBe(201);
      const attached = await res.json();
      expect(attached).toMatchObject({ kid: key().kid, key_project: 'p1', key_name: keyName, alg: key().alg, attached_by: 'alice', holds: true, reason: null });
      expect(await activate(node, p1, 'apps', String(a.id))).toHaveProperty('status', 200);
      const v = await verify(a.id);
      expect(v).toMatchObject({ id: a.id, name: a.name, owner: 'p1', verified: true });
      expect(v.signatures).toEqual([{ ...attached }]);
      const bytes = await manifestBytes(node, p1, 'apps', String(a.id));
      expect(v.manifest_sha256).toBe(sha256(bytes));
      // Anyone can check the signature again, with the key and the served manifest alone.
      const [protectedHeader, , signature] = String(v.signatures[0].jws).split('.');
      const checked = await flattenedVerify({ protected: protectedHeader!, payload: Buffer.from(bytes).toString('base64url'), signature: signature! }, await importJWK(key().publicJwk, key().alg));
      expect(checked.protectedHeader).toEqual({ alg: key().alg, kid: key().kid });
    },
  );

  it('refuses a JWS that is not detached, is malformed, or does not match the manifest', async () => {
    const a = await app('malformed-sig');
    const bytes = await manifestBytes(node, p1, 'apps', String(a.id));
    const jws = await signDetached(bytes, ed);
    const [h, , s] = jws.split('.');
    const attach = (body: unknown) => node.request('POST', `/artifacts/apps/${a.id}/signatures`, { as: p1, json: body });
    const attached = await attach({ jws: `${h}.${Buffer.from(bytes).toString('base64url')}.${s}` });
    expect(attached.status).toBe(400);
    expect((await attached.json()).explanation).toMatch(/carries a payload; send it detached/);
    expect((await attach({ jws: 'not-a-jws' })).status).toBe(400);
    expect((await attach({})).status).toBe(400);
    const otherBytes = await signDetached(new TextEncoder().encode('something else'), ed);
    const wrong = await attach({ jws: otherBytes });
    expect(wrong.status).toBe(400);
    expect((await wrong.json()).explanation).toMatch(new RegExp(`does not verify with key ${ed.kid}`));
    expect((await verify(a.id)).signatures).toEqual([]);
  });

  it('only the owning project attaches; another project does not see the artifact', async () => {
    const a = await app('owned-sig');
    expect((await signAndAttach(node, p1, 'apps', String(a.id), ed)).status).toBe(201);
    const jws = await signDetached(await manifestBytes(node, p1, 'apps', String(a.id)), ed);
    expect((await node.request('POST', `/artifacts/apps/${a.id}/signatures`, { as: p2, json: { jws } })).status).toBe(404);
    expect((await node.request('GET', `/artifacts/apps/${a.id}/verify`, { as: p2 })).status).toBe(404);
    const twice = await node.request('POST', `/artifacts/apps/${a.id}/signatures`, { as: p1, json: { jws } });
    expect(twice.status).toBe(409);
  });
});

describe('a signature that no longer holds names why', () => {
  it('a changed blob byte: the blob and both digests', async () => {
    const a = await app('changed-blob', {}, 'abcdef');
    expect((await signAndAttach(node, p1, 'apps', String(a.id), ed)).status).toBe(201);
    await replaceBlob(a.id, 'package', 'abcdeg');
    const v = await verify(a.id);
    expect(v.verified).toBe(false);
    expect(v.signatures[0].holds).toBe(false);
    expect(v.signatures[0].reason).toBe(
      `the artifact changed since key ${ed.kid} ("alice laptop") signed it: blob package changed (sha256 ${sha256('abcdef')} → ${sha256('abcdeg')}, size 6 → 6)`,
    );
  });

  it('a changed dependency: the dependency and its manifest digests', async () => {
    const lib = await app('dep-lib', {}, 'lib v1');
    const root = await app('dep-root', { uses: [link(lib)] });
    expect((await signAndAttach(node, p1, 'apps', String(root.id), ec)).status).toBe(201);
    const before = sha256(await manifestBytes(node, p1, 'apps', String(lib.id)));
    await replaceBlob(lib.id, 'package', 'lib v2');
    const after = sha256(await manifestBytes(node, p1, 'apps', String(lib.id)));
    const v = await verify(root.id);
    expect(v.verified).toBe(false);
    expect(v.signatures[0].reason).toBe(`the artifact changed since key ${ec.kid} ("ci") signed it: dependency apps/p1/dep-lib@1.0.0 changed (manifest sha256 ${before} → ${after})`);
  });

  it('a dependency replaced by another: which one went and which one came', async () => {
    const one = await app('dep-one');
    const two = await app('dep-two');
    const root = await app('dep-switch', { uses: [link(one)] });
    expect((await signAndAttach(node, p1, 'apps', String(root.id), ed)).status).toBe(201);
    const patched = await node.request('PATCH', `/artifacts/apps/${root.id}`, { as: p1, patch: [{ op: 'replace', path: '/uses', value: [link(two)] }] });
    expect(patched.status).toBe(200);
    const reason = (await verify(root.id)).signatures[0].reason;
    expect(reason).toContain('field uses changed');
    expect(reason).toContain('dependency apps/p1/dep-one@1.0.0 is no longer one');
    expect(reason).toContain('dependency apps/p1/dep-two@1.0.0 was added');
  });

  it('a requirement now resolving to a newer version: which version went and which came', async () => {
    await app('ranged-lib', {}, 'lib 1.0').then((lib) => activate(node, p1, 'apps', String(lib.id)));
    const root = await app('ranged-root', { requires: [{ type: 'apps', name: 'ranged-lib', range: '^1.0' }] });
    const signed = await manifestBytes(node, p1, 'apps', String(root.id));
    expect(JSON.parse(new TextDecoder().decode(signed)).dependencies.map((d: { ref: { version: string } }) => d.ref.version)).toEqual(['1.0.0']);
    expect((await signAndAttach(node, p1, 'apps', String(root.id), ed)).status).toBe(201);
    const newer = await node.seed('apps', { name: 'ranged-lib', version: '1.1' }, { as: p1, activate: true });
    expect(newer.status).toBe('active');
    const v = await verify(root.id);
    expect(v.verified).toBe(false);
    expect(v.signatures[0].reason).toBe(
      `the artifact changed since key ${ed.kid} ("alice laptop") signed it: dependency apps/p1/ranged-lib@1.0.0 is no longer one; dependency apps/p1/ranged-lib@1.1.0 was added`,
    );
  });

  it('a dependency deleted: no manifest, and each signature says why', async () => {
    const lib = await app('gone-lib');
    const root = await app('gone-root', { uses: [link(lib)] });
    expect((await signAndAttach(node, p1, 'apps', String(root.id), ed)).status).toBe(201);
    expect((await node.request('DELETE', `/artifacts/apps/${lib.id}`, { as: p1 })).status).toBe(204);
    const v = await verify(root.id);
    expect(v).toMatchObject({ verified: false, manifest_sha256: null });
    expect(v.signatures[0]).toMatchObject({ kid: ed.kid, key_name: 'alice laptop', holds: false });
    expect(v.signatures[0].reason).toMatch(new RegExp(`^the artifact has no manifest now: .*${String(lib.id)}`));
    expect((await node.request('GET', `/artifacts/apps/${root.id}/manifest`, { as: p1 })).status).toBe(409);
  });

  it('a revoked key: a signature made before the revocation holds, one made after it does not', async () => {
    const key = await developerKey('EdDSA');
    await register(node, p1, key, 'to revoke');
    const early = await app('before-revocation');
    expect((await signAndAttach(node, p1, 'apps', String(early.id), key)).status).toBe(201);
    const signedAt = (await verify(early.id)).signatures[0].signed_at;

    const revoked = await node.request('POST', `/developer-keys/${key.kid}/revoke`, { as: p1, json: { reason: 'left the company' } });
    expect(revoked.status).toBe(200);
    const held = await verify(early.id);
    expect(held.verified).toBe(true);
    expect(held.signatures[0]).toMatchObject({ holds: true, key_revocation_reason: 'left the company' });

    const late = await app('after-revocation');
    const refused = await signAndAttach(node, p1, 'apps', String(late.id), key);
    expect(refused.status).toBe(400);
    expect((await refused.json()).explanation).toMatch(new RegExp(`key ${key.kid} \\("to revoke"\\) was revoked at .* \\(left the company\\), and the signature was made at .*, after that`));
    expect(new Date(signedAt).getTime()).toBeLessThan(Date.now());
  });

  it('a key revoked from a moment before a signature was made: that signature no longer holds', async () => {
    const key2 = await developerKey('ES256');
    await register(node, p1, key2, 'compromised');
    const b = await app('compromised-before');
    expect((await signAndAttach(node, p1, 'apps', String(b.id), key2)).status).toBe(201);
    const bSignedAt = new Date((await verify(b.id)).signatures[0].signed_at);
    const since = new Date(bSignedAt.getTime() - 60_000).toISOString();
    expect((await node.request('POST', `/developer-keys/${key2.kid}/revoke`, { as: p1, json: { reason: 'stolen', revoked_at: since } })).status).toBe(200);
    const v = await verify(b.id);
    expect(v.verified).toBe(false);
    expect(v.signatures[0].reason).toBe(`key ${key2.kid} ("compromised") was revoked at ${since} (stolen), and the signature was made at ${bSignedAt.toISOString()}, after that`);
  });

  it('an unknown key, or a key another project registered: the key', async () => {
    const a = await app('unknown-key');
    const stranger = await developerKey('EdDSA');
    const unknown = await signAndAttach(node, p1, 'apps', String(a.id), stranger);
    expect(unknown.status).toBe(400);
    expect((await unknown.json()).explanation).toBe(`the signature is refused: key ${stranger.kid} is unknown: project p1, which owns the artifact, has not registered it`);
    const theirs = await developerKey('ES256');
    await register(node, p2, theirs);
    const other = await signAndAttach(node, p1, 'apps', String(a.id), theirs);
    expect(other.status).toBe(400);
    expect((await other.json()).explanation).toContain(`key ${theirs.kid} is unknown: project p1`);
  });
});

describe('blobs of an active artifact', () => {
  it('never change, mutable blob fields included, since a signature covers them', async () => {
    const a = await app('frozen');
    expect((await upload(node, p1, 'apps', String(a.id), 'notes', 'draft notes')).status).toBe(200);
    expect((await activate(node, p1, 'apps', String(a.id))).status).toBe(200);
    for (const field of ['package', 'notes']) {
      const res = await upload(node, p1, 'apps', String(a.id), field, 'new bytes');
      expect(res.status).toBe(403);
      expect((await res.json()).explanation).toBe(`blob "${field}" cannot change: the artifact is active, and blobs change only while it is a draft`);
      expect((await node.request('DELETE', `/artifacts/apps/${a.id}/${field}`, { as: p1 })).status).toBe(403);
    }
  });
});

describe('removing a signature', () => {
  it('the owner removes one from a draft; from an active artifact only an admin', async () => {
    const a = await app('remove-sig');
    const first = await (await signAndAttach(node, p1, 'apps', String(a.id), ed)).json();
    expect((await node.request('DELETE', `/artifacts/apps/${a.id}/signatures/${first.id}`, { as: p1 })).status).toBe(204);
    expect((await verify(a.id)).signatures).toEqual([]);
    expect((await node.request('DELETE', `/artifacts/apps/${a.id}/signatures/${first.id}`, { as: p1 })).status).toBe(404);
    expect((await node.request('DELETE', `/artifacts/apps/${a.id}/signatures/not-a-uuid`, { as: p1 })).status).toBe(404);
    const second = await (await signAndAttach(node, p1, 'apps', String(a.id), ec)).json();
    expect((await activate(node, p1, 'apps', String(a.id))).status).toBe(200);
    expect((await node.request('DELETE', `/artifacts/apps/${a.id}/signatures/${second.id}`, { as: p1 })).status).toBe(403);
    expect((await node.request('DELETE', `/artifacts/apps/${a.id}/signatures/${second.id}`, { as: node.admin })).status).toBe(204);
  });
});
