/**
 * A list's statements are compiled once per shape and take each request's values as parameters
 * (src/db/queries/list-statements.ts). Requests of one shape asked in turn must each get what
 * their own values select: no value of an earlier request may stay in the statement, and what
 * changes the text (a NULL in a marker's sort values, a range's number of sets) must not be
 * served by another shape's statement.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestNode, type TestNode } from '../support/node.js';
import type { Body } from '../support/json.js';

let node: TestNode;
let p1: Record<string, string>;
let p2: Record<string, string>;

interface Page {
  names: string[];
  total: number;
  exact: boolean;
  next?: string;
}

async function list(path: string, as: Record<string, string>): Promise<Page> {
  const res = await node.request('GET', path, { as });
  expect(res.status).toBe(200);
  const body: Body = await res.json();
  return {
    names: body.artifacts.map((a: Body) => `${a.name}@${a.version}`),
    total: body.total_count,
    exact: body.total_count_exact,
    ...(body.next ? { next: body.next } : {}),
  };
}

beforeAll(async () => {
  node = await createTestNode({ api: { list_count_ttl_seconds: 0 } });
  p1 = node.as({ project: 'p1' });
  p2 = node.as({ project: 'p2' });
  for (const v of ['1.0.0', '2.0.0', '2.5.0', '3.0.0']) {
    // 2.0.0 stays a draft: its activated_at is NULL.
    await node.seed('images', { name: 'alpha', version: v, tags: ['red'], metadata: { os: 'linux' } }, { as: p1, activate: v !== '2.0.0' });
  }
  for (const v of ['1.0.0', '2.0.0']) {
    await node.seed('images', { name: 'beta', version: v, tags: ['blue'], metadata: { os: 'bsd' } }, { as: p2, activate: true, publish: v === '2.0.0' });
  }
  await node.seed('heat_templates', { name: 'gamma', version: '1.0.0', tags: ['red'] }, { as: p1 });
});
afterAll(() => node.close());

it('serves each request of a shape its own filter values, type and caller', async () => {
  expect((await list('/artifacts/images?tags=red&sort=version:asc', p1)).names).toEqual(['alpha@1.0.0', 'alpha@2.0.0', 'alpha@2.5.0', 'alpha@3.0.0']);
  expect((await list('/artifacts/images?tags=blue&sort=version:asc', p2)).names).toEqual(['beta@1.0.0', 'beta@2.0.0']);
  // Same shape, another type: gamma is a heat template.
  expect((await list('/artifacts/heat_templates?tags=red&sort=version:asc', p1)).names).toEqual(['gamma@1.0.0']);
  // Same shape, another project: p2 sees none of p1's private artifacts, p1 only beta's public version.
  expect((await list('/artifacts/images?tags=red&sort=version:asc', p2)).names).toEqual([]);
  expect((await list('/artifacts/images?tags=blue&sort=version:asc', p1)).names).toEqual(['beta@2.0.0']);
  expect((await list('/artifacts/images?metadata.os=linux&name=alpha&version=latest', p1)).names).toEqual(['alpha@3.0.0']);
  expect((await list('/artifacts/images?metadata.os=bsd&name=beta&version=latest', p2)).names).toEqual(['beta@2.0.0']);
});

it('binds version ranges per request, and tells ranges of different sizes apart', async () => {
  const range = (expr: string) => list(`/artifacts/images?name=alpha&version=${encodeURIComponent(expr)}`, p1);
  expect((await range('>1.0.0 <3.0.0')).names).toEqual(['alpha@2.5.0', 'alpha@2.0.0']);
  expect((await range('>2.0.0 <=3.0.0')).names).toEqual(['alpha@3.0.0', 'alpha@2.5.0']);
  expect((await range('<2.0.0 || >2.5.0')).names).toEqual(['alpha@3.0.0', 'alpha@1.0.0']);
  expect((await range('1.0.0 || 2.5.0 || 3.0.0')).names).toEqual(['alpha@3.0.0', 'alpha@2.5.0', 'alpha@1.0.0']);
});

it('pages by markers whose sort values are NULL or not, each page after its own marker', async () => {
  // Ascending, NULL sorts last: alpha 1.0.0, 2.5.0, 3.0.0 as activated, then the draft 2.0.0.
  const seen: string[] = [];
  let page = await list('/artifacts/images?name=alpha&sort=activated_at:asc&limit=1', p1);
  seen.push(...page.names);
  while (page.next) {
    page = await list(page.next, p1);
    seen.push(...page.names);
  }
  expect(seen).toEqual(['alpha@1.0.0', 'alpha@2.5.0', 'alpha@3.0.0', 'alpha@2.0.0']);
  // Descending, NULL first: the marker after the first page holds a NULL.
  const first = await list('/artifacts/images?name=alpha&sort=activated_at:desc&limit=2', p1);
  expect(first.names).toEqual(['alpha@2.0.0', 'alpha@3.0.0']);
  const second = await list(first.next!, p1);
  expect(second.names).toEqual(['alpha@2.5.0', 'alpha@1.0.0']);
});

it('counts a latest list bounded by its names from its page: exact, also when the page is full', async () => {
  expect(await list('/artifacts/images?name=alpha&version=latest&limit=1', p1)).toMatchObject({ names: ['alpha@3.0.0'], total: 1, exact: true });
  // Two names (beta's newest is public), one row shown: the page cannot say, so the list is counted.
  expect(await list('/artifacts/images?name=in:alpha,beta&version=latest&limit=1&sort=name:asc', p1)).toMatchObject({ names: ['alpha@3.0.0'], total: 2, exact: true });
  expect(await list('/artifacts/images?name=in:alpha,beta&version=latest&limit=2&sort=name:asc', p1)).toMatchObject({ names: ['alpha@3.0.0', 'beta@2.0.0'], total: 2, exact: true });
});
