/**
 * `catalog login`: profiles in an XDG config file only its owner reads, checked against the node
 * before they are stored; --profile, CATALOG_URL and CATALOG_TOKEN choose what is used.
 */
import { freePort } from '../support/node-process.js';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { runCli, serveNode, type ServedNode } from './support.js';

vi.setConfig({ testTimeout: 240_000 });

let s: ServedNode;
beforeAll(async () => {
  s = await serveNode();
});
afterAll(() => s.close());

const cli = (args: string[], env: Record<string, string | undefined> = {}, input?: string) => runCli(args, { env: { XDG_CONFIG_HOME: s.configHome, ...env }, input });
const configFile = () => join(s.configHome, 'catalog', 'config.json');

it('stores a token profile (0600), uses it, lets --profile pick another with identity headers, and never prints a token', async () => {
  const token = await s.token({ project: 'p1', user: 'alice' });
  const login = await cli(['login', s.url, '--token-stdin'], {}, `${token}\n`);
  expect(login.code, login.stderr).toBe(0);
  expect(login.stderr).toContain('(project p1)');
  expect(statSync(configFile()).mode & 0o777).toBe(0o600);
  expect(statSync(join(s.configHome, 'catalog')).mode & 0o077).toBe(0);
  expect(JSON.parse(readFileSync(configFile(), 'utf8'))).toEqual({ current: 'default', profiles: { default: { url: s.url, token } } });

  const created = await cli(['artifact', 'create', 'images', 'name=from-profile', '--json']);
  expect(created.code, created.stderr).toBe(0);
  expect(JSON.parse(created.stdout).owner).toBe('p1');

  // A profile for a node behind a trusted auth proxy: identity headers instead of a token.
  const proxied = await cli(['--profile', 'proxy', 'login', s.url, '-H', 'X-Project-Id=p2', '-H', 'X-User-Id=bob', '-H', 'X-Roles=member']);
  expect(proxied.code, proxied.stderr).toBe(0);
  const asBob = await cli(['--profile', 'proxy', 'artifact', 'create', 'images', 'name=via-proxy', '--json']);
  expect(JSON.parse(asBob.stdout).owner).toBe('p2');
  // the current profile is still the first one
  expect(JSON.parse((await cli(['artifact', 'list', 'images', '--json'])).stdout).artifacts.map((a: { name: string }) => a.name)).toEqual(['from-profile']);

  const listed = await cli(['profiles']);
  expect(listed.stdout).toMatch(/^\*\s+default\s+http:\/\/127\.0\.0\.1:\d+\s+token$/m);
  expect(listed.stdout).toMatch(/^\s+proxy\s+\S+\s+headers \(X-Project-Id, X-User-Id, X-Roles\)$/m);
  expect(listed.stdout + (await cli(['profiles', '--json'])).stdout).not.toContain(token);

  expect((await cli(['use', 'proxy'])).code).toBe(0);
  expect(JSON.parse((await cli(['artifact', 'list', 'images', '--json'])).stdout).artifacts.map((a: { name: string }) => a.name)).toEqual(['via-proxy']);
  expect((await cli(['use', 'nobody'])).code).toBe(2);

  // CATALOG_URL and CATALOG_TOKEN override the current profile, but not an explicit --profile.
  const port = await freePort();
  expect((await cli(['artifact', 'list', 'images'], { CATALOG_URL: `http://127.0.0.1:${port}` })).code).toBe(1);
  expect((await cli(['--profile', 'default', 'artifact', 'list', 'images'], { CATALOG_URL: `http://127.0.0.1:${port}` })).code).toBe(0);
  const viaEnvToken = await cli(['artifact', 'list', 'images', '--json'], { CATALOG_TOKEN: token });
  expect(JSON.parse(viaEnvToken.stdout).artifacts.map((a: { name: string }) => a.name)).toEqual(['from-profile']);

  expect((await cli(['--profile', 'proxy', 'logout'])).code).toBe(0);
  expect(Object.keys(JSON.parse(readFileSync(configFile(), 'utf8')).profiles)).toEqual(['default']);
  expect((await cli(['--profile', 'proxy', 'artifact', 'list', 'images'])).code).toBe(2);
});

it('stores nothing when the node refuses the token (4) or cannot be reached (1); a bad URL is a usage error (2)', async () => {
  const home = join(s.tmp, 'fresh');
  const env = { XDG_CONFIG_HOME: home };
  const refused = await runCli(['login', s.url, '--token', 'e30.e30.c2ln'], { env });
  expect(refused.code).toBe(4);
  expect(refused.stderr).toContain('(HTTP 401)');
  const port = await freePort();
  expect((await runCli(['login', `http://127.0.0.1:${port}`], { env })).code).toBe(1);
  expect((await runCli(['login', 'ftp://example'], { env })).code).toBe(2);
  expect(existsSync(join(home, 'catalog', 'config.json'))).toBe(false);
  const none = await runCli(['artifact', 'list', 'images'], { env });
  expect(none.code).toBe(2);
  expect(none.stderr).toContain('run `catalog login <url>` or set CATALOG_URL');
});
