/** A small catalog for the page tests: public artifacts with blobs, a private one, and hostile text. */
import { createHash } from 'node:crypto';
import type { Body } from '../support/json.js';
import type { TestNode } from '../support/node.js';

export const HOT = `heat_template_version: 2018-08-31
description: A web server
resources:
  server:
    type: OS::Nova::Server
`;
export const HOT_SHA256 = createHash('sha256').update(HOT).digest('hex');

/** Markup that would run if any page rendered it unescaped (or followed its link). */
export const XSS = {
  name: '<script>window.__xss=1</script>',
  description: '<img src=x onerror="window.__xss=2"> and <b>bold</b>',
  href: 'javascript:window.__xss=3',
};

export interface SeededCatalog {
  webServer1: Body;
  webServer2: Body;
  cirros: Body;
  hostile: Body;
  secret: Body;
}

async function make(node: TestNode, type: string, body: Record<string, unknown>, opts: { project?: string; blob?: { field: string; bytes: string }; publish: boolean }): Promise<Body> {
  const as = node.as({ project: opts.project ?? 'p1' });
  let res = await node.request('POST', `/artifacts/${type}`, { as, json: body });
  if (res.status !== 201) throw new Error(`create failed: ${res.status} ${await res.text()}`);
  const created: Body = await res.json();
  if (opts.blob) {
    res = await node.request('PUT', `/artifacts/${type}/${created.id}/${opts.blob.field}`, { as, body: opts.blob.bytes, headers: { 'content-type': 'application/x-yaml' } });
    if (res.status !== 200) throw new Error(`upload failed: ${res.status} ${await res.text()}`);
  }
  res = await node.request('PATCH', `/artifacts/${type}/${created.id}`, { as, patch: [{ op: 'replace', path: '/status', value: 'active' }] });
  if (res.status !== 200) throw new Error(`activate failed: ${res.status} ${await res.text()}`);
  if (opts.publish) {
    res = await node.request('PATCH', `/artifacts/${type}/${created.id}`, { as: node.admin, patch: [{ op: 'replace', path: '/visibility', value: 'public' }] });
    if (res.status !== 200) throw new Error(`publish failed: ${res.status} ${await res.text()}`);
  }
  return res.json();
}

export async function seedCatalog(node: TestNode): Promise<SeededCatalog> {
  const webServer = {
    name: 'web-server',
    description: 'A single web server behind a floating IP.',
    tags: ['web', 'nginx'],
    license: 'Apache-2.0',
    license_url: 'https://www.apache.org/licenses/LICENSE-2.0',
    provided_by: { name: 'Acme Cloud', href: 'https://acme.example/', company: 'Acme' },
    supported_by: { name: 'Acme support', email: 'support@acme.example' },
    release: ['2024.1'],
  };
  const webServer1 = await make(node, 'heat_templates', { ...webServer, version: '1.0.0' }, { blob: { field: 'template', bytes: HOT }, publish: true });
  const webServer2 = await make(node, 'heat_templates', { ...webServer, version: '2.0.0' }, { blob: { field: 'template', bytes: HOT }, publish: true });
  const cirros = await make(
    node,
    'images',
    { name: 'cirros', version: '0.6.2', description: 'A tiny test image.', tags: ['tiny'], license: 'GPL-2.0', provided_by: { name: 'CirrOS project' }, release: ['2023.2'], disk_format: 'qcow2', container_format: 'bare' },
    { publish: true },
  );
  const hostile = await make(
    node,
    'heat_templates',
    { name: XSS.name, version: '1.0.0', description: XSS.description, tags: ['<b onmouseover=x>tag'], license: '<i>MIT</i>', license_url: 'https://example.com/x', provided_by: { name: '<script>p()</script>', href: XSS.href }, supported_by: { name: 'x', href: XSS.href } },
    { blob: { field: 'template', bytes: HOT }, publish: true },
  );
  const secret = await make(node, 'heat_templates', { name: 'secret-stack', version: '1.0.0', description: 'Only project p2 sees this.', tags: ['internal'] }, { project: 'p2', blob: { field: 'template', bytes: HOT }, publish: false });
  return { webServer1, webServer2, cirros, hostile, secret };
}
