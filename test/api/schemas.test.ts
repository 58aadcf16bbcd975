import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TypeFileError, typeFromYaml } from '../../src/types/declarative.js';
import { createTestNode, type TestNode } from '../support/node.js';

let node: TestNode;

beforeAll(async () => {
  node = await createTestNode();
});
afterAll(() => node.close());

describe('GET /schemas', () => {
  it('lists every built-in type, the all view and the operator’s declarative types', async () => {
    const res = await node.request('GET', '/schemas');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/schema+json; charset=UTF-8');
    const body = (await res.json()).schemas;
    expect(Object.keys(body).sort()).toEqual(['all', 'heat_environments', 'heat_templates', 'images', 'murano_packages', 'tosca_templates', 'vnf_packages']);
  });

  it('describes one type in Glare’s shape, wrapped in "schemas" (as python-glareclient reads it)', async () => {
    const res = await node.request('GET', '/schemas/images');
    expect(res.headers.get('content-type')).toBe('application/schema+json; charset=UTF-8');
    const body = await res.json();
    expect(Object.keys(body)).toEqual(['schemas']);
    const schema = body.schemas.images;
    expect(schema).toMatchObject({ name: 'images', version: '1.0', title: 'Artifact type images of version 1.0', type: 'object', display_name: 'Image', required: ['name'] });
    // Generic fields exactly as Glare's base type states them (glare/objects/base.py, _schema_field).
    const { properties: p } = schema;
    const withoutDescription = ({ description: _d, ...rest }: Record<string, unknown>) => rest;
    expect(withoutDescription(p.name)).toEqual({ minLength: 1, maxLength: 255, type: 'string', glareType: 'String', sortable: true, required_on_activate: false, filter_ops: ['like', 'eq', 'neq', 'in'] });
    expect(withoutDescription(p.id)).toEqual({ pattern: expect.any(String), maxLength: 255, type: 'string', glareType: 'String', readOnly: true, sortable: true, filter_ops: ['eq', 'neq', 'in'] });
    expect(withoutDescription(p.created_at)).toEqual({ type: 'string', glareType: 'DateTime', format: 'date-time', readOnly: true, sortable: true, filter_ops: ['lt', 'gt'] });
    // Glare also lists 'deleted', a status no artifact of ours is ever seen in.
    expect(withoutDescription(p.status)).toEqual({ enum: ['drafted', 'active', 'deactivated'], type: 'string', glareType: 'String', mutable: true, sortable: true, default: 'drafted', filter_ops: ['eq', 'neq', 'in'] });
    expect(withoutDescription(p.visibility)).toMatchObject({ enum: ['private', 'public'], mutable: true, filter_ops: ['eq', 'neq', 'in'] });
    expect(withoutDescription(p.version)).toMatchObject({ pattern: expect.stringMatching(/^\/\^\(\[0-9\]\+\)/), type: 'string', default: '0.0.0', filter_ops: ['eq', 'neq', 'in', 'gt', 'gte', 'lt', 'lte'] });
    expect(p.tags).toMatchObject({ type: ['array', 'null'], glareType: 'StringList', items: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[^,/]+$' }, maxItems: 255, filter_ops: [] });
    expect(p.description.filter_ops).toEqual([]);
    expect(p.metadata).toMatchObject({ type: ['object', 'null'], glareType: 'StringDict', maxProperties: 255, additionalProperties: { type: 'string', minLength: 1, maxLength: 255 }, filter_ops: ['eq', 'neq', 'in'] });
    expect(p.display_type_name).toMatchObject({ readOnly: true, sortable: true, filter_ops: ['like', 'eq', 'neq', 'in'] });
    expect(p.disk_format.enum).toContain('qcow2');
    expect(p.min_ram).toMatchObject({ type: ['integer', 'null'], glareType: 'Integer', minimum: 0, filter_ops: ['eq', 'neq', 'in', 'gt', 'gte', 'lt', 'lte'] });
    // A blob: Glare's output blob schema (no url, no id), and the activation flag only when false.
    expect(withoutDescription(p.image)).toEqual({
      type: ['object', 'null'],
      glareType: 'Blob',
      properties: {
        size: { type: ['number', 'null'] },
        md5: { type: ['string', 'null'] },
        sha1: { type: ['string', 'null'] },
        sha256: { type: ['string', 'null'] },
        external: { type: 'boolean' },
        status: { type: 'string', enum: ['saving', 'active'] },
        content_type: { type: 'string' },
      },
      required: ['size', 'md5', 'sha1', 'sha256', 'external', 'status', 'content_type'],
      additionalProperties: false,
      required_on_activate: false,
      filter_ops: [],
    });
    const tpl = (await (await node.request('GET', '/schemas/heat_templates')).json()).schemas.heat_templates;
    expect(tpl.properties.template).not.toHaveProperty('required_on_activate');
    expect(tpl.properties.nested_templates).toMatchObject({ type: ['object', 'null'], glareType: 'BlobDict', additionalProperties: { type: ['object', 'null'], additionalProperties: false } });
    expect(tpl.properties.environments).toMatchObject({ glareType: 'LinkDict', additionalProperties: { type: 'string' }, filter_ops: ['eq', 'neq'] });
  });

  it('describes the all view as Glare’s `all` type: the generic fields and type_name', async () => {
    const all = (await (await node.request('GET', '/schemas/all')).json()).schemas.all;
    expect(all).toMatchObject({ name: 'all', display_name: 'All Artifacts' });
    expect(Object.keys(all.properties).sort()).toEqual(
      ['activated_at', 'created_at', 'description', 'display_type_name', 'id', 'metadata', 'name', 'owner', 'requires', 'status', 'tags', 'type_name', 'updated_at', 'version', 'visibility'],
    );
    expect(all.properties.type_name).toMatchObject({ glareType: 'String', sortable: true, filter_ops: ['like', 'eq', 'neq', 'in'] });
  });

  it('answers 404 for an unknown type and 400 for a malformed name', async () => {
    const unknown = await node.request('GET', '/schemas/nope');
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).explanation).toMatch(/unknown artifact type "nope"/);
    expect((await node.request('GET', '/schemas/Not-A-Type')).status).toBe(400);
  });
});

