/**
 * A real node process (`catalog-node serve` over a private PostgreSQL database) killed with -9
 * in the middle of an upload, then started again: the upload's `saving` row must not hold the
 * blob hostage, and what the killed upload left on disk must go.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFrom } from '../../src/config/load.js';
import { buildDeps, closeDeps } from '../../src/deps.js';
import { scrubBlobsHandler } from '../../src/jobs/handlers/scrub-blobs.js';
import { createTestDatabase } from '../support/database.js';
import { freePort } from '../support/node-process.js';

const LEASE_SECONDS = 4;

type TestDatabase = Awaited<ReturnType<typeof createTestDatabase>>;

let database: TestDatabase;
let dataDir: string;
let port: number;
let node: ChildProcess | undefined;
const owner = { 'X-User-Id': 'u1', 'X-Project-Id': 'crash', 'X-Roles': 'member' };


/** Starts `catalog-node serve` and resolves once it answers /healthz. */
async function startNode(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['bin/catalog-node.js', 'serve'], {
    env: {
      ...process.env,
      DATABASE_URL: database.url,
      HOST: '127.0.0.1',
      PORT: String(port),
      CATALOG_DATA_DIR: dataDir,
      CATALOG_CONFIG: join(dataDir, 'node.yaml'),
      CATALOG_AUTH: 'anonymous,trusted-headers',
      REDIS_URL: '',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`catalog-node exited with ${child.exitCode}: ${stderr}`);
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false);
    if (ok) return child;
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`catalog-node did not start: ${stderr}`);
}

function url(path: string): string {
  return `http://127.0.0.1:${port}${path}`;
}

function tmpFiles(): string[] {
  try {
    return readdirSync(join(dataDir, 'blobs', 'tmp'));
  } catch {
    return [];
  }
}

beforeAll(async () => {
  database = await createTestDatabase();
  dataDir = mkdtempSync(join(tmpdir(), 'catalog-crash-'));
  // A short lease, so that the test waits seconds, not the default 20, for the dead upload to lapse.
  writeFileSync(join(dataDir, 'node.yaml'), `blobs: { upload_lease_seconds: ${LEASE_SECONDS} }\nlog: { level: warn }\n`);
  port = await freePort();
});

afterAll(async () => {
  node?.kill('SIGKILL');
  await database.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('a node killed with -9 mid-upload', () => {
  it('frees the blob (delete, upload, activation) soon after it restarts, and the scrub removes the dead upload’s temporary file', async () => {
    node = await startNode();
    const created = await fetch(url('/artifacts/images'), {
      method: 'POST',
      headers: { ...owner, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'crash', version: '1.0.0' }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const blobPath = `/artifacts/images/${id}/image`;

    // An upload that sends 1 MiB of a declared 4 MiB and waits.
    const upload = httpRequest(url(blobPath), { method: 'PUT', headers: { ...owner, 'content-type': 'text/plain', 'content-length': String(4 << 20) } });
    upload.on('error', () => {}); // the node dies under it
    upload.write(Buffer.alloc(1 << 20, 'a'));
    for (let i = 0; i < 200 && tmpFiles().length === 0; i++) await new Promise((r) => setTimeout(r, 25));
    const leftover = tmpFiles();
    expect(leftover).toHaveLength(1);

    const killed = new Promise((resolve) => node!.once('exit', resolve));
    node.kill('SIGKILL');
    await killed;
    upload.destroy();
    const [row] = (await database.db.execute(sql`select status from artifact_blobs`)) as unknown as Array<{ status: string }>;
    expect(row?.status).toBe('saving');

    node = await startNode();
    const restartedAt = Date.now();
    // Until the dead upload's lease runs out, its blob reads as being uploaded (409); then as not set.
    let status = 0;
    while (Date.now() - restartedAt < LEASE_SECONDS * 1000 + 15_000) {
      const res = await fetch(url(blobPath), { method: 'DELETE', headers: owner });
      status = res.status;
      await res.body?.cancel();
      if (status !== 409) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(status).toBe(404);
    const again = await fetch(url(blobPath), { method: 'PUT', headers: { ...owner, 'content-type': 'text/plain' }, body: 'uploaded again' });
    expect(again.status).toBe(200);
    expect(await (await fetch(url(blobPath), { headers: owner })).text()).toBe('uploaded again');
    const activated = await fetch(url(`/artifacts/images/${id}`), {
      method: 'PATCH',
      headers: { ...owner, 'content-type': 'application/json-patch+json' },
      body: JSON.stringify([{ op: 'replace', path: '/status', value: 'active' }]),
    });
    expect(activated.status).toBe(200);

    // The scrub (as the restarted node runs it) takes the dead upload's temporary file at once,
    // without waiting for the grace period: no running upload holds it any more.
    const config = configFrom({ data_dir: dataDir, log: { level: 'silent' } });
    const deps = await buildDeps(config, { database, log: pino({ level: 'silent' }), clock: () => new Date(Date.now() + 10 * 60_000) });
    try {
      const scrub = scrubBlobsHandler(deps);
      await scrub.run({}, { jobId: 'crash', attempt: 1, log: deps.log, signal: new AbortController().signal });
    } finally {
      await closeDeps(deps);
    }
    expect(tmpFiles()).toEqual([]);
  }, 90_000);
});
