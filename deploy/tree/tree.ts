/**
 * A three-level federation tree (global ← vendor ← enterprise) in one command.
 *
 *   npx tsx deploy/tree/tree.ts [start] [--exit] [--keep]   (npm run tree)
 *       On this machine, without Docker: PostgreSQL on 127.0.0.1:5432 and Redis on 6379 (as the
 *       tests use them). Makes a database and a Redis prefix per node, starts each node's `serve`
 *       and `worker` on loopback ports, enrols enterprise → vendor → global, loads demo artifacts,
 *       submits one of the enterprise's up to the vendor, shows a federated search from the
 *       enterprise, and runs until Ctrl-C (or, with --exit, stops at once); stopping ends every
 *       process and drops the databases, Redis keys and data (unless --keep).
 *   npx tsx deploy/tree/tree.ts configs DIR [--public-key-file F]
 *       Writes global.yaml, vendor.yaml and enterprise.yaml for compose.yaml, and the demo
 *       issuer's key pair (DIR/issuer.jwk.json) they trust.
 *   npx tsx deploy/tree/tree.ts setup --global URL --vendor URL --enterprise URL --key DIR/issuer.jwk.json
 *       Enrols, loads and searches against running nodes (compose.yaml's `setup` service).
 *
 * Environment: TREE_DATABASE_URL (an admin URL of the PostgreSQL server, default
 * postgres://postgres@127.0.0.1:5432/postgres), TREE_REDIS_URL (default redis://127.0.0.1:6379),
 * TREE_BASE_PORT (global listens there, vendor on +1, enterprise on +2; default 9601).
 *
 * The nodes trust one demo issuer whose key pair this script makes per run: it prints an admin
 * token to use with `catalog login` or curl. Demo only: a real tree trusts its SSO.
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { closeSync, createWriteStream, mkdirSync, openSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { exportJWK, exportSPKI, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import postgres from 'postgres';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const ISSUER = 'https://tree-demo.invalid';
const AUDIENCE = 'catalog';

export const LEVELS = [
  { name: 'global', role: 'global' },
  { name: 'vendor', role: 'vendor' },
  { name: 'enterprise', role: 'enterprise' },
] as const;
export type Level = (typeof LEVELS)[number]['name'];

/** The demo issuer: nodes trust its public key; the script signs callers' tokens with the private one. */
export interface Issuer {
  publicPem: string;
  privateJwk: JWK;
}

export async function newIssuer(): Promise<Issuer> {
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
  return { publicPem: await exportSPKI(publicKey), privateJwk: await exportJWK(privateKey) };
}

/** A bearer token for `project` (with the admin role when `admin`), good for a day. */
export async function tokenFor(issuer: Issuer, who: { user: string; project: string; admin?: boolean }): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ project_id: who.project, roles: who.admin ? ['admin', 'member'] : ['member'] })
    .setProtectedHeader({ alg: 'ES256' })
    .setSubject(who.user)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt(now)
    .setExpirationTime(now + 86_400)
    .sign(await importJWK(issuer.privateJwk, 'ES256'));
}

/** One node's settings: what differs between the levels (and between this machine and compose). */
export function nodeConfig(level: (typeof LEVELS)[number], opts: { issuer: Issuer; port: number; publicUrl: string; blobs?: Record<string, unknown>; extra?: Record<string, unknown> }) {
  return {
    node: { name: level.name, role: level.role },
    server: { host: opts.blobs ? '0.0.0.0' : '127.0.0.1', port: opts.port, processes: 1 },
    auth: { modes: ['anonymous', 'jwt'], admin_role: 'admin', jwt: { issuer: ISSUER, audience: AUDIENCE, public_keys: [opts.issuer.publicPem], algorithms: ['ES256'] } },
    federation: {
      public_url: opts.publicUrl,
      // The vendor takes its enterprises' submissions at once; the global catalog reviews them.
      submissions: { land_as: level.name === 'vendor' ? 'active' : 'drafted' },
      search: { timeout_ms: 2000, deadline_ms: 5000 },
    },
    ...(opts.blobs ? { blobs: opts.blobs } : {}),
    log: { level: 'info' },
    ...opts.extra,
  };
}

export type Say = (line: string) => void;

interface Caller {
  url: string;
  token: string;
}

