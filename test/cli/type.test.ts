/**
 * `catalog type` and `catalog artifact upgrade` against a node whose database holds kits made by
 * kits 1.0 and which now serves kits 1.0 and 1.1 (test/fixtures/types-versions): the versions,
 * a dry run and an upgrade followed to the end, what was left and why, and who may do it.
 */
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { createTestDatabase, keptOpen } from '../support/database.js';
import type { Body } from '../support/json.js';
import { createTestNode } from '../support/node.js';
import { runCli, serveNode, type ServedNode } from './support.js';

vi.setConfig({ testTimeout: 240_000 });

const FIXTURES = 'test/fixtures/types-versions';
const owner = { 'X-User-Id': 'u1', 'X-Project-Id': 'p-kits', 'X-Roles': 'member' };
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let s: ServedNode;
let admin: string;
let member: string;
const made: Record<string, Body> = {};

beforeAll(async () => {
  database = await createTestDatabase();
  // Both nodes use the test's database; closing the first must leave it open for the second.
  const kept = keptOpen(database);
  const v1 = await createTestNode({ types_dir: `${FIXTURES}/v1` }, kept);
  made.fits = await v1.seed('kits', { name: 'fits', maker: 'acme', slug: 'short' }, { as: owner });
  made.long = await v1.seed('kits', { name: 'long', slug: 'much-too-long-slug' }, { as: owner });
  await v1.close();
  s = await serveNode({ types_dir: `${FIXTURES}/v2` }, kept);
  admin = await s.adminToken();
  member = await s.token({ project: 'p-kits', user: 'u1' });
});
afterAll(async () => {
  await s?.close();
  await database.drop();
});

const cli = (args: string[], token = admin) => runCli(args, { env: { XDG_CONFIG_HOME: s.configHome, CATALOG_URL: s.url, CATALOG_TOKEN: token } });
const json = (r: { stdout: string }): Body => JSON.parse(r.stdout);
const typeVersionOf = async (id: string) => ((await (await s.node.request('GET', `/artifacts/kits/${id}`, { as: owner })).json()) as Body).type_version;

it('lists the versions of a type, newest marked', async () => {
  const r = await cli(['type', 'versions', 'kits', '--json']);
  expect(r.code, r.stderr).toBe(0);
  expect(json(r)).toMatchObject({ type: 'kits', newest: '1.1' });
  expect(json(r).versions).toEqual(expect.arrayContaining(['1.0', '1.1']));
  expect((await cli(['type', 'versions', 'kits'])).stdout).toMatch(/^1\.1\s+yes$/m);
});

it('dry-runs, then upgrades, following each run to its end; what is left is named with why, and exits 5', async () => {
  const dry = await cli(['type', 'upgrade', 'kits', '--dry-run', '--json']);
  expect(dry.code, dry.stderr).toBe(5);
  expect(json(dry)).toMatchObject({ dry_run: true, status: 'done', total: 2, changed: 1, failed: 1 });
  expect(json(dry).failures).toEqual([expect.objectContaining({ id: made.long!.id, reason: expect.stringContaining('slug') })]);
  expect(dry.stderr).toContain('1 artifact was left as it was');
  expect(await typeVersionOf(made.fits!.id as string)).toBe('1.0');

  const real = await cli(['type', 'upgrade', 'kits']);
  expect(real.code, real.stderr).toBe(5);
  expect(real.stdout).toMatch(new RegExp(`^${made.long!.id}\\s+long\\s+0\\.0\\.0\\s+1\\.0\\s+.*slug`, 'm'));
  expect(await typeVersionOf(made.fits!.id as string)).toBe('1.1');
  expect(await typeVersionOf(made.long!.id as string)).toBe('1.0');

  const runs = await cli(['type', 'upgrades', 'kits', '--json']);
  expect(runs.code, runs.stderr).toBe(0);
  const upgrades = json(runs).upgrades as Body[];
  expect(upgrades.map((u) => u.dry_run).sort()).toEqual([false, true]);
  const realRun = upgrades.find((u) => !u.dry_run)!;
  const status = await cli(['type', 'upgrade-status', 'kits', realRun.id as string, '--json']);
  expect(status.code).toBe(5);
  expect(json(status)).toMatchObject({ id: realRun.id, status: 'done', changed: 1, failed: 1 });
});

it('lets a member upgrade its own draft once it fits, and no whole type', async () => {
  const refused = await cli(['type', 'upgrade', 'kits'], member);
  expect(refused.code).toBe(4);
  const notYet = await cli(['artifact', 'upgrade', 'kits', made.long!.id as string], member);
  expect(notYet.code).toBe(5);
  expect(notYet.stderr).toContain('slug');

  const patched = await s.node.request('PATCH', `/artifacts/kits/${made.long!.id}`, { as: owner, patch: [{ op: 'replace', path: '/slug', value: 'short' }] });
  expect(patched.status).toBe(200);
  const done = await cli(['artifact', 'upgrade', 'kits', made.long!.id as string, '--json'], member);
  expect(done.code, done.stderr).toBe(0);
  expect(json(done)).toMatchObject({ id: made.long!.id, type_version: '1.1' });
});
