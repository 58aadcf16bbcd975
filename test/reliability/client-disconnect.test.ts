/**
 * A client that hangs up mid-request is not a fault of the node: it is counted as 499 (aborted)
 * and logged at info level, never as an error-level unhandled error or an HTTP 500.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { configFrom } from '../../src/config/load.js';
import { buildDeps, closeDeps, type Deps } from '../../src/deps.js';
import { startHttpServer, type RunningHttpServer } from '../../src/http-server.js';
import { createTestDatabase } from '../support/database.js';

const lines: Array<{ level: number; msg: string; status?: number }> = [];
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let deps: Deps;
let http: RunningHttpServer;
let dataDir: string;
let base: string;
const owner = { 'X-User-Id': 'u1', 'X-Project-Id': 'p1', 'X-Roles': 'member' };

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'catalog-disconnect-'));
  database = await createTestDatabase();
  const config = configFrom({ data_dir: dataDir, auth: { modes: ['trusted-headers'] }, types_dir: 'test/fixtures/types' });
  const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  deps = await buildDeps(config, { database, log });
  http = await startHttpServer({ fetch: createApp(deps).fetch, host: '127.0.0.1', port: 0, idleTimeoutSeconds: 60 });
  base = `http://127.0.0.1:${http.address.port}`;
});
afterAll(async () => {
  await http.shutdown(0);
  await closeDeps(deps);
  await database.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('client disconnects', () => {
  it('are counted as 499 at info level, not as 500 errors', async () => {
    const created = await fetch(`${base}/artifacts/images`, { method: 'POST', headers: { ...owner, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'gone' }) });
    const { id } = (await created.json()) as { id: string };
    await new Promise<void>((resolve) => {
      const req = request(`${base}/artifacts/images/${id}/image`, {
        method: 'PUT',
        headers: { ...owner, 'content-type': 'application/octet-stream', 'content-length': String(64 * 1024 * 1024) },
      });
      req.on('error', () => {});
      req.write(Buffer.alloc(1024 * 1024, 1));
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 200);
    });
    const PUT_ROUTE = /catalog_http_requests_total\{method="PUT",route="[^"]+",status="(\d+)"\} (\d+)/g;
    let statuses: string[] = [];
    for (let i = 0; i < 50 && statuses.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      statuses = [...(await (await fetch(`${base}/metrics`)).text()).matchAll(PUT_ROUTE)].map((m) => m[1]!);
    }
    expect(statuses).toEqual(['499']);
    const request_ = lines.find((l) => l.msg === 'request' && l.status === 499);
    expect(request_).toMatchObject({ level: 30, outcome: 'aborted' });
    expect(lines.filter((l) => l.level >= 50)).toEqual([]);
  });
});
