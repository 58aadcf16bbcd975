import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../src/artifacts/actor.js';
import { opContext } from '../../src/artifacts/context.js';
import { adoptKey } from '../../src/signing/keys.js';
import { createTestNode, type TestNode } from '../support/node.js';
import { SIGNING_TYPES_DIR, developerKey, register } from './support.js';

let node: TestNode;
let p1: Record<string, string>;
let p2: Record<string, string>;

beforeAll(async () => {
  node = await createTestNode({ types_dir: SIGNING_TYPES_DIR });
  p1 = node.as({ project: 'p1', user: 'alice' });
  p2 = node.as({ project: 'p2', user: 'bob' });
});
afterAll(() => node.close());

describe('registering developer keys', () => {
  it('takes an Ed25519 and an ECDSA P-256 public JWK, named by their RFC 7638 thumbprints', async () => {
    const ed = await developerKey('EdDSA');
    const ec = await developerKey('ES256');
    const res = await node.request('POST', '/developer-keys', { as: p1, json: { jwk: ed.publicJwk, name: 'alice laptop' } });
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBe(`/developer-keys/${ed.kid}`);
    expect(await res.json()).toMatchObject({
      kid: ed.kid,
      project: 'p1',
      name: 'alice laptop',
      alg: 'EdDSA',
      jwk: { kty: 'OKP', crv: 'Ed25519', x: ed.publicJwk.x },
      created_by: 'alice',
      revoked: false,
      revoked_at: null,
    });
    expect((await register(node, p1, ec, 'ci')).alg).toBe('ES256');

    const list = await node.request('GET', '/developer-keys', { as: p1 });
    expect(list.status).toBe(200);
    const keys = (await list.json()).keys;
    expect(keys.map((k: { kid: string }) => k.kid)).toEqual([ed.kid, ec.kid]);
    expect(keys[1].jwk).toEqual({ kty: 'EC', crv: 'P-256', x: ec.publicJwk.x, y: ec.publicJwk.y });

    expect((await node.request('GET', `/developer-keys/${ec.kid}`, { as: p1 })).status).toBe(200);
    const again = await node.request('POST', '/developer-keys', { as: p1, json: { jwk: ed.publicJwk } });
    expect(again.status).toBe(409);
    expect((await again.json()).explanation).toContain(ed.kid);
  });

  it('refuses a private JWK, and keeps nothing of it', async () => {
    const key = await developerKey('EdDSA');
    const res = await node.request('POST', '/developer-keys', { as: p2, json: { jwk: key.privateJwk } });
    expect(res.status).toBe(400);
    expect((await res.json()).explanation).toMatch(/"d", a private key part/);
    const ec = await developerKey('ES256');
    expect((await node.request('POST', '/developer-keys', { as: p2, json: { jwk: ec.privateJwk } })).status).toBe(400);
    expect((await (await node.request('GET', '/developer-keys', { as: p2 })).json()).keys).toEqual([]);
  });

  it.each([
    ['not an object', 'ed25519-key', /jwk must be a JSON object/],
    ['an RSA key', { kty: 'RSA', n: 'abc', e: 'AQAB' }, /kty.*"RSA".*not supported/],
    ['a secret key', { kty: 'oct', k: 'c2VjcmV0' }, /"k", a private key part/],
    ['an X25519 key', { kty: 'OKP', crv: 'X25519', x: 'A'.repeat(43) }, /crv.*X25519.*Ed25519/],
    ['a P-384 key', { kty: 'EC', crv: 'P-384', x: 'A'.repeat(64), y: 'A'.repeat(64) }, /crv.*P-384.*P-256/],
    ['a short x', { kty: 'OKP', crv: 'Ed25519', x: 'AAAA' }, /"x" must be 32 bytes/],
    ['an EC key without y', { kty: 'EC', crv: 'P-256', x: 'A'.repeat(43) }, /"y" must be 32 bytes/],
    ['a point off the curve', { kty: 'EC', crv: 'P-256', x: 'AQ' + 'A'.repeat(41), y: 'AQ' + 'A'.repeat(41) }, /not a valid P-256 public key/],
    ['an encryption key', { kty: 'OKP', crv: 'Ed25519', x: 'A'.repeat(43), use: 'enc' }, /"use"/],
    ['a mismatched alg', { kty: 'OKP', crv: 'Ed25519', x: 'A'.repeat(43), alg: 'ES256' }, /"alg".*Ed25519/],
  ])('refuses %s with 400 naming the problem', async (_what, jwk, message) => {
    const res = await node.request('POST', '/developer-keys', { as: p2, json: { jwk } });
    expect(res.status).toBe(400);
    expect((await res.json()).explanation).toMatch(message);
  });

  it('refuses a body without a jwk, and anonymous callers', async () => {
    const missing = await node.request('POST', '/developer-keys', { as: p2, json: { name: 'x' } });
    expect(missing.status).toBe(400);
    expect((await missing.json()).explanation).toMatch(/jwk is required/);
    const key = await developerKey('EdDSA');
    expect((await node.request('POST', '/developer-keys', { json: { jwk: key.publicJwk } })).status).toBe(403);
    expect((await node.request('GET', '/developer-keys')).status).toBe(403);
  });
});

