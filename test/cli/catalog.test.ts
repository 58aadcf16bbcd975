/**
 * `catalog` as its users run it: the real process against a real node on a loopback port. Every
 * subcommand's success, its refusal with the node's message, and the exit code a script tests.
 */
import { freePort } from '../support/node-process.js';
import { statSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Body } from '../support/json.js';
import { runCli, serveNode, type CliOptions, type ServedNode } from './support.js';

// Every step spawns a real process (node + tsx): on a busy machine a few seconds each.
vi.setConfig({ testTimeout: 240_000 });

let s: ServedNode;
let member: string;
let stranger: string;
let admin: string;

beforeAll(async () => {
  s = await serveNode();
  member = await s.token({ project: 'p1', user: 'alice' });
  stranger = await s.token({ project: 'p2', user: 'bob' });
  admin = await s.adminToken();
});
afterAll(() => s.close());

/** `catalog` as alice of p1 unless told otherwise. */
const cli = (args: string[], opts: CliOptions & { token?: string } = {}) =>
  runCli(args, { ...opts, env: { XDG_CONFIG_HOME: s.configHome, CATALOG_URL: s.url, CATALOG_TOKEN: opts.token ?? member, ...opts.env } });
const json = (r: { stdout: string }): Body => JSON.parse(r.stdout);

