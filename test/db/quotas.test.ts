import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestNode, type TestNode } from '../support/node.js';

let node: TestNode;

beforeAll(async () => {
  node = await createTestNode();
});
afterAll(() => node.close());

describe('PUT /quotas at scale', () => {
  it('sets more rows than one statement may bind (6 parameters a row, 65535 at most), atomically', async () => {
    const types = node.deps.types.list().map((t) => t.name);
    const names = ['max_artifact_number', 'max_uploaded_data', ...types.flatMap((t) => [`max_artifact_number:${t}`, `max_uploaded_data:${t}`])].slice(0, 12);
    const body = Array.from({ length: 1000 }, (_, p) => ({
      project_id: `bulk-${p}`,
      project_quotas: names.map((quota_name, i) => ({ quota_name, quota_value: p + i })),
    }));
    const res = await node.request('PUT', '/quotas', { as: node.admin, json: body });
    expect(res.status).toBe(200);
    const all = (await (await node.request('GET', '/quotas', { as: node.admin })).json()) as { quotas: Array<{ project_id: string; project_quotas: unknown[] }> };
    expect(all.quotas.filter((q) => q.project_id.startsWith('bulk-')).reduce((n, q) => n + q.project_quotas.length, 0)).toBe(12_000);
    const last = all.quotas.find((q) => q.project_id === 'bulk-999')!;
    expect(last.project_quotas).toContainEqual({ quota_name: 'max_artifact_number', quota_value: 999 });
  });
});
