/**
 * The real Glare clients against a node on a real socket: Debian's python3-glareclient (the
 * `glare` command and `openstack artifact`), authenticating the way Glare's default pipeline did,
 * with `X-Auth-Token: user:tenant:roles` (noauth-token mode). One artifact life cycle per client,
 * step by step in order; each step asserts what Glare answered.
 *
 * Two client defects no server can fix are worked around through the client library itself
 * (glareclient.v1.client, run by /usr/bin/python3), never by talking HTTP ourselves:
 * - `download`: ResponseBlobWrapper.next() calls `self.iter.next()`, a Python 2 iterator method, so
 *   every download dies with "'generator' object has no attribute 'next'". The snippet asks the
 *   library for the same wrapper, reads its response iterator and makes the wrapper's own check
 *   (md5 hex digest == Content-MD5).
 * - `remove-location`: RemoveLocation is a ShowOne command whose take_action returns None, so the
 *   command crashes after the location is gone. The snippet calls the library method it calls.
 *
 * CI installs the clients (.ci/run) and sets REQUIRE_GLARE_CLIENTS=1, so there this file runs or
 * fails; elsewhere it is skipped when the `glare` command is missing.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestNode, type TestNode } from '../support/node.js';

const PYTHON = '/usr/bin/python3'; // the interpreter Debian's glareclient is installed for
const installed = ['glare', 'openstack'].every((cmd) => ['/usr/bin', '/usr/local/bin'].some((dir) => existsSync(join(dir, cmd))));
if (!installed && process.env.REQUIRE_GLARE_CLIENTS) throw new Error('REQUIRE_GLARE_CLIENTS is set but the glare/openstack commands are missing: apt-get install python3-glareclient python3-openstackclient');

const OWNER = 'alice:p1:member';
const OTHER_MEMBER = 'bob:p2:member';
const ADMIN = 'root:ops:admin';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let node: TestNode;
let server: ServerType;
let endpoint: string;
let work: string;

function run(file: string, args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    execFile(file, args, { env: { PATH: '/usr/bin:/bin:/usr/local/bin', HOME: work, LANG: 'C.UTF-8', ...env }, timeout: 60_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** `glare <args>` as `token`; fails the step, showing the client's stderr, when it exits non-zero. */
async function glare(args: string[], token = OWNER): Promise<string> {
  const result = await glareRaw(args, token);
  if (result.code !== 0) throw new Error(`glare ${args.join(' ')} exited ${result.code}: ${result.stderr.trim()}`);
  return result.stdout;
}
const glareRaw = (args: string[], token = OWNER) => run('glare', args, { OS_GLARE_URL: endpoint, AUTH_TOKEN: token });

async function openstack(args: string[], token = OWNER): Promise<string> {
  const result = await openstackRaw(args, token);
  if (result.code !== 0) throw new Error(`openstack ${args.join(' ')} exited ${result.code}: ${result.stderr.trim()}`);
  return result.stdout;
}
// keystoneauth's admin_token plugin sends the token as X-Auth-Token to the given endpoint.
const openstackRaw = (args: string[], token = OWNER) =>
  run('openstack', ['--os-auth-type', 'admin_token', '--os-endpoint', endpoint, '--os-token', token, 'artifact', ...args], {});

/** An artifact printed by create/show/update/activate... with `-f json`: rows of Field, Value, Glare type. */
function artifactOf(json: string): Record<string, unknown> {
  const rows = JSON.parse(json) as Array<{ Field: string; Value: unknown; 'Glare type': string }>;
  return Object.fromEntries(rows.map((r) => [r.Field, r.Value]));
}
const rowsOf = (json: string) => JSON.parse(json) as Array<Record<string, unknown>>;

/** Runs a snippet against glareclient's library (the workarounds named at the top of this file). */
async function library(snippet: string, args: string[], token = OWNER): Promise<Run> {
  const prelude = `import sys\nfrom glareclient.v1 import client\nc = client.Client(sys.argv[1], auth_token=sys.argv[2])\n`;
  return run(PYTHON, ['-c', prelude + snippet, endpoint, token, ...args], {});
}

