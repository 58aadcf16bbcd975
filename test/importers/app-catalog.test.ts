/**
 * The Community App Catalog importer on the sample file: what becomes of each asset, that
 * nothing is fetched, that a malformed asset is reported, and that re-running updates in place.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../src/artifacts/actor.js';
import { opContext } from '../../src/artifacts/context.js';
import { importAppCatalog, type ImportReport } from '../../src/importers/app-catalog.js';
import type { Body } from '../support/json.js';
import { createTestNode, type TestNode } from '../support/node.js';

const SAMPLE = readFileSync(new URL('../fixtures/app-catalog/sample-assets.yaml', import.meta.url), 'utf8');

let node: TestNode;
let first: ImportReport;
const progress: Array<[number, number]> = [];

const run = (text: string) =>
  importAppCatalog(opContext(node.deps, systemActor('app-catalog-import', 'app-catalog')), text, { types: node.deps.types, onProgress: (d, t) => progress.push([d, t]) });

async function shown(type: string, name: string): Promise<Body> {
  const res = await node.request('GET', `/artifacts/${type}?name=${name}`);
  const body = await res.json();
  expect(body.artifacts, `${type}/${name}`).toHaveLength(1);
  return body.artifacts[0];
}

beforeAll(async () => {
  node = await createTestNode();
  const realFetch = globalThis.fetch;
  // The import must make no network request: any fetch fails the test.
  globalThis.fetch = () => Promise.reject(new Error('the importer made a network request'));
  try {
    first = await run(SAMPLE);
  } finally {
    globalThis.fetch = realFetch;
  }
});
afterAll(() => node.close());

describe('importing the sample assets.yaml', () => {
  it('creates one artifact per good asset and skips the malformed one, saying why', () => {
    expect(first.created.map((c) => `${c.type}/${c.name}`).sort()).toEqual([
      'bundles/web-stack-bundle',
      'heat_templates/hello-server',
      'images/example-linux-9-cloud-image',
      'images/web-server-pre-installed-agent-image',
      'murano_packages/simple-web-app',
    ]);
    expect(first.skipped).toEqual([{ index: 5, name: 'Broken Entry Without Service', reason: expect.stringMatching(/malformed: service/) }]);
    expect(progress.at(-1)).toEqual([6, 6]);
  });

  it('makes them active and public (anonymous callers see them), carrying the asset’s fields over', async () => {
    const image = await shown('images', 'example-linux-9-cloud-image');
    expect(image).toMatchObject({
      status: 'active',
      visibility: 'public',
      owner: 'app-catalog',
      version: '1.0.0',
      description: 'A minimal cloud image of Example Linux 9 with cloud-init, for general purpose servers.',
      provided_by: { name: 'Example Linux Project', href: 'https://example.org/linux', company: 'Example Linux Foundation' },
      license: 'GPL v2',
      release: ['Newton', 'Ocata', 'Pike'],
      disk_format: 'qcow2',
      container_format: 'bare',
      min_ram: 1024,
      min_disk: 8,
      metadata: { display_name: 'Example Linux 9 (cloud image)', url: 'https://downloads.example.org/images/example-linux-9.qcow2', cloud_user: 'example', source: 'community-app-catalog' },
    });
    // The download is an external location with the declared md5, never fetched.
    expect(image.image).toMatchObject({ external: true, url: 'https://downloads.example.org/images/example-linux-9.qcow2', md5: '0f343b0931126a20f133d67c2b018a3b', sha256: null });
    const app = await shown('murano_packages', 'simple-web-app');
    expect(app).toMatchObject({ tags: ['app'], supported_by: { name: 'Example Cloud Support' }, display_name: 'Simple Web App' });
    expect(app.package).toMatchObject({ external: true, url: 'https://downloads.example.com/apps/com.example.apps.SimpleWebApp.zip' });
    expect(app.icon).toMatchObject({ external: true, url: 'https://example.com/icons/webapp.png' });
    const heat = await shown('heat_templates', 'hello-server');
    expect(heat).toMatchObject({ default_envs: { flavor: 'm1.small' }, template: { external: true } });
  });

  it('turns depends into links where the type has a link field, and says where it has none', async () => {
    const app = await shown('murano_packages', 'simple-web-app');
    const bundle = await shown('bundles', 'web-stack-bundle');
    expect(bundle).toMatchObject({ murano_package_name: 'web-stack', members: [`/artifacts/murano_packages/${app.id}`] });
    expect(app.metadata.depends).toBe('Web Server (pre-installed agent image)');
    expect(first.warnings).toContainEqual({ name: 'Simple Web App', message: expect.stringMatching(/no link field/) });
  });

  it('is found by search on the display name', async () => {
    const found = await (await node.request('GET', '/artifacts/all?q=pre-installed%20agent')).json();
    expect(found.artifacts.map((a: Body) => a.name)).toEqual(['web-server-pre-installed-agent-image']);
  });

  it('re-running changes nothing and duplicates nothing; an edited asset is updated in place', async () => {
    const again = await run(SAMPLE);
    expect(again.skipped.map((s) => s.name)).toEqual(["Broken Entry Without Service"]);
    expect(again.created).toEqual([]);
    expect(again.updated).toEqual([]);
    expect(again.unchanged).toHaveLength(5);
    const edited = SAMPLE.replace('Image with a deployment agent pre-installed.', 'Image with a newer agent.');
    const third = await run(edited);
    expect(third.updated.map((u) => u.name)).toEqual(['web-server-pre-installed-agent-image']);
    expect((await shown('images', 'web-server-pre-installed-agent-image')).description).toBe('Image with a newer agent.');
    const all = await (await node.request('GET', '/artifacts/all?owner=app-catalog&limit=100')).json();
    expect(all.artifacts).toHaveLength(5);
  });

  it('refuses a file that is not an assets file, and reports each bad asset of an otherwise good one', async () => {
    await expect(run('just: text')).rejects.toThrow(/"assets"/);
    await expect(run('assets: [')).rejects.toThrow(/not valid YAML/);
    const report = await run(
      'assets:\n  - name: No URL\n    description: d\n    provided_by: {name: x}\n    license: MIT\n    service: {type: murano, package_name: a.b}\n' +
        '  - name: Odd\n    description: d\n    provided_by: {name: x}\n    license: MIT\n    service: {type: juju}\n' +
        '  - name: Retired\n    description: d\n    provided_by: {name: x}\n    license: MIT\n    service: {type: glance}\n    active: false\n',
    );
    expect(report.created).toEqual([]);
    expect(report.skipped.map((s) => [s.name, s.reason])).toEqual([
      ['No URL', expect.stringMatching(/no download URL/)],
      ['Odd', expect.stringMatching(/malformed: service.type/)],
      ['Retired', 'marked inactive (active: false)'],
    ]);
  });
});
