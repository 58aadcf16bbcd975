/**
 * The real `catalog` process against a real node: createTestNode served by @hono/node-server on
 * a loopback port, each command spawned as `node bin/catalog.js ...` with its own config dir.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { createTestNode, type TestNode, type Who } from '../support/node.js';
import type { DatabaseHandle } from '../../src/db/client.js';

export const BIN = join(process.cwd(), 'bin/catalog.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: Record<string, string | undefined>;
  input?: string;
  cwd?: string;
}

export interface ServedNode {
  node: TestNode;
  url: string;
  /** A private XDG_CONFIG_HOME, so profiles written by one test file never meet another's. */
  configHome: string;
  tmp: string;
  /** A CATALOG_TOKEN for a caller. */
  token(who: Who): Promise<string>;
  adminToken(): Promise<string>;
  close(): Promise<void>;
}

const TOKEN_SECONDS = 2 * 3600;

/** A node over its own database, or over `database` (which a test keeps across nodes). */
export async function serveNode(overrides: Record<string, unknown> = {}, database?: DatabaseHandle): Promise<ServedNode> {
  const node = await createTestNode(overrides, database);
  const server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: node.app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
  });
  const tmp = mkdtempSync(join(tmpdir(), 'catalog-cli-'));
  return {
    node,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    configHome: join(tmp, 'config'),
    tmp,
    // A file of spawned processes can outlast the test tokens' default five minutes on a busy machine.
    token: (who) => node.token(who, { exp: Math.floor(Date.now() / 1000) + TOKEN_SECONDS }),
    adminToken: () => node.token({ project: 'admin-project', user: 'root', roles: ['admin'] }, { exp: Math.floor(Date.now() / 1000) + TOKEN_SECONDS }),
    async close() {
      (server as Server).closeAllConnections();
      await new Promise((r) => server.close(r));
      await node.close();
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}

/** Environment without anything of the developer's own catalog settings. */
export function cleanEnv(extra: Record<string, string | undefined>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('CATALOG_') && k !== 'COLUMNS') env[k] = v;
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

export function runCli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: opts.cwd ?? process.cwd(),
      env: cleanEnv(opts.env ?? {}),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(opts.input ?? '');
  });
}


/** The CLI on a pseudo-terminal (util-linux `script`), as a person runs it: stdout and stderr together. */
export function runOnTerminal(args: string[], env: Record<string, string | undefined>): Promise<{ code: number | null; output: string }> {
  const quote = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qec', [process.execPath, BIN, ...args].map(quote).join(' '), '/dev/null'], { env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}