async function call(c: Caller, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<unknown> {
  const init: RequestInit = { method, headers: { authorization: `Bearer ${c.token}`, accept: 'application/json', ...headers } };
  if (typeof body === 'string') init.body = body;
  else if (body !== undefined) {
    init.body = JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
  }
  const res = await fetch(new URL(path, c.url), init);
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${new URL(path, c.url).href} answered ${res.status}: ${text.slice(0, 500)}`);
  return text ? (JSON.parse(text) as unknown) : undefined;
}

type Json = Record<string, unknown>;

/** Creates, uploads and (as admin) activates and publishes an image owned by `project`. */
async function publishImage(node: string, issuer: Issuer, project: string, image: { name: string; version: string; description: string; bytes: string; tags: string[] }): Promise<Json> {
  const owner = { url: node, token: await tokenFor(issuer, { user: `${project}-publisher`, project }) };
  const admin = { url: node, token: await tokenFor(issuer, { user: 'tree-admin', project: 'operators', admin: true }) };
  const created = (await call(owner, 'POST', '/artifacts/images', { name: image.name, version: image.version, description: image.description, tags: image.tags })) as Json;
  await call(owner, 'PUT', `/artifacts/images/${String(created.id)}/image`, image.bytes, { 'content-type': 'application/octet-stream' });
  return (await call(admin, 'PATCH', `/artifacts/images/${String(created.id)}`, JSON.stringify([
    { op: 'replace', path: '/status', value: 'active' },
    { op: 'replace', path: '/visibility', value: 'public' },
  ]), { 'content-type': 'application/json-patch+json' })) as Json;
}

export interface SetupResult {
  /** The federated search from the enterprise: each result's name, version and the node paths it was found through. */
  found: Array<{ name: string; version: string; paths: string[] }>;
  submission: Json;
}

/** Enrols enterprise → vendor → global, loads the demo artifacts, submits one up, searches from the leaf. */
export async function setUpTree(urls: Record<Level, string>, issuer: Issuer, say: Say): Promise<SetupResult> {
  const adminToken = await tokenFor(issuer, { user: 'tree-admin', project: 'operators', admin: true });
  const admin = (level: Level): Caller => ({ url: urls[level], token: adminToken });

  const enrol = async (child: Level, upstream: Level, project: string) => {
    const jwks = (await call(admin(upstream), 'GET', '/.well-known/jwks.json')) as { keys: Array<{ kid: string }> };
    const issued = (await call(admin(upstream), 'POST', '/federation/v1/admin/enrolment-tokens', { permissions: ['search', 'pull', 'submit'], project, note: `the ${child} node` })) as Json;
    await call(admin(child), 'POST', '/federation/v1/admin/upstreams', { url: urls[upstream], token: issued.token, fingerprint: jwks.keys[0]!.kid });
    say(`enrolled ${child} with ${upstream} (search, pull, submit; its submissions land in project ${project} there; key ${jwks.keys[0]!.kid.slice(0, 12)}… pinned)`);
  };
  await enrol('vendor', 'global', 'vendor-submissions');
  await enrol('enterprise', 'vendor', 'enterprise-submissions');

  const demo = [
    { level: 'global' as const, project: 'distributions', image: { name: 'ubuntu-server', version: '24.4.0', description: 'Ubuntu Server 24.04 LTS cloud image', bytes: 'ubuntu server image bytes', tags: ['linux', 'lts'] } },
    { level: 'global' as const, project: 'distributions', image: { name: 'cirros', version: '0.6.2', description: 'CirrOS test image', bytes: 'cirros image bytes', tags: ['linux', 'test'] } },
    { level: 'global' as const, project: 'distributions', image: { name: 'debian', version: '12.7.0', description: 'Debian 12 generic cloud image', bytes: 'debian image bytes', tags: ['linux'] } },
    { level: 'vendor' as const, project: 'acme-cloud', image: { name: 'acme-hardened-ubuntu', version: '24.4.1', description: 'Ubuntu hardened by ACME', bytes: 'acme hardened bytes', tags: ['linux', 'hardened'] } },
    { level: 'enterprise' as const, project: 'platform-team', image: { name: 'edge-gateway', version: '1.0.0', description: 'The enterprise edge gateway appliance', bytes: 'edge gateway bytes', tags: ['network'] } },
  ];
  const published = new Map<string, Json>();
  for (const d of demo) {
    published.set(d.image.name, await publishImage(urls[d.level], issuer, d.project, d.image));
    say(`published images/${d.image.name} ${d.image.version} on ${d.level}`);
  }

  // The enterprise's platform team submits its gateway to the vendor, which takes it at once.
  const owner = { url: urls.enterprise, token: await tokenFor(issuer, { user: 'platform-team-publisher', project: 'platform-team' }) };
  const vendorNode = (await call(admin('vendor'), 'GET', '/federation/v1/node')) as Json;
  let submission = (await call(owner, 'POST', '/federation/v1/submit', { upstream: vendorNode.id, type: 'images', id: published.get('edge-gateway')!.id })) as Json;
  const deadline = Date.now() + 30_000;
  while (submission.state === 'queued' || submission.state === 'sending') {
    if (Date.now() > deadline) throw new Error(`the submission did not reach the vendor: ${JSON.stringify(submission)}`);
    await new Promise((r) => setTimeout(r, 200));
    submission = (await call(owner, 'GET', `/federation/v1/submit/${String(submission.id)}`)) as Json;
  }
  if (submission.state !== 'accepted') throw new Error(`the vendor did not accept the submission: ${JSON.stringify(submission)}`);
  say(`submitted images/edge-gateway 1.0.0 from enterprise to vendor: ${String(submission.state)}`);

  const user = { url: urls.enterprise, token: await tokenFor(issuer, { user: 'alice', project: 'platform-team' }) };
  const answer = (await call(user, 'GET', '/federation/v1/search?type=images&sort=name:asc')) as {
    results: Array<{ name: string; version: string; sources: Array<{ path: Array<{ name: string }> }> }>;
    sources: Array<{ path: Array<{ name: string }>; status: string; ms: number; count: number }>;
  };
  const found = answer.results.map((r) => ({ name: r.name, version: r.version, paths: r.sources.map((s) => s.path.map((p) => p.name).join(' → ')) }));
  say('');
  say('federated search from the enterprise (GET /federation/v1/search?type=images):');
  const width = Math.max(...found.map((f) => `${f.name} ${f.version}`.length));
  for (const f of found) say(`  ${`${f.name} ${f.version}`.padEnd(width)}  found via ${f.paths.join(', ')}`);
  say(`  sources: ${answer.sources.map((s) => `${s.path.map((p) => p.name).join(' → ')} ${s.status} ${s.ms} ms (${s.count})`).join('; ')}`);
  return { found, submission };
}

// ---------------------------------------------------------------------------------------------
// This machine

export interface LocalTreeOptions {
  /** An admin URL of the PostgreSQL server the nodes' databases are made on. */
  databaseUrl: string;
  redisUrl: string;
  basePort: number;
  /** Names the databases and Redis prefixes (so several trees, and tests, never meet). */
  tag: string;
  say: Say;
}

export interface LocalTree {
  urls: Record<Level, string>;
  issuer: Issuer;
  dataDir: string;
  setup: SetupResult;
  /** The process id of each level's `serve` (benchmarks read their CPU time). */
  servePids: Record<Level, number>;
  /** Stops every process (SIGTERM, each given time to finish), then drops what the tree made unless `keep`. */
  stop(opts?: { keep?: boolean }): Promise<void>;
}

interface Started {
  name: string;
  child: ChildProcess;
  exited: Promise<string>;
}

interface StartedWorker extends Started {
  /** Resolves once the process logged `message` (rejects if it exits first). */
  logged(message: string): Promise<void>;
}

function spawnNode(command: 'serve' | 'worker', level: Level, configPath: string, output: StdioOptions): Started {
  const child = spawn(process.execPath, [join(REPO, 'bin/catalog-node.js'), command], { cwd: REPO, env: { PATH: process.env.PATH, CATALOG_CONFIG: configPath }, stdio: output });
  const exited = new Promise<string>((done) => child.once('exit', (code, signal) => done(signal ?? String(code))));
  return { name: `${level} ${command}`, child, exited };
}

/**
 * A serve process writes its log straight to its file: nothing waits on its lines (its readiness
 * is asked over HTTP), and piping them through this process would wake it for every access line,
 * on the cores the nodes run on (bench/federation-processes.ts measures them).
 */
function spawnServe(level: Level, configPath: string, logDir: string): Started {
  const log = openSync(join(logDir, `${level}.serve.log`), 'a');
  try {
    return spawnNode('serve', level, configPath, ['ignore', log, log]);
  } finally {
    closeSync(log);
  }
}

/** A worker's output goes to its log through this process, which reads off each line the messages it waits on. */
function spawnWorker(level: Level, configPath: string, logDir: string): StartedWorker {
  const started = spawnNode('worker', level, configPath, ['ignore', 'pipe', 'pipe']);
  const { child } = started;
  const log = createWriteStream(join(logDir, `${level}.worker.log`));
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  // The distinct messages logged so far (a handful), read off each line as it comes.
  const seen = new Set<string>();
  let partial = '';
  child.stdout!.on('data', (d: Buffer) => {
    const lines = (partial + d.toString()).split('\n');
    partial = lines.pop()!.slice(-65_536);
    for (const line of lines) {
      const msg = /"msg":"((?:[^"\\]|\\.)*)"/.exec(line)?.[1];
      if (msg !== undefined) seen.add(msg);
    }
  });
  const logged = (message: string) =>
    new Promise<void>((done, fail) => {
      const check = () => {
        if (seen.has(message)) return done();
        if (child.exitCode !== null || child.signalCode !== null) return fail(new Error(`${started.name} exited before it said "${message}"`));
        setTimeout(check, 100);
      };
      check();
    });
  return { ...started, logged };
}

function databaseFor(adminUrl: string, name: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.href;
}

export async function startLocalTree(opts: LocalTreeOptions): Promise<LocalTree> {
  const { say } = opts;
  const issuer = await newIssuer();
  const dataDir = mkdtempSync(join(tmpdir(), `catalog-tree-${opts.tag}-`));
  const admin = postgres(opts.databaseUrl, { max: 1, onnotice: () => {} });
  const databases = LEVELS.map((l) => `catalog_tree_${opts.tag}_${l.name}`);
  const prefixes = LEVELS.map((l) => `catalog-tree-${opts.tag}-${l.name}`);
  const processes: Started[] = [];
  const urls = Object.fromEntries(LEVELS.map((l, i) => [l.name, `http://127.0.0.1:${opts.basePort + i}/`])) as Record<Level, string>;

  let stopped = false;
  const stop = async ({ keep = false } = {}) => {
    if (stopped) return;
    stopped = true;
    for (const p of processes) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGTERM');
    await Promise.all(
      processes.map(async (p) => {
        const timer = setTimeout(() => p.child.kill('SIGKILL'), 45_000);
        const how = await p.exited;
        clearTimeout(timer);
        if (how !== '0') say(`${p.name} ended with ${how} (its log is in ${dataDir})`);
      }),
    );
    if (!keep) {
      for (const name of databases) await admin.unsafe(`drop database if exists "${name}" with (force)`);
      const redis = new Redis(opts.redisUrl);
      for (const prefix of prefixes) {
        const keys = await redis.keys(`${prefix}:*`);
        if (keys.length > 0) await redis.del(...keys);
      }
      redis.disconnect();
      rmSync(dataDir, { recursive: true, force: true });
    }
    await admin.end();
    say(keep ? `stopped; databases ${databases.join(', ')} and ${dataDir} kept` : 'stopped; databases, Redis keys and data removed');
  };

  try {
    for (const [i, level] of LEVELS.entries()) {
      await admin.unsafe(`drop database if exists "${databases[i]}" with (force)`);
      await admin.unsafe(`create database "${databases[i]}"`);
      const config = nodeConfig(level, {
        issuer,
        port: opts.basePort + i,
        publicUrl: urls[level.name],
        extra: { database: { url: databaseFor(opts.databaseUrl, databases[i]!) }, queue: { redis_url: opts.redisUrl, prefix: prefixes[i] }, data_dir: join(dataDir, level.name) },
      });
      const configPath = join(dataDir, `${level.name}.yaml`);
      writeFileSync(configPath, JSON.stringify(config, null, 2));
      // serve migrates its database first; the worker starts once it answers.
      processes.push(spawnServe(level.name, configPath, dataDir));
    }
    await Promise.all(
      LEVELS.map((l) => {
        const serve = processes.find((p) => p.name === `${l.name} serve`)!;
        return ready(urls[l.name], serve.name, () => serve.child.exitCode);
      }),
    );
    const workers = LEVELS.map((level) => spawnWorker(level.name, join(dataDir, `${level.name}.yaml`), dataDir));
    processes.push(...workers);
    await Promise.all(workers.map((w) => w.logged('catalog worker running')));
    say(`nodes: ${LEVELS.map((l) => `${l.name} ${urls[l.name]}`).join(', ')} (logs and configs in ${dataDir})`);
    const setup = await setUpTree(urls, issuer, say);
    const servePids = Object.fromEntries(LEVELS.map((l) => [l.name, processes.find((p) => p.name === `${l.name} serve`)!.child.pid!])) as Record<Level, number>;
    return { urls, issuer, dataDir, setup, servePids, stop };
  } catch (err) {
    say(`the tree did not start: ${(err as Error).message}`);
    await stop();
    throw err;
  }
}

/** Waits until the node at `url` is ready; `exitCode` tells of a process that died meanwhile. */
async function ready(url: string, name: string, exitCode: () => number | null = () => null): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exitCode() !== null) throw new Error(`${name} exited (${String(exitCode())}) before it answered`);
    const ok = await fetch(new URL('/readyz', url)).then((r) => r.ok, () => false);
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${name} did not answer ${url}readyz within 60 s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

