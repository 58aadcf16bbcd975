/**
 * A corpus of hostile and odd input: every answer is a 4xx naming the problem, never a 5xx, and
 * nothing is stored. Against a real PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestNode, type TestNode } from '../support/node.js';
import type { Body } from '../support/json.js';

let node: TestNode;
let owner: Record<string, string>;
let template: Body;
beforeAll(async () => {
  node = await createTestNode();
  owner = node.as({ project: 'p-bad' });
  template = await node.seed('heat_templates', { name: 'target', metadata: { keep: 'me' } }, { as: owner });
});
afterAll(() => node.close());

/** A JSON body text, written by hand so that escapes (lone surrogates) reach the server as sent. */
async function postRaw(path: string, text: string, contentType = 'application/json') {
  return node.request('POST', path, { as: owner, headers: { 'content-type': contentType }, body: text });
}

describe('text PostgreSQL cannot store', () => {
  it.each([
    ['a NUL in a field', '{"name": "a\\u0000b"}', /the body at \/name holds a NUL/],
    ['a lone high surrogate', '{"name": "x\\ud800"}', /the body at \/name holds .*unpaired/],
    ['a lone low surrogate in a tag', '{"name": "x", "tags": ["\\udc00"]}', /the body at \/tags\/0/],
    ['a NUL in a dict key', '{"name": "x", "metadata": {"a\\u0000": "b"}}', /the body at \/metadata: a key/],
  ])('%s is refused with 400 naming where', async (_what, text, message) => {
    const res = await postRaw('/artifacts/heat_templates', text);
    expect(res.status).toBe(400);
    expect((await res.json()).explanation).toMatch(message);
  });

  it('keeps a well-formed surrogate pair (an emoji) as it was sent', async () => {
    const res = await postRaw('/artifacts/heat_templates', '{"name": "rocket-\\ud83d\\ude80"}');
    expect(res.status).toBe(201);
    expect((await res.json()).name).toBe('rocket-🚀');
  });

  it.each([
    ['a filter value', '/artifacts/heat_templates?name=a%00b'],
    ['a filter name', '/artifacts/heat_templates?metadata.a%00=b'],
  ])('a NUL in %s is refused with 400', async (_what, path) => {
    const res = await node.request('GET', path, { as: owner });
    expect(res.status).toBe(400);
    expect((await res.json()).explanation).toMatch(/NUL/);
  });

  it('a NUL in a blob-dict key is refused with 400', async () => {
    const res = await node.request('PUT', `/artifacts/heat_templates/${template.id}/nested_templates/a%00b`, {
      as: owner,
      headers: { 'content-type': 'application/octet-stream' },
      body: 'x',
    });
    expect(res.status).toBe(400);
  });
});

describe('deep and large JSON', () => {
  it('refuses a 100k-deep value with 400 before anything recurses into it', async () => {
    const deep = `{"name": "deep", "metadata": {"k": ${'['.repeat(100_000)}${']'.repeat(100_000)}}}`;
    const res = await postRaw('/artifacts/heat_templates', deep);
    expect(res.status).toBe(400);
    expect((await res.json()).explanation).toMatch(/nests deeper than 32/);
  });

  it('refuses a deep patch value with 400', async () => {
    const value = JSON.parse(`${'['.repeat(50)}${']'.repeat(50)}`);
    const res = await node.request('PATCH', `/artifacts/heat_templates/${template.id}`, { as: owner, patch: [{ op: 'add', path: '/metadata/x', value }] });
    expect(res.status).toBe(400);
  });
});

