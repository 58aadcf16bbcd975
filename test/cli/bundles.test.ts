/** `catalog bundle export|import`: a closure carried from one node to another as a tar, with progress on a terminal. */
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import type { Body } from '../support/json.js';
import { runCli, runOnTerminal, serveNode, type ServedNode } from './support.js';

vi.setConfig({ testTimeout: 240_000 });

let source: ServedNode;
let target: ServedNode;
beforeAll(async () => {
  source = await serveNode();
  target = await serveNode();
});
afterAll(async () => {
  await source?.close();
  await target?.close();
});

const env = async (node: ServedNode) => ({ XDG_CONFIG_HOME: node.configHome, CATALOG_URL: node.url, CATALOG_TOKEN: await node.token({ project: 'p1', user: 'alice' }) });
const on = async (node: ServedNode, args: string[]) => runCli(args, { env: await env(node) });
const json = (r: { stdout: string }): Body => JSON.parse(r.stdout);

it('exports an artifact with what it requires and imports it on another node, once', async () => {
  const blob = join(source.tmp, 'lib.img');
  writeFileSync(blob, Buffer.alloc(3 * 1024 * 1024, 7));
  const lib = json(await on(source, ['artifact', 'create', 'images', 'name=lib', 'version=1.2.0', '--json']));
  expect((await on(source, ['blob', 'upload', 'images', lib.id, 'image', blob])).code).toBe(0);
  expect((await on(source, ['artifact', 'activate', 'images', lib.id])).code).toBe(0);
  const app = json(await on(source, ['artifact', 'create', 'images', 'name=app', 'version=1.0.0', 'requires:=[{"type":"images","name":"lib","range":"^1"}]', '--activate', '--json']));

  const tar = join(source.tmp, 'app.tar');
  const exported = await runOnTerminal(['bundle', 'export', 'images', app.id, '-O', tar], { ...(await env(source)), COLUMNS: '100' });
  expect(exported.code, exported.output).toBe(0);
  expect(exported.output).toMatch(/exporting \[#+\] 100% /);
  expect(statSync(tar).size).toBeGreaterThan(3 * 1024 * 1024);
  expect(existsSync(`${tar}.part`)).toBe(false);

  const imported = await on(target, ['bundle', 'import', tar, '--json']);
  expect(imported.code, imported.stderr).toBe(0);
  const result = json(imported);
  expect(result.artifacts.map((a: Body) => [a.name, a.version, a.created])).toEqual([['lib', '1.2.0', true], ['app', '1.0.0', true]]);
  const here = json(await on(target, ['artifact', 'show', 'images', result.root.id, '--json']));
  expect(here).toMatchObject({ name: 'app', status: 'active', requires: [{ type: 'images', name: 'lib', range: '^1' }] });
  const libHere = result.artifacts.find((a: Body) => a.name === 'lib');
  const down = json(await runCli(['blob', 'download', 'images', libHere.id, 'image', '-O', join(target.tmp, 'lib.img'), '--json'], { env: await env(target) }));
  expect(down).toMatchObject({ size: 3 * 1024 * 1024, verified: true });

  const again = await on(target, ['bundle', 'import', tar]);
  expect(again.code).toBe(0);
  expect(again.stdout).toMatch(/^images\s+lib\s+1\.2\.0\s+\S+\s+p1\s+already here\s+0$/m);
});

it('refuses a file that is no bundle (2), a conflicting artifact (5), an unknown artifact (3), and keeps no partial export', async () => {
  const junk = join(target.tmp, 'junk.tar');
  writeFileSync(junk, 'not a tar at all');
  const bad = await on(target, ['bundle', 'import', junk]);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain('(HTTP 400)');
  expect((await on(target, ['bundle', 'import', join(target.tmp, 'missing.tar')])).code).toBe(2);

  const mine = json(await on(source, ['artifact', 'create', 'images', 'name=clash', 'version=1.0.0', 'description=source', '--activate', '--json']));
  expect((await on(target, ['artifact', 'create', 'images', 'name=clash', 'version=1.0.0', 'description=target', '--activate'])).code).toBe(0);
  const tar = join(source.tmp, 'clash.tar');
  expect((await on(source, ['bundle', 'export', 'images', mine.id, '-O', tar])).code).toBe(0);
  const clash = await on(target, ['bundle', 'import', tar]);
  expect(clash.code).toBe(5);
  expect(clash.stderr).toContain('clash');

  const out = join(source.tmp, 'none.tar');
  expect((await on(source, ['bundle', 'export', 'images', '00000000-0000-4000-8000-000000000000', '-O', out])).code).toBe(3);
  expect(existsSync(out) || existsSync(`${out}.part`)).toBe(false);
});
