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
    const body = await res.json();
    expect(Object.keys(body).sort()).toEqual(['all', 'heat_environments', 'heat_templates', 'images', 'murano_packages', 'tosca_templates', 'vnf_packages']);
  });

  it('describes one type in Glare’s shape', async () => {
    const body = await (await node.request('GET', '/schemas/images')).json();
    const schema = body.images;
    expect(schema).toMatchObject({ name: 'images', version: '1.0', type: 'object', required: ['name'] });
    expect(schema.properties.name).toMatchObject({ type: 'string', glareType: 'String', sortable: true, maxLength: 255, filter_ops: ['eq', 'neq', 'in'] });
    expect(schema.properties.id).toMatchObject({ readOnly: true });
    expect(schema.properties.tags).toMatchObject({ type: ['array', 'null'], glareType: 'StringList', mutable: true, maxItems: 255 });
    expect(schema.properties.disk_format.enum).toContain('qcow2');
    expect(schema.properties.min_ram).toMatchObject({ glareType: 'Integer', minimum: 0, filter_ops: ['eq', 'neq', 'lt', 'lte', 'gt', 'gte', 'in'] });
    expect(schema.properties.image).toMatchObject({ glareType: 'Blob', required_on_activate: false });
    expect(schema.properties.image.type).toContain('object');
    const tpl = (await (await node.request('GET', '/schemas/heat_templates')).json()).heat_templates;
    expect(tpl.properties.template).toMatchObject({ glareType: 'Blob', required_on_activate: true });
    expect(tpl.properties.nested_templates).toMatchObject({ glareType: 'BlobDict' });
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
    const schema = (await (await node.request('GET', '/schemas/vnf_packages')).json()).vnf_packages;
    expect(schema).toMatchObject({ version: '1.1', display_type_name: 'VNF package' });
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