describe('JSON patch', () => {
  it('stops a patch that copies a dict into itself before it grows: 400, nothing changed', async () => {
    const seed = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, 'v'.repeat(200)]));
    await node.request('PATCH', `/artifacts/heat_templates/${template.id}`, { as: owner, patch: [{ op: 'replace', path: '/default_envs', value: seed }] });
    const bomb = Array.from({ length: 30 }, (_, i) => ({ op: 'copy', from: '/default_envs', path: `/default_envs/c${i}` }));
    const res = await node.request('PATCH', `/artifacts/heat_templates/${template.id}`, { as: owner, patch: bomb });
    expect(res.status).toBe(400);
    expect((await res.json()).explanation).toMatch(/would add more than 1048576 bytes/);
    const shown = await (await node.request('GET', `/artifacts/heat_templates/${template.id}`, { as: owner })).json();
    expect(Object.keys(shown.default_envs)).toHaveLength(50);
  });

  it.each(['/__proto__/polluted', '/metadata/__proto__', '/constructor/prototype/x'])('refuses the path %s with 400', async (path) => {
    const res = await node.request('PATCH', `/artifacts/heat_templates/${template.id}`, { as: owner, patch: [{ op: 'add', path, value: 'x' }] });
    expect(res.status).toBe(400);
    expect((await res.json()).explanation).toMatch(/names no field/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each([
    [[{ op: 'copy', path: '/description' }], /"from" must be a JSON pointer/],
    [[{ op: 'add', path: '/description' }], /needs a value/],
    [['replace'], /is not an object/],
    [[{ op: 'replace', path: 5, value: 'x' }], /"path" must be a JSON pointer/],
  ])('refuses the malformed patch %j with 400', async (patch, message) => {
    const res = await node.request('PATCH', `/artifacts/heat_templates/${template.id}`, { as: owner, patch });
    expect(res.status).toBe(400);
    expect((await res.json()).explanation).toMatch(message);
  });
});

describe('odd filters', () => {
  it.each([
    '?version=~~~',
    '?version=gt:1.x.y',
    '?sort=name:up',
    '?sort=nonexistent',
    '?limit=-1',
    '?limit=1e3',
    '?marker=not-an-id',
    '?marker=00000000-0000-0000-0000-000000000000',
    '?tags=',
    '?min_ram=lt:ten',
    '?created_at=gt:yesterday',
    `?name=in:${Array.from({ length: 101 }, (_, i) => `n${i}`).join(',')}`,
    '?unknown_field=1',
  ])('GET /artifacts/images%s answers 400', async (query) => {
    const res = await node.request('GET', `/artifacts/images${query}`, { as: owner });
    expect(res.status).toBe(400);
  });
});

describe('links name the type they take', () => {
  it('refuses a heat template environment that links to an image', async () => {
    const image = await node.seed('images', { name: 'not-an-env' }, { as: owner });
    const res = await node.request('PATCH', `/artifacts/heat_templates/${template.id}`, {
      as: owner,
      patch: [{ op: 'add', path: '/environments/prod', value: `/artifacts/images/${image.id}` }],
    });
    expect(res.status).toBe(400);
    expect((await res.json()).explanation).toMatch(/takes heat_environments artifacts only/);
    const env = await node.seed('heat_environments', { name: 'an-env' }, { as: owner });
    const ok = await node.request('PATCH', `/artifacts/heat_templates/${template.id}`, {
      as: owner,
      patch: [{ op: 'add', path: '/environments/prod', value: `/artifacts/heat_environments/${env.id}` }],
    });
    expect(ok.status).toBe(200);
  });
});

describe('blob dicts hold at most max_size keys', () => {
  it('refuses the 256th key of nested_templates (max 255), uploaded or external', async () => {
    const t = await node.seed('heat_templates', { name: 'many-nested' }, { as: owner });
    const external = (key: string) =>
      node.request('PUT', `/artifacts/heat_templates/${t.id}/nested_templates/${key}`, {
        as: owner,
        headers: { 'content-type': 'application/vnd+openstack.glare-custom-location+json' },
        body: JSON.stringify({ url: `https://example.org/${key}` }),
      });
    for (let i = 0; i < 255; i++) expect((await external(`n${i}.yaml`)).status).toBe(200);
    const over = await external('one-too-many.yaml');
    expect(over.status).toBe(400);
    expect((await over.json()).explanation).toMatch(/at most 255 keys/);
    const upload = await node.request('PUT', `/artifacts/heat_templates/${t.id}/nested_templates/uploaded.yaml`, { as: owner, headers: { 'content-type': 'text/plain' }, body: 'heat_template_version: 2018-08-31\n' });
    expect(upload.status).toBe(400);
    // replacing an existing key is no new key, so the limit does not stand in its way
    await node.request('DELETE', `/artifacts/heat_templates/${t.id}/nested_templates/n0.yaml`, { as: owner });
    expect((await external('n0.yaml')).status).toBe(200);
  });
});

describe('downloads are inert in a browser', () => {
  it('serves an uploaded HTML page as an attachment, with nosniff and a sandboxing policy', async () => {
    const image = await node.seed('images', { name: 'html-env' }, { as: owner });
    const html = '<script>alert(document.cookie)</script>';
    const up = await node.request('PUT', `/artifacts/images/${image.id}/image`, { as: owner, headers: { 'content-type': 'text/html' }, body: html });
    expect(up.status).toBe(200);
    const res = await node.request('GET', `/artifacts/images/${image.id}/image`, { as: owner });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toMatch(/^attachment/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'none'.*sandbox/);
    expect(await res.text()).toBe(html);
  });

  it('gives JSON answers the same headers', async () => {
    const res = await node.request('GET', '/artifacts/images', { as: owner });
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
  });

  it.each(['bytes=5-2', 'bytes=abc', 'bytes=1-2,4-5'])('ignores the invalid or multiple Range %s and serves the whole blob', async (range) => {
    const image = await node.seed('images', { name: `range-${range.replace(/\W/g, '')}` }, { as: owner });
    await node.request('PUT', `/artifacts/images/${image.id}/image`, { as: owner, headers: { 'content-type': 'text/plain' }, body: '0123456789' });
    const res = await node.request('GET', `/artifacts/images/${image.id}/image`, { as: owner, headers: { range } });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('0123456789');
  });
});
