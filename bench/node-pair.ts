/**
 * Two real nodes (`catalog-node serve`) for the benchmarks that move bytes between nodes: each
 * over its own new PostgreSQL database (at BENCH_DATABASE_URL's server) and data directory, jobs
 * run in-process, served on a free loopback port. Everything is stopped and dropped afterwards.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import postgres from 'postgres';
import { freePort } from '../test/support/node-process.js';
import { waitFor } from './blobs.js';

export const BENCH_ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface RunningNode {
  base: string;
  pid: number;
  child: ChildProcess;
}

async function startNode(work: string, name: string, dbUrl: string, opts: { auth: string; typesDir: string; nodeArgs?: readonly string[] }): Promise<RunningNode> {
  const port = await freePort();
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), resolve('bin/catalog-node.js'), 'serve'], {
    env: {
      ...process.env,
      DATABASE_URL: dbUrl,
      PORT: String(port),
      CATALOG_DATA_DIR: join(work, name),
      CATALOG_TYPES_DIR: opts.typesDir,
      CATALOG_AUTH: opts.auth,
      REDIS_URL: '',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  await waitFor(`${base}/readyz`);
  return { base, pid: child.pid!, child };
}

/** Runs `run` with two nodes named `names`; `keep` keeps the work directory (not the databases). */
export async function withNodePair<T>(
  opts: { label: string; names: readonly [string, string]; auth: string; typesDir: string; keep?: boolean; nodeArgs?: readonly string[] },
  run: (pair: { work: string; nodes: readonly [RunningNode, RunningNode] }) => Promise<T>,
): Promise<T> {
  const work = mkdtempSync(join(tmpdir(), `bench-${opts.label}-`));
  const admin = postgres(BENCH_ADMIN_URL, { max: 1, onnotice: () => {} });
  const dbNames = opts.names.map((n) => `bench_${opts.label}_${n}_${randomBytes(3).toString('hex')}`);
  const nodes: RunningNode[] = [];
  try {
    for (const [i, name] of dbNames.entries()) {
      await admin.unsafe(`create database "${name}"`);
      const url = new URL(BENCH_ADMIN_URL);
      url.pathname = `/${name}`;
      nodes.push(await startNode(work, opts.names[i]!, url.href, opts));
    }
    return await run({ work, nodes: [nodes[0]!, nodes[1]!] });
  } finally {
    for (const n of nodes) n.child.kill('SIGTERM');
    await Promise.all(nodes.map((n) => new Promise((r) => (n.child.exitCode !== null ? r(null) : n.child.once('exit', r)))));
    for (const name of dbNames) await admin.unsafe(`drop database if exists "${name}" with (force)`).catch(() => {});
    await admin.end();
    if (!opts.keep) rmSync(work, { recursive: true, force: true });
  }
}
