/**
 * A real `node bin/catalog-node.js serve` process over a private test database, on a free
 * 127.0.0.1 port, for the tests that need real sockets, signals and processes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';

/** `pid` and every process below it (a cluster's workers), from /proc. */
export function processTree(pid: number): number[] {
  const out = [pid];
  try {
    for (const child of readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)) out.push(...processTree(Number(child)));
  } catch {
    // gone meanwhile
  }
  return out;
}

/** A loopback port nothing listens on (it was free a moment ago). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface NodeProcess {
  port: number;
  pid: number;
  child: ChildProcess;
  /** Every log line (pino JSON) the node printed so far. */
  logs: Array<Record<string, unknown>>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** What the process wrote to stderr so far (an uncaught error's stack lands there, not in the logs). */
  stderr(): string;
  /** SIGTERM, then SIGKILL after `timeoutMs`; resolves once the process is gone. */
  stop(timeoutMs?: number): Promise<void>;
}

/** `config`: node-config values over the test defaults (written as a YAML file, JSON being YAML). */
export async function startNodeProcess(databaseUrl: string, config: Record<string, unknown> = {}): Promise<NodeProcess> {
  return spawnNode('serve', databaseUrl, config);
}

/**
 * A real `node bin/catalog-node.js worker` process (`config` must name `queue.redis_url`); ready
 * once it logs that it runs. `port` is the port its config names, on which nothing listens.
 */
export async function startWorkerProcess(databaseUrl: string, config: Record<string, unknown>): Promise<NodeProcess> {
  return spawnNode('worker', databaseUrl, config);
}

async function spawnNode(command: 'serve' | 'worker', databaseUrl: string, config: Record<string, unknown>): Promise<NodeProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'catalog-proc-'));
  const configPath = join(dir, 'node.yaml');
  const port = await freePort();
  writeFileSync(
    configPath,
    JSON.stringify({
      server: { host: '127.0.0.1', port, ...(config.server as object) },
      database: { url: databaseUrl, ...(config.database as object) },
      auth: { modes: ['anonymous', 'trusted-headers'] },
      data_dir: join(dir, 'data'),
      log: { level: 'info' },
      ...Object.fromEntries(Object.entries(config).filter(([k]) => k !== 'server' && k !== 'database')),
    }),
  );
  const child = spawn(process.execPath, ['bin/catalog-node.js', command], {
    env: { PATH: process.env.PATH, CATALOG_CONFIG: configPath },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Array<Record<string, unknown>> = [];
  let stderr = '';
  let buffered = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      rmSync(dir, { recursive: true, force: true });
      resolve({ code, signal });
    }),
  );
  child.stdout!.on('data', (d: Buffer) => {
    buffered += d.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) {
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // not a log line
      }
    }
  });
  // Ready when every process answers: a cluster's workers each take connections in turn.
  const deadline = Date.now() + 30_000;
  let answered = 0;
  while (command === 'worker' && !logs.some((l) => l.msg === 'catalog worker running')) {
    if (child.exitCode !== null) throw new Error(`the worker exited (${child.exitCode}) before running; stderr: ${stderr}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the worker did not run within 30 s; stderr: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  while (command === 'serve' && answered < 4) {
    if (child.exitCode !== null) throw new Error(`the node exited (${child.exitCode}) before listening; stderr: ${stderr}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the node did not answer within 30 s; stderr: ${stderr}`);
    }
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`, { headers: { connection: 'close' } }).then((r) => r.ok, () => false);
    if (ok) answered++;
    else await new Promise((r) => setTimeout(r, 100));
  }
  return {
    port,
    pid: child.pid!,
    child,
    logs,
    exited,
    stderr: () => stderr,
    async stop(timeoutMs = 20_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
