/** `catalog deps` against a node with the dependency endpoints, and requirements in a manifest. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import type { Body } from '../support/json.js';
import { runCli, serveNode, type ServedNode } from './support.js';

vi.setConfig({ testTimeout: 240_000 });

const T = 'components';
let s: ServedNode;
let member: string;
beforeAll(async () => {
  s = await serveNode({ types_dir: 'test/dependencies/fixtures/types' });
  member = await s.token({ project: 'p1' });
});
afterAll(() => s.close());

const cli = (args: string[]) => runCli(args, { env: { XDG_CONFIG_HOME: s.configHome, CATALOG_URL: s.url, CATALOG_TOKEN: member } });
const json = (r: { stdout: string }): Body => JSON.parse(r.stdout);
const create = async (...fields: string[]) => {
  const r = await cli(['artifact', 'create', T, ...fields, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return json(r);
};

it('resolves, draws the tree and lists dependants; a manifest carries requirements', async () => {
  const lib13 = await create('name=lib', 'version=1.3.0', '--activate');
  await create('name=lib', 'version=2.0.0', '--activate');
  const dir = join(s.tmp, 'mid');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'artifact.yaml'), `type: ${T}\nname: mid\nversion: 1.0.0\nrequires:\n  - {type: ${T}, name: lib, range: "~1.3"}\nactivate: true\n`);
  const midRun = await cli(['artifact', 'create', '-f', join(dir, 'artifact.yaml'), '--json']);
  expect(midRun.code, midRun.stderr).toBe(0);
  const mid = json(midRun);
  expect(mid.requires).toEqual([{ type: T, name: 'lib', range: '~1.3' }]);
  const app = await create('name=app', 'version=1.0.0', `base=/artifacts/${T}/${mid.id}`, 'uses:=["https://example.org/docs"]');

  const resolved = await cli(['deps', 'resolve', T, app.id, '--json']);
  expect(resolved.code, resolved.stderr).toBe(0);
  expect(json(resolved).artifacts.map((a: Body) => `${a.name}@${a.version}`)).toEqual(['mid@1.0.0', 'lib@1.3.0']);
  const table = await cli(['deps', 'resolve', T, app.id]);
  expect(table.stdout).toMatch(/^components\s+lib\s+1\.3\.0\s+\S+\s+mid@1\.0\.0 requires ~1\.3$/m);

  const latest = json(await cli(['deps', 'resolve', '-r', `${T}/lib@>=1`, '--json']));
  expect(latest.artifacts.map((a: Body) => a.version)).toEqual(['2.0.0']);

  const tree = await cli(['deps', 'tree', T, app.id]);
  expect(tree.code, tree.stderr).toBe(0);
  expect(tree.stdout).toBe(
    [
      `${T}/app@1.0.0`,
      `├── ${T}/mid@1.0.0 [base]`,
      `│   └── ${T}/lib@1.3.0 [requires ~1.3]`,
      `└── ✗ uses/0 → https://example.org/docs: external`,
      '',
    ].join('\n'),
  );
  expect(json(await cli(['deps', 'tree', T, app.id, '--depth', '1', '--json'])).nodes.map((n: Body) => n.name)).toEqual(['mid']);

  const dependants = await cli(['deps', 'dependants', T, lib13.id]);
  expect(dependants.stdout).toMatch(/^components\s+mid\s+1\.0\.0\s+active\s+\S+\s+requires ~1\.3$/m);
  expect((await cli(['deps', 'dependants', T, mid.id, '-q'])).stdout).toBe(`${app.id}\n`);
});

it('exits 5 when no consistent set exists, 4 when activation finds a requirement unmet, 2 on a malformed requirement or depth', async () => {
  const none = await cli(['deps', 'resolve', '-r', `${T}/nowhere@^9`]);
  expect(none.code).toBe(5);
  expect(none.stderr).toContain('(HTTP 409)');
  const lonely = await create('name=lonely', 'requires:=[{"type":"components","name":"nowhere","range":"^1"}]');
  const activate = await cli(['artifact', 'activate', T, lonely.id]);
  expect(activate.code).toBe(4);
  expect(activate.stderr).toContain('nowhere');
  expect((await cli(['deps', 'resolve', '-r', 'not a requirement'])).code).toBe(2);
  expect((await cli(['deps', 'tree', T, lonely.id, '--depth', '0'])).code).toBe(2);
  expect((await cli(['deps', 'tree', T, '00000000-0000-4000-8000-000000000000'])).code).toBe(3);
});
