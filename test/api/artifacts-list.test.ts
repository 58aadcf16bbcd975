import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestNode, type TestNode } from '../support/node.js';
import { type Body } from '../support/json.js';

let node: TestNode;
let p1: Record<string, string>;

const VERSIONS = ['1.0.0', '2.1.0', '2.1.5', '3.0.0-rc.1', '3.0.0', '3.5.6', '3.5.7-rc.1', '3.5.7', '3.10.0', '4.0.0'];

async function list(query: string, as = p1) {
  const res = await node.request('GET', `/artifacts/images${query}`, { as });
  const body = await res.json();
  return { status: res.status, body, names: (body.artifacts ?? []).map((a: Body) => `${a.name}@${a.version}`) as string[] };
}

beforeAll(async () => {
  node = await createTestNode();
  p1 = node.as({ project: 'p1' });
  for (const v of VERSIONS) {
    await node.seed('images', { name: 'foo', version: v, tags: ['web', `v${v[0]}`], metadata: { tier: v.startsWith('3') ? 'gold' : 'bronze' } }, { as: p1, activate: true });
  }
  await node.seed('images', { name: 'bar', version: '1.0.0', tags: ['db'], metadata: { tier: 'gold', os: 'ubuntu' }, description: 'database' }, { as: p1 });
  await node.seed('images', { name: 'bar', version: '2.0.0', tags: ['db', 'web'], metadata: { os: 'fedora' } }, { as: p1, activate: true });
  await node.seed('images', { name: 'baz', version: '0.1.0', provided_by: { region: 'eu' } }, { as: p1 });
  await node.seed('heat_environments', { name: 'env', version: '1.0.0' }, { as: p1 });
  await node.seed('vnf_packages', { name: 'vnf', version: '1.0.0', vcpus: 8 }, { as: p1 });
  await node.seed('vnf_packages', { name: 'vnf', version: '2.0.0', vcpus: 16 }, { as: p1 });
});
afterAll(() => node.close());

describe('version filters', () => {
  it('compares versions as semver, coercing partial versions (gt:2.1 is gt:2.1.0)', async () => {
    const { names } = await list('?name=foo&version=gt:2.1&version=lt:3.5.7&sort=version:asc');
    expect(names).toEqual(['foo@2.1.5', 'foo@3.0.0-rc.1', 'foo@3.0.0', 'foo@3.5.6', 'foo@3.5.7-rc.1']);
  });

  it('version=latest combined with a range gives the newest in range: "latest foo with 2.1 < version < 3.5.7"', async () => {
    const { names, body } = await list('?name=foo&version=gt:2.1&version=lt:3.5.7&version=latest');
    expect(names).toEqual(['foo@3.5.7-rc.1']);
    expect(body.total_count).toBe(1);
  });

  it('version=latest keeps the newest version of each name among the filtered rows', async () => {
    const { names } = await list('?version=latest&sort=name:asc');
    expect(names).toEqual(['bar@2.0.0', 'baz@0.1.0', 'foo@4.0.0']);
    const active = await list('?version=latest&status=active&sort=name:asc');
    expect(active.names).toEqual(['bar@2.0.0', 'foo@4.0.0']);
  });

  it('accepts a semver range expression, newest first, leaving out prereleases as node-semver does', async () => {
    const { names } = await list(`?name=foo&version=${encodeURIComponent('>2.1.0 <3.5.7')}`);
    expect(names).toEqual(['foo@3.5.6', 'foo@3.0.0', 'foo@2.1.5']);
    const caret = await list(`?name=foo&version=${encodeURIComponent('^3.0.0-rc.1')}`);
    expect(caret.names).toEqual(['foo@3.10.0', 'foo@3.5.7', 'foo@3.5.6', 'foo@3.0.0', 'foo@3.0.0-rc.1']);
    const tilde = await list(`?name=foo&version=${encodeURIComponent('~3.5')}&version=latest`);
    expect(tilde.names).toEqual(['foo@3.5.7']);
    const partial = await list(`?name=foo&version=${encodeURIComponent('>2.1')}&sort=version:asc&limit=1`);
    expect(partial.names).toEqual(['foo@3.0.0']);
  });

  it('eq, neq and in compare semver too', async () => {
    expect((await list('?name=foo&version=3.5')).names).toEqual([]);
    expect((await list('?name=foo&version=3.5.7')).names).toEqual(['foo@3.5.7']);
    expect((await list('?name=foo&version=in:1.0,4&sort=version:asc')).names).toEqual(['foo@1.0.0', 'foo@4.0.0']);
    expect((await list('?name=foo&version=neq:1.0.0')).body.total_count).toBe(VERSIONS.length - 1);
  });

  it('sorts by version numerically, not as text', async () => {
    const { names } = await list('?name=foo&sort=version:desc&limit=3');
    expect(names).toEqual(['foo@4.0.0', 'foo@3.10.0', 'foo@3.5.7']);
  });

  it.each(['gt:abc', 'lt:1.2.3.4', '>>>1', 'gt:', 'in:1.0,x'])('refuses version=%s with 400', async (v) => {
    const { status, body } = await list(`?version=${encodeURIComponent(v)}`);
    expect(status).toBe(400);
    expect(body.explanation).toMatch(/version|range/);
  });
});

