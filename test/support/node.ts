/**
 * A catalog node for tests: createApp over a private database, driven in-process with
 * app.request(). Callers are made with trusted headers or signed JWTs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { pino } from 'pino';
import { createApp, type App } from '../../src/app.js';
import { configFrom } from '../../src/config/load.js';
import type { DatabaseHandle } from '../../src/db/client.js';
import { buildDeps, closeDeps, type Deps } from '../../src/deps.js';
import { createTestDatabase } from './database.js';
import type { Body, TestResponse } from './json.js';

export interface Who {
  project: string;
  user?: string;
  roles?: string[];
}

export interface TestNode {
  app: App;
  deps: Deps;
  dataDir: string;
  /** Headers for a caller (trusted-headers mode). */
  as(who: Who): Record<string, string>;
  admin: Record<string, string>;
  /** A bearer token signed by the node's configured issuer. */
  token(who: Who, claims?: Record<string, unknown>): Promise<string>;
  request(method: string, path: string, init?: { as?: Record<string, string>; json?: unknown; patch?: unknown; headers?: Record<string, string>; body?: RequestInit['body'] }): Promise<TestResponse>;
  /** Creates (and optionally activates / publishes) an artifact; returns its JSON. */
  seed(type: string, body: Record<string, unknown>, opts?: { as?: Record<string, string>; activate?: boolean; publish?: boolean }): Promise<Body>;
  close(): Promise<void>;
}

export const ISSUER = 'https://keystone.test';

function configOrCleanUp<T>(dataDir: string, load: () => T): T {
  try {
    return load();
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
}

export async function createTestNode(overrides: Record<string, unknown> = {}, database?: DatabaseHandle & { drop?: () => Promise<void> }): Promise<TestNode> {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const publicKeyPem = await exportSPKI(publicKey);
  const dataDir = mkdtempSync(join(tmpdir(), 'catalog-test-'));
  // `auth` overrides merge into the test defaults, so a test can change the modes or a claim name
  // and keep the test issuer's keys.
  const { auth = {}, ...rest } = overrides as { auth?: { jwt?: Record<string, unknown> } };
  const config = configOrCleanUp(dataDir, () => configFrom({
    data_dir: dataDir,
    auth: {
      modes: ['anonymous', 'trusted-headers', 'jwt'],
      ...auth,
      jwt: { issuer: ISSUER, audience: 'catalog', public_keys: [publicKeyPem], algorithms: ['ES256'], ...auth.jwt },
    },
    types_dir: 'test/fixtures/types',
    log: { level: 'silent' },
    ...rest,
  }));
  const db = database ?? (await createTestDatabase());
  const releaseAll = async () => {
    rmSync(dataDir, { recursive: true, force: true });
    if (db.drop) await db.drop();
    else await db.close();
  };
  let deps: Deps;
  try {
    deps = await buildDeps(config, { database: db, log: pino({ level: 'silent' }) });
  } catch (err) {
    await releaseAll(); // a node that fails to build leaves nothing behind either
    throw err;
  }
  const app = createApp(deps);

  const as = (who: Who) => ({
    'X-User-Id': who.user ?? `user-of-${who.project}`,
    'X-Project-Id': who.project,
    'X-Roles': (who.roles ?? ['member']).join(','),
  });

  const node: TestNode = {
    app,
    deps,
    dataDir,
    as,
    admin: as({ project: 'admin-project', user: 'root', roles: ['admin'] }),
    async token(who, claims = {}) {
      const now = Math.floor(Date.now() / 1000);
      // Defaults first, so a test can override any claim (an expired exp, another iss...).
      return new SignJWT({
        sub: who.user ?? `user-of-${who.project}`,
        iss: ISSUER,
        aud: 'catalog',
        iat: now,
        exp: now + 300,
        project_id: who.project,
        roles: who.roles ?? ['member'],
        ...claims,
      })
        .setProtectedHeader({ alg: 'ES256' })
        .sign(privateKey);
    },
    request(method, path, init = {}) {
      const headers: Record<string, string> = { ...(init.as ?? {}), ...(init.headers ?? {}) };
      let body: RequestInit['body'] | undefined = init.body;
      if (init.json !== undefined) {
        headers['content-type'] ??= 'application/json';
        body = JSON.stringify(init.json);
      }
      if (init.patch !== undefined) {
        headers['content-type'] ??= 'application/json-patch+json';
        body = JSON.stringify(init.patch);
      }
      const streaming = body instanceof ReadableStream ? { duplex: 'half' } : {};
      return Promise.resolve(app.request(path, { method, headers, body, ...streaming } as RequestInit)) as Promise<TestResponse>;
    },
    async seed(type, body, opts = {}) {
      const who = opts.as ?? as({ project: 'p1' });
      let res = await node.request('POST', `/artifacts/${type}`, { as: who, json: body });
      if (res.status !== 201) throw new Error(`seed create failed: ${res.status} ${await res.text()}`);
      let artifact: Body = await res.json();
      const ops: unknown[] = [];
      if (opts.activate || opts.publish) ops.push({ op: 'replace', path: '/status', value: 'active' });
      if (opts.publish) ops.push({ op: 'replace', path: '/visibility', value: 'public' });
      if (ops.length > 0) {
        res = await node.request('PATCH', `/artifacts/${type}/${artifact.id}`, { as: opts.publish ? node.admin : who, patch: ops });
        if (res.status !== 200) throw new Error(`seed patch failed: ${res.status} ${await res.text()}`);
        artifact = await res.json();
      }
      return artifact;
    },
    async close() {
      await closeDeps(deps);
      await releaseAll();
    },
  };
  return node;
}
