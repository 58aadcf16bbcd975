/**
 * Lists filter tags, metadata values, type, visibility and status through the filter_terms
 * column PostgreSQL keeps: its encoding must match filterTerm's exactly, no key or value may make
 * two pairs look alike, and the terms follow every change to the artifact.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { filterTerm } from '../../src/db/queries/predicates.js';
import { artifacts } from '../../src/db/schema/index.js';
import { createTestNode, type TestNode } from '../support/node.js';

let node: TestNode;
let owner: Record<string, string>;

beforeAll(async () => {
  node = await createTestNode();
  owner = node.as({ project: 'p1' });
});
afterAll(() => node.close());

async function names(query: string, type = 'heat_templates'): Promise<string[]> {
  const res = await node.request('GET', `/artifacts/${type}?${query}&sort=name:asc`, { as: owner });
  expect(res.status).toBe(200);
  return ((await res.json()) as { artifacts: Array<{ name: string }> }).artifacts.map((a) => a.name);
}

it('stores exactly the terms filterTerm builds, for unusual keys, values and tags', async () => {
  const metadata = { 'a=b': 'c', a: 'b=c', 'ключ': 'значение', 'e\u0301': ':=', '😀': '=' }; // values are never empty (Glare's MinStrLen(1))
  const tags = ['tag:x', 'with space', 'ü'];
  const created = await node.seed('heat_templates', { name: 'unusual', tags, metadata }, { as: owner });
  const [row] = await node.deps.db.select({ terms: artifacts.filterTerms }).from(artifacts).where(eq(artifacts.id, created.id));
  const expected = [
    filterTerm.type('heat_templates'),
    filterTerm.visibility('private'),
    filterTerm.status('drafted'),
    ...tags.map(filterTerm.tag),
    ...Object.entries(metadata).map(([k, v]) => filterTerm.metadata(k, v)),
  ];
  expect([...(row!.terms ?? [])].sort()).toEqual(expected.sort());
});

it('never mistakes one metadata pair for another', async () => {
  await node.seed('heat_templates', { name: 'key-a-eq-b', metadata: { 'a=b': 'c' } }, { as: owner });
  await node.seed('heat_templates', { name: 'key-a', metadata: { a: 'b=c' } }, { as: owner });
  expect(await names(`${encodeURIComponent('metadata.a=b')}=c`)).toEqual(['key-a-eq-b', 'unusual']);
  expect(await names(`metadata.a=${encodeURIComponent('b=c')}`)).toEqual(['key-a', 'unusual']);
  expect(await names(`${encodeURIComponent('metadata.ключ')}=${encodeURIComponent('значение')}`)).toEqual(['unusual']);
  expect(await names('tags=tag:x')).toEqual(['unusual']);
});

it('follows changes of tags, metadata, status and visibility', async () => {
  const a = await node.seed('images', { name: 'moving', tags: ['old'], metadata: { stage: 'alpha' } }, { as: owner });
  expect(await names('tags=old', 'images')).toEqual(['moving']);
  const res = await node.request('PATCH', `/artifacts/images/${a.id}`, {
    as: owner,
    patch: [
      { op: 'replace', path: '/tags', value: ['new'] },
      { op: 'replace', path: '/metadata/stage', value: 'beta' },
    ],
  });
  expect(res.status).toBe(200);
  expect(await names('tags=old', 'images')).toEqual([]);
  expect(await names('tags=new&metadata.stage=beta', 'images')).toEqual(['moving']);
  expect(await names('metadata.stage=alpha', 'images')).toEqual([]);

  const activated = await node.request('PATCH', `/artifacts/images/${a.id}`, { as: owner, patch: [{ op: 'replace', path: '/status', value: 'active' }] });
  expect(activated.status).toBe(200);
  expect(await names('tags=new&status=active', 'images')).toEqual(['moving']);
  expect(await names('tags=new&status=drafted', 'images')).toEqual([]);
  const published = await node.request('PATCH', `/artifacts/images/${a.id}`, { as: node.admin, patch: [{ op: 'replace', path: '/visibility', value: 'public' }] });
  expect(published.status).toBe(200);
  // Anonymous callers see public artifacts through the terms too.
  const anonymous = await node.request('GET', '/artifacts/images?tags=new&metadata.stage=beta');
  expect(((await anonymous.json()) as { artifacts: Array<{ name: string }> }).artifacts.map((x) => x.name)).toEqual(['moving']);
});
