/**
 * Every node-to-node request carries a node JWT bound to its issuer, audience, lifetime, method,
 * path and body, used once. Each way of getting one of these wrong is refused; and key rotation
 * publishes the new key beside the old one until the old one retires.
 */
import type { webcrypto } from 'node:crypto';
import { generateKeyPair, exportJWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyFingerprint, type NodeIdentity } from '../../src/federation/identity.js';
import { bodyDigest, signNodeJwt } from '../../src/federation/node-jwt.js';
import type { Body } from '../support/json.js';
import { enrol, serveNode, type ServedNode } from './tree.js';

let upstream: ServedNode;
let child: ServedNode;
let stranger: ServedNode;
let pullOnly: ServedNode;

const SEARCH = '/federation/v1/search?type=images';

async function identityOf(n: ServedNode): Promise<NodeIdentity> {
  n.node.deps.federation.reloadIdentity();
  return n.node.deps.federation.identity();
}

/** A node token from `from` to the upstream for `method path [body]`, with claims overridden. */
async function token(from: ServedNode, opts: { method?: string; path?: string; body?: string; aud?: string; iat?: number; exp?: number; claims?: Record<string, unknown>; key?: { kid: string; key: NodeIdentity['signing']['key'] | webcrypto.CryptoKey } } = {}) {
  const identity = await identityOf(from);
  const now = Math.floor(Date.now() / 1000);
  const key = opts.key ?? identity.signing;
  return new SignJWT({ htm: opts.method ?? 'GET', htu: opts.path ?? SEARCH, ...(opts.body ? { bdg: bodyDigest(new TextEncoder().encode(opts.body)) } : {}), ...opts.claims })
    .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: 'node+jwt' })
    .setIssuer(identity.nodeId)
    .setAudience(opts.aud ?? upstream.id)
    .setIssuedAt(opts.iat ?? now)
    .setExpirationTime(opts.exp ?? now + 60)
    .setJti(crypto.randomUUID())
    .sign(key.key);
}

async function call(t: string | undefined, init: { method?: string; path?: string; body?: string } = {}) {
  return fetch(new URL(init.path ?? SEARCH, upstream.url), {
    method: init.method ?? 'GET',
    headers: { ...(t ? { authorization: `Bearer ${t}` } : {}), ...(init.body ? { 'content-type': 'application/json' } : {}) },
    ...(init.body ? { body: init.body } : {}),
  });
}

async function refusedWith(res: Response, status: number, message: string) {
  const body: Body = await res.json();
  expect(res.status, JSON.stringify(body)).toBe(status);
  expect(body.error.message).toContain(message);
}

beforeAll(async () => {
  [upstream, child, stranger, pullOnly] = await Promise.all([
    serveNode('vendor', 'vendor'),
    serveNode('leaf', 'enterprise'),
    serveNode('stranger', 'enterprise'),
    serveNode('puller', 'enterprise'),
  ]);
  await enrol(child, upstream, { permissions: ['search'] });
  await enrol(pullOnly, upstream, { permissions: ['pull'] });
});
afterAll(async () => {
  await Promise.all([upstream?.close(), child?.close(), stranger?.close(), pullOnly?.close()]);
});

