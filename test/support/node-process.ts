/**
 * A real `node bin/catalog-node.js serve` process over a private test database, on 127.0.0.1 with
 * a port of the system's choosing, for the tests that need real sockets, signals and processes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface NodeProcess {
  port: number;
  pid: number;
  child: ChildProcess;
  /** Every log line (pino JSON) the node printed so far. */
  logs: Array<Record<string, unknown>>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then SIGKILL after `timeoutMs`; resolves once the process is gone. */
  stop(timeoutMs?: number): Promise<void>;
}

/** `config`: node-config values over the test defaults (written as a YAML file, JSON being YAML). */
export async function startNodeProcess(databaseUrl: string, config: Record<string, unknown> = {}): Promise<NodeProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'catalog-proc-'));
  const configPath = join(dir, 'node.yaml');
  writeFileSync(
    configPath,
    JSON.stringify({
      server: { host: '127.0.0.1', port: 0, ...(config.server as object) },
      database: { url: databaseUrl, ...(config.database as object) },
      auth: { modes: ['anonymous', 'trusted-headers'] },
      data_dir: join(dir, 'data'),
      log: { level: 'info' },
      ...Object.fromEntries(Object.entries(config).filter(([k]) => k !== 'server' && k !== 'database')),
    }),
  );
  const child = spawn(process.execPath, ['bin/catalog-node.js', 'serve'], {
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
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the node did not listen within 30 s; stderr: ${stderr}`)), 30_000);
    child.stdout!.on('data', (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        let entry: Record<string, unknown>;
        try {
          entry = JSON.parse(line) as Record<string, unknown>;
        } catch {
          continue;
        }
        logs.push(entry);
        if (entry.msg === 'catalog node listening') {
          clearTimeout(timer);
          resolve(Number(new URL(String(entry.url)).port));
        }
      }
    });
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`the node exited (${code}) before listening; stderr: ${stderr}`));
    });
  });
  return {
    port,
    pid: child.pid!,
    child,
    logs,
    exited,
    async stop(timeoutMs = 20_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