/** The client's download, minus its Python 2 `.next()`: the same wrapper, the same md5 check. */
const DOWNLOAD = `
import hashlib
af_id, blob, type_name, out = sys.argv[3:7]
wrapper = c.artifacts.download_blob(af_id, blob, type_name=type_name)
digest = hashlib.md5()
with open(out, 'wb') as f:
    for chunk in wrapper.iter:
        digest.update(chunk)
        f.write(chunk)
if digest.hexdigest() != wrapper.hash_md5:
    sys.exit('Checksum mismatch: %s (expected %s)' % (digest.hexdigest(), wrapper.hash_md5))
`;
const REMOVE_LOCATION = `
af_id, blob, type_name = sys.argv[3:6]
c.artifacts.remove_external_location(af_id, blob, type_name=type_name)
`;

async function download(id: string, blob: string, type: string, token = OWNER): Promise<Buffer> {
  const out = join(work, `download-${randomBytes(4).toString('hex')}`);
  const result = await library(DOWNLOAD, [id, blob, type, out], token);
  if (result.code !== 0) throw new Error(`download of ${type}/${id}/${blob} failed: ${result.stderr.trim()}`);
  return readFileSync(out);
}

const md5 = (data: Buffer) => createHash('md5').update(data).digest('hex');

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'glare-cli-'));
  node = await createTestNode({ auth: { modes: ['noauth-token'] } });
  server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: node.app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
  });
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server?.close(r));
  await node?.close();
  rmSync(work, { recursive: true, force: true });
});

