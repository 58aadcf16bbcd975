/**
 * What total_count says when counting stops at `api.list_count_exact_up_to` (3 here), with counts
 * never remembered: exact up to the threshold, the threshold with total_count_exact false past it,
 * exact again whenever the first page holds the whole list; paging by marker reaches every row
 * once whatever the count says, also while artifacts are added between pages.
 */
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

it('counts exactly up to the threshold, and past it answers the threshold as not exact', async () => {
  expect(await counted('tags=two&limit=1')).toEqual({ total: 2, exact: true });
  expect(await counted('tags=three&limit=1')).toEqual({ total: 3, exact: true });
  expect(await counted('tags=four&limit=1')).toEqual({ total: 3, exact: false });
  expect(await counted('tags=eight&limit=1')).toEqual({ total: 3, exact: false });
  expect(await counted('limit=1')).toEqual({ total: 3, exact: false });
  expect(await counted('tags=none&limit=1')).toEqual({ total: 0, exact: true });
  // limit=0 asks for the count alone.
  expect(await counted('tags=four&limit=0')).toEqual({ total: 3, exact: false });
});

it('is exact whatever the threshold when the first page holds the whole list', async () => {
  expect(await counted('tags=eight&limit=25')).toEqual({ total: 8, exact: true });
  expect(await counted('tags=four&limit=5')).toEqual({ total: 4, exact: true });
});

it('pages by marker through every row exactly once, also while rows are added between pages', async () => {
  const first = await list('/artifacts/heat_templates?tags=eight&sort=name:asc&limit=3');
  expect(first.artifacts.map((a) => a.name)).toEqual(['eight-0', 'eight-1', 'eight-2']);
  expect(first).toMatchObject({ total_count: 3, total_count_exact: false });
  // One lands before the marker (not shown: its page is past), one after it (shown in its place).
  await node.seed('heat_templates', { name: 'eight-00', tags: ['eight'] }, { as: owner() });
  await node.seed('heat_templates', { name: 'eight-99', tags: ['eight'] }, { as: owner() });
  const names = first.artifacts.map((a) => a.name);
  let next = first.next;
  while (next) {
    const page = await list(next);
    expect(page).toMatchObject({ total_count: 3, total_count_exact: false });
    names.push(...page.artifacts.map((a) => a.name));
    next = page.next;
  }
  expect(names).toEqual(['eight-0', 'eight-1', 'eight-2', 'eight-3', 'eight-4', 'eight-5', 'eight-6', 'eight-7', 'eight-99']);
});
