/**
 * Type upgrades and developer signatures together: an upgrade of an active, signed artifact
 * changes nothing its signature binds, so the signature still holds after it; an upgrade that
 * would newly set a sealed (immutable) field through a default leaves the artifact as it was.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/db/client.js';
import { createTestDatabase, keptOpen } from '../support/database.js';
import type { Body } from '../support/json.js';
import { createTestNode, type TestNode } from '../support/node.js';
import { developerKey, register, signAndAttach } from '../signing/support.js';

const owner = { 'X-User-Id': 'u1', 'X-Project-Id': 'p-seal', 'X-Roles': 'member' };
const V1 = 'name: seals\nversion: "1.0"\nfields:\n  maker: { kind: string }\n';
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let kept: DatabaseHandle;
let dir: string;
let signed: Body;

/** A node serving seals 1.0 and the given 1.1 over the test's database. */
async function nodeWith(v11: string | undefined): Promise<TestNode> {
  const types = mkdtempSync(join(dir, 'types-'));
  writeFileSync(join(types, 'seals-1.0.yaml'), V1);
  if (v11) writeFileSync(join(types, 'seals-1.1.yaml'), v11);
  return createTestNode({ types_dir: types }, kept);
}

async function upgrade(node: TestNode): Promise<Body> {
  const started = await node.request('POST', '/admin/types/seals/upgrades', { as: node.admin });
  expect(started.status).toBe(202);
  for (let i = 0; i < 400; i++) {
    const run: Body = await (await node.request('GET', started.headers.get('location')!, { as: node.admin })).json();
    if (run.status === 'done' || run.status === 'failed') return run;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('the upgrade did not finish');
}

const verified = async (node: TestNode) => ((await (await node.request('GET', `/artifacts/seals/${signed.id}/verify`, { as: owner })).json()) as Body).verified;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sealed-upgrades-'));
  database = await createTestDatabase();
  kept = keptOpen(database);
  const v1 = await nodeWith(undefined);
  const key = await developerKey('EdDSA');
  await register(v1, owner, key);
  signed = await v1.seed('seals', { name: 'sealed', version: '1.0.0', maker: 'acme' }, { as: owner });
  await signAndAttach(v1, owner, 'seals', signed.id as string, key);
  const activated = await v1.request('PATCH', `/artifacts/seals/${signed.id}`, { as: owner, patch: [{ op: 'replace', path: '/status', value: 'active' }] });
  expect(activated.status).toBe(200);
  expect(await verified(v1)).toBe(true);
  await v1.close();
});
afterAll(async () => {
  await database.drop();
  rmSync(dir, { recursive: true, force: true });
});

it('refuses to set a new immutable field of an active artifact through its default, and the signature still holds', async () => {
  const node = await nodeWith('name: seals\nversion: "1.1"\nfields:\n  maker: { kind: string }\n  grade: { kind: string, default: gold }\nupgrade: { from: "1.0" }\n');
  try {
    const run = await upgrade(node);
    expect(run).toMatchObject({ status: 'done', changed: 0, failed: 1 });
    expect(run.failures[0].reason).toContain('immutable field "grade" would change');
    expect((await (await node.request('GET', `/artifacts/seals/${signed.id}`, { as: owner })).json()).type_version).toBe('1.0');
    expect(await verified(node)).toBe(true);
  } finally {
    await node.close();
  }
});

it('upgrades an active, signed artifact to a version adding unset and mutable fields, and its signature still holds', async () => {
  const node = await nodeWith('name: seals\nversion: "1.1"\nfields:\n  maker: { kind: string }\n  grade: { kind: string, required_on_activate: false }\n  notes: { kind: string, mutable: true, default: none }\nupgrade: { from: "1.0" }\n');
  try {
    const run = await upgrade(node);
    expect(run, JSON.stringify(run.failures)).toMatchObject({ status: 'done', changed: 1, failed: 0 });
    expect(await (await node.request('GET', `/artifacts/seals/${signed.id}`, { as: owner })).json()).toMatchObject({ type_version: '1.1', maker: 'acme', notes: 'none' });
    expect(await verified(node)).toBe(true);
  } finally {
    await node.close();
  }
});
