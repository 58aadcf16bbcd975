/**
 * Races with real concurrency against a real PostgreSQL: many requests at once through a pool
 * large enough that they run side by side, each checking the invariant the database must hold.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres } from '../../src/db/client.js';
import { createTestDatabase } from '../support/database.js';
import { createTestNode, type TestNode } from '../support/node.js';

let node: TestNode;

beforeAll(async () => {
  const created = await createTestDatabase();
  const wide = openPostgres(created.url, { poolSize: 12 });
  node = await createTestNode({}, { ...wide, drop: async () => { await wide.close(); await created.drop(); } });
});
afterAll(() => node.close());

describe('public uniqueness', () => {
  it('six projects publishing the same type, name and version at once leave exactly one public', async () => {
    const rounds = 5;
    for (let round = 0; round < rounds; round++) {
      const name = `twin-${round}`;
      const drafts = await Promise.all(
        Array.from({ length: 6 }, (_, i) => node.seed('images', { name, version: '1.0.0' }, { as: node.as({ project: `racer-${i}` }), activate: true })),
      );
      const answers = await Promise.all(
        drafts.map((a) => node.request('PATCH', `/artifacts/images/${a.id}`, { as: node.admin, patch: [{ op: 'replace', path: '/visibility', value: 'public' }] })),
      );
      const statuses = answers.map((r) => r.status).sort();
      expect(statuses).toEqual([200, 409, 409, 409, 409, 409]);
      const conflict = await answers.find((r) => r.status === 409)!.json();
      expect(conflict.explanation).toMatch(/public .*already exists/);

      const listed = await node.request('GET', `/artifacts/images?name=${name}&visibility=public`, { as: node.admin });
      expect(((await listed.json()) as { artifacts: unknown[] }).artifacts).toHaveLength(1);
    }
  });
});
