/**
 * Murano packages over HTTP: an uploaded zip's manifest.yaml fills the package's fields and
 * requirements; malformed and malicious zips (no manifest, broken YAML, zip slip, bombs) are
 * refused with 400 and nothing is kept. The zips are built here with a zip library.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestNode, type TestNode } from '../support/node.js';
import { bytesReadDuring, expectRefused, upload, zipOf } from './uploads.js';

const MANIFEST = `Format: 1.0
Type: Application
FullName: com.example.apache.ApacheHttpServer
Name: Apache HTTP Server
Description: |
  The Apache HTTP Server Project is an effort to develop and maintain an
  open-source HTTP server.
Author: 'Mirantis, Inc'
Tags: [HTTP, Server, WebServer]
Categories: [Web]
Classes:
  com.example.apache.ApacheHttpServer: ApacheHttpServer.yaml
  com.example.apache.VirtualHost: VirtualHost.yaml
Require:
  com.example.databases.MySql: ">=1.0.0,<2.0.0"
  io.murano.applications:
UI: ui.yaml
`;

const CLASS = `Namespaces:
  =: com.example.apache
  std: io.murano
  res: io.murano.resources
Name: ApacheHttpServer
Extends: std:Application
Properties:
  instance:
    Contract: $.class(res:Instance).notNull()
Methods:
  deploy:
    Body:
      - $.instance.deploy()
`;

const goodPackage = (manifest = MANIFEST) =>
  zipOf({
    'manifest.yaml': manifest,
    'Classes/ApacheHttpServer.yaml': CLASS,
    'Classes/VirtualHost.yaml': CLASS.replace('ApacheHttpServer', 'VirtualHost'),
    'UI/ui.yaml': 'Version: 2\nForms: []\n',
  });

const CENTRAL_ENTRY = Buffer.from([0x50, 0x4b, 0x01, 0x02]);

/** The zip with `entry`'s uncompressed size, as its central directory declares it, set to `size`. */
function declareUncompressedSize(zip: Buffer, entry: string, size: number): Buffer {
  const out = Buffer.from(zip);
  const name = Buffer.from(entry);
  for (let i = out.indexOf(CENTRAL_ENTRY); i >= 0; i = out.indexOf(CENTRAL_ENTRY, i + 4)) {
    if (out.subarray(i + 46, i + 46 + name.length).equals(name)) out.writeUInt32LE(size, i + 24);
  }
  return out;
}

let node: TestNode;
let owner: Record<string, string>;
beforeAll(async () => {
  node = await createTestNode();
  owner = node.as({ project: 'p-murano' });
});
afterAll(() => node.close());

const refused = (body: Uint8Array, problem: RegExp) => expectRefused(node, owner, { type: 'murano_packages', field: 'package' }, body, problem);