describe('node tokens', () => {
  it('accept a well-formed token once, as the peer actor of the child’s enrolment', async () => {
    const t = await token(child);
    const res = await call(t);
    expect(res.status).toBe(200);
    await refusedWith(await call(t), 401, 'used already');
  });

  it('refuse a request with no token', async () => {
    await refusedWith(await call(undefined), 401, 'node token or a user credential');
  });

  it('refuse a token for another node (audience)', async () => {
    await refusedWith(await call(await token(child, { aud: stranger.id })), 401, 'aud');
  });

  it('refuse an expired token, and one that lives longer than two minutes', async () => {
    const now = Math.floor(Date.now() / 1000);
    await refusedWith(await call(await token(child, { iat: now - 600, exp: now - 540 })), 401, 'node token refused');
    await refusedWith(await call(await token(child, { iat: now, exp: now + 600 })), 401, 'more than 120 s');
  });

  it('refuse a token signed by a key the node does not know, or by a node not enrolled', async () => {
    const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const kid = await keyFingerprint(await exportJWK(publicKey));
    await refusedWith(await call(await token(child, { key: { kid, key: privateKey } })), 401, 'unknown or revoked');
    await refusedWith(await call(await token(stranger)), 401, 'not an enrolled peer');
  });

  it('refuse a token for another method or another path', async () => {
    await refusedWith(await call(await token(child, { method: 'POST' })), 401, 'it is for POST');
    await refusedWith(await call(await token(child, { path: '/federation/v1/search?type=heat_templates' })), 401, 'another path');
  });

  it('refuse a changed body, and a body the token does not name', async () => {
    const path = '/federation/v1/search';
    await refusedWith(await call(await token(child, { method: 'POST', path, body: '{"a":1}' }), { method: 'POST', path, body: '{"a":2}' }), 401, 'not the one it was signed for');
    await refusedWith(await call(await token(child, { method: 'POST', path }), { method: 'POST', path, body: '{"a":2}' }), 401, 'not the one it was signed for');
    // The same request with the body it was signed for passes authentication (and finds no POST route).
    const res = await call(await token(child, { method: 'POST', path, body: '{"a":1}' }), { method: 'POST', path, body: '{"a":1}' });
    expect(res.status).toBe(404);
  });

  it('refuse tokens that are not EdDSA node tokens', async () => {
    const identity = await identityOf(child);
    const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'node+jwt', kid: identity.signing.kid })).toString('base64url')}.${Buffer.from(JSON.stringify({ iss: identity.nodeId, aud: upstream.id })).toString('base64url')}.`;
    await refusedWith(await call(unsigned), 401, 'alg must be EdDSA');
  });

  it('refuse a token whose claims or header were changed after signing, or that its signer could not have meant', async () => {
    const [header, claims, signature] = (await token(child)).split('.') as [string, string, string];
    const decoded = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
    const encoded = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    // Another path under the same signature.
    await refusedWith(await call(`${header}.${encoded({ ...decoded(claims), htu: '/federation/v1/search?type=other' })}.${signature}`), 401, 'signature verification failed');
    await refusedWith(await call(`${encoded({ ...decoded(header), crit: ['b64'], b64: false })}.${claims}.${signature}`), 401, 'critical header');
    await refusedWith(await call(`${header}.${claims}.${signature.slice(0, -4)}`), 401, 'signature verification failed');
    await refusedWith(await call(`${header}.${claims}`), 401, 'not a JWT');
    const now = Math.floor(Date.now() / 1000);
    await refusedWith(await call(await token(child, { iat: now + 600, exp: now + 660 })), 401, '"iat"');
    await refusedWith(await call(await token(child, { claims: { nbf: now + 600 } })), 401, '"nbf"');
  });

  it('are accepted only on the peer routes', async () => {
    const path = '/artifacts/images';
    await refusedWith(await call(await token(child, { path }), { path }), 401, 'only on the peer routes');
    const admin = '/federation/v1/admin/children';
    await refusedWith(await call(await token(child, { path: admin }), { path: admin }), 401, 'only on the peer routes');
  });

  it('give a peer only the permissions of its enrolment', async () => {
    await refusedWith(await call(await token(pullOnly)), 403, 'not enrolled for search');
  });

  it('let a peer see public artifacts only, unless its enrolment names a project', async () => {
    await upstream.node.seed('images', { name: 'private-one', version: '1.0.0' }, { as: upstream.node.as({ project: 'leaf-submissions' }), activate: true });
    await upstream.node.seed('images', { name: 'public-one', version: '1.0.0' }, { as: upstream.node.as({ project: 'someone' }), publish: true });
    const seen = async (t: string) => ((await (await call(t)).json()) as Body).results.map((r: Body) => r.name).sort();
    expect(await seen(await token(child))).toEqual(['public-one']);
    const withProject = await serveNode('projected', 'enterprise');
    try {
      await enrol(withProject, upstream, { permissions: ['search'], project: 'leaf-submissions' });
      expect(await seen(await token(withProject))).toEqual(['private-one', 'public-one']);
    } finally {
      await withProject.close();
    }
  });

  it('are refused while the peer is suspended, and after it is removed', async () => {
    const admin = upstream.node.admin;
    await upstream.node.request('POST', `/federation/v1/admin/children/${child.id}/suspend`, { as: admin });
    await refusedWith(await call(await token(child)), 403, 'suspended');
    await upstream.node.request('POST', `/federation/v1/admin/children/${child.id}/resume`, { as: admin });
    expect((await call(await token(child))).status).toBe(200);
    const removed = await upstream.node.request('DELETE', `/federation/v1/admin/children/${pullOnly.id}`, { as: admin });
    expect(removed.status).toBe(204);
    await refusedWith(await call(await token(pullOnly)), 401, 'not an enrolled peer');
  });

  it('made by the peer client pass', async () => {
    const identity = await identityOf(child);
    const t = await signNodeJwt(identity, upstream.id, { method: 'GET', path: SEARCH }, new Date(), 60);
    expect((await call(t)).status).toBe(200);
  });
});

describe('key rotation', () => {
  it('publishes the new key beside the old one, tells the upstream, and refuses the old key once it retires', async () => {
    const before = await identityOf(child);
    const oldKey = before.signing;
    const rotated = await child.node.request('POST', '/federation/v1/admin/keys/rotate', { as: child.node.admin });
    expect(rotated.status).toBe(200);
    const rotation: Body = await rotated.json();
    expect(rotation).toMatchObject({ retiring: [oldKey.kid], delivered: [{ node: upstream.id, status: 'ok' }] });
    expect(rotation.kid).not.toBe(oldKey.kid);

    const jwks: Body = await (await child.node.request('GET', '/.well-known/jwks.json')).json();
    expect(jwks.keys.map((k: Body) => k.kid)).toEqual([rotation.kid, oldKey.kid]);
    const after = await identityOf(child);
    expect(after.signing.kid).toBe(rotation.kid);
    // The upstream took the announcement: new-key tokens pass, and old-key ones still do during the overlap.
    expect((await call(await token(child))).status).toBe(200);
    expect((await call(await token(child, { key: oldKey }))).status).toBe(200);
    // And the child's searches keep working through the peer client.
    const search = await child.node.request('GET', '/federation/v1/search?type=images', { as: child.node.as({ project: 'p' }) });
    expect(((await search.json()) as Body).sources.map((s: Body) => s.status)).toEqual(['ok', 'ok']);

    const retired = await child.node.request('POST', `/federation/v1/admin/keys/${oldKey.kid}/retire`, { as: child.node.admin });
    expect(retired.status).toBe(200);
    expect(((await retired.json()) as Body).delivered).toEqual([expect.objectContaining({ status: 'ok' })]);
    const jwksAfter: Body = await (await child.node.request('GET', '/.well-known/jwks.json')).json();
    expect(jwksAfter.keys.map((k: Body) => k.kid)).toEqual([rotation.kid]);
    await refusedWith(await call(await token(child, { key: oldKey })), 401, 'unknown or revoked');
    expect((await call(await token(child))).status).toBe(200);
  });

  it('refuses to retire the signing key, and an announcement no pinned key signed or older than the last', async () => {
    const current = (await identityOf(child)).signing.kid;
    const res = await child.node.request('POST', `/federation/v1/admin/keys/${current}/retire`, { as: child.node.admin });
    expect(res.status).toBe(400);
    // The stranger's own announcement, claiming to be the child's keys, is not signed by a key pinned for the child.
    const forged: Body = await (await stranger.node.request('GET', '/federation/v1/keys')).json();
    const payload = JSON.parse(Buffer.from(forged.payload, 'base64url').toString());
    const tampered = { ...forged, payload: Buffer.from(JSON.stringify({ ...payload, iss: child.id })).toString('base64url') };
    await refusedWith(await fetch(new URL('federation/v1/keys', upstream.url), { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(tampered) }), 401, 'no key pinned');
    // The child's announcement from before the retirement cannot be replayed to bring the old key back.
    const stale: Body = await (await child.node.request('GET', '/federation/v1/keys')).json();
    await child.node.request('POST', '/federation/v1/admin/keys/rotate', { as: child.node.admin });
    const replay = await fetch(new URL('federation/v1/keys', upstream.url), { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(stale) });
    expect(replay.status).toBe(400);
  });
});
