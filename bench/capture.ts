/**
 * Captures the exact SQL the node issues per request: the node's own app (buildDeps + createApp,
 * same config as the served node) runs in-process over a drizzle instance whose logger records
 * every statement. Statements logged in the same event-loop turn were issued together (the
 * node's Promise.all of page + total count) and form one phase; the next round trip starts a new
 * phase (the blobs lookup).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'drizzle-orm/logger';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { createApp } from '../src/app.js';
import { MIGRATIONS_FOLDER, setGenericTwin, type DatabaseHandle } from '../src/db/client.js';
import * as schema from '../src/db/schema/index.js';
import { buildDeps, closeDeps } from '../src/deps.js';
import { benchNodeConfig } from './node-config.js';

export interface Statement {
  text: string;
  params: unknown[];
  /** Sent on the node's generically planning twin pool (db/client.ts `genericallyPlanned`). */
  generic?: true;
}

/** Statements of a phase run concurrently; phases run one after the other. */
export type Phases = Statement[][];

export interface CapturedRequest {
  path: string;
  headers: Record<string, string>;
}

/** A drizzle logger that groups statements into phases. */
class PhaseRecorder implements Logger {
  private phases: Phases = [];
  private open: Statement[] | null = null;

  logQuery(query: string, params: unknown[]): void {
    this.record({ text: query, params: [...params] });
  }

  /** The logger of the generically planning twin: its statements are marked so. */
  readonly generic: Logger = { logQuery: (query, params) => this.record({ text: query, params: [...params], generic: true }) };

  private record(statement: Statement): void {
    if (!this.open) {
      const phase: Statement[] = [];
      this.open = phase;
      this.phases.push(phase);
      // Closed once this turn of the event loop is over: a statement sent after a reply came back
      // belongs to the next phase.
      setImmediate(() => {
        if (this.open === phase) this.open = null;
      });
    }
    this.open.push(statement);
  }

  take(): Phases {
    const phases = this.phases;
    this.phases = [];
    this.open = null;
    return phases;
  }
}

function openRecordingDatabase(url: string, poolSize: number, recorder: PhaseRecorder): DatabaseHandle {
  const client = postgres(url, { max: poolSize, onnotice: () => {} });
  const db = drizzle(client, { schema, logger: recorder });
  // The same connections (a capture only records): which pool the node would use is what counts.
  setGenericTwin(db, drizzle(client, { schema, logger: recorder.generic }));
  return {
    db,
    driver: 'postgres',
    describe: 'bench capture',
    migrate: () => migrate(db, { migrationsFolder: MIGRATIONS_FOLDER }),
    close: () => client.end({ timeout: 5 }),
  };
}

export interface Captured {
  phases: Phases;
  /** Ids of the artifacts the node answered with, in order: what a replay of its page must return. */
  pageIds: string[];
}

/** Sends each request once through the node's app and returns the statements it issued. */
export async function captureStatements(opts: { databaseUrl: string; poolSize: number; requests: readonly CapturedRequest[] }): Promise<Captured[]> {
  const recorder = new PhaseRecorder();
  const database = openRecordingDatabase(opts.databaseUrl, opts.poolSize, recorder);
  const dataDir = mkdtempSync(join(tmpdir(), 'catalog-bench-capture-'));
  // Counts not remembered: every request's statements are captured in full, as a cold node sends them.
  const deps = await buildDeps(benchNodeConfig({ databaseUrl: opts.databaseUrl, poolSize: opts.poolSize, dataDir, countTtlSeconds: 0 }), { database });
  try {
    const app = createApp(deps);
    const captured: Captured[] = [];
    for (const request of opts.requests) {
      recorder.take();
      const res = await app.request(request.path, { headers: request.headers });
      const body = await res.text();
      if (res.status !== 200) throw new Error(`capture: ${request.path} answered ${res.status}: ${body.slice(0, 300)}`);
      captured.push({ phases: recorder.take(), pageIds: request.path.startsWith('/artifacts/') ? answeredIds(JSON.parse(body) as AnsweredBody) : [] });
    }
    return captured;
  } finally {
    await closeDeps(deps);
    await database.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

type AnsweredBody = { artifacts?: Array<{ id: string }>; id?: string };

/** A list's artifacts, or the one artifact shown. */
function answeredIds(body: AnsweredBody): string[] {
  if (body.artifacts) return body.artifacts.map((a) => a.id);
  return body.id ? [body.id] : [];
}

/** A short label for a statement: what it reads (a page carries its blobs in a subquery). */
export function statementLabel(s: Statement): string {
  if (/^select count\(/.test(s.text)) return 'count';
  if (/^explain /.test(s.text)) return 'estimate';
  if (/^select [^(]*\bfrom "artifact_blobs" where/.test(s.text)) return 'blobs';
  return 'page';
}