describe('an uploaded Murano package', () => {
  it("fills the package's fields from its manifest, searchable", async () => {
    const created = await (await node.request('POST', '/artifacts/murano_packages', { as: owner, json: { name: 'apache', version: '1.2.0', tags: ['mine'] } })).json();
    const res = await upload(node, owner, `/artifacts/murano_packages/${created.id}/package`, await goodPackage(), 'application/zip');
    expect(res.status).toBe(200);
    const shown = await (await node.request('GET', `/artifacts/murano_packages/${created.id}`, { as: owner })).json();
    expect(shown).toMatchObject({
      display_name: 'Apache HTTP Server',
      type: 'Application',
      full_name: 'com.example.apache.ApacheHttpServer',
      author: 'Mirantis, Inc',
      categories: ['Web'],
      class_definitions: ['com.example.apache.ApacheHttpServer', 'com.example.apache.VirtualHost'],
      requires: [
        { type: 'murano_packages', name: 'com.example.databases.MySql', range: '>=1.0.0 <2.0.0' },
        { type: 'murano_packages', name: 'io.murano.applications', range: '*' },
      ],
    });
    expect(shown.description).toMatch(/^The Apache HTTP Server Project/);
    expect(shown.tags.sort()).toEqual(['HTTP', 'Server', 'WebServer', 'mine']);
    expect(shown.package.size).toBeGreaterThan(0);

    const byName = await (await node.request('GET', '/artifacts/murano_packages?full_name=com.example.apache.ApacheHttpServer', { as: owner })).json();
    expect(byName.artifacts.map((a: { id: string }) => a.id)).toEqual([created.id]);
    const byClass = await (await node.request('GET', '/artifacts/murano_packages?class_definitions=com.example.apache.VirtualHost', { as: owner })).json();
    expect(byClass.artifacts.map((a: { id: string }) => a.id)).toEqual([created.id]);
    // The manifest's Require is a real requirement: no MySql package here, so no activation.
    const activation = await node.request('PATCH', `/artifacts/murano_packages/${created.id}`, { as: owner, patch: [{ op: 'replace', path: '/status', value: 'active' }] });
    expect(activation.status).toBe(403);
    expect((await activation.json()).explanation).toMatch(/cannot activate.*requires murano_packages com\.example\.databases\.MySql >=1\.0\.0 <2\.0\.0/);
  });

  it('is read through ranges of the stored zip, not whole', async () => {
    const created = await (await node.request('POST', '/artifacts/murano_packages', { as: owner, json: { name: 'big' } })).json();
    const zip = await zipOf({ 'manifest.yaml': MANIFEST, 'Classes/ApacheHttpServer.yaml': CLASS, 'Classes/VirtualHost.yaml': CLASS, 'Resources/disk.img': randomBytes(8 * 1024 * 1024) });
    const read = await bytesReadDuring(node, 'murano_packages', async () => {
      expect((await upload(node, owner, `/artifacts/murano_packages/${created.id}/package`, zip)).status).toBe(200);
    });
    expect(read).toBeGreaterThan(0);
    expect(read).toBeLessThan(256 * 1024);
  });

  it('that is a Library becomes one, and the fields it derives cannot be set by hand', async () => {
    const created = await (await node.request('POST', '/artifacts/murano_packages', { as: owner, json: { name: 'lib' } })).json();
    const library = MANIFEST.replace('Type: Application', 'Type: Library').replace(/Require:[\s\S]*?UI:/, 'UI:');
    expect((await upload(node, owner, `/artifacts/murano_packages/${created.id}/package`, await goodPackage(library))).status).toBe(200);
    const shown = await (await node.request('GET', `/artifacts/murano_packages/${created.id}`, { as: owner })).json();
    expect(shown.type).toBe('Library');
    expect(shown.requires).toEqual([]);
    const byHand = await node.request('PATCH', `/artifacts/murano_packages/${created.id}`, { as: owner, patch: [{ op: 'replace', path: '/full_name', value: 'x.y' }] });
    expect(byHand.status).toBe(403);
  });

  it.each([
    ['no manifest', () => zipOf({ 'Classes/ApacheHttpServer.yaml': CLASS }), /no manifest\.yaml at its root/],
    ['a manifest that is not YAML', () => goodPackage('FullName: a.b\nTags: [x, y\nClasses: {}\n'), /manifest\.yaml is not valid YAML or JSON at line \d+/],
    ['a manifest that is a list', () => goodPackage('- FullName\n'), /manifest\.yaml must be a mapping/],
    ['a manifest without FullName', () => goodPackage(MANIFEST.replace(/FullName: .*\n/, '')), /manifest\.yaml has no FullName/],
    ['a Type that is neither', () => goodPackage(MANIFEST.replace('Type: Application', 'Type: Service')), /Type must be Application or Library, not "Service"/],
    ['a class file the package lacks', () => goodPackage(MANIFEST.replace('VirtualHost.yaml', 'Missing.yaml')), /Classes\/Missing\.yaml for class com\.example\.apache\.VirtualHost/],
    ['a requirement that is no semver range', () => goodPackage(MANIFEST.replace('">=1.0.0,<2.0.0"', 'latest-please')), /"latest-please", the version of required package com\.example\.databases\.MySql, is not a semver range/],
    ['Tags that are not a list', () => goodPackage(MANIFEST.replace('Tags: [HTTP, Server, WebServer]', 'Tags: HTTP')), /Tags must be a list of strings/],
    ['bytes that are no zip', async () => Buffer.from('this is not a zip archive at all'), /not a readable zip archive/],
    ['a path climbing out of the archive (zip slip)', () => zipOf({ 'manifest.yaml': MANIFEST, '../../etc/cron.d/evil': '* * * * * root sh' }), /path that escapes the archive: "\.\.\/\.\.\/etc\/cron\.d\/evil"/],
    ['an absolute path', () => zipOf({ 'manifest.yaml': MANIFEST, '/etc/passwd': 'root:x:0:0' }), /path that escapes the archive: "\/etc\/passwd"/],
    ['a bomb by compression ratio', () => zipOf({ 'manifest.yaml': MANIFEST, 'Resources/zeros.bin': new Uint8Array(20 * 1024 * 1024) }), /"Resources\/zeros\.bin" would inflate \d+ times \(20971520 bytes\); at most 100 times/],
    [
      'a bomb by declared size',
      async () => declareUncompressedSize(await zipOf({ 'manifest.yaml': MANIFEST, 'Resources/noise.bin': randomBytes(12 * 1024 * 1024) }), 'Resources/noise.bin', 1.1 * 1024 ** 3),
      /the package would inflate to more than 1073741824 bytes/,
    ],
    [
      'too many entries',
      () => zipOf(Object.fromEntries([['manifest.yaml', MANIFEST], ...Array.from({ length: 10_000 }, (_, i) => [`Resources/f${i}`, ''])])),
      /the package has 10001 entries; at most 10000 are accepted/,
    ],
  ])('with %s is refused with 400, and nothing is kept', async (_name, build, problem) => {
    await refused(await build(), problem);
  });

  it('whose manifest lies about its size is refused when it inflates past what it declared', async () => {
    // The manifest declares 10 bytes and inflates to more: yauzl stops it at the declared size.
    await refused(declareUncompressedSize(await goodPackage(), 'manifest.yaml', 10), /not a readable zip archive: too many bytes in the stream/);
  });
});
