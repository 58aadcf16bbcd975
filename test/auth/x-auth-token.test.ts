import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../src/config/schema.js';
import { createTestNode, type TestNode } from '../support/node.js';

// Glare's clients (python-glareclient, `openstack artifact`) send their credential only as X-Auth-Token.
const authToken = (token: string) => ({ 'x-auth-token': token });

describe('a JWT in X-Auth-Token (jwt mode, as Glare’s Keycloak setup took it)', () => {
  let node: TestNode;
  beforeAll(async () => {
    node = await createTestNode({ auth: { modes: ['anonymous', 'jwt'] } });
  });
  afterAll(() => node.close());

  it('is verified like a bearer token and names the caller', async () => {
    const token = await node.token({ project: 'kc-project', user: 'alice' });
    const res = await node.request('POST', '/artifacts/images', { headers: authToken(token), json: { name: 'from-x-auth-token' } });
    expect(res.status).toBe(201);
    expect((await res.json()).owner).toBe('kc-project');
  });

  it('is refused with 401 when it does not verify', async () => {
    const expired = await node.token({ project: 'p' }, { exp: Math.floor(Date.now() / 1000) - 3600 });
    const res = await node.request('GET', '/artifacts/images', { headers: authToken(expired) });
    expect(res.status).toBe(401);
    expect((await res.json()).explanation).toMatch(/exp/);
  });

  it('is refused when it is not a JWT and the node reads no noauth tokens', async () => {
    const res = await node.request('GET', '/artifacts/images', { headers: authToken('alice:p1:member') });
    expect(res.status).toBe(401);
    expect((await res.json()).explanation).toMatch(/must be a JWT/);
  });

  it('may not come with an Authorization header as well', async () => {
    const token = await node.token({ project: 'p' });
    const res = await node.request('GET', '/artifacts/images', { headers: { ...authToken(token), authorization: `Bearer ${token}` } });
    expect(res.status).toBe(401);
    expect((await res.json()).explanation).toMatch(/one credential/);
  });
});

describe('roles at a nested claim (Keycloak: realm_access.roles)', () => {
  let node: TestNode;
  beforeAll(async () => {
    node = await createTestNode({ auth: { modes: ['jwt', 'trusted-headers'], jwt: { claims: { user: 'sub', project: 'project_id', roles: 'realm_access.roles' } } } });
  });
  afterAll(() => node.close());

  it('grant admin powers from the nested list', async () => {
    const owner = node.as({ project: 'p1' });
    const a = await node.seed('images', { name: 'nested-roles' }, { as: owner });
    const member = await node.token({ project: 'p2' }, { roles: undefined, realm_access: { roles: ['member'] } });
    const admin = await node.token({ project: 'p2' }, { roles: undefined, realm_access: { roles: ['admin'] } });
    expect((await node.request('GET', `/artifacts/images/${a.id}`, { headers: authToken(member) })).status).toBe(404);
    expect((await node.request('GET', `/artifacts/images/${a.id}`, { headers: authToken(admin) })).status).toBe(200);
  });
});

describe('Glare’s noauth token user:tenant:roles (noauth-token mode)', () => {
  let node: TestNode;
  beforeAll(async () => {
    node = await createTestNode({ auth: { modes: ['noauth-token'] } });
  });
  afterAll(() => node.close());

  it('names user, project and roles', async () => {
    const res = await node.request('POST', '/artifacts/images', { headers: authToken('alice:p1:member'), json: { name: 'noauth' } });
    expect(res.status).toBe(201);
    const created = await res.json();
    expect(created.owner).toBe('p1');
    expect((await node.request('GET', `/artifacts/images/${created.id}`, { headers: authToken('bob:p2:member') })).status).toBe(404);
    // Roles are comma-separated and trimmed; the admin role sees every project's artifacts.
    expect((await node.request('GET', `/artifacts/images/${created.id}`, { headers: authToken(' root:ops: member , admin ') })).status).toBe(200);
  });

  const malformed: Array<[string, RegExp]> = [
    ['alice:p1', /user:tenant:roles/],
    ['alice:p1:member:extra', /user:tenant:roles/],
    ['alice::member', /tenant is missing/],
    [':p1:member', /user id/],
    ['alice:has space:member', /project id/],
    ['alice:p/1:member', /project id/],
  ];
  it.each(malformed)('refuses %j with 401', async (token, message) => {
    const res = await node.request('GET', '/artifacts/images', { headers: authToken(token) });
    expect(res.status).toBe(401);
    expect((await res.json()).explanation).toMatch(message);
  });

  it('asks for a token when none is sent and anonymous access is off', async () => {
    expect((await node.request('GET', '/artifacts/images')).status).toBe(401);
  });

  it('refuses the tenant "none" (anonymous) when the node allows no anonymous callers', async () => {
    const res = await node.request('GET', '/artifacts/images', { headers: authToken('alice:none:') });
    expect(res.status).toBe(401);
    expect((await res.json()).explanation).toMatch(/anonymous/);
  });

  it('reads the tenant "none" as anonymous where anonymous callers are allowed', async () => {
    const open = await createTestNode({ auth: { modes: ['anonymous', 'noauth-token'] } });
    try {
      const mine = await open.request('POST', '/artifacts/images', { headers: authToken('alice:p1:member'), json: { name: 'kept-private' } });
      expect(mine.status).toBe(201);
      const list = await open.request('GET', '/artifacts/images', { headers: authToken('alice:None:') });
      expect(list.status).toBe(200);
      expect((await list.json()).artifacts).toEqual([]);
    } finally {
      await open.close();
    }
  });
});

