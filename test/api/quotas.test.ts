import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestNode, type TestNode } from '../support/node.js';

let node: TestNode;

beforeAll(async () => {
  node = await createTestNode({ quotas: { max_artifact_number: 5, max_uploaded_data: -1 } });
});
afterAll(() => node.close());

const setQuotas = (body: unknown, as = node.admin) => node.request('PUT', '/quotas', { as, json: body });

describe('quota API', () => {
  it('lets an admin set, list and remove project quotas', async () => {
    const res = await setQuotas([
      { project_id: 'qa', project_quotas: [{ quota_name: 'max_artifact_number', quota_value: 3 }, { quota_name: 'max_artifact_number:images', quota_value: 1 }] },
    ]);
    expect(res.status).toBe(200);
    const all = await (await node.request('GET', '/quotas', { as: node.admin })).json();
    expect(all.quotas).toContainEqual({
      project_id: 'qa',
      project_quotas: [
        { quota_name: 'max_artifact_number', quota_value: 3 },
        { quota_name: 'max_artifact_number:images', quota_value: 1 },
      ],
    });
    const own = await (await node.request('GET', '/project-quotas', { as: node.as({ project: 'qa' }) })).json();
    expect(own.project_quotas).toContainEqual({ quota_name: 'max_artifact_number', quota_value: 3, usage: 0 });
    expect(own.project_quotas).toContainEqual({ quota_name: 'max_uploaded_data', quota_value: -1, usage: 0 });
    expect((await node.request('GET', '/project-quotas?project_id=qa', { as: node.admin })).status).toBe(200);
    expect((await node.request('GET', '/project-quotas?project_id=qa', { as: node.as({ project: 'other' }) })).status).toBe(404);
  });

  it('enforces a per-type limit on that type only, and the overall limit on all', async () => {
    await setQuotas([{ project_id: 'qb', project_quotas: [{ quota_name: 'max_artifact_number', quota_value: 3 }, { quota_name: 'max_artifact_number:images', quota_value: 1 }] }]);
    const qb = node.as({ project: 'qb' });
    expect((await node.request('POST', '/artifacts/images', { as: qb, json: { name: 'i1' } })).status).toBe(201);
    const second = await node.request('POST', '/artifacts/images', { as: qb, json: { name: 'i2' } });
    expect(second.status).toBe(403); // Glare: too many artifacts is Forbidden (quota.py verify_artifact_count)
    expect((await second.json()).explanation).toMatch(/max_artifact_number:images/);
    expect((await node.request('POST', '/artifacts/heat_templates', { as: qb, json: { name: 't1' } })).status).toBe(201);
    expect((await node.request('POST', '/artifacts/heat_templates', { as: qb, json: { name: 't2' } })).status).toBe(201);
    const over = await node.request('POST', '/artifacts/heat_templates', { as: qb, json: { name: 't3' } });
    expect(over.status).toBe(403);
    expect((await over.json()).explanation).toMatch(/at most 3 artifacts/);
    expect((await node.request('DELETE', '/quotas/qb', { as: node.admin })).status).toBe(204);
    expect((await node.request('POST', '/artifacts/heat_templates', { as: qb, json: { name: 't3' } })).status).toBe(201);
  });

  it('applies the node default, and -1 means unlimited', async () => {
    const qc = node.as({ project: 'qc' });
    for (let i = 0; i < 5; i++) expect((await node.request('POST', '/artifacts/images', { as: qc, json: { name: `d${i}` } })).status).toBe(201);
    expect((await node.request('POST', '/artifacts/images', { as: qc, json: { name: 'd5' } })).status).toBe(403);
    await setQuotas([{ project_id: 'qc', project_quotas: [{ quota_name: 'max_artifact_number', quota_value: -1 }] }]);
    expect((await node.request('POST', '/artifacts/images', { as: qc, json: { name: 'd5' } })).status).toBe(201);
  });

  it('never lets concurrent creates pass the limit', async () => {
    await setQuotas([{ project_id: 'qd', project_quotas: [{ quota_name: 'max_artifact_number', quota_value: 3 }] }]);
    const qd = node.as({ project: 'qd' });
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => node.request('POST', '/artifacts/images', { as: qd, json: { name: `c${i}` } })));
    expect(results.filter((r) => r.status === 201)).toHaveLength(3);
    expect(results.filter((r) => r.status === 403)).toHaveLength(7);
  });

  it.each([
    [{ project_id: 'x' }, /expected array/],
    [[{ project_id: 'x', project_quotas: [{ quota_name: 'max_cats', quota_value: 1 }] }], /unknown quota "max_cats"/],
    [[{ project_id: 'x', project_quotas: [{ quota_name: 'max_artifact_number:nope', quota_value: 1 }] }], /unknown artifact type "nope"/],
    [[{ project_id: 'x', project_quotas: [{ quota_name: 'max_artifact_number', quota_value: -2 }] }], /quota_value/],
    [[{ project_id: 'x', project_quotas: [{ quota_name: 'a:b:c', quota_value: 1 }] }], /at most one ":"/],
    [
      [{ project_id: 'x', project_quotas: [{ quota_name: 'max_artifact_number', quota_value: 1 }, { quota_name: 'max_artifact_number', quota_value: 2 }] }],
      /appears twice/,
    ],
  ])('refuses the body %j with 400', async (body, message) => {
    const res = await setQuotas(body);
    expect(res.status).toBe(400);
    expect((await res.json()).explanation).toMatch(message);
  });

  it('keeps quotas for admins: members and anonymous callers get 403', async () => {
    const body = [{ project_id: 'x', project_quotas: [] }];
    expect((await setQuotas(body, node.as({ project: 'x' }))).status).toBe(403);
    expect((await setQuotas(body, {})).status).toBe(403);
    expect((await node.request('GET', '/quotas', { as: node.as({ project: 'x' }) })).status).toBe(403);
    expect((await node.request('DELETE', '/quotas/x', { as: node.as({ project: 'x' }) })).status).toBe(403);
    expect((await node.request('DELETE', '/quotas/never-set', { as: node.admin })).status).toBe(404);
  });
});