describe('field, tag and metadata filters', () => {
  it('filters by name with eq, neq and in', async () => {
    expect((await list('?name=bar')).body.total_count).toBe(2);
    expect((await list('?name=in:bar,baz')).body.total_count).toBe(3);
    expect((await list('?name=neq:foo')).body.total_count).toBe(3);
  });

  it('tags: all of a list, or any', async () => {
    expect((await list('?tags=web,db')).names).toEqual(['bar@2.0.0']);
    expect((await list('?tags-any=db,v4&sort=name:asc,version:desc')).names).toEqual(['bar@2.0.0', 'bar@1.0.0', 'foo@4.0.0']);
  });

  it('metadata: a value by key, with ops, or the presence of a key', async () => {
    expect((await list('?metadata.tier=gold&name=bar')).names).toEqual(['bar@1.0.0']);
    expect((await list('?metadata.tier=gold')).body.total_count).toBe(7);
    expect((await list('?metadata=os&sort=version:asc')).names).toEqual(['bar@1.0.0', 'bar@2.0.0']);
    expect((await list('?metadata.os=neq:ubuntu')).names).toEqual(['bar@2.0.0']);
    expect((await list('?metadata.os=in:ubuntu,fedora')).body.total_count).toBe(2);
  });

  it('type-specific fields: compare integers numerically, dict keys', async () => {
    const res = await node.request('GET', '/artifacts/vnf_packages?vcpus=gt:9', { as: p1 });
    expect((await res.json()).artifacts.map((a: Body) => a.version)).toEqual(['2.0.0']);
    expect((await node.request('GET', '/artifacts/vnf_packages?vcpus=gt:9a', { as: p1 })).status).toBe(400);
    expect((await list('?provided_by=region')).names).toEqual(['baz@0.1.0']);
    expect((await list('?provided_by.region=eu')).names).toEqual(['baz@0.1.0']);
  });

  it('combines several filters with AND', async () => {
    expect((await list('?name=foo&tags=v3&metadata.tier=gold&status=active&version=gte:3.5.0')).body.total_count).toBe(4);
  });

  it('lists across types under all, with generic fields only', async () => {
    const res = await node.request('GET', '/artifacts/all?name=in:vnf,env&sort=name:asc,version:asc', { as: p1 });
    const body = await res.json();
    expect(body.total_count).toBe(3);
    expect(body.artifacts.map((a: Body) => a.display_type_name)).toEqual(['Heat environment', 'VNF package', 'VNF package']);
    expect(body.artifacts[1]).not.toHaveProperty('vcpus');
  });

  it.each([
    ['?nope=1', /unknown filter/],
    ['?min_ram=gt:abc', /whole number/],
    ['?name=', /invalid filter value for "name"/],
    ['?name=eq:', /invalid filter value for "name"/],
    ['?name=foo:x', /unknown filter operator "foo"/],
    ['?created_at=gt:yesterday', /date-time/],
    ['?name=gt:a', /does not allow the "gt" filter/],
    ['?tags=', /at least one tag/],
    ['?name.x=1', /only dict fields/],
    ['?id=not-a-uuid', /not an artifact id/],
    ['?sort=nope', /unknown field/],
    ['?sort=description', /not sortable/],
    ['?sort=name:up', /asc\|desc/],
    ['?limit=-1', /limit/],
    ['?limit=ten', /limit/],
    ['?marker=abc', /marker/],
    ['?marker=5b2c9d1e-8c1f-4e7a-9a53-0d0c2f3e4a5b', /marker/],
  ])('refuses %s with 400', async (query, message) => {
    const { status, body } = await list(query);
    expect(status).toBe(400);
    expect(body.explanation).toMatch(message);
  });
});

describe('sorting and paging', () => {
  it('pages with limit and marker through every row exactly once, with next links and a total count', async () => {
    const seen: string[] = [];
    let url: string | undefined = '/artifacts/images?sort=name:asc,version:desc&limit=4';
    let pages = 0;
    while (url) {
      const res = await node.request('GET', url, { as: p1 });
      const body = await res.json();
      expect(body.total_count).toBe(13);
      expect(body.first).toBe('/artifacts/images?sort=name%3Aasc%2Cversion%3Adesc&limit=4');
      seen.push(...body.artifacts.map((a: Body) => `${a.name}@${a.version}`));
      url = body.next;
      pages++;
    }
    expect(pages).toBe(4);
    expect(seen).toEqual(['bar@2.0.0', 'bar@1.0.0', 'baz@0.1.0', ...[...VERSIONS].reverse().map((v) => `foo@${v}`)]);
  });

  it('pages over equal sort keys and nullable columns without skipping or repeating', async () => {
    const all: string[] = [];
    let url: string | undefined = '/artifacts/images?sort=activated_at:desc&limit=3';
    while (url) {
      const body = await (await node.request('GET', url, { as: p1 })).json();
      all.push(...body.artifacts.map((a: Body) => a.id));
      url = body.next;
    }
    expect(all).toHaveLength(13);
    expect(new Set(all).size).toBe(13);
  });

  it('defaults to newest created first and limit 25; limit=0 gives only the count', async () => {
    const { body } = await list('');
    expect(body.artifacts).toHaveLength(13);
    const created = body.artifacts.map((a: Body) => Date.parse(a.created_at));
    expect([...created].sort((a, b) => b - a)).toEqual(created);
    const zero = await list('?limit=0');
    expect(zero.body.artifacts).toEqual([]);
    expect(zero.body.total_count).toBe(13);
  });

  it('sorts by a sortable type-specific field', async () => {
    const res = await node.request('GET', '/artifacts/vnf_packages?sort=vcpus:desc', { as: p1 });
    expect((await res.json()).artifacts.map((a: Body) => a.vcpus)).toEqual([16, 8]);
  });
});
