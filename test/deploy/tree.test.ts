/**
 * deploy/tree/tree.ts end to end: three real node processes (serve and worker each) over their own
 * databases and Redis prefixes on loopback ports, enrolled enterprise → vendor → global, demo
 * artifacts loaded, one submitted up, a federated search from the enterprise; then stopped, leaving
 * nothing behind.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { createServer } from 'node:net';
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { LEVELS, startLocalTree, tokenFor, writeComposeConfigs, type LocalTree } from '../../deploy/tree/tree.js';
import { configFrom } from '../../src/config/load.js';
import { ADMIN_URL } from '../support/database.js';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
let tree: LocalTree | undefined;
afterAll(async () => tree?.stop());

const portFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });

async function threeFreePorts(): Promise<number> {
  for (;;) {
    const base = 20_000 + Math.floor(Math.random() * 20_000);
    if ((await portFree(base)) && (await portFree(base + 1)) && (await portFree(base + 2))) return base;
  }
}

describe('deploy/tree/tree.ts', () => {
  it('starts global, vendor and enterprise, federates them, and stops without a trace', { timeout: 240_000 }, async () => {
    const tag = `t${randomBytes(3).toString('hex')}`;
    const lines: string[] = [];
    tree = await startLocalTree({ databaseUrl: ADMIN_URL, redisUrl: REDIS_URL, basePort: await threeFreePorts(), tag, say: (l) => lines.push(l) });

    const via = new Map(tree.setup.found.map((f) => [f.name, f.paths]));
    expect(via.get('ubuntu-server')).toEqual(['enterprise → vendor → global']);
    expect(via.get('cirros')).toEqual(['enterprise → vendor → global']);
    expect(via.get('acme-hardened-ubuntu')).toEqual(['enterprise → vendor']);
    // Published on the enterprise and submitted to the vendor: found in both.
    expect(via.get('edge-gateway')).toEqual(['enterprise', 'enterprise → vendor']);
    expect(tree.setup.submission).toMatchObject({ state: 'accepted' });
    expect(lines.join('\n')).toMatch(/cirros 0\.6\.2\s+found via enterprise → vendor → global/);

    // What the printed hint does: a full-text federated search from the leaf.
    const token = await tokenFor(tree.issuer, { user: 'someone', project: 'anywhere' });
    const res = await fetch(new URL('/federation/v1/search?type=images&q=ubuntu', tree.urls.enterprise), { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    const answer = (await res.json()) as { results: Array<{ name: string }>; partial: boolean };
    expect(answer.results.map((r) => r.name).sort()).toEqual(['acme-hardened-ubuntu', 'ubuntu-server']);
    expect(answer.partial).toBe(false);

    const { dataDir } = tree;
    await tree.stop();
    tree = undefined;
    expect(lines.at(-1)).toMatch(/^stopped; databases, Redis keys and data removed/);
    expect(lines.some((l) => / ended with /.test(l))).toBe(false); // every process exited 0 on SIGTERM
    expect(existsSync(dataDir)).toBe(false);
    const admin = postgres(ADMIN_URL, { max: 1 });
    const left = await admin`select datname from pg_database where datname like ${`catalog_tree_${tag}_%`}`;
    await admin.end();
    expect(left).toEqual([]);
    const redis = new Redis(REDIS_URL);
    expect(await redis.keys(`catalog-tree-${tag}-*`)).toEqual([]);
    redis.disconnect();
  });

  it('writes settings for compose.yaml that every node accepts: its own bucket, Redis prefix and review policy', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tree-configs-'));
    try {
      await writeComposeConfigs(dir);
      const configs = LEVELS.map((l) => configFrom(parse(readFileSync(join(dir, `${l.name}.yaml`), 'utf8')) as Record<string, unknown>));
      expect(configs.map((c) => [c.node.role, c.queue.prefix, c.blobs.stores.objects?.kind, c.blobs.default_store, c.federation.submissions.land_as])).toEqual([
        ['global', 'catalog-global', 's3', 'objects', 'drafted'],
        ['vendor', 'catalog-vendor', 's3', 'objects', 'active'],
        ['enterprise', 'catalog-enterprise', 's3', 'objects', 'drafted'],
      ]);
      expect(JSON.parse(readFileSync(join(dir, 'issuer.jwk.json'), 'utf8')).privateJwk.d).toEqual(expect.any(String));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
