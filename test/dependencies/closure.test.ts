import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userActor } from '../../src/artifacts/actor.js';
import { opContext } from '../../src/artifacts/context.js';
import { showArtifact } from '../../src/artifacts/read.js';
import { dependencyClosure } from '../../src/dependencies/closure.js';
import { Conflict } from '../../src/errors.js';
import { createTestNode, type TestNode } from '../support/node.js';

let node: TestNode;
const TYPES_DIR = 'test/dependencies/fixtures/types';

beforeAll(async () => {
  node = await createTestNode({ types_dir: TYPES_DIR });
});
afterAll(() => node.close());

const ctxOf = (project: string) => opContext(node.deps, userActor({ userId: `u-${project}`, projectId: project, roles: ['member'], adminRole: 'admin' }));
const link = (a: { id: unknown }) => `/artifacts/components/${String(a.id)}`;

async function closureNames(project: string, rootId: string, maxDepth?: number): Promise<string[]> {
  const ctx = ctxOf(project);
  const root = await showArtifact(ctx, { type: node.deps.types.get('components'), id: rootId });
  const closure = await dependencyClosure(ctx, root, maxDepth === undefined ? {} : { maxDepth });
  return closure.map((a) => `${a.name}@${a.version}`).sort();
}

describe('dependencyClosure over links', () => {
  it('follows link, link-list and link-dict fields recursively, each artifact once, cycles included, root excluded', async () => {
    const leaf = await node.seed('components', { name: 'leaf', version: '1.0' });
    const mid = await node.seed('components', { name: 'mid', version: '1.0', base: link(leaf) });
    const side = await node.seed('components', { name: 'side', version: '2.0', parts: { x: link(leaf) } });
    const root = await node.seed('components', { name: 'root', version: '1.0', uses: [link(mid), link(side)], base: 'https://example.org/spec' });
    // leaf links back to root: a cycle
    const back = await node.request('PATCH', `/artifacts/components/${leaf.id}`, { as: node.as({ project: 'p1' }), patch: [{ op: 'replace', path: '/base', value: link(root) }] });
    expect(back.status).toBe(200);
    expect(await closureNames('p1', String(root.id))).toEqual(['leaf@1.0.0', 'mid@1.0.0', 'side@2.0.0']);
    expect(await closureNames('p1', String(root.id), 1)).toEqual(['mid@1.0.0', 'side@2.0.0']);
  });

  it('refuses with Conflict naming the link when a linked artifact is not visible to the caller', async () => {
    const theirs = await node.seed('components', { name: 'private-dep', version: '1.0' }, { as: node.as({ project: 'p2' }), activate: true });
    const shared = await node.seed('components', { name: 'public-holder', version: '1.0', base: link(theirs) }, { as: node.as({ project: 'p2' }), activate: true, publish: true });
    const ctx = ctxOf('p3');
    const root = await showArtifact(ctx, { type: node.deps.types.get('components'), id: String(shared.id) });
    const err = await dependencyClosure(ctx, root).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Conflict);
    expect((err as Conflict).message).toMatch(/field base links to \/artifacts\/components\/.*not an artifact you can see/);
    expect((err as Conflict).message).not.toMatch(/private-dep/);
    // Its owner sees the whole closure.
    expect(await closureNames('p2', String(shared.id))).toEqual(['private-dep@1.0.0']);
  });
});