describe.skipIf(!installed)('the glare command through a whole life cycle', { timeout: 120_000 }, () => {
  const template = Buffer.from('heat_template_version: 2016-10-14\nresources: {}\n');
  const nested = Buffer.from('heat_template_version: 2016-10-14\ndescription: nested\n');
  const image = randomBytes(5 * 1024 * 1024);
  // A qcow2 image, as its disk_format says: the node checks the magic number.
  Buffer.from('QFI\xfb', 'latin1').copy(image, 0);
  let templateId = '';
  let imageId = '';
  let packageId = '';

  it('type-list names every type with its version', async () => {
    const types = rowsOf(await glare(['type-list', '-f', 'json']));
    for (const name of ['images', 'heat_templates', 'heat_environments', 'murano_packages', 'tosca_templates', 'all']) {
      expect(types).toContainEqual({ Name: name, Version: '1.0' });
    }
  });

  it('schema shows a type’s fields with their Glare types, flags and filters', async () => {
    const rows = rowsOf(await glare(['schema', 'heat_templates', '-f', 'json']));
    const byName = Object.fromEntries(rows.map((r) => [r.Name, r]));
    expect(byName.template).toMatchObject({ Glare_type: 'Blob', Required: true, Filters: [] });
    expect(byName.nested_templates).toMatchObject({ Glare_type: 'BlobDict' });
    expect(byName.name).toMatchObject({ Glare_type: 'String', Sortable: true, Required: false, Filters: ['like', 'eq', 'neq', 'in'] });
    expect(byName.status).toMatchObject({ Available_values: ['drafted', 'active', 'deactivated'] });
    expect(byName.created_at).toMatchObject({ Glare_type: 'DateTime', Filters: ['lt', 'gt'] });
  });

  it('create sets simple, list and dict properties', async () => {
    const created = artifactOf(
      await glare(['create', 'heat_templates', 'stack', '-V', '1.0', '-p', 'description=a stack', '-l', 'tags=a,b', '-d', 'metadata=k1:v1,k2:v2', '-f', 'json']),
    );
    expect(created).toMatchObject({ name: 'stack', version: '1.0.0', description: 'a stack', tags: ['a', 'b'], metadata: { k1: 'v1', k2: 'v2' }, owner: 'p1', status: 'drafted', visibility: 'private' });
    templateId = String(created.id);
  });

  it('show finds it by name and version', async () => {
    expect(artifactOf(await glare(['show', 'heat_templates', 'stack', '-V', '1.0', '-f', 'json']))).toMatchObject({ id: templateId });
  });

  it('update changes properties with a JSON patch', async () => {
    const updated = artifactOf(await glare(['update', 'heat_templates', 'stack', '-V', '1.0', '-p', 'description=changed', '-d', 'default_envs=e1:x', '-f', 'json']));
    expect(updated).toMatchObject({ description: 'changed', default_envs: { e1: 'x' } });
  });

  it('add-tag and remove-tag', async () => {
    await glare(['add-tag', 'heat_templates', 'stack', 'c', '-V', '1.0', '-f', 'json']);
    const tagged = artifactOf(await glare(['remove-tag', 'heat_templates', 'stack', 'a', '-V', '1.0', '-f', 'json']));
    expect([...(tagged.tags as string[])].sort()).toEqual(['b', 'c']);
  });

  it('upload puts a template and a blob-dict key, and they download intact', async () => {
    writeFileSync(join(work, 'template.yaml'), template);
    writeFileSync(join(work, 'nested.yaml'), nested);
    const blob = JSON.parse(await glare(['upload', 'heat_templates', templateId, '--id', '--file', join(work, 'template.yaml'), '-C', 'application/x-yaml', '-f', 'json']));
    expect(blob).toMatchObject({ blob_property: 'template', size: template.length, md5: md5(template), status: 'active', external: false, content_type: 'application/x-yaml' });
    expect(blob.url).toBe(`/artifacts/heat_templates/${templateId}/template`);
    const key = JSON.parse(await glare(['upload', 'heat_templates', templateId, '--id', '-p', 'nested_templates/nested.yaml', '--file', join(work, 'nested.yaml'), '-f', 'json']));
    expect(key).toMatchObject({ blob_property: 'nested_templates/nested.yaml', size: nested.length, status: 'active' });
    expect(key.url).toBe(`/artifacts/heat_templates/${templateId}/nested_templates/nested.yaml`);
    expect(await download(templateId, 'template', 'heat_templates')).toEqual(template);
    expect(await download(templateId, 'nested_templates/nested.yaml', 'heat_templates')).toEqual(nested);
  });

  it('location registers an external blob, and the library removes it', async () => {
    const external = JSON.parse(
      await glare(['location', 'heat_templates', templateId, '--id', '-p', 'nested_templates/remote.yaml', '--url', 'http://127.0.0.1:9/remote.yaml', '--md5', md5(nested), '-f', 'json']),
    );
    expect(external).toMatchObject({ blob_property: 'nested_templates/remote.yaml', url: 'http://127.0.0.1:9/remote.yaml', external: true, md5: md5(nested), status: 'active' });
    const removed = await library(REMOVE_LOCATION, [templateId, 'nested_templates/remote.yaml', 'heat_templates']);
    expect(removed.stderr).toBe('');
    const shown = artifactOf(await glare(['show', 'heat_templates', templateId, '--id', '-f', 'json']));
    expect(Object.keys(shown.nested_templates as object)).toEqual(['nested.yaml']);
  });

  it('creates an image with typed properties given as text, and uploads 5 MiB', async () => {
    // The CLI sends every -p value as a string; Glare coerced "1024" into the integer field.
    const created = artifactOf(await glare(['create', 'images', 'cirros', '-V', '0.6.2', '-p', 'container_format=bare', '-p', 'disk_format=qcow2', '-p', 'min_ram=1024', '-f', 'json']));
    expect(created).toMatchObject({ container_format: 'bare', disk_format: 'qcow2', min_ram: 1024 });
    imageId = String(created.id);
    writeFileSync(join(work, 'cirros.qcow2'), image);
    const blob = JSON.parse(await glare(['upload', 'images', imageId, '--id', '--file', join(work, 'cirros.qcow2'), '-f', 'json']));
    expect(blob).toMatchObject({ blob_property: 'image', size: image.length, md5: md5(image), sha256: createHash('sha256').update(image).digest('hex') });
    expect(md5(await download(imageId, 'image', 'images'))).toBe(md5(image));
  });

  it('uploads a murano package zip', async () => {
    const zip = join(work, 'app.zip');
    const made = await run(PYTHON, ['-c', `import zipfile, sys\nwith zipfile.ZipFile(sys.argv[1], 'w') as z:\n    z.writestr('manifest.yaml', 'Format: 1.0\\nType: Application\\nFullName: io.test.App\\nName: App\\n')`, zip], {});
    expect(made.stderr).toBe('');
    const created = artifactOf(await glare(['create', 'murano_packages', 'io.test.App', '-V', '1.0', '-p', 'display_name=Test App', '-f', 'json']));
    packageId = String(created.id);
    const blob = JSON.parse(await glare(['upload', 'murano_packages', packageId, '--id', '--file', zip, '-C', 'application/zip', '-f', 'json']));
    expect(blob).toMatchObject({ blob_property: 'package', content_type: 'application/zip', md5: md5(readFileSync(zip)) });
  });

  it('activate makes the three artifacts active', async () => {
    for (const [type, id] of [['heat_templates', templateId], ['images', imageId], ['murano_packages', packageId]] as const) {
      expect(artifactOf(await glare(['activate', type, id, '--id', '-f', 'json']))).toMatchObject({ status: 'active' });
    }
  });

  it('publish is refused to a member (403) and done by an admin', async () => {
    const refused = await glareRaw(['publish', 'images', imageId, '--id', '-f', 'json'], OWNER);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/HTTP 403/);
    expect(artifactOf(await glare(['publish', 'images', imageId, '--id', '-f', 'json'], ADMIN))).toMatchObject({ visibility: 'public' });
    // Another project now sees it, and may download it.
    expect(artifactOf(await glare(['show', 'images', 'cirros', '-V', '0.6.2', '-f', 'json'], OTHER_MEMBER))).toMatchObject({ id: imageId });
  });

  it('list filters, sorts, pages and picks the latest version', async () => {
    for (const version of ['1.1', '2.0', '2.0.1-rc.1']) await glare(['create', 'heat_templates', 'stack', '-V', version, '-f', 'json']);
    const versions = async (args: string[]) => rowsOf(await glare(['list', 'heat_templates', ...args, '-f', 'json'])).map((r) => r.Version);
    expect(await versions(['-F', 'name=stack', '-F', 'version=gt:1.0', '--sort', 'version:desc'])).toEqual(['2.0.1-rc.1', '2.0.0', '1.1.0']);
    expect(await versions(['-F', 'name=stack', '--sort', 'version:asc'])).toEqual(['1.0.0', '1.1.0', '2.0.0', '2.0.1-rc.1']);
    expect(await versions(['-F', 'name=stack', '-F', 'version=latest'])).toEqual(['2.0.1-rc.1']);
    // One artifact per request: the client follows `next` until it has three.
    expect(await versions(['-F', 'name=stack', '--sort', 'version:asc', '--page-size', '1', '--limit', '3'])).toEqual(['1.0.0', '1.1.0', '2.0.0']);
    expect(await versions(['-F', 'name=like:st%', '-F', 'version=in:1.0,2.0', '--sort', 'version:asc'])).toEqual(['1.0.0', '2.0.0']);
    expect(await versions(['-F', 'status=active', '-F', 'tags=b', '-F', 'metadata.k1=v1'])).toEqual(['1.0.0']);
    const refused = await glareRaw(['list', 'heat_templates', '-F', 'name=foo:stack', '-f', 'json']);
    expect(refused.stderr).toMatch(/HTTP 400/);
  });

  it('deactivate and reactivate (admin only)', async () => {
    const refused = await glareRaw(['deactivate', 'images', imageId, '--id', '-f', 'json'], OWNER);
    expect(refused.stderr).toMatch(/HTTP 403/);
    expect(artifactOf(await glare(['deactivate', 'images', imageId, '--id', '-f', 'json'], ADMIN))).toMatchObject({ status: 'deactivated' });
    await expect(download(imageId, 'image', 'images', OWNER)).rejects.toThrow(/HTTPForbidden|403/);
    expect(artifactOf(await glare(['reactivate', 'images', imageId, '--id', '-f', 'json'], ADMIN))).toMatchObject({ status: 'active' });
    expect(md5(await download(imageId, 'image', 'images', OWNER))).toBe(md5(image));
  });

  it('delete removes an artifact', async () => {
    await glare(['delete', 'heat_templates', 'stack', '-V', '1.1']);
    const left = rowsOf(await glare(['list', 'heat_templates', '-F', 'name=stack', '-f', 'json'])).map((r) => r.Version);
    expect(left).not.toContain('1.1.0');
    expect(left).toHaveLength(3);
  });

  it('list all shows every type with its type name, filterable by it', async () => {
    const all = rowsOf(await glare(['list', 'all', '-f', 'json']));
    expect(all.map((r) => r['Type name']).sort()).toEqual(['heat_templates', 'heat_templates', 'heat_templates', 'images', 'murano_packages']);
    const images = rowsOf(await glare(['list', 'all', '-F', 'type_name=images', '-f', 'json']));
    expect(images).toEqual([expect.objectContaining({ Id: imageId, 'Type name': 'images' })]);
  });
});

