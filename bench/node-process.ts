/** Starts and stops the benchmarked node (bench/server.ts) in a child process. */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ChildMessage, ParentMessage } from './server.js';

export interface NodeProcess {
  port: number;
  pid: number;
  /** CPU time the node process has used so far, in microseconds (user + system). */
  cpuMicros(): Promise<number>;
  stop(): Promise<void>;
}

const SERVER_SCRIPT = fileURLToPath(new URL('./server.ts', import.meta.url));
const START_TIMEOUT_MS = 30_000;

/** `nodeArgs`: extra node flags for the node process (e.g. --cpu-prof). */
export async function startNodeProcess(opts: { databaseUrl: string; poolSize: number; nodeArgs?: readonly string[]; countTtlSeconds?: number; countDownloads?: boolean }): Promise<NodeProcess> {
  const child = fork(SERVER_SCRIPT, [], {
    execArgv: ['--import', 'tsx', ...(opts.nodeArgs ?? [])],
    env: {
      ...process.env,
      BENCH_NODE_DATABASE_URL: opts.databaseUrl,
      BENCH_NODE_POOL_SIZE: String(opts.poolSize),
      ...(opts.countTtlSeconds !== undefined ? { BENCH_NODE_COUNT_TTL: String(opts.countTtlSeconds) } : {}),
      ...(opts.countDownloads !== undefined ? { BENCH_NODE_COUNT_DOWNLOADS: String(opts.countDownloads) } : {}),
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await waitForListening(child);
  return {
    port,
    pid: child.pid!,
    cpuMicros: () => requestCpu(child),
    stop: () => stopChild(child),
  };
}

function waitForListening(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error('the node did not start listening within 30 s')), START_TIMEOUT_MS);
    const onMessage = (message: ChildMessage) => {
      if (message.kind === 'listening') done(() => resolve(message.port));
      else if (message.kind === 'failed') fail(new Error(`the node failed to start:\n${message.error}`));
    };
    const onExit = (code: number | null) => fail(new Error(`the node exited with code ${code} before listening`));
    const done = (then: () => void) => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      then();
    };
    const fail = (err: Error) =>
      done(() => {
        if (child.exitCode === null) child.kill('SIGKILL');
        reject(err);
      });
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

function requestCpu(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.off('message', onMessage);
      reject(new Error('the node did not report its CPU usage'));
    }, 5_000);
    const onMessage = (message: ChildMessage) => {
      if (message.kind !== 'cpu') return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(message.usage.user + message.usage.system);
    };
    child.on('message', onMessage);
    child.send({ kind: 'cpu' } satisfies ParentMessage);
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    if (child.connected) child.send({ kind: 'stop' } satisfies ParentMessage);
    else child.kill('SIGTERM');
  });
}
