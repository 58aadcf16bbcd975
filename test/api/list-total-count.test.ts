/**
 * What total_count says with `api.list_count_exact_up_to` at 3 and counts never remembered: exact
 * up to the threshold; past it, not exact and above the threshold (threshold + 1 when counting
 * stopped there, PostgreSQL's estimate once statistics say the list is large); exact whenever the
 * first page holds the whole list; paging by marker reaches every row once whatever the count
 * says, also while artifacts are added between pages.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestNode, type TestNode } from '../support/node.js';

let node: TestNode;
const owner = () => node.as({ project: 'p1' });

interface ListBody {
  artifacts: Array<{ name: string }>;
  total_count: number;
  total_count_exact: boolean;
  next?: string;
}

beforeAll(async () => {
  node = await createTestNode({ api: { list_count_ttl_seconds: 0, list_count_exact_up_to: 3 } });
  const groups = { two: 2, three: 3, four: 4, eight: 8 };
  for (const [tag, n] of Object.entries(groups)) {
    for (let i = 0; i < n; i++) await node.seed('heat_templates', { name: `${tag}-${i}`, tags: [tag] }, { as: owner() });
  }
});
afterAll(async () => {
  await node.close();
});

async function list(path: string): Promise<ListBody> {
  const res = await node.request('GET', path, { as: owner() });
  expect(res.status).toBe(200);
  return (await res.json()) as ListBody;
}

const counted = async (query: string) => {
  const body = await list(`/artifacts/heat_templates?${query}`);
  return { total: body.total_count, exact: body.total_count_exact };
};

it('counts exactly up to the threshold, and past it answers threshold + 1 as not exact', async () => {
  // A fresh table has no statistics: PostgreSQL estimates few rows, so every list is counted.
  expect(await counted('tags=two&limit=1')).toEqual({ total: 2, exact: true });
  expect(await counted('tags=three&limit=1')).toEqual({ total: 3, exact: true });
  expect(await counted('tags=four&limit=1')).toEqual({ total: 4, exact: false });
  expect(await counted('tags=eight&limit=1')).toEqual({ total: 4, exact: false });
  expect(await counted('tags=none&limit=1')).toEqual({ total: 0, exact: true });
  // limit=0 asks for the count alone.
  expect(await counted('tags=four&limit=0')).toEqual({ total: 4, exact: false });
});

it('answers PostgreSQL\'s estimate, not exact, for a list its statistics say is past the threshold', async () => {
  await node.deps.db.execute(sql`analyze artifacts`);
  const all = await counted('limit=1');
  expect(all.exact).toBe(false);
  // Not the threshold + 1 a count stopping at it gives: the estimate of all 19 (~19).
  expect(all.total).toBeGreaterThan(4);
  expect(await counted('tags=two&limit=1')).toEqual({ total: 2, exact: true });
  // A name equality keeps one name's versions: always counted, never estimated.
  expect(await counted('name=two-0&limit=1')).toEqual({ total: 1, exact: true });
});

it('is exact whatever the threshold when the first page holds the whole list', async () => {
  expect(await counted('tags=eight&limit=25')).toEqual({ total: 8, exact: true });
  expect(await counted('tags=four&limit=5')).toEqual({ total: 4, exact: true });
});

it('pages by marker through every row exactly once, also while rows are added between pages', async () => {
  const first = await list('/artifacts/heat_templates?tags=eight&sort=name:asc&limit=3');
  expect(first.artifacts.map((a) => a.name)).toEqual(['eight-0', 'eight-1', 'eight-2']);
  expect(first.total_count_exact).toBe(false);
  // One lands before the marker (not shown: its page is past), one after it (shown in its place).
  await node.seed('heat_templates', { name: 'eight-00', tags: ['eight'] }, { as: owner() });
  await node.seed('heat_templates', { name: 'eight-99', tags: ['eight'] }, { as: owner() });
  const names = first.artifacts.map((a) => a.name);
  let next = first.next;
  while (next) {
    const page = await list(next);
    expect(page.total_count_exact).toBe(false);
    expect(page.total_count).toBeGreaterThan(3);
    names.push(...page.artifacts.map((a) => a.name));
    next = page.next;
  }
  expect(names).toEqual(['eight-0', 'eight-1', 'eight-2', 'eight-3', 'eight-4', 'eight-5', 'eight-6', 'eight-7', 'eight-99']);
});