describe('noauth tokens are off by default', () => {
  it('no default mode believes an unverified identity', () => {
    expect(ConfigSchema.parse({}).auth.modes).toEqual(['anonymous', 'jwt']);
  });

  it('a node with the default modes refuses a noauth token', async () => {
    const node = await createTestNode({ auth: { modes: ['anonymous', 'jwt'] } });
    try {
      const res = await node.request('POST', '/artifacts/images', { headers: authToken('alice:p1:admin'), json: { name: 'forged' } });
      expect(res.status).toBe(401);
    } finally {
      await node.close();
    }
  });
});

describe('one rule for a project id, whichever way it arrives', () => {
  let node: TestNode;
  beforeAll(async () => {
    node = await createTestNode({ auth: { modes: ['trusted-headers', 'jwt', 'noauth-token'] } });
  });
  afterAll(() => node.close());

  const refused = ['has space', 'a/b', 'x'.repeat(256), 'é'];
  it.each(refused)('refuses %j from a JWT claim, trusted headers and a noauth token', async (project) => {
    const viaJwt = await node.request('GET', '/artifacts/images', { headers: authToken(await node.token({ project, user: 'u' })) });
    const headerSafe = project.replace(/[^\x20-\x7e]/g, '?'); // HTTP headers carry no 'é'; '?' is refused the same way
    const viaHeaders = await node.request('GET', '/artifacts/images', { headers: { 'x-user-id': 'u', 'x-project-id': headerSafe } });
    const viaNoauth = await node.request('GET', '/artifacts/images', { headers: authToken(`u:${headerSafe}:member`) });
    for (const res of [viaJwt, viaHeaders, viaNoauth]) {
      expect(res.status).toBe(401);
      expect((await res.json()).explanation).toMatch(/a project id is 1-255 characters/);
    }
  });

  it('a project id that auth accepts is one the project routes accept', async () => {
    const project = 'team.a@example.org:eu-1_x';
    const created = await node.request('POST', '/artifacts/images', { headers: authToken(await node.token({ project })), json: { name: 'odd-project' } });
    expect(created.status).toBe(201);
    expect((await created.json()).owner).toBe(project);
    const admin = authToken('root:ops:admin');
    const set = await node.request('PUT', '/quotas', { headers: admin, json: [{ project_id: project, project_quotas: [{ quota_name: 'max_artifact_number', quota_value: 5 }] }] });
    expect(set.status).toBe(200);
    const quotas = await node.request('GET', `/project-quotas?project_id=${encodeURIComponent(project)}`, { headers: admin });
    expect(quotas.status).toBe(200);
    expect((await quotas.json()).project_quotas).toContainEqual({ quota_name: 'max_artifact_number', quota_value: 5, usage: 1 });
    expect((await node.request('DELETE', `/quotas/${encodeURIComponent(project)}`, { headers: authToken('root:ops:admin') })).status).toBe(204);
  });

  it.each([['a NUL', 'bad\u0000user'], ['a C1 control', 'bad\u0085user'], ['a lone surrogate', 'bad\ud800user']])('refuses a JWT whose user claim holds %s', async (_label, user) => {
    const res = await node.request('GET', '/artifacts/images', { headers: authToken(await node.token({ project: 'p', user })) });
    expect(res.status).toBe(401);
    expect((await res.json()).explanation).toMatch(/user id/);
  });

  it('accepts a JWT user with any printable text, astral characters included', async () => {
    const res = await node.request('GET', '/artifacts/images', { headers: authToken(await node.token({ project: 'p', user: 'auth0|42 🦊' })) });
    expect(res.status).toBe(200);
  });
});
