/**
 * Versions of a type side by side, and upgrades between them, over HTTP against PostgreSQL: a
 * node serves kits 1.0, its artifacts are made; the node restarts with kits 1.0 and 1.1 (and
 * gadgets 1.0 and a 2.0 module with an upgrade function). Existing artifacts keep their
 * version; an admin dry-runs and runs the upgrade; type files that would break stored
 * artifacts stop the node; `catalog-node upgrade-type` runs as a real process.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../src/artifacts/actor.js';
import { opContext } from '../../src/artifacts/context.js';
import type { DatabaseHandle } from '../../src/db/client.js';
import { runTypeUpgrade, showUpgradeRun, startTypeUpgrade } from '../../src/types/upgrade-runs.js';
import { createTestDatabase, keptOpen } from '../support/database.js';
import type { Body } from '../support/json.js';
import { createTestNode, type TestNode } from '../support/node.js';

const FIXTURES = 'test/fixtures/types-versions';
const run = promisify(execFile);

let database: Awaited<ReturnType<typeof createTestDatabase>>;
/** The test's database, which a node's close leaves open for the next node. */
let kept: DatabaseHandle;
let node: TestNode;
const owner = { 'X-User-Id': 'u1', 'X-Project-Id': 'p-kits', 'X-Roles': 'member' };
const made: Record<string, Body> = {};

beforeAll(async () => {
  database = await createTestDatabase();
  kept = keptOpen(database);
  const v1 = await createTestNode({ types_dir: `${FIXTURES}/v1` }, kept);
  const seed = (type: string, body: Record<string, unknown>, activate = false) => v1.seed(type, body, { as: owner, activate });
  made.renamed = await seed('kits', { name: 'renamed', maker: 'acme', slug: 'short', legacy: 'dropped' });
  made.active = await seed('kits', { name: 'active', maker: 'acme', slug: 'short' }, true);
  made.longSlug = await seed('kits', { name: 'long-slug', slug: 'much-too-long-slug' });
  made.immutable = await seed('kits', { name: 'immutable', legacy: 'signed', ports: 'http' }, true);
  made.g1 = await seed('gadgets', { name: 'g1', size: '10cm' });
  made.g2 = await seed('gadgets', { name: 'g2', size: 'big' });
  made.g3 = await seed('gadgets', { name: 'g3', size: '25cm' });
  expect(made.renamed!.type_version).toBe('1.0');
  await v1.close();
  node = await createTestNode({ types_dir: `${FIXTURES}/v2` }, kept);
});
afterAll(async () => {
  await node?.close();
  await database.drop();
});

const get = async (path: string, as: Record<string, string> = owner) => {
  const res = await node.request('GET', path, { as });
  expect(res.status, path).toBe(200);
  return res.json();
};

async function upgradeOverHttp(type: string, query = ''): Promise<Body> {
  const started = await node.request('POST', `/admin/types/${type}/upgrades${query}`, { as: node.admin });
  expect(started.status).toBe(202);
  const location = started.headers.get('location')!;
  for (let i = 0; i < 200; i++) {
    const status = await get(location, node.admin);
    if (status.status === 'done' || status.status === 'failed') return status;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('the upgrade did not finish');
}

describe('versions side by side', () => {
  it('GET /schemas/{type} shows the newest with the list of versions, and ?type_version= an older one', async () => {
    const newest = (await get('/schemas/kits')).schemas.kits;
    expect(newest.version).toBe('1.1');
    expect(newest.versions).toEqual(['1.0', '1.1']);
    expect(Object.keys(newest.properties)).toContain('vendor');
    const older = (await get('/schemas/kits?type_version=1.0')).schemas.kits;
    expect(older.version).toBe('1.0');
    expect(older.properties.slug.maxLength).toBe(32);
    expect(Object.keys(older.properties)).toContain('maker');
    const unknown = await node.request('GET', '/schemas/kits?type_version=9.9');
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).explanation).toMatch(/kits has no version "9.9"; its versions: 1.0, 1.1/);
    expect((await get('/schemas')).schemas.kits.versions).toEqual(['1.0', '1.1']);
  });

  it('new artifacts take the newest version; existing ones keep theirs, read and validated by it', async () => {
    const created = await node.request('POST', '/artifacts/kits', { as: owner, json: { name: 'new', vendor: 'acme' } });
    expect(created.status).toBe(201);
    const fresh = await created.json();
    expect(fresh).toMatchObject({ type_version: '1.1', vendor: 'acme', tier: 'standard' });
    expect(fresh).not.toHaveProperty('maker');

    const old = await get(`/artifacts/kits/${made.renamed!.id}`);
    expect(old).toMatchObject({ type_version: '1.0', maker: 'acme', legacy: 'dropped' });
    expect(old).not.toHaveProperty('tier');
    // 1.0's rules: a 20-character slug is fine there (1.1 allows 8), maker exists there
    const patched = await node.request('PATCH', `/artifacts/kits/${made.renamed!.id}`, { as: owner, patch: [{ op: 'replace', path: '/slug', value: 'twenty-characters-ok' }, { op: 'replace', path: '/maker', value: 'acme' }] });
    expect(patched.status).toBe(200);
    expect(await patched.json()).toMatchObject({ type_version: '1.0', slug: 'twenty-characters-ok' });
    await node.request('PATCH', `/artifacts/kits/${made.renamed!.id}`, { as: owner, patch: [{ op: 'replace', path: '/slug', value: 'short' }] });
    const versionPatch = await node.request('PATCH', `/artifacts/kits/${made.renamed!.id}`, { as: owner, patch: [{ op: 'replace', path: '/type_version', value: '1.1' }] });
    expect(versionPatch.status).toBe(400);
    expect((await versionPatch.json()).explanation).toMatch(/POST \/artifacts\/kits\/.*\/upgrade/);
  });

  it('lists every version of a type together, each artifact as its version shows it', async () => {
    const list = await get('/artifacts/kits?sort=name:asc&limit=100');
    expect(list.artifacts.map((a: Body) => `${a.name}@${a.type_version}`)).toEqual(['active@1.0', 'immutable@1.0', 'long-slug@1.0', 'new@1.1', 'renamed@1.0']);
    const byName = Object.fromEntries(list.artifacts.map((a: Body) => [a.name, a]));
    expect(byName.active.maker).toBe('acme');
    expect(byName.new.vendor).toBe('acme');
  });
});

