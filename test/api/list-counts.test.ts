/**
 * total_count over HTTP when counts are remembered: exact for writes through the node itself,
 * lagging by at most the ttl for writes made by another node on the same database, and exact
 * whenever the first page is the whole list. The second node runs without prepared statements,
 * the setting for a PostgreSQL behind PgBouncer.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openPostgres } from '../../src/db/client.js';
import { createTestDatabase } from '../support/database.js';
import { createTestNode, type TestNode } from '../support/node.js';

let here: TestNode;
let elsewhere: TestNode;

beforeAll(async () => {
  const database = await createTestDatabase();
  here = await createTestNode({ api: { list_count_ttl_seconds: 3600 } }, database);
  elsewhere = await createTestNode({ database: { prepared_statements: false } }, openPostgres(database.url, { poolSize: 2, preparedStatements: false }));
});
afterAll(async () => {
  await elsewhere.close();
  await here.close();
});

async function totalCount(node: TestNode, query: string): Promise<number> {
  const res = await node.request('GET', `/artifacts/heat_templates?${query}`, { as: node.as({ project: 'p1' }) });
  expect(res.status).toBe(200);
  return ((await res.json()) as { total_count: number }).total_count;
}

it('answers exact counts for writes through this node, and catches up with other nodes on its next write', async () => {
  const owner = here.as({ project: 'p1' });
  for (const name of ['a', 'b', 'c']) await here.seed('heat_templates', { name }, { as: owner });
  expect(await totalCount(here, 'limit=1')).toBe(3);

  // Another node adds one: the remembered count of this full page lags behind...
  await elsewhere.seed('heat_templates', { name: 'd' }, { as: owner });
  expect(await totalCount(here, 'limit=1')).toBe(3);
  expect(await totalCount(elsewhere, 'limit=1')).toBe(4);
  // ...while a first page that holds the whole list counts itself, exactly.
  expect(await totalCount(here, 'limit=10')).toBe(4);

  // Any write through this node forgets what it remembered.
  const e = await here.seed('heat_templates', { name: 'e' }, { as: owner });
  expect(await totalCount(here, 'limit=1')).toBe(5);
  const res = await here.request('DELETE', `/artifacts/heat_templates/${e.id}`, { as: owner });
  expect(res.status).toBe(204);
  expect(await totalCount(here, 'limit=1')).toBe(4);
});

it('counts per filter and per caller, and pages with a marker still answer the full count', async () => {
  const other = here.as({ project: 'p2' });
  await here.seed('heat_templates', { name: 'x', tags: ['web'] }, { as: other });
  await here.seed('heat_templates', { name: 'y', tags: ['web'] }, { as: other });
  expect(await totalCount(here, 'limit=1&tags=web')).toBe(0); // p1 sees none of p2's drafts
  const res = await here.request('GET', '/artifacts/heat_templates?limit=1&tags=web', { as: other });
  const page = (await res.json()) as { total_count: number; next: string };
  expect(page.total_count).toBe(2);
  const second = (await (await here.request('GET', page.next, { as: other })).json()) as { total_count: number; artifacts: unknown[] };
  expect(second.artifacts).toHaveLength(1);
  expect(second.total_count).toBe(2);
});
