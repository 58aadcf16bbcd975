/**
 * TOSCA templates over HTTP: a YAML service template or a CSAR archive (built here with a zip
 * library) whose TOSCA-Metadata/TOSCA.meta names the entry template; its definitions version and
 * node types are stored, and what is no TOSCA template is refused with nothing kept.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestNode, type TestNode } from '../support/node.js';
import { expectRefused, uploadedInto, zipOf } from './uploads.js';

const TEMPLATE = `tosca_definitions_version: tosca_simple_yaml_1_3
description: A web server on a compute node
node_types:
  example.WebServer:
    derived_from: tosca.nodes.WebServer
topology_template:
  node_templates:
    web:
      type: example.WebServer
      requirements:
        - host: server
    server:
      type: tosca.nodes.Compute
      capabilities:
        host:
          properties: { num_cpus: 1, mem_size: 1 GB }
`;

const META = 'TOSCA-Meta-File-Version: 1.0\nCSAR-Version: 1.1\nCreated-By: tests\nEntry-Definitions: Definitions/service.yaml\n';

const csar = (files: Record<string, string>) => zipOf(files);

let node: TestNode;
let owner: Record<string, string>;
beforeAll(async () => {
  node = await createTestNode();
  owner = node.as({ project: 'p-tosca' });
});
afterAll(() => node.close());

const uploaded = (body: string | Uint8Array) => uploadedInto(node, owner, 'tosca_templates', 'template', body);

const refused = (body: string | Uint8Array, problem: RegExp) => expectRefused(node, owner, { type: 'tosca_templates', field: 'template' }, body, problem);

describe('an uploaded TOSCA template', () => {
  it('in YAML stores its definitions version and node types, searchable', async () => {
    const t = await uploaded(TEMPLATE);
    expect(t).toMatchObject({ template_format: 'tosca_simple_yaml_1_3', node_types: ['example.WebServer', 'tosca.nodes.Compute'], entry_definitions: null });
    const found = await (await node.request('GET', '/artifacts/tosca_templates?node_types=tosca.nodes.Compute', { as: owner })).json();
    expect(found.artifacts.map((a: { id: string }) => a.id)).toEqual([t.id]);
  });

  it('as a CSAR is read through TOSCA.meta to its entry template', async () => {
    const t = await uploaded(await csar({ 'TOSCA-Metadata/TOSCA.meta': META, 'Definitions/service.yaml': TEMPLATE, 'Scripts/install.sh': '#!/bin/sh\n' }));
    expect(t).toMatchObject({ template_format: 'tosca_simple_yaml_1_3', node_types: ['example.WebServer', 'tosca.nodes.Compute'], entry_definitions: 'Definitions/service.yaml' });
  });

  it.each([
    ['YAML without tosca_definitions_version', async () => 'topology_template: {}\n', /the template is not a TOSCA template: it has no tosca_definitions_version/],
    ['broken YAML', async () => 'tosca_definitions_version: tosca_simple_yaml_1_3\nnode_types: [a\n', /the template is not valid YAML or JSON at line \d+/],
    ['a node template without a type', async () => 'tosca_definitions_version: tosca_simple_yaml_1_3\ntopology_template:\n  node_templates:\n    web: {}\n', /node template "web" has no type/],
    ['a CSAR without TOSCA.meta', () => csar({ 'Definitions/service.yaml': TEMPLATE }), /the CSAR has no TOSCA-Metadata\/TOSCA\.meta/],
    ['a CSAR whose TOSCA.meta names no entry', () => csar({ 'TOSCA-Metadata/TOSCA.meta': 'CSAR-Version: 1.1\n', 'Definitions/service.yaml': TEMPLATE }), /names no Entry-Definitions/],
    ['a CSAR missing its entry template', () => csar({ 'TOSCA-Metadata/TOSCA.meta': META }), /Entry-Definitions is Definitions\/service\.yaml, and the archive does not hold it/],
    ['a CSAR whose entry is no TOSCA template', () => csar({ 'TOSCA-Metadata/TOSCA.meta': META, 'Definitions/service.yaml': 'a: 1\n' }), /Definitions\/service\.yaml is not a TOSCA template/],
    ['a CSAR with a zip-slip path', () => csar({ 'TOSCA-Metadata/TOSCA.meta': META, 'Definitions/service.yaml': TEMPLATE, '../escape.sh': 'rm -rf /' }), /the CSAR holds a path that escapes the archive: "\.\.\/escape\.sh"/],
  ])('as %s is refused with 400, and nothing is kept', async (_name, build, problem) => {
    await refused(await build(), problem);
  });
});