describe('artifact', () => {
  it('creates, shows, updates, activates, publishes, deactivates, reactivates and deletes, with exit code 0 each time', async () => {
    const created = await cli(['artifact', 'create', 'images', 'name=cirros', 'version=0.6.2', 'min_ram:=512', 'metadata.os=linux', '--tag', 'small', '--json']);
    expect(created.code, created.stderr).toBe(0);
    const a = json(created);
    expect(a).toMatchObject({ name: 'cirros', version: '0.6.2', min_ram: 512, metadata: { os: 'linux' }, tags: ['small'], status: 'drafted' });

    const shown = await cli(['artifact', 'show', 'images', a.id]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/^name\s+cirros$/m);
    expect(shown.stdout).toMatch(/^min_ram\s+512$/m);

    const updated = await cli(['artifact', 'update', 'images', a.id, 'description=CirrOS test image', '--tag', 'linux', '--untag', 'small', '--unset', 'metadata.os', '--json']);
    expect(updated.code, updated.stderr).toBe(0);
    expect(json(updated)).toMatchObject({ description: 'CirrOS test image', tags: ['linux'], metadata: {} });

    const activated = await cli(['artifact', 'activate', 'images', a.id, '-o', 'yaml']);
    expect(activated.code, activated.stderr).toBe(0);
    expect(parseYaml(activated.stdout)).toMatchObject({ id: a.id, status: 'active' });

    const published = await cli(['artifact', 'publish', 'images', a.id, '--quiet'], { token: admin });
    expect(published.code, published.stderr).toBe(0);
    expect(published.stdout).toBe(`${a.id}\n`);
    expect((await cli(['artifact', 'show', 'images', a.id, '--json'], { token: stranger })).stdout).toContain('"visibility": "public"');

    expect(json(await cli(['artifact', 'deactivate', 'images', a.id, '--json'], { token: admin })).status).toBe('deactivated');
    expect(json(await cli(['artifact', 'reactivate', 'images', a.id, '--json'], { token: admin })).status).toBe('active');

    const deleted = await cli(['artifact', 'delete', 'images', a.id], { token: admin });
    expect(deleted.code, deleted.stderr).toBe(0);
    const gone = await cli(['artifact', 'show', 'images', a.id]);
    expect(gone.code).toBe(3);
  });

  it('exits 3 for an artifact nobody may see, with the node’s message', async () => {
    const a = json(await cli(['artifact', 'create', 'images', 'name=secret', '--json']));
    const r = await cli(['artifact', 'show', 'images', a.id], { token: stranger });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^catalog: .+\(HTTP 404\)\n$/);
    expect(r.stdout).toBe('');
  });

  it('exits 5 on a conflict (same name and version in the project)', async () => {
    expect((await cli(['artifact', 'create', 'images', 'name=twice', 'version=1.0.0'])).code).toBe(0);
    const r = await cli(['artifact', 'create', 'images', 'name=twice', 'version=1.0.0']);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('(HTTP 409)');
  });

  it('exits 4 when the node refuses: a member publishing, or a bad token', async () => {
    const a = json(await cli(['artifact', 'create', 'images', 'name=mine', '--activate', '--json']));
    expect(a.status).toBe('active');
    const r = await cli(['artifact', 'publish', 'images', a.id]);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('(HTTP 403)');
    const bad = await cli(['artifact', 'list', 'images'], { token: 'e30.e30.c2lnbmF0dXJl' });
    expect(bad.code).toBe(4);
    expect(bad.stderr).toContain('(HTTP 401)');
  });

  it('exits 2 on bad usage: a missing argument, a malformed value, a filter the node rejects, nothing to update', async () => {
    const missing = await cli(['artifact', 'show', 'images']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("missing required argument 'id'");
    const malformed = await cli(['artifact', 'create', 'images', 'name=x', 'min_ram:=notjson']);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain('must be JSON');
    const filter = await cli(['artifact', 'list', 'images', 'min_ram=bogus:1']);
    expect(filter.code).toBe(2);
    expect(filter.stderr).toContain('(HTTP 400)');
    const nothing = await cli(['artifact', 'update', 'images', '00000000-0000-4000-8000-000000000000']);
    expect(nothing.code).toBe(2);
    const unknown = await cli(['artifact', 'frobnicate']);
    expect(unknown.code).toBe(2);
  });

  it('exits 1 when the node cannot be reached', async () => {
    const port = await freePort();
    const r = await cli(['artifact', 'list', 'images'], { env: { CATALOG_URL: `http://127.0.0.1:${port}` } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`cannot reach http://127.0.0.1:${port}: ECONNREFUSED`);
  });
});

describe('list and search', () => {
  beforeAll(async () => {
    for (const [name, version] of [['lister', '1.0.0'], ['lister', '2.0.0'], ['lister', '3.0.0-rc.1'], ['other', '1.0.0']]) {
      await s.node.seed('images', { name, version, tags: ['listed'] }, { as: s.node.as({ project: 'p1', user: 'alice' }), activate: true });
    }
    await s.node.seed('heat_environments', { name: 'lister-env', tags: ['listed'] }, { as: s.node.as({ project: 'p1', user: 'alice' }) });
  });

  it('filters with the node’s grammar and prints an aligned table', async () => {
    const r = await cli(['artifact', 'list', 'images', 'name=lister', 'version=gte:2.0.0', '--sort', 'version:desc']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+NAME\s+VERSION\s+STATUS\s+VISIBILITY\s+OWNER\s+UPDATED_AT$/);
    // semver order, newest first: 3.0.0-rc.1 is above 2.0.0, and 1.0.0 is filtered out
    expect(lines.slice(1).map((l) => l.split(/\s+/)[2])).toEqual(['3.0.0-rc.1', '2.0.0']);
    // columns line up: the VERSION column starts at the same offset on every line
    const at = lines[0]!.indexOf('VERSION');
    for (const l of lines.slice(1)) expect(l[at - 1]).toBe(' ');
  });

  it('--json is the node’s page, parsable; --quiet prints only ids; --all follows every page', async () => {
    const page = json(await cli(['artifact', 'list', 'images', '--tag', 'listed', '--limit', '2', '--json']));
    expect(page.artifacts).toHaveLength(2);
    expect(page.next).toBeTruthy();
    const all = json(await cli(['artifact', 'list', 'images', '--tag', 'listed', '--limit', '2', '--all', '--json']));
    expect(all.artifacts.map((a: Body) => `${a.name}@${a.version}`).sort()).toEqual(['lister@1.0.0', 'lister@2.0.0', 'lister@3.0.0-rc.1', 'other@1.0.0']);
    const quiet = await cli(['artifact', 'list', 'images', '--tag', 'listed', '--all', '-q']);
    expect(quiet.stdout.trim().split('\n').sort()).toEqual(all.artifacts.map((a: Body) => a.id).sort());
    const more = await cli(['artifact', 'list', 'images', '--tag', 'listed', '--limit', '2']);
    expect(more.stdout).toMatch(/2 shown of 4; add --all, or --marker [0-9a-f-]{36}/);
  });

  it('cuts tables to the terminal width', async () => {
    const r = await cli(['artifact', 'list', 'images', '--tag', 'listed'], { env: { COLUMNS: '60' } });
    expect(r.code).toBe(0);
    for (const line of r.stdout.trimEnd().split('\n')) expect([...line].length).toBeLessThanOrEqual(60);
    expect(r.stdout).toContain('…');
  });

  it('search looks across types with the filter grammar', async () => {
    const r = await cli(['search', 'tags=listed', 'name=in:lister,lister-env', '--all', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(json(r).artifacts.map((a: Body) => a.type_name).sort()).toEqual(['heat_environments', 'images', 'images', 'images']);
    const typed = json(await cli(['search', '--type', 'heat_environments', 'tags=listed', '--json']));
    expect(typed.artifacts.map((a: Body) => a.name)).toEqual(['lister-env']);
    const bad = await cli(['search', '=cirros']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('is not a filter');
  });
});

describe('share', () => {
  it('adds, lists and removes a share; refuses a draft with 5 and a stranger with 3', async () => {
    const a = json(await cli(['artifact', 'create', 'images', 'name=shared', '--activate', '--json']));
    const added = await cli(['share', 'add', 'images', a.id, 'p2', '--json']);
    expect(added.code, added.stderr).toBe(0);
    expect(json(added).shares.map((x: Body) => x.project)).toEqual(['p2']);
    expect((await cli(['artifact', 'show', 'images', a.id], { token: stranger })).code).toBe(0);
    const listed = await cli(['share', 'list', 'images', a.id]);
    expect(listed.stdout).toMatch(/^PROJECT\s+SINCE\np2\s+\S+\n$/);
    const removed = await cli(['share', 'remove', 'images', a.id, 'p2', '--json']);
    expect(removed.code).toBe(0);
    expect(json(removed).shares).toEqual([]);
    expect((await cli(['artifact', 'show', 'images', a.id], { token: stranger })).code).toBe(3);

    const draft = json(await cli(['artifact', 'create', 'images', 'name=shared-draft', '--json']));
    expect((await cli(['share', 'add', 'images', draft.id, 'p2'])).code).toBe(5);
    expect((await cli(['share', 'list', 'images', a.id], { token: stranger })).code).toBe(3);
  });
});

describe('quota', () => {
  it('shows the caller’s quotas with usage; admins set, list and reset them; members are refused', async () => {
    const own = await cli(['quota', 'show', '--json']);
    expect(own.code, own.stderr).toBe(0);
    expect(json(own).project_id).toBe('p1');
    const set = await cli(['quota', 'set', 'p9', 'max_artifact_number=3', 'max_uploaded_data:images=1048576', '--json'], { token: admin });
    expect(set.code, set.stderr).toBe(0);
    const listed = await cli(['quota', 'list'], { token: admin });
    expect(listed.stdout).toMatch(/^p9\s+max_artifact_number\s+3\s*$/m);
    expect(listed.stdout).toMatch(/^p9\s+max_uploaded_data:images\s+1048576\s*$/m);
    const shown = json(await cli(['quota', 'show', 'p9', '--json'], { token: admin }));
    expect(shown.project_quotas).toContainEqual(expect.objectContaining({ quota_name: 'max_artifact_number', quota_value: 3, usage: 0 }));
    expect((await cli(['quota', 'reset', 'p9'], { token: admin })).code).toBe(0);
    expect(json(await cli(['quota', 'show', 'p9', '--json'], { token: admin })).project_quotas).toContainEqual(expect.objectContaining({ quota_name: 'max_artifact_number', quota_value: -1 }));

    const refused = await cli(['quota', 'set', 'p1', 'max_artifact_number=1000']);
    expect(refused.code).toBe(4);
    const malformed = await cli(['quota', 'set', 'p1', 'lots'], { token: admin });
    expect(malformed.code).toBe(2);
    const unknownQuota = await cli(['quota', 'set', 'p1', 'max_bananas=1'], { token: admin });
    expect(unknownQuota.code).toBe(2);
    expect(unknownQuota.stderr).toContain('unknown quota "max_bananas"');
  });
});

describe('schema', () => {
  it('lists types and shows one type’s fields; an unknown type exits 3', async () => {
    const listed = await cli(['schema', 'list', '-q']);
    expect(listed.stdout.split('\n')).toEqual(expect.arrayContaining(['images', 'heat_templates', 'murano_packages']));
    const shown = await cli(['schema', 'show', 'images']);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/^min_ram\s+/m);
    expect(json(await cli(['schema', 'show', 'images', '--json'])).schemas.images.properties.disk_format).toBeTruthy();
    expect((await cli(['schema', 'show', 'no_such_type'])).code).toBe(3);
  });
});

describe('blob (small files)', () => {
  it('uploads into a field and a dict key, downloads both verified, and deletes a key', async () => {
    const a = json(await cli(['artifact', 'create', 'heat_templates', 'name=stack', '--json']));
    const template = join(s.tmp, 'stack.yaml');
    writeFileSync(template, 'heat_template_version: 2018-08-31\nresources: {}\n');
    const nested = join(s.tmp, 'net.yaml');
    writeFileSync(nested, 'heat_template_version: 2018-08-31\nresources: {}\noutputs: {}\n');
    const up = await cli(['blob', 'upload', 'heat_templates', a.id, 'template', template]);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toMatch(/^uploaded .* sha256 [0-9a-f]{64}\n$/);
    const upKey = await cli(['blob', 'upload', 'heat_templates', a.id, 'nested_templates/net.yaml', nested, '--json']);
    expect(upKey.code, upKey.stderr).toBe(0);
    expect(json(upKey).nested_templates['net.yaml'].size).toBe(statSync(nested).size);

    const down = await cli(['blob', 'download', 'heat_templates', a.id, 'nested_templates/net.yaml', '--json'], { cwd: s.tmp });
    expect(down.code, down.stderr).toBe(0);
    expect(json(down)).toMatchObject({ verified: true, size: statSync(nested).size });
    expect(readFileSync(json(down).path === 'net.yaml' ? join(s.tmp, 'net.yaml') : json(down).path, 'utf8')).toContain('outputs');
    const toStdout = await cli(['blob', 'download', 'heat_templates', a.id, 'template', '-O', '-']);
    expect(toStdout.stdout).toBe(readFileSync(template, 'utf8'));

    const removed = await cli(['blob', 'delete', 'heat_templates', a.id, 'nested_templates/net.yaml', '--json']);
    expect(removed.code, removed.stderr).toBe(0);
    expect(json(removed).nested_templates).toEqual({});
  });

  it('refuses: a missing file (2), an empty blob (3), an upload into an active blob (5)', async () => {
    const a = json(await cli(['artifact', 'create', 'heat_environments', 'name=env', '--json']));
    expect((await cli(['blob', 'upload', 'heat_environments', a.id, 'environment', join(s.tmp, 'nope')])).code).toBe(2);
    const empty = await cli(['blob', 'download', 'heat_environments', a.id, 'environment', '-O', join(s.tmp, 'env-out')]);
    expect(empty.code).toBe(3);
    const file = join(s.tmp, 'env.yaml');
    writeFileSync(file, 'parameters: {}\n');
    expect((await cli(['blob', 'upload', 'heat_environments', a.id, 'environment', file])).code).toBe(0);
    const again = await cli(['blob', 'upload', 'heat_environments', a.id, 'environment', file]);
    expect(again.code).toBe(5);
    expect(again.stderr).toContain('(HTTP 409)');
    expect(existsSync(join(s.tmp, 'env-out'))).toBe(false);
  });
});

describe('artifact create -f (manifest)', () => {
  it('creates an artifact from a manifest, uploads its files and activates it in one command', async () => {
    const dir = join(s.tmp, 'pkg');
    await import('node:fs').then((fs) => fs.mkdirSync(dir, { recursive: true }));
    writeFileSync(join(dir, 'main.yaml'), 'heat_template_version: 2018-08-31\nresources: {}\n');
    writeFileSync(join(dir, 'net.yaml'), 'heat_template_version: 2018-08-31\nresources: {}\n');
    writeFileSync(
      join(dir, 'artifact.yaml'),
      [
        'type: heat_templates',
        'name: web-stack',
        'version: 1.2.0',
        'description: A web stack',
        'tags: [web, demo]',
        'metadata: {tier: frontend}',
        'fields:',
        '  default_envs: {prod: production}',
        'blobs:',
        '  template: main.yaml',
        '  nested_templates:',
        '    net.yaml: {file: net.yaml, content_type: application/x-yaml}',
        'activate: true',
      ].join('\n'),
    );
    const r = await cli(['artifact', 'create', '-f', join(dir, 'artifact.yaml'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const a = json(r);
    expect(a).toMatchObject({ name: 'web-stack', version: '1.2.0', status: 'active', tags: ['web', 'demo'], metadata: { tier: 'frontend' }, default_envs: { prod: 'production' } });
    expect(a.template).toMatchObject({ status: 'active', size: statSync(join(dir, 'main.yaml')).size });
    expect(a.nested_templates['net.yaml']).toMatchObject({ status: 'active', content_type: 'application/x-yaml' });
  });

  it('refuses a manifest naming a missing file before creating anything, and deletes the draft when a step fails', async () => {
    const dir = join(s.tmp, 'broken');
    await import('node:fs').then((fs) => fs.mkdirSync(dir, { recursive: true }));
    writeFileSync(join(dir, 'a.yaml'), 'type: heat_environments\nname: half-made\nblobs: {environment: missing.yaml}\n');
    const missing = await cli(['artifact', 'create', '-f', join(dir, 'a.yaml')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('blobs.environment names missing.yaml');
    writeFileSync(join(dir, 'env.yaml'), 'not: [valid\n');
    writeFileSync(join(dir, 'b.yaml'), 'type: heat_environments\nname: half-made\nblobs: {environment: env.yaml}\nactivate: true\n');
    const failed = await cli(['artifact', 'create', '-f', join(dir, 'b.yaml')]);
    expect(failed.code).toBe(2);
    expect(failed.stderr).toContain('deleted the draft');
    expect(json(await cli(['artifact', 'list', 'heat_environments', 'name=half-made', '--json'])).artifacts).toEqual([]);
    const bad = await cli(['artifact', 'create', '-f', join(dir, 'nope.yaml')]);
    expect(bad.code).toBe(2);
  });
});
