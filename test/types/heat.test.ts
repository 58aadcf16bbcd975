/**
 * Heat templates and environments over HTTP: an uploaded template must be HOT or CFN (YAML or
 * JSON), refused with the parser's line otherwise; its format, version, parameters and resource
 * types are stored and searchable. An environment holds only the sections Heat reads.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestNode, type TestNode } from '../support/node.js';
import { expectRefused, upload, uploadedInto } from './uploads.js';

const HOT = `heat_template_version: 2018-08-31
description: A web server
parameters:
  flavor:
    type: string
    default: m1.small
  image:
    type: string
resources:
  server:
    type: OS::Nova::Server
    properties:
      flavor: { get_param: flavor }
      image: { get_param: image }
  address:
    type: OS::Neutron::FloatingIP
  volume:
    type: OS::Cinder::Volume
  other_server:
    type: OS::Nova::Server
outputs:
  ip:
    value: { get_attr: [address, floating_ip_address] }
`;

const CFN_JSON = JSON.stringify({
  AWSTemplateFormatVersion: '2010-09-09',
  Parameters: { KeyName: { Type: 'String' } },
  Resources: { WebServer: { Type: 'AWS::EC2::Instance', Properties: { KeyName: { Ref: 'KeyName' } } } },
});

let node: TestNode;
let owner: Record<string, string>;
beforeAll(async () => {
  node = await createTestNode();
  owner = node.as({ project: 'p-heat' });
});
afterAll(() => node.close());

const uploaded = (type: string, field: string, body: string) => uploadedInto(node, owner, type, field, body);

const ids = async (query: string) => (await (await node.request('GET', `/artifacts/heat_templates?${query}`, { as: owner })).json()).artifacts.map((a: { id: string }) => a.id);

describe('an uploaded Heat template', () => {
  it('stores the HOT version, parameter names and resource types, searchable', async () => {
    const hot = await uploaded('heat_templates', 'template', HOT);
    expect(hot).toMatchObject({
      template_format: 'HOT',
      heat_template_version: '2018-08-31',
      parameter_names: ['flavor', 'image'],
      resource_types: ['OS::Cinder::Volume', 'OS::Neutron::FloatingIP', 'OS::Nova::Server'],
    });
    expect(await ids('heat_template_version=2018-08-31')).toEqual([hot.id]);
    expect(await ids('resource_types=eq:OS::Neutron::FloatingIP')).toEqual([hot.id]);
    expect(await ids('parameter_names=flavor')).toEqual([hot.id]);
    expect(await ids('resource_types=eq:OS::Heat::None')).toEqual([]);
  });

  it('reads a CFN template in JSON', async () => {
    const cfn = await uploaded('heat_templates', 'template', CFN_JSON);
    expect(cfn).toMatchObject({ template_format: 'CFN', heat_template_version: '2010-09-09', parameter_names: ['KeyName'], resource_types: ['AWS::EC2::Instance'] });
  });

  it('checks nested templates too, and keeps the main template fields as they are', async () => {
    const hot = await uploaded('heat_templates', 'template', HOT);
    expect((await upload(node, owner, `/artifacts/heat_templates/${hot.id}/nested_templates/volume.yaml`, 'heat_template_version: rocky\nresources: {}\n')).status).toBe(200);
    const bad = await upload(node, owner, `/artifacts/heat_templates/${hot.id}/nested_templates/bad.yaml`, 'resources:\n  a: [\n');
    expect(bad.status).toBe(400);
    expect((await bad.json()).explanation).toMatch(/nested template "bad\.yaml" is not valid YAML or JSON at line \d+/);
    const shown = await (await node.request('GET', `/artifacts/heat_templates/${hot.id}`, { as: owner })).json();
    expect(shown.heat_template_version).toBe('2018-08-31');
    expect(Object.keys(shown.nested_templates)).toEqual(['volume.yaml']);
  });

  it.each([
    ['broken YAML', 'heat_template_version: 2018-08-31\nresources:\n  server:\n    type: OS::Nova::Server\n   properties: {}\n', /the template is not valid YAML or JSON at line 5/],
    ['broken JSON', '{"heat_template_version": "2018-08-31",\n "resources": {\n}', /the template is not valid YAML or JSON at line 3/],
    ['neither HOT nor CFN', 'description: just a description\noutputs: {}\n', /neither a HOT template \(it has no heat_template_version\) nor a CFN template/],
    ['a resource without a type', 'heat_template_version: 2018-08-31\nresources:\n  server:\n    properties: {}\n', /resource "server" has no type/],
    ['a list', '- heat_template_version\n', /must be a mapping/],
  ])('with %s is refused with 400 naming the problem, and nothing is kept', async (_name, body, problem) => {
    await expectRefused(node, owner, { type: 'heat_templates', field: 'template' }, body, problem);
  });
});

describe('other blobs of Heat artifacts', () => {
  it.each([['heat_templates'], ['heat_environments']])('of %s, such as the icon, are not read as templates', async (type) => {
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
    expect((await uploadedInto(node, owner, type, 'icon', png)).icon.size).toBe(png.length);
  });
});

describe('an uploaded Heat environment', () => {
  it('stores the parameters it sets and the resource types it maps', async () => {
    const env = await uploaded(
      'heat_environments',
      'environment',
      'parameters:\n  flavor: m1.large\nparameter_defaults:\n  image: cirros\nresource_registry:\n  My::Server: server.yaml\n  resources:\n    db: { OS::Nova::Server: big.yaml }\nencrypted_param_names: [password]\n',
    );
    expect(env).toMatchObject({ parameter_names: ['flavor', 'image'], resource_types: ['My::Server'] });
  });

  it.each([
    ['an unknown section', 'parameters: {}\nresources: {}\n', /unknown section "resources"; an environment has parameters, parameter_defaults/],
    ['a section of the wrong shape', 'event_sinks: {a: b}\n', /"event_sinks" must be a list/],
    ['broken YAML', 'parameters:\n  a: "b\n', /the environment is not valid YAML or JSON at line \d+/],
  ])('with %s is refused with 400, and nothing is kept', async (_name, body, problem) => {
    await expectRefused(node, owner, { type: 'heat_environments', field: 'environment' }, body, problem);
  });
});