describe('keys of another project', () => {
  it('are neither seen nor revoked by other projects; an admin names the project', async () => {
    const key = await developerKey('EdDSA');
    await register(node, p1, key);
    expect((await node.request('GET', `/developer-keys/${key.kid}`, { as: p2 })).status).toBe(404);
    expect((await node.request('GET', '/developer-keys?project_id=p1', { as: p2 })).status).toBe(404);
    const revoke = await node.request('POST', `/developer-keys/${key.kid}/revoke`, { as: p2, json: { reason: 'mine now' } });
    expect(revoke.status).toBe(404);
    expect((await (await node.request('GET', `/developer-keys/${key.kid}`, { as: p1 })).json()).revoked).toBe(false);
    // The same public key is a separate registration in another project.
    expect((await register(node, p2, key)).project).toBe('p2');
    const asAdmin = await node.request('GET', '/developer-keys?project_id=p1', { as: node.admin });
    expect((await asAdmin.json()).keys.map((k: { kid: string }) => k.kid)).toContain(key.kid);
  });
});

describe('revoking a key', () => {
  it('records the reason, the time and who revoked it, once', async () => {
    const key = await developerKey('ES256');
    await register(node, p1, key);
    const noReason = await node.request('POST', `/developer-keys/${key.kid}/revoke`, { as: p1, json: {} });
    expect(noReason.status).toBe(400);
    expect((await noReason.json()).explanation).toMatch(/reason/);
    const future = new Date(Date.now() + 3_600_000).toISOString();
    const later = await node.request('POST', `/developer-keys/${key.kid}/revoke`, { as: p1, json: { reason: 'x', revoked_at: future } });
    expect(later.status).toBe(400);
    expect((await later.json()).explanation).toMatch(/in the future/);

    const since = '2026-01-02T03:04:05.000Z';
    const res = await node.request('POST', `/developer-keys/${key.kid}/revoke`, { as: p1, json: { reason: 'laptop stolen', revoked_at: since } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ kid: key.kid, revoked: true, revoked_at: since, revocation_reason: 'laptop stolen', revoked_by: 'alice' });
    const listed = (await (await node.request('GET', '/developer-keys', { as: p1 })).json()).keys.find((k: { kid: string }) => k.kid === key.kid);
    expect(listed).toMatchObject({ revoked: true, revocation_reason: 'laptop stolen' });

    const twice = await node.request('POST', `/developer-keys/${key.kid}/revoke`, { as: p1, json: { reason: 'again' } });
    expect(twice.status).toBe(409);
    expect((await twice.json()).explanation).toMatch(/already revoked.*laptop stolen/);
    expect((await node.request('POST', '/developer-keys/no-such-kid/revoke', { as: p1, json: { reason: 'x' } })).status).toBe(404);
  });
});

describe('adopting a key another node holds (an import)', () => {
  it('registers it once, and takes a revocation this node did not know of', async () => {
    const key = await developerKey('ES256');
    const ctx = opContext(node.deps, systemActor('import', 'p3'));
    const first = await adoptKey(ctx, { project: 'p3', jwk: key.publicJwk, name: 'from upstream' });
    expect(first).toMatchObject({ project: 'p3', kid: key.kid, revokedAt: null });
    expect((await adoptKey(ctx, { project: 'p3', jwk: key.publicJwk })).createdAt).toEqual(first.createdAt);
    const revokedAt = new Date('2026-02-03T04:05:06.000Z');
    const revoked = await adoptKey(ctx, { project: 'p3', jwk: key.publicJwk, revokedAt, revocationReason: 'stolen upstream' });
    expect(revoked).toMatchObject({ revokedAt, revocationReason: 'stolen upstream', revokedBy: 'system:import' });
    await expect(adoptKey(ctx, { project: 'p3', jwk: key.privateJwk })).rejects.toThrow(/private key part/);
    const listed = await node.request('GET', '/developer-keys', { as: node.as({ project: 'p3' }) });
    expect((await listed.json()).keys).toMatchObject([{ kid: key.kid, name: 'from upstream', revoked: true }]);
  });
});

describe('the OpenAPI document', () => {
  it('describes the key and signature routes', async () => {
    const doc = await (await node.request('GET', '/openapi.json')).json();
    for (const path of ['/developer-keys', '/developer-keys/{kid}', '/developer-keys/{kid}/revoke', '/artifacts/{type}/{id}/manifest', '/artifacts/{type}/{id}/signatures', '/artifacts/{type}/{id}/verify', '/artifacts/{type}/{id}/signatures/{signature_id}']) {
      expect(Object.keys(doc.paths)).toContain(path);
    }
    expect(doc.components.schemas).toHaveProperty('DeveloperKey');
    expect(doc.components.schemas).toHaveProperty('Verification');
  });
});