describe('upgrading a type', () => {
  it('is for admins only, and answers bad input with 4xx', async () => {
    expect((await node.request('POST', '/admin/types/kits/upgrades?dry_run=true', { as: owner })).status).toBe(403);
    expect((await node.request('POST', '/admin/types/kits/upgrades?dry_run=true')).status).toBe(403);
    expect((await node.request('GET', '/admin/types/kits/upgrades', { as: owner })).status).toBe(403);
    expect((await node.request('GET', '/admin/types/kits/upgrades/not-a-uuid', { as: node.admin })).status).toBe(404);
    expect((await node.request('GET', '/admin/types/nope/upgrades', { as: node.admin })).status).toBe(404);
    expect((await node.request('POST', '/admin/types/kits/upgrades?type_version=7.0', { as: node.admin })).status).toBe(404);
    expect((await node.request('POST', '/admin/types/kits/upgrades?dry_run=maybe', { as: node.admin })).status).toBe(400);
    expect((await node.request('POST', '/admin/types/all/upgrades', { as: node.admin })).status).toBe(403);
  });

  it('dry-runs first: how many would change, which would fail and why, changing nothing', async () => {
    const report = await upgradeOverHttp('kits', '?dry_run=true');
    expect(report).toMatchObject({ status: 'done', dry_run: true, type_version: '1.1', total: 4, processed: 4, changed: 2, failed: 2 });
    const reasons = Object.fromEntries(report.failures.map((f: Body) => [f.name, f.reason]));
    expect(reasons['long-slug']).toMatch(/field "slug" may have at most 8 characters/);
    expect(reasons.immutable).toMatch(/immutable field "legacy" would change, and an upgrade changes no immutable value once an artifact is active/);
    expect((await get(`/artifacts/kits/${made.renamed!.id}`)).type_version).toBe('1.0');
  });

  it('upgrades drafts and active artifacts, leaves those that fail as they were, and forgets list counts', async () => {
    // A full first page: the count is remembered until a write is told.
    expect((await get('/artifacts/kits?vendor=acme&limit=1')).total_count).toBe(1);
    const report = await upgradeOverHttp('kits');
    expect(report).toMatchObject({ status: 'done', dry_run: false, total: 4, processed: 4, changed: 2, failed: 2 });

    const renamed = await get(`/artifacts/kits/${made.renamed!.id}`);
    expect(renamed).toMatchObject({ type_version: '1.1', vendor: 'acme', tier: 'standard', slug: 'short' });
    expect(renamed).not.toHaveProperty('maker');
    expect(renamed).not.toHaveProperty('legacy');
    expect(await get(`/artifacts/kits/${made.active!.id}`)).toMatchObject({ type_version: '1.1', status: 'active', vendor: 'acme', tier: 'standard' });
    expect(await get(`/artifacts/kits/${made.longSlug!.id}`)).toMatchObject({ type_version: '1.0', slug: 'much-too-long-slug' });
    expect(await get(`/artifacts/kits/${made.immutable!.id}`)).toMatchObject({ type_version: '1.0', legacy: 'signed' });
    expect((await get('/artifacts/kits?vendor=acme&limit=1')).total_count).toBe(3);
  });

  it('is idempotent: running it again upgrades nothing more and reports the same failures', async () => {
    const again = await upgradeOverHttp('kits');
    expect(again).toMatchObject({ status: 'done', total: 2, processed: 2, changed: 0, failed: 2 });
    const runs = await get('/admin/types/kits/upgrades', node.admin);
    expect(runs.upgrades.map((r: Body) => [r.dry_run, r.changed])).toEqual([[false, 0], [false, 2], [true, 2]]);
  });

  it('lets an owner upgrade a draft once it would be valid, and no active artifact', async () => {
    const target = `/artifacts/kits/${made.longSlug!.id}`;
    const refused = await node.request('POST', `${target}/upgrade`, { as: owner });
    expect(refused.status).toBe(409);
    expect((await refused.json()).explanation).toMatch(/slug" may have at most 8 characters/);
    await node.request('PATCH', target, { as: owner, patch: [{ op: 'replace', path: '/slug', value: 'short' }] });
    const upgraded = await node.request('POST', `${target}/upgrade`, { as: owner });
    expect(upgraded.status).toBe(200);
    expect(await upgraded.json()).toMatchObject({ type_version: '1.1', slug: 'short', tier: 'standard' });
    const stranger = await node.request('POST', `/artifacts/kits/${made.immutable!.id}/upgrade`, { as: { ...owner, 'X-Project-Id': 'p-other' } });
    expect(stranger.status).toBe(404);
    const active = await node.request('POST', `/artifacts/kits/${made.immutable!.id}/upgrade`, { as: owner });
    expect(active.status).toBe(403);
  });

  it('runs a type module’s upgrade function, and resumes a stopped run counting each artifact once', async () => {
    const ctx = opContext(node.deps, systemActor('test'));
    // A queue that runs nothing: the test drives the job itself.
    const started = await startTypeUpgrade(ctx, { enqueue: async () => ({ jobId: 'held' }) }, { typeName: 'gadgets', dryRun: false });
    const stop = new AbortController();
    const off = node.deps.events.on((e) => {
      if (e.kind === 'artifact.updated') stop.abort();
    });
    await expect(runTypeUpgrade(ctx, started.id, stop.signal, { batchSize: 1 })).rejects.toThrow();
    off();
    const halfway = await showUpgradeRun(ctx, { typeName: 'gadgets', id: started.id });
    expect(halfway.status).toBe('running');
    expect(halfway.processed).toBeGreaterThan(0);
    expect(halfway.processed).toBeLessThan(3);

    const finished = await runTypeUpgrade(ctx, started.id, new AbortController().signal);
    expect(finished).toMatchObject({ status: 'done', total: 3, processed: 3, changed: 2, failed: 1 });
    expect(finished.failures[0]).toMatchObject({ name: 'g2', reason: 'gadgets: size "big" is not in centimetres' });
    expect(await get(`/artifacts/gadgets/${made.g1!.id}`)).toMatchObject({ type_version: '2.0', size_cm: 10 });
    expect(await get(`/artifacts/gadgets/${made.g2!.id}`)).toMatchObject({ type_version: '1.0', size: 'big' });
  });
});

describe('type files that would break stored artifacts', () => {
  it('stop the node, naming the type, the field and the artifacts', async () => {
    const start = createTestNode({ types_dir: `${FIXTURES}/incompatible` }, kept);
    await expect(start).rejects.toThrow(/kits 2\.0: field "ports" is of kind integer, and 1 artifact \(made with 1\.0, which no type file defines now, so 2\.0 reads them\) holds a value of another kind in it/);
    const err = await start.catch((e: Error) => e);
    expect(String(err)).toContain(made.immutable!.id);
    expect(String(err)).toMatch(/kits 2\.0: field "region" is required of active artifacts and has no default, and 1 active or deactivated artifact \(/);
    // drafts need no value yet: the draft still at 1.0 is not named for region
    expect(String(err)).not.toContain(made.g2!.id);
  });
});

describe('catalog-node upgrade-type', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'catalog-upgrade-cli-'));
    writeFileSync(join(dir, 'node.yaml'), JSON.stringify({ database: { url: database.url }, types_dir: `${FIXTURES}/v2`, data_dir: join(dir, 'data'), log: { level: 'silent' } }));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const cli = (...args: string[]) =>
    run(process.execPath, ['bin/catalog-node.js', 'upgrade-type', ...args], { env: { ...process.env, CATALOG_CONFIG: join(dir, 'node.yaml'), DATABASE_URL: '', REDIS_URL: '' } }).then(
      (r) => ({ code: 0, ...r }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );

  it('dry-runs and runs as a real process, exiting 3 and listing what it left as it was', { timeout: 120_000 }, async () => {
    const dry = await cli('kits', '--dry-run');
    expect(dry.stderr).toBe('');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/dry run of the upgrade of kits to 1\.1 done: 1 artifacts, 0 would change, 1 would fail/);
    const real = await cli('kits');
    expect(real.code).toBe(3);
    expect(real.stdout).toContain(`${made.immutable!.id} immutable 0.0.0 (kits 1.0): immutable field "legacy" would change`);
    expect((await get(`/artifacts/kits/${made.immutable!.id}`)).type_version).toBe('1.0');
  });

  it('refuses an unknown type and bad arguments', { timeout: 120_000 }, async () => {
    const unknown = await cli('nope');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/unknown artifact type "nope"/);
    expect((await cli()).code).toBe(2);
  });
});
