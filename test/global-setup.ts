/**
 * Once per run: makes sure PostgreSQL, Redis and Swift answer on loopback (starting them, as a
 * fresh CI machine needs, when they do not), then migrates a template database that each test
 * file copies into its own. The template's name is new each run, so runs from several checkouts
 * can share one PostgreSQL. Dropped at the end.
 *
 * PostgreSQL and Redis are needed by nearly every suite: when they cannot be started the run stops
 * with the command that starts them. Swift is needed only by the S3 and Swift blob stores: when it
 * cannot be started, only their tests fail (test/blobs/contract.test.ts says how to start it).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync } from 'node:fs';
import { connect } from 'node:net';
import postgres from 'postgres';
import type { TestProject } from 'vitest/node';
import { openPostgres } from '../src/db/client.js';
import { runMigrations } from '../src/db/migrate.js';
import { ADMIN_URL, databaseUrl } from './support/database.js';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const SWIFT_URL = 'http://127.0.0.1:8080';
const START_WAIT_MS = 60_000;

interface Service {
  name: string;
  /** Resolves true when the service answers. */
  answers(): Promise<boolean>;
  /** How to start it on this machine (the commands .ci/run used), shown when it cannot be. */
  startCommand: string;
  start(): void;
}

/** The start commands serve the default loopback ports only. */
const isLocalDefault = (url: string, port: number) => ['127.0.0.1', 'localhost', '[::1]'].includes(new URL(url).hostname) && Number(new URL(url).port || port) === port;

const postgresService: Service = {
  name: `PostgreSQL (${new URL(ADMIN_URL).host})`,
  async answers() {
    const sql = postgres(ADMIN_URL, { max: 1, connect_timeout: 2, onnotice: () => {} });
    try {
      await sql`select 1`;
      return true;
    } catch {
      return false;
    } finally {
      await sql.end({ timeout: 1 });
    }
  },
  startCommand: 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start',
  start() {
    const version = readdirSync('/etc/postgresql')[0];
    if (!version) throw new Error('no cluster under /etc/postgresql');
    execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'start'], { stdio: 'pipe', timeout: START_WAIT_MS });
  },
};

const redisService: Service = {
  name: `Redis (${new URL(REDIS_URL).host})`,
  answers() {
    const url = new URL(REDIS_URL);
    return new Promise((resolve) => {
      const socket = connect(Number(url.port || 6379), url.hostname);
      const done = (ok: boolean) => {
        socket.destroy();
        resolve(ok);
      };
      socket.setTimeout(2000, () => done(false));
      socket.once('error', () => done(false));
      socket.once('connect', () => socket.write('PING\r\n'));
      socket.once('data', (d) => done(d.toString().startsWith('+PONG')));
    });
  },
  startCommand:
    'mkdir -p /var/lib/redis /var/log/redis && redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log',
  start() {
    mkdirSync('/var/lib/redis', { recursive: true });
    mkdirSync('/var/log/redis', { recursive: true });
    execFileSync(
      'redis-server',
      ['--daemonize', 'yes', '--bind', '127.0.0.1', '-::1', '--port', '6379', '--save', '', '--appendonly', 'no', '--dir', '/var/lib/redis', '--logfile', '/var/log/redis/ci.log'],
      { stdio: 'pipe', timeout: START_WAIT_MS },
    );
  },
};

const swiftService: Service = {
  name: `Swift (${SWIFT_URL})`,
  async answers() {
    const res = await fetch(`${SWIFT_URL}/healthcheck`, { signal: AbortSignal.timeout(2000) }).catch(() => undefined);
    return res?.ok === true;
  },
  startCommand: 'bash .ci/services/swift/start.sh',
  start() {
    // Installs Swift's Debian packages the first time: minutes, not seconds.
    execFileSync('bash', ['.ci/services/swift/start.sh'], { stdio: 'pipe', timeout: 15 * 60_000 });
  },
};

/** Undefined when the service answers (now or after starting it), else what went wrong and how to fix it. */
async function ensure(service: Service, startable: boolean): Promise<string | undefined> {
  if (await service.answers()) return undefined;
  if (!startable) return `${service.name} does not answer; the tests start only the local default one (${service.startCommand})`;
  console.log(`[global-setup] ${service.name} does not answer: starting it (${service.startCommand})`);
  // A start command that fails may still leave the service coming up: pg_ctlcluster answers "already
  // running" (exit 2) for a cluster that is still starting after a reboot. So wait either way, and
  // tell what the command said only if the service never answers.
  let said = '';
  try {
    service.start();
  } catch (err) {
    const e = err as Error & { stderr?: Buffer; stdout?: Buffer };
    said = [e.stderr, e.stdout].map((b) => b?.toString().trim()).filter(Boolean).join(' | ') || e.message;
  }
  const deadline = Date.now() + START_WAIT_MS;
  while (Date.now() < deadline) {
    if (await service.answers()) return undefined;
    await new Promise((r) => setTimeout(r, 250));
  }
  const why = said ? `starting it failed: ${said.split('\n').slice(-5).join(' | ')}` : `it was started but did not answer within ${START_WAIT_MS / 1000} s`;
  return `${service.name} does not answer and ${why}. Start it with: ${service.startCommand}`;
}

export default async function setup(project: TestProject) {
  const [pg, redis, swift] = await Promise.all([
    ensure(postgresService, isLocalDefault(ADMIN_URL, 5432)),
    ensure(redisService, isLocalDefault(REDIS_URL, 6379)),
    ensure(swiftService, true),
  ]);
  const fatal = [pg, redis].filter((p): p is string => p !== undefined);
  if (fatal.length > 0) throw new Error(`the test services are not all there:\n  - ${fatal.join('\n  - ')}`);
  if (swift) console.warn(`[global-setup] ${swift}\n[global-setup] the S3 and Swift blob store tests will fail; every other test runs.`);

  const template = `catalog_template_${randomBytes(4).toString('hex')}`;
  project.provide('catalogTemplate', template);
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`drop database if exists "${template}" with (force)`);
    await admin.unsafe(`create database "${template}"`);
    const handle = openPostgres(databaseUrl(template), { poolSize: 1 });
    await runMigrations(handle);
    await handle.close();
  } catch (err) {
    throw new Error(`cannot prepare the test template database at ${ADMIN_URL}: ${(err as Error).message}`, { cause: err });
  } finally {
    await admin.end();
  }
  return async function teardown() {
    const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
    try {
      await admin.unsafe(`drop database if exists "${template}" with (force)`);
    } finally {
      await admin.end();
    }
  };
}
