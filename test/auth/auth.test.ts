import { generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestNode, ISSUER, type TestNode } from '../support/node.js';

let node: TestNode;

beforeAll(async () => {
  node = await createTestNode();
});
afterAll(() => node.close());

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('JWT bearer tokens', () => {
  it('map sub, project_id and roles to the caller', async () => {
    const token = await node.token({ project: 'jwt-project', user: 'alice' });
    const res = await node.request('POST', '/artifacts/images', { headers: bearer(token), json: { name: 'by-token' } });
    expect(res.status).toBe(201);
    expect((await res.json()).owner).toBe('jwt-project');
  });

  it('give admin powers to the admin role', async () => {
    const owner = node.as({ project: 'p1' });
    const a = await node.seed('images', { name: 'private-one' }, { as: owner });
    expect((await node.request('GET', `/artifacts/images/${a.id}`, { headers: bearer(await node.token({ project: 'p2' })) })).status).toBe(404);
    expect((await node.request('GET', `/artifacts/images/${a.id}`, { headers: bearer(await node.token({ project: 'p2', roles: ['admin'] })) })).status).toBe(200);
  });

  const badTokens: Array<[string, () => Promise<string>, RegExp]> = [
    ['expired', () => node.token({ project: 'p' }, { exp: Math.floor(Date.now() / 1000) - 3600 }), /exp/],
    ['from another issuer', () => node.token({ project: 'p' }, { iss: 'https://evil.test' }), /iss/],
    ['for another audience', () => node.token({ project: 'p' }, { aud: 'someone-else' }), /aud/],
    ['without a project', () => node.token({ project: '' }), /project_id/],
    [
      'signed by an unknown key',
      async () => {
        const { privateKey } = await generateKeyPair('ES256');
        return new SignJWT({ project_id: 'p' }).setProtectedHeader({ alg: 'ES256' }).setSubject('u').setIssuer(ISSUER).setAudience('catalog').setExpirationTime('5m').sign(privateKey);
      },
      /signature/,
    ],
    ['malformed', async () => 'not.a.jwt', /refused/],
  ];
  it.each(badTokens)('refuses a token %s with 401', async (_label, make, message) => {
    const res = await node.request('GET', '/artifacts/images', { headers: bearer(await make()) });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    expect((await res.json()).explanation).toMatch(message);
  });

  it('refuses other Authorization schemes', async () => {
    const res = await node.request('GET', '/artifacts/images', { headers: { authorization: 'Basic dTpw' } });
    expect(res.status).toBe(401);
    expect((await res.json()).explanation).toMatch(/Bearer <token>/);
  });
});

describe('trusted headers', () => {
  it('are refused when malformed', async () => {
    const res = await node.request('GET', '/artifacts/images', { headers: { 'x-user-id': 'u', 'x-project-id': 'has spaces' } });
    expect(res.status).toBe(401);
  });

  it('are ignored unless the node enables them (the default)', async () => {
    const strict = await createTestNode({ auth: { modes: ['anonymous', 'jwt'] } });
    try {
      // The forged headers are not read: the caller is anonymous, who may not write (403).
      const res = await strict.request('POST', '/artifacts/images', { as: strict.as({ project: 'p1' }), json: { name: 'forged' } });
      expect(res.status).toBe(403);
      expect((await res.json()).explanation).toMatch(/anonymous/);
    } finally {
      await strict.close();
    }
  });

  it('a node without anonymous access asks every caller to authenticate', async () => {
    const closed = await createTestNode({ auth: { modes: ['trusted-headers'] } });
    try {
      expect((await closed.request('GET', '/artifacts/images')).status).toBe(401);
      expect((await closed.request('GET', '/artifacts/images', { as: closed.as({ project: 'p1' }) })).status).toBe(200);
      expect((await closed.request('GET', '/healthz')).status).toBe(200);
    } finally {
      await closed.close();
    }
  });
});
