/** `catalog federation`: a leaf's admin enrols it with a global node, then searches both. */
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import type { Body } from '../support/json.js';
import { runCli, serveNode, type ServedNode } from './support.js';

vi.setConfig({ testTimeout: 240_000 });

let global: ServedNode;
let leaf: ServedNode;
beforeAll(async () => {
  global = await serveNode({ node: { name: 'global', role: 'global' } });
  leaf = await serveNode({ node: { name: 'leaf', role: 'enterprise' } });
  await global.node.seed('images', { name: 'nginx-global', tags: ['fed'] }, { as: global.node.as({ project: 'g1' }), publish: true });
  await leaf.node.seed('images', { name: 'nginx-leaf', tags: ['fed'] }, { as: leaf.node.as({ project: 'l1' }), publish: true });
});
afterAll(async () => {
  await leaf?.close();
  await global?.close();
});

const on = async (node: ServedNode, args: string[], token?: string) =>
  runCli(args, { env: { XDG_CONFIG_HOME: node.configHome, CATALOG_URL: node.url, CATALOG_TOKEN: token ?? (await node.adminToken()) } });
const json = (r: { stdout: string }): Body => JSON.parse(r.stdout);

it('issues a token, enrols, lists peers, searches across the tree, suspends, resumes and removes', async () => {
  const issued = await on(global, ['federation', 'token', '--permission', 'search', '--permission', 'pull', '--note', 'leaf', '-q']);
  expect(issued.code, issued.stderr).toBe(0);
  const token = issued.stdout.trim();
  expect(token.length).toBeGreaterThan(20);

  const enrolled = await on(leaf, ['federation', 'enrol', global.url, token, '--json']);
  expect(enrolled.code, enrolled.stderr).toBe(0);
  const upstream = json(enrolled);
  expect(upstream).toMatchObject({ relation: 'upstream', name: 'global', permissions: ['search', 'pull'], status: 'active' });
  expect((await on(leaf, ['federation', 'upstreams'])).stdout).toMatch(new RegExp(`^${upstream.node_id}\\s+global\\s+global\\s+`, 'm'));
  expect(json(await on(global, ['federation', 'children', '--json'])).nodes.map((n: Body) => n.name)).toEqual(['leaf']);

  const found = await on(leaf, ['federation', 'search', 'tags=fed', '--type', 'images', '--json']);
  expect(found.code, found.stderr).toBe(0);
  const answer = json(found);
  expect(answer.results.map((r: Body) => r.name).sort()).toEqual(['nginx-global', 'nginx-leaf']);
  expect(answer.sources.map((x: Body) => x.status)).toEqual(['ok', 'ok']);
  const table = await on(leaf, ['federation', 'search', 'tags=fed', '--type', 'images']);
  expect(table.stdout).toMatch(/^images\s+nginx-global\s+0\.0\.0\s+leaf → global\s+/m);
  expect(table.stdout).toMatch(/^ {2}leaf → global: ok, 1 found in \d+ ms$/m);

  expect(json(await on(leaf, ['federation', 'suspend', 'upstreams', upstream.node_id, '--json'])).status).toBe('suspended');
  expect(json(await on(leaf, ['federation', 'search', 'tags=fed', '--json'])).results.map((r: Body) => r.name)).toEqual(['nginx-leaf']);
  expect(json(await on(leaf, ['federation', 'resume', 'upstreams', upstream.node_id, '--json'])).status).toBe('active');

  const reused = await on(leaf, ['federation', 'enrol', global.url, token]);
  expect(reused.code).not.toBe(0);
  expect(reused.stderr).toMatch(/^catalog: .+\(HTTP \d{3}\)\n$/);

  const leafId = json(await on(global, ['federation', 'children', '--json'])).nodes[0].node_id;
  expect((await on(global, ['federation', 'remove', 'children', leafId])).code).toBe(0);
  expect(json(await on(global, ['federation', 'children', '--json'])).nodes).toEqual([]);
});

it('refuses members (4), an unknown peer (3) and a relation that is neither (2)', async () => {
  const member = await leaf.token({ project: 'l1' });
  expect((await on(global, ['federation', 'token'], member)).code).toBe(4);
  expect((await on(leaf, ['federation', 'upstreams'], member)).code).toBe(4);
  expect((await on(leaf, ['federation', 'suspend', 'upstreams', 'no-such-node'])).code).toBe(3);
  expect((await on(leaf, ['federation', 'remove', 'cousins', 'x'])).code).toBe(2);
  expect((await on(leaf, ['federation', 'token', '--expires', 'soon'])).code).toBe(2);
});