describe('declarative types', () => {
  it('serve the full API with their validators and activation rules', async () => {
    const owner = node.as({ project: 'p1' });
    const schema = (await (await node.request('GET', '/schemas/vnf_packages')).json()).schemas.vnf_packages;
    expect(schema).toMatchObject({ version: '1.1', display_name: 'VNF package' });
    expect(schema.properties.vcpus).toMatchObject({ minimum: 1, maximum: 128, sortable: true });
    for (const [body, message] of [
      [{ name: 'v', flavour: 'huge' }, /flavour.*one of/],
      [{ name: 'v', vcpus: 129 }, /vcpus.*at most 128/],
      [{ name: 'v', ports: ['a', 'a'] }, /repeat/],
      [{ name: 'v', ports: ['a', 'b', 'c', 'd', 'e'] }, /at most 4/],
      [{ name: 'v', ports: ['Bad Port'] }, /must match/],
      [{ name: 'v', vendor: 'x'.repeat(65) }, /at most 64/],
    ] as const) {
      const res = await node.request('POST', '/artifacts/vnf_packages', { as: owner, json: body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect((await res.json()).explanation).toMatch(message);
    }
  });
});

describe('typeFromYaml', () => {
  it.each([
    ['not: [valid', /not valid YAML/],
    ['name: t\nversion: 1\nfields:\n  f: { kind: rope }', /fields\.f\.kind/],
    ['name: t\nversion: 1\nfields: {}\ncolour: red', /colour/],
    ['name: t\nversion: 1\nfields:\n  name: { kind: string }', /generic field/],
    ['name: t\nversion: 1\nfields:\n  f: { kind: string, validators: { pattern: "([" } }', /valid regular expression/],
    ['name: T\nversion: 1\nfields: {}', /name/],
    ['name: t\nversion: 1\nfields:\n  l: { kind: string_list, sortable: true }', /sortable/],
  ])('refuses %j, naming the file and the problem', (text, message) => {
    expect(() => typeFromYaml('types/t.yaml', text)).toThrow(TypeFileError);
    expect(() => typeFromYaml('types/t.yaml', text)).toThrow(/types\/t\.yaml/);
    expect(() => typeFromYaml('types/t.yaml', text)).toThrow(message);
  });
});
