/** Enrolment between two real nodes: tokens, pinning, and the admin API over peers. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyFingerprint } from '../../src/federation/identity.js';
import type { Body } from '../support/json.js';
import { enrol, issueToken, serveNode, type ServedNode } from './tree.js';

let upstream: ServedNode;
let child: ServedNode;
let other: ServedNode;

beforeAll(async () => {
  [upstream, child, other] = await Promise.all([serveNode('vendor', 'vendor'), serveNode('leaf', 'enterprise'), serveNode('other', 'enterprise')]);
});
afterAll(async () => {
  await Promise.all([upstream?.close(), child?.close(), other?.close()]);
});

describe('node identity', () => {
  it('publishes its node description and its keys, and keeps them across a restart of the process', async () => {
    const node: Body = await (await fetch(new URL('federation/v1/node', upstream.url))).json();
    expect(node).toEqual({ id: upstream.id, name: 'vendor', role: 'vendor', api_version: '1' });
    const jwks: Body = await (await fetch(new URL('.well-known/jwks.json', upstream.url))).json();
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', kid: await keyFingerprint(jwks.keys[0]) });
    expect(jwks.keys[0].d).toBeUndefined();
    // A fresh process over the same database is the same node with the same key.
    upstream.node.deps.federation.reloadIdentity();
    const again = await upstream.node.deps.federation.identity();
    expect(again.nodeId).toBe(upstream.id);
    expect(again.published.map((k) => k.kid)).toEqual([jwks.keys[0].kid]);
  });
});

describe('enrolment', () => {
  it('records the child upstream and the upstream child, each pinning the other’s keys', async () => {
    const upstreamKid = (await upstream.node.deps.federation.identity()).signing.kid;
    const view = await enrol(child, upstream, { permissions: ['search', 'submit'], project: 'leaf-submissions' }, { fingerprint: upstreamKid });
    expect(view).toMatchObject({ node_id: upstream.id, relation: 'upstream', name: 'vendor', permissions: ['search', 'submit'], project: 'leaf-submissions', status: 'active', key_fingerprints: [upstreamKid] });

    const children = await upstream.node.request('GET', '/federation/v1/admin/children', { as: upstream.node.admin });
    expect(children.status).toBe(200);
    const childKid = (await child.node.deps.federation.identity()).signing.kid;
    expect((await children.json()).nodes).toEqual([
      expect.objectContaining({ node_id: child.id, relation: 'child', name: 'leaf', role: 'enterprise', permissions: ['search', 'submit'], project: 'leaf-submissions', key_fingerprints: [childKid] }),
    ]);
    const upstreams = await child.node.request('GET', '/federation/v1/admin/upstreams', { as: child.node.admin });
    expect((await upstreams.json()).nodes.map((n: { node_id: string }) => n.node_id)).toEqual([upstream.id]);
  });

  it('refuses a token used already, and records nothing', async () => {
    const token = await issueToken(upstream);
    const first = await other.node.request('POST', '/federation/v1/admin/upstreams', { as: other.node.admin, json: { url: upstream.url, token } });
    expect(first.status).toBe(201);
    await other.node.request('DELETE', `/federation/v1/admin/upstreams/${upstream.id}`, { as: other.node.admin });
    await upstream.node.request('DELETE', `/federation/v1/admin/children/${other.id}`, { as: upstream.node.admin });

    const again = await other.node.request('POST', '/federation/v1/admin/upstreams', { as: other.node.admin, json: { url: upstream.url, token } });
    expect(again.status).toBe(403);
    expect((await again.json()).error.message).toContain('was used already');
    const upstreams = await other.node.request('GET', '/federation/v1/admin/upstreams', { as: other.node.admin });
    expect((await upstreams.json()).nodes).toEqual([]);
  });

  it('refuses an expired token and an unknown one', async () => {
    const token = await issueToken(upstream, { expires_in_seconds: 60 });
    const later = new Date(Date.now() + 61_000);
    const clock = upstream.node.deps.clock;
    // The upstream's clock moves past the expiry; the child's stays (its node token is fresh).
    (upstream.node.deps as { clock: () => Date }).clock = () => later;
    try {
      const res = await other.node.request('POST', '/federation/v1/admin/upstreams', { as: other.node.admin, json: { url: upstream.url, token } });
      expect(res.status).toBe(403);
      expect((await res.json()).error.message).toContain('has expired');
    } finally {
      (upstream.node.deps as { clock: () => Date }).clock = clock;
    }
    const unknown = await other.node.request('POST', '/federation/v1/admin/upstreams', { as: other.node.admin, json: { url: upstream.url, token: 'cet_not-a-token' } });
    expect(unknown.status).toBe(403);
    expect((await unknown.json()).error.message).toContain('is not one this node issued');
  });

  it('refuses an upstream whose key is not the fingerprint pinned in advance, before presenting the token', async () => {
    const token = await issueToken(upstream);
    const res = await other.node.request('POST', '/federation/v1/admin/upstreams', {
      as: other.node.admin,
      json: { url: upstream.url, token, fingerprint: 'A'.repeat(43) },
    });
    expect(res.status).toBe(403);
    expect((await res.json()).error.message).toContain('pinned fingerprint');
    // The token was not spent: it still enrols.
    const ok = await other.node.request('POST', '/federation/v1/admin/upstreams', { as: other.node.admin, json: { url: upstream.url, token } });
    expect(ok.status).toBe(201);
  });

  it('refuses an enrolment request not signed by the key it presents', async () => {
    const token = await issueToken(upstream);
    const keys = [...(await other.node.deps.federation.identity()).published];
    const res = await fetch(new URL('federation/v1/enrol', upstream.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token, node: { id: 'impostor', name: 'x', role: 'enterprise' }, keys }),
    });
    expect(res.status).toBe(401);
    const tokens = await upstream.node.request('GET', '/federation/v1/admin/enrolment-tokens', { as: upstream.node.admin });
    expect((await tokens.json()).tokens.find((t: { used_by: string | null }) => t.used_by === 'impostor')).toBeUndefined();
  });

  it('lets only admins manage federation', async () => {
    const user = upstream.node.as({ project: 'p1' });
    for (const [method, path] of [
      ['POST', '/federation/v1/admin/enrolment-tokens'],
      ['GET', '/federation/v1/admin/children'],
      ['POST', '/federation/v1/admin/keys/rotate'],
      ['DELETE', `/federation/v1/admin/children/${child.id}`],
    ] as const) {
      const res = await upstream.node.request(method, path, { as: user, ...(method === 'POST' && path.endsWith('tokens') ? { json: { permissions: ['search'] } } : {}) });
      expect(res.status, `${method} ${path}`).toBe(403);
    }
  });

  it('suspends, resumes and removes peers; a token granting submit must name its project', async () => {
    const suspend = await upstream.node.request('POST', `/federation/v1/admin/children/${child.id}/suspend`, { as: upstream.node.admin });
    expect(suspend.status).toBe(200);
    expect((await suspend.json()).status).toBe('suspended');
    const resume = await upstream.node.request('POST', `/federation/v1/admin/children/${child.id}/resume`, { as: upstream.node.admin });
    expect((await resume.json()).status).toBe('active');
    const missing = await upstream.node.request('DELETE', '/federation/v1/admin/children/nobody', { as: upstream.node.admin });
    expect(missing.status).toBe(404);
    const bad = await upstream.node.request('POST', '/federation/v1/admin/enrolment-tokens', { as: upstream.node.admin, json: { permissions: ['submit'] } });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.message).toContain('project');
    const badPermission = await upstream.node.request('POST', '/federation/v1/admin/enrolment-tokens', { as: upstream.node.admin, json: { permissions: ['delete'] } });
    expect(badPermission.status).toBe(400);
  });
});
