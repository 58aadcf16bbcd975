/**
 * A bounded soak: a real `catalog-node serve` (two processes) on 127.0.0.1 under 32 connections
 * of mixed operations (create, upload, patch, show, download, list, delete) for SOAK_SECONDS
 * (default 120). No answer may be a 5xx or other than the operation's own; the node's memory stays
 * flat and its PostgreSQL connections stay within its pools.
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_URL, createTestDatabase } from '../support/database.js';
import { processTree, startNodeProcess, type NodeProcess } from '../support/node-process.js';

const SOAK_MS = Number(process.env.SOAK_SECONDS ?? 120) * 1000;
const CONNECTIONS = 32;
const PROCESSES = 2;
const POOL_SIZE = 10;
/** RSS growth of all the node's processes from the first third of the run to the last. */
const MAX_RSS_GROWTH_MIB = 64;

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let node: NodeProcess;
let admin: postgres.Sql;
const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });

beforeAll(async () => {
  database = await createTestDatabase();
  node = await startNodeProcess(database.url, { server: { processes: PROCESSES }, database: { pool_size: POOL_SIZE }, log: { level: 'warn' } });
  admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
});
afterAll(async () => {
  agent.destroy();
  await node.stop();
  await admin.end();
  await database.drop();
});

function call(method: string, path: string, headers: Record<string, string>, body?: string | Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ agent, host: '127.0.0.1', port: node.port, method, path, headers, timeout: 30_000 }, (res) => {
      let text = '';
      res.setEncoding('latin1');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, text }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`timed out: ${method} ${path}`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** RSS of the node's primary and every process below it, in MiB. */
function treeRssMib(pid: number): number {
  let kib = 0;
  for (const p of processTree(pid)) {
    try {
      kib += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      // gone meanwhile
    }
  }
  return kib / 1024;
}

async function connectionsToDatabase(): Promise<number> {
  const [row] = await admin<Array<{ n: number }>>`select count(*)::int as n from pg_stat_activity where datname = ${database.name}`;
  return row!.n;
}

describe('soak', () => {
  it(`serves ${CONNECTIONS} connections of mixed operations with no 5xx, flat memory and a stable connection count`, { timeout: SOAK_MS + 120_000 }, async () => {
    const unexpected: string[] = [];
    let operations = 0;
    const expectStatus = (what: string, got: { status: number; text: string }, want: number) => {
      operations++;
      if (got.status !== want && unexpected.length < 20) unexpected.push(`${what}: ${got.status} ${got.text.slice(0, 200)}`);
      return got.status === want;
    };
    const deadline = Date.now() + SOAK_MS;

    const worker = async (w: number) => {
      const as = { 'X-User-Id': `u${w}`, 'X-Project-Id': `p${w % 4}`, 'X-Roles': 'member' };
      const json = { ...as, 'content-type': 'application/json' };
      for (let i = 0; Date.now() < deadline; i++) {
        const created = await call('POST', '/artifacts/images', json, JSON.stringify({ name: `soak-${w}-${i}`, version: `1.0.${i}`, tags: [`w${w % 8}`] }));
        if (!expectStatus('create', created, 201)) continue;
        const id = (JSON.parse(created.text) as { id: string }).id;
        const path = `/artifacts/images/${id}`;
        const blob = Buffer.alloc(4096 + (i % 7) * 1000, w);
        expectStatus('upload', await call('PUT', `${path}/image`, { ...as, 'content-type': 'application/octet-stream' }, blob), 200);
        expectStatus('patch', await call('PATCH', path, { ...as, 'content-type': 'application/json-patch+json' }, JSON.stringify([{ op: 'replace', path: '/description', value: `pass ${i}` }])), 200);
        expectStatus('show', await call('GET', path, as), 200);
        const downloaded = await call('GET', `${path}/image`, as);
        if (expectStatus('download', downloaded, 200) && downloaded.text.length !== blob.length) unexpected.push(`download: ${downloaded.text.length} bytes, uploaded ${blob.length}`);
        expectStatus('list', await call('GET', `/artifacts/images?tags=w${w % 8}&limit=5&sort=created_at:desc`, as), 200);
        expectStatus('anonymous list', await call('GET', '/artifacts/images?limit=3', {}), 200);
        if (i % 2 === 0) expectStatus('delete', await call('DELETE', path, as), 204);
      }
    };

    const samples: Array<{ at: number; rssMib: number; pgConnections: number }> = [];
    const sampler = setInterval(() => {
      void connectionsToDatabase().then((pgConnections) => samples.push({ at: Date.now(), rssMib: treeRssMib(node.pid), pgConnections }));
    }, 2000);
    try {
      await Promise.all(Array.from({ length: CONNECTIONS }, (_, w) => worker(w)));
    } finally {
      clearInterval(sampler);
    }

    const third = Math.floor(samples.length / 3);
    const firstThird = samples.slice(0, third);
    const lastThird = samples.slice(-third);
    const maxRss = (s: typeof samples) => Math.max(...s.map((x) => x.rssMib));
    const figures = {
      operations,
      samples: samples.length,
      rssFirstThirdMaxMib: Math.round(maxRss(firstThird)),
      rssLastThirdMaxMib: Math.round(maxRss(lastThird)),
      pgConnectionsMax: Math.max(...samples.map((s) => s.pgConnections)),
      pgConnectionsLast: samples.at(-1)?.pgConnections,
    };
    console.log('soak', JSON.stringify(figures));

    expect(unexpected).toEqual([]);
    expect(operations).toBeGreaterThan(CONNECTIONS * 10);
    expect(third).toBeGreaterThan(2);
    expect(figures.rssLastThirdMaxMib - figures.rssFirstThirdMaxMib).toBeLessThan(MAX_RSS_GROWTH_MIB);
    // Pools never grow beyond their size, however long the load runs.
    for (const s of samples) expect(s.pgConnections).toBeLessThanOrEqual(PROCESSES * POOL_SIZE);
    expect(Math.max(...lastThird.map((s) => s.pgConnections))).toBeLessThanOrEqual(Math.max(...firstThird.map((s) => s.pgConnections)) + 2);
  });
});