describe.skipIf(!installed)('openstack artifact through a life cycle', { timeout: 120_000 }, () => {
  const body = Buffer.from('tosca_definitions_version: tosca_simple_yaml_1_0\n');
  let id = '';

  it('type-list and schema', async () => {
    expect(rowsOf(await openstack(['type-list', '-f', 'json']))).toContainEqual({ Name: 'tosca_templates', Version: '1.0' });
    const schema = rowsOf(await openstack(['schema', 'tosca_templates', '-f', 'json']));
    expect(schema).toContainEqual(expect.objectContaining({ Name: 'template', Glare_type: 'Blob' }));
  });

  it('create, upload, activate', async () => {
    const created = artifactOf(await openstack(['create', 'tosca_templates', 'service', '-V', '1.0', '-p', 'template_format=yaml', '-f', 'json']));
    id = String(created.id);
    writeFileSync(join(work, 'service.yaml'), body);
    const blob = JSON.parse(await openstack(['upload', 'tosca_templates', id, '--id', '--file', join(work, 'service.yaml'), '-f', 'json']));
    expect(blob).toMatchObject({ size: body.length, md5: md5(body) });
    expect(artifactOf(await openstack(['activate', 'tosca_templates', id, '--id', '-f', 'json']))).toMatchObject({ status: 'active' });
  });

  it('publish as admin, seen by another project, then deleted by an admin', async () => {
    expect((await openstackRaw(['publish', 'tosca_templates', id, '--id', '-f', 'json'])).stderr).toMatch(/HTTP 403/);
    expect(artifactOf(await openstack(['publish', 'tosca_templates', id, '--id', '-f', 'json'], ADMIN))).toMatchObject({ visibility: 'public' });
    const seen = rowsOf(await openstack(['list', 'tosca_templates', '-F', 'visibility=public', '-f', 'json'], OTHER_MEMBER));
    expect(seen).toEqual([expect.objectContaining({ Id: id, Visibility: 'public' })]);
    // Glare's policy: deleting a public artifact takes an admin.
    expect((await openstackRaw(['delete', 'tosca_templates', id, '--id'])).stderr).toMatch(/HTTP 403/);
    await openstack(['delete', 'tosca_templates', id, '--id'], ADMIN);
    expect(rowsOf(await openstack(['list', 'tosca_templates', '-f', 'json'], ADMIN))).toEqual([]);
  });
});
