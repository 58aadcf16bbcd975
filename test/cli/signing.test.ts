/** `catalog key`, `catalog sign`, `catalog verify` against a node with developer signatures. */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import type { Body } from '../support/json.js';
import { runCli, serveNode, type ServedNode } from './support.js';

vi.setConfig({ testTimeout: 240_000 });

let s: ServedNode;
let member: string;
let stranger: string;
beforeAll(async () => {
  s = await serveNode();
  member = await s.token({ project: 'p1', user: 'alice' });
  stranger = await s.token({ project: 'p2', user: 'bob' });
});
afterAll(() => s.close());

const cli = (args: string[], token = member, configHome = s.configHome) => runCli(args, { env: { XDG_CONFIG_HOME: configHome, CATALOG_URL: s.url, CATALOG_TOKEN: token } });
const json = (r: { stdout: string }): Body => JSON.parse(r.stdout);

it('generates and registers a key, signs an artifact, verifies it, and reports what broke a signature', async () => {
  const gen = await cli(['key', 'gen', '--name', 'alice laptop', '--register', '--json']);
  expect(gen.code, gen.stderr).toBe(0);
  const key = json(gen);
  expect(key).toMatchObject({ name: 'alice laptop', alg: 'EdDSA', project: 'p1', revoked: false });
  const file = join(s.configHome, 'catalog', 'keys', `${key.kid}.json`);
  expect(statSync(file).mode & 0o777).toBe(0o600);
  expect(JSON.parse(readFileSync(file, 'utf8')).private_jwk.d).toBeTruthy();
  expect(JSON.stringify(key)).not.toContain(JSON.parse(readFileSync(file, 'utf8')).private_jwk.d);
  const listed = await cli(['key', 'list']);
  expect(listed.stdout).toMatch(new RegExp(`^${key.kid}\\s+alice laptop\\s+EdDSA\\s+p1\\s+yes\\s*$`, 'm'));

  const a = json(await cli(['artifact', 'create', 'images', 'name=signed', 'version=1.0.0', '--json']));
  const bytes = join(s.tmp, 'signed.img');
  writeFileSync(bytes, 'image bytes');
  expect((await cli(['blob', 'upload', 'images', a.id, 'image', bytes])).code).toBe(0);
  const signed = await cli(['sign', 'images', a.id]);
  expect(signed.code, signed.stderr).toBe(0);
  expect(signed.stdout).toBe(`signed images/${a.id} with ${key.kid} (alice laptop)\n`);
  const ok = await cli(['verify', 'images', a.id]);
  expect(ok.code, ok.stderr).toBe(0);
  expect(ok.stdout).toMatch(new RegExp(`^${key.kid}\\s+alice laptop\\s+p1\\s+\\S+\\s+yes\\s*$`, 'm'));
  expect((await cli(['sign', 'images', a.id])).code).toBe(5); // the same signature twice

  // The draft's bytes change: the signature no longer holds, and verify says why and exits 4.
  expect((await cli(['blob', 'delete', 'images', a.id, 'image'])).code).toBe(0);
  writeFileSync(bytes, 'other bytes');
  expect((await cli(['blob', 'upload', 'images', a.id, 'image', bytes])).code).toBe(0);
  const broken = await cli(['verify', 'images', a.id, '--json']);
  expect(broken.code).toBe(4);
  expect(json(broken).signatures[0]).toMatchObject({ kid: key.kid, holds: false });
  expect(json(broken).signatures[0].reason).toContain('blob image changed');
  expect(broken.stderr).toContain('no signature holds');

  // Signed again, then the key is revoked as compromised before the signature: it no longer holds.
  expect((await cli(['sign', 'images', a.id])).code).toBe(0);
  expect((await cli(['verify', 'images', a.id, '-q'])).stdout).toBe(`${key.kid}\n`);
  const revoked = await cli(['key', 'revoke', key.kid.slice(0, 43), '--reason', 'laptop stolen', '--at', '2020-01-01T00:00:00Z', '--json']);
  expect(revoked.code, revoked.stderr).toBe(0);
  expect(json(revoked)).toMatchObject({ revoked: true, revocation_reason: 'laptop stolen' });
  expect((await cli(['verify', 'images', a.id])).code).toBe(4);
});

it('refuses: no local key (2), a key registered twice (5), a missing reason (2), another project’s artifact (3)', async () => {
  const fresh = join(s.tmp, 'fresh');
  const a = json(await cli(['artifact', 'create', 'images', 'name=unsigned', '--json']));
  const none = await cli(['sign', 'images', a.id], member, fresh);
  expect(none.code).toBe(2);
  expect(none.stderr).toContain('catalog key gen');
  const unsigned = await cli(['verify', 'images', a.id]);
  expect(unsigned.code).toBe(4);
  expect(unsigned.stdout).toContain('is not signed');

  const gen = json(await cli(['key', 'gen', '--json'], member, fresh));
  expect((await cli(['key', 'register', gen.kid], member, fresh)).code).toBe(0);
  const twice = await cli(['key', 'register', gen.kid], member, fresh);
  expect(twice.code).toBe(5);
  expect((await cli(['key', 'revoke', gen.kid], member, fresh)).code).toBe(2);
  expect((await cli(['sign', 'images', a.id], stranger, fresh)).code).toBe(3);
  expect((await cli(['key', 'revoke', gen.kid, '--reason', 'not mine'], stranger, fresh)).code).toBe(3);
});
