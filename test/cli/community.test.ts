/** `catalog search` (full text), `rate`, `comment`, `stats` against a node with the community endpoints. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import type { Body } from '../support/json.js';
import { runCli, serveNode, type ServedNode } from './support.js';

vi.setConfig({ testTimeout: 240_000 });

let s: ServedNode;
let alice: string;
let bob: string;
let admin: string;
let web: Body;
beforeAll(async () => {
  s = await serveNode({ community: { download_flush_ms: 50 } });
  alice = await s.token({ project: 'p1', user: 'alice' });
  bob = await s.token({ project: 'p2', user: 'bob' });
  admin = await s.adminToken();
  const owner = s.node.as({ project: 'p1', user: 'alice' });
  web = await s.node.seed('images', { name: 'nginx-web', description: 'A web server image with nginx', tags: ['web'] }, { as: owner, publish: true });
  await s.node.seed('images', { name: 'postgres-db', description: 'Database server', tags: ['db'] }, { as: owner, publish: true });
  await s.node.seed('vnf_packages', { name: 'webfarm-vnf', vendor: 'acme', description: 'Network function for a web farm' }, { as: owner, publish: true });
});
afterAll(() => s.close());

const cli = (args: string[], token = alice) => runCli(args, { env: { XDG_CONFIG_HOME: s.configHome, CATALOG_URL: s.url, CATALOG_TOKEN: token } });
const json = (r: { stdout: string }): Body => JSON.parse(r.stdout);

it('search: words are full-text prefixes across types, ranked; filters and --type narrow it', async () => {
  const r = await cli(['search', 'web', '--json']);
  expect(r.code, r.stderr).toBe(0);
  expect(json(r).artifacts.map((a: Body) => a.name).sort()).toEqual(['nginx-web', 'webfarm-vnf']);
  const typed = json(await cli(['search', 'web', '--type', 'images', '--json']));
  expect(typed.artifacts.map((a: Body) => a.name)).toEqual(['nginx-web']);
  const filtered = json(await cli(['search', 'server', 'tags=db', '--json']));
  expect(filtered.artifacts.map((a: Body) => a.name)).toEqual(['postgres-db']);
  const table = await cli(['search', 'nginx']);
  expect(table.stdout).toMatch(/^\S+\s+images\s+nginx-web\s+/m);
  expect(json(await cli(['search', 'nosuchword', '--json'])).artifacts).toEqual([]);
  expect((await cli(['search', 'web', '--sort', 'bogus'])).code).toBe(2);
});

it('rate: scores, the average, your own, removal; a draft cannot be rated (4) and a bad score is a usage error (2)', async () => {
  expect((await cli(['rate', 'images', web.id, '5'])).stdout).toBe('5.00 / 5 from 1 rating; yours: 5\n');
  expect(json(await cli(['rate', 'images', web.id, '3', '--json'], bob))).toMatchObject({ average: 4, count: 2, mine: 3 });
  expect((await cli(['rate', 'images', web.id], bob)).stdout).toBe('4.00 / 5 from 2 ratings; yours: 3\n');
  expect(json(await cli(['rate', 'images', web.id, '--remove', '--json'], bob))).toMatchObject({ average: 5, count: 1 });
  expect((await cli(['rate', 'images', web.id, '6'])).code).toBe(2);
  const draft = json(await cli(['artifact', 'create', 'images', 'name=unrated', '--json']));
  const refused = await cli(['rate', 'images', draft.id, '4']);
  expect(refused.code).toBe(4);
  expect(refused.stderr).toContain('(HTTP 403)');
});

it('comment: add, list, edit, hide (admins), delete; another user may not edit (4)', async () => {
  const added = await cli(['comment', 'add', 'images', web.id, 'Boots fast', '--json']);
  expect(added.code, added.stderr).toBe(0);
  const c = json(added);
  expect(c).toMatchObject({ body: 'Boots fast', author: { user_id: 'alice', project_id: 'p1' }, hidden: false });
  const file = join(s.tmp, 'comment.txt');
  writeFileSync(file, 'Boots fast, even on QEMU');
  expect(json(await cli(['comment', 'edit', 'images', web.id, c.id, '--file', file, '--json'])).body).toBe('Boots fast, even on QEMU');
  const listed = await cli(['comment', 'list', 'images', web.id], bob);
  expect(listed.stdout).toMatch(new RegExp(`^${c.id}\\s+alice \\(p1\\)\\s+\\S+ \\(edited\\)\\s+Boots fast, even on QEMU$`, 'm'));
  expect((await cli(['comment', 'edit', 'images', web.id, c.id, 'mine now'], bob)).code).toBe(4);
  expect((await cli(['comment', 'hide', 'images', web.id, c.id], bob)).code).toBe(4);
  expect(json(await cli(['comment', 'hide', 'images', web.id, c.id, '--json'], admin)).hidden).toBe(true);
  expect(json(await cli(['comment', 'list', 'images', web.id, '--json'], bob)).comments).toEqual([]);
  expect(json(await cli(['comment', 'unhide', 'images', web.id, c.id, '--json'], admin)).hidden).toBe(false);
  expect((await cli(['comment', 'delete', 'images', web.id, c.id])).code).toBe(0);
  expect((await cli(['comment', 'list', 'images', web.id, '-q'])).stdout).toBe('');
  expect((await cli(['comment', 'add', 'images', web.id])).code).toBe(2);
});

it('stats: a download through `catalog blob download` is counted', async () => {
  const owner = s.node.as({ project: 'p1', user: 'alice' });
  const a = await s.node.seed('heat_environments', { name: 'counted' }, { as: owner });
  const file = join(s.tmp, 'env.yaml');
  writeFileSync(file, 'parameters: {}\n');
  expect((await cli(['blob', 'upload', 'heat_environments', a.id, 'environment', file])).code).toBe(0);
  expect((await cli(['artifact', 'activate', 'heat_environments', a.id])).code).toBe(0);
  expect((await cli(['blob', 'download', 'heat_environments', a.id, 'environment', '-O', join(s.tmp, 'env.down')])).code).toBe(0);
  let stats: Body;
  for (let i = 0; i < 50; i++) {
    stats = json(await cli(['stats', 'heat_environments', a.id, '--days', '7', '--json']));
    if (stats.downloads === 1) break;
  }
  expect(stats).toMatchObject({ downloads: 1, name_downloads: 1 });
  expect(stats.days).toHaveLength(1);
  expect((await cli(['stats', 'heat_environments', a.id, '--days', '0'])).code).toBe(2);
});
