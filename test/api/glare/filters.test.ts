/**
 * Glare's list grammar beyond eq/neq/lt/gt (glare/common/utils.py split_filter_op,
 * glare/objects/base.py _parse_filter_values, glare/db/sqlalchemy/api.py _apply_user_filters):
 * `and:`/`or:` combiners, `like` where a field allows it, unknown operators and values the field
 * would refuse are 400, dict keys (the empty one included), and type_name on the all view.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestNode, type TestNode } from '../../support/node.js';

let node: TestNode;
const owner = () => node.as({ project: 'p1' });

beforeAll(async () => {
  node = await createTestNode();
  await node.seed('images', { name: 'cirros', version: '0.6.2', container_format: 'bare', disk_format: 'qcow2', tags: ['small'], metadata: { os: 'linux' } }, { as: owner(), activate: true });
  await node.seed('images', { name: 'centos', version: '9.0', container_format: 'bare', disk_format: 'raw', metadata: { os: 'linux', arch: 'arm' } }, { as: owner() });
  await node.seed('images', { name: 'windows', version: '11.0', container_format: 'ova', disk_format: 'vmdk', tags: ['big'] }, { as: owner() });
  await node.seed('heat_templates', { name: 'cirros-stack' }, { as: owner() });
});
afterAll(() => node.close());

async function names(query: string, type = 'images'): Promise<string[]> {
  const res = await node.request('GET', `/artifacts/${type}?${query}&sort=name:asc`, { as: owner() });
  const body = await res.json();
  if (res.status !== 200) throw new Error(`${query}: ${res.status} ${body.explanation}`);
  return body.artifacts.map((a: { name: string }) => a.name);
}

async function refusal(query: string, type = 'images'): Promise<string> {
  const res = await node.request('GET', `/artifacts/${type}?${query}`, { as: owner() });
  expect(res.status, query).toBe(400);
  return (await res.json()).explanation;
}

describe('combiners', () => {
  it('or: filters form one OR group, ANDed with every other filter', async () => {
    expect(await names('name=or:cirros&name=or:windows')).toEqual(['cirros', 'windows']);
    expect(await names('name=or:cirros&name=or:windows&disk_format=vmdk')).toEqual(['windows']);
    expect(await names('name=or:centos&disk_format=or:vmdk&container_format=bare')).toEqual(['centos']);
    expect(await names('tags=or:small&tags=or:big')).toEqual(['cirros', 'windows']);
    expect(await names('version=or:0.6.2&version=or:gte:11')).toEqual(['cirros', 'windows']);
  });

  it('and: is the default, spelled out', async () => {
    expect(await names('name=and:eq:cirros')).toEqual(['cirros']);
    expect(await names('container_format=and:bare&disk_format=and:raw')).toEqual(['centos']);
  });
});

describe('like', () => {
  it('matches SQL LIKE patterns on fields that allow it', async () => {
    expect(await names(`name=like:${encodeURIComponent('c%')}`)).toEqual(['centos', 'cirros']);
    expect(await names(`name=like:${encodeURIComponent('_irros')}`)).toEqual(['cirros']);
    expect(await names(`type_name=like:${encodeURIComponent('heat%')}`, 'all')).toEqual(['cirros-stack']);
  });

  it('is refused where the field does not allow it', async () => {
    expect(await refusal('container_format=like:b%25')).toMatch(/does not allow the "like" filter/);
    expect(await refusal('version=like:1%25')).toMatch(/like/);
  });
});

describe('what Glare refuses', () => {
  it.each([
    ['name=foo:cirros', /unknown filter operator "foo"/],
    ['name=', /invalid filter value for "name"/],
    ['name=eq:', /invalid filter value for "name"/],
    ['container_format=foo', /invalid filter value for "container_format".*one of/],
    ['disk_format=in:qcow2,floppy', /invalid filter value for "disk_format"/],
    ['min_ram=abc', /whole number/],
    ['created_at=eq:2020-01-01T00:00:00Z', /does not allow the "eq" filter/],
    ['description=x', /does not allow the "eq" filter/],
  ])('%s is 400', async (query, message) => {
    expect(await refusal(query)).toMatch(message);
  });

  it('keeps colons of a value after an explicit operator, and of a date-time', async () => {
    expect(await names('name=eq:a:b')).toEqual([]);
    expect(await names('created_at=gt:2000-01-01T00:00:00Z')).toEqual(['centos', 'cirros', 'windows']);
  });
});

describe('dict keys', () => {
  it('compare a key’s value, test a key, and find nothing under the empty key', async () => {
    expect(await names('metadata.os=linux')).toEqual(['centos', 'cirros']);
    expect(await names('metadata.arch=in:arm,x86')).toEqual(['centos']);
    expect(await names('metadata=arch')).toEqual(['centos']);
    expect(await names('metadata.=linux')).toEqual([]);
  });
});

describe('display_type_name', () => {
  it('filters by the types’ display names (eq, neq, in, like), on a type and on the all view', async () => {
    expect(await names('display_type_name=Image')).toEqual(['centos', 'cirros', 'windows']);
    expect(await names('display_type_name=Heat%20template', 'all')).toEqual(['cirros-stack']);
    expect(await names('display_type_name=neq:Image', 'all')).toEqual(['cirros-stack']);
    expect(await names(`display_type_name=like:${encodeURIComponent('Heat %')}`, 'all')).toEqual(['cirros-stack']);
    expect(await names('display_type_name=in:Image,Nothing', 'all')).toEqual(['centos', 'cirros', 'windows']);
    expect(await names('display_type_name=images', 'all')).toEqual([]);
  });
});

describe('the all view', () => {
  it('filters and sorts by type_name', async () => {
    const res = await node.request('GET', '/artifacts/all?type_name=in:heat_templates,images&sort=type_name:asc,name:desc', { as: owner() });
    const body = await res.json();
    expect(body.artifacts.map((a: { type_name: string; name: string }) => `${a.type_name}/${a.name}`)).toEqual([
      'heat_templates/cirros-stack',
      'images/windows',
      'images/cirros',
      'images/centos',
    ]);
    expect(await names('type_name=neq:images', 'all')).toEqual(['cirros-stack']);
  });
});

describe('quoted values in a comma list (api-wg, as Glare splits them)', () => {
  it('keep their commas, and an unbalanced quote is 400', async () => {
    await node.seed('tosca_templates', { name: 'a,b' }, { as: owner() });
    await node.seed('tosca_templates', { name: 'c' }, { as: owner() });
    expect(await names(`name=in:${encodeURIComponent('"a,b",c')}`, 'tosca_templates')).toEqual(['a,b', 'c']);
    expect(await names('name=in:a,b', 'tosca_templates')).toEqual([]);
    expect(await refusal(`name=in:${encodeURIComponent('"a,b')}`, 'tosca_templates')).toMatch(/not closed/);
    expect(await refusal(`name=in:${encodeURIComponent('x"a,b"')}`, 'tosca_templates')).toMatch(/no comma before/);
  });
});
