/**
 * Publishing as Glare's policy has it (glare/common/policy.py "artifact:publish":
 * rule:context_is_admin): only admins make an artifact public, unless the operator lets owners
 * publish (policy.owners_may_publish). A refused visibility change is 403, as Glare answers it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestNode, type TestNode } from '../../support/node.js';

const publish = [{ op: 'replace', path: '/visibility', value: 'public' }];

describe('by default only admins publish', () => {
  let node: TestNode;
  beforeAll(async () => {
    node = await createTestNode();
  });
  afterAll(() => node.close());

  it('refuses the owner with 403 and lets an admin publish', async () => {
    const owner = node.as({ project: 'p1' });
    const a = await node.seed('images', { name: 'to-publish' }, { as: owner, activate: true });
    const refused = await node.request('PATCH', `/artifacts/images/${a.id}`, { as: owner, patch: publish });
    expect(refused.status).toBe(403);
    expect((await refused.json()).explanation).toMatch(/only an admin may publish/);
    expect((await node.request('GET', `/artifacts/images/${a.id}`, { as: node.as({ project: 'p2' }) })).status).toBe(404);
    const done = await node.request('PATCH', `/artifacts/images/${a.id}`, { as: node.admin, patch: publish });
    expect(done.status).toBe(200);
    expect((await done.json()).visibility).toBe('public');
    expect((await node.request('GET', `/artifacts/images/${a.id}`, { as: node.as({ project: 'p2' }) })).status).toBe(200);
  });

  it('never makes a public artifact private again (403), nor publishes a draft (403)', async () => {
    const a = await node.seed('images', { name: 'public-for-good' }, { publish: true });
    const back = await node.request('PATCH', `/artifacts/images/${a.id}`, { as: node.admin, patch: [{ op: 'replace', path: '/visibility', value: 'private' }] });
    expect(back.status).toBe(403);
    const draft = await node.seed('images', { name: 'still-draft' });
    expect((await node.request('PATCH', `/artifacts/images/${draft.id}`, { as: node.admin, patch: publish })).status).toBe(403);
  });
});

describe('a node that lets owners publish', () => {
  let node: TestNode;
  beforeAll(async () => {
    node = await createTestNode({ policy: { owners_may_publish: true } });
  });
  afterAll(() => node.close());

  it('lets the owner publish its own artifact, and nobody else’s', async () => {
    const owner = node.as({ project: 'p1' });
    const a = await node.seed('images', { name: 'self-published' }, { as: owner, activate: true });
    expect((await node.request('PATCH', `/artifacts/images/${a.id}`, { as: node.as({ project: 'p2' }), patch: publish })).status).toBe(404);
    const done = await node.request('PATCH', `/artifacts/images/${a.id}`, { as: owner, patch: publish });
    expect(done.status).toBe(200);
    expect((await done.json()).visibility).toBe('public');
  });
});