// ---------------------------------------------------------------------------------------------
// compose.yaml

/** Each node's settings for compose.yaml (its S3 bucket, its Redis prefix) and the demo issuer's key pair. */
export async function writeComposeConfigs(dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const issuer = await newIssuer();
  writeFileSync(join(dir, 'issuer.jwk.json'), JSON.stringify(issuer), { mode: 0o600 });
  for (const level of LEVELS) {
    const objects = { kind: 's3', endpoint: 'http://objects:9000', bucket: `catalog-${level.name}`, access_key_id: 'catalog', secret_access_key: 'catalog-secret', force_path_style: true };
    const config = nodeConfig(level, { issuer, port: 9494, publicUrl: `http://${level.name}:9494/`, blobs: { stores: { objects }, default_store: 'objects' }, extra: { data_dir: '/var/lib/catalog', queue: { prefix: `catalog-${level.name}` } } });
    writeFileSync(join(dir, `${level.name}.yaml`), JSON.stringify(config, null, 2));
  }
}

// ---------------------------------------------------------------------------------------------
// The command

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      exit: { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      global: { type: 'string' },
      vendor: { type: 'string' },
      enterprise: { type: 'string' },
      key: { type: 'string' },
    },
  });
  const command = positionals[0] ?? 'start';
  const say: Say = (line) => process.stdout.write(`${line}\n`);

  if (command === 'configs') {
    const dir = positionals[1];
    if (!dir) throw new Error('usage: tree.ts configs DIR');
    await writeComposeConfigs(dir);
    say(`wrote ${LEVELS.map((l) => `${l.name}.yaml`).join(', ')} and issuer.jwk.json to ${dir}`);
    return 0;
  }

  if (command === 'setup') {
    if (!values.global || !values.vendor || !values.enterprise || !values.key) throw new Error('usage: tree.ts setup --global URL --vendor URL --enterprise URL --key issuer.jwk.json');
    const issuer = JSON.parse(readFileSync(values.key, 'utf8')) as Issuer;
    for (const [name, url] of [['global', values.global], ['vendor', values.vendor], ['enterprise', values.enterprise]] as const) {
      await ready(url, name);
    }
    await setUpTree({ global: values.global, vendor: values.vendor, enterprise: values.enterprise }, issuer, say);
    return 0;
  }

  if (command !== 'start') throw new Error(`unknown command "${command}": start, configs or setup`);
  const tree = await startLocalTree({
    databaseUrl: process.env.TREE_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    redisUrl: process.env.TREE_REDIS_URL ?? 'redis://127.0.0.1:6379',
    basePort: Number(process.env.TREE_BASE_PORT ?? 9601),
    tag: 'demo',
    say,
  });
  say('');
  say("an admin token of the demo issuer (good for a day), and a federated search from the enterprise:");
  say(`  export TOKEN=${await tokenFor(tree.issuer, { user: 'tree-admin', project: 'operators', admin: true })}`);
  say(`  curl -s '${tree.urls.enterprise}federation/v1/search?type=images&q=ubuntu' -H "Authorization: Bearer $TOKEN"`);
  say(`  npx catalog login ${tree.urls.enterprise} --token "$TOKEN" && npx catalog federation search ubuntu`);
  if (values.exit) {
    await tree.stop({ keep: values.keep });
    return 0;
  }
  say('running; Ctrl-C stops the tree');
  await new Promise<void>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  await tree.stop({ keep: values.keep });
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`${(err as Error).message}\n`);
      process.exit(1);
    },
  );
}
