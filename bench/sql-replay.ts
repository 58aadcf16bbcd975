/**
 * The raw-SQL baseline: replays the statements the node issued for a request, straight through
 * postgres.js, in the same phases (statements of one phase run concurrently, as the node's
 * Promise.all does) and the same way drizzle sends them (`unsafe(text, params, { prepare: false })
 * .values()`, on a client with drizzle's pass-through json/date (de)serializers). `prepare: true`
 * is offered as a what-if: named statements, cached per connection.
 */
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { splitPool } from '../src/db/client.js';
import { statementLabel, type Phases } from './capture.js';

export interface SqlReplayer {
  run(phases: Phases): Promise<void>;
  /** Replays once and checks the page holds the artifacts the node answered with; a description of the mismatch, if any. */
  verify(phases: Phases, expectedIds: readonly string[]): Promise<string | undefined>;
  close(): Promise<void>;
}

/**
 * A postgres.js client set up as the node's is: drizzle() installs pass-through serializers for
 * json/jsonb parameters (the node sends JSON text) and pass-through parsers for dates.
 */
export function openDriverClient(url: string, opts: { max: number; timeoutMs?: number; settings?: Record<string, string> }): postgres.Sql {
  const client = postgres(url, {
    max: opts.max,
    onnotice: () => {},
    connection: { ...(opts.timeoutMs ? { statement_timeout: opts.timeoutMs } : {}), ...opts.settings },
  });
  drizzle(client);
  return client;
}

/**
 * `settings`: session settings for the what-ifs (e.g. { jit: 'off' }); none for the baseline proper.
 * `genericSettings`: the session settings of a second pool for the statements the node sends on
 * its generically planning twin (`Statement.generic`); without them every statement shares one.
 */
export function createSqlReplayer(
  url: string,
  opts: { poolSize: number; prepare: boolean; timeoutMs: number; settings?: Record<string, string>; genericSettings?: Record<string, string> },
): SqlReplayer {
  // The node's split of its connections between the two pools (src/db/client.ts).
  const sizes = opts.genericSettings ? splitPool(opts.poolSize) : { main: opts.poolSize, generic: 0 };
  const sql = openDriverClient(url, { max: sizes.main, timeoutMs: opts.timeoutMs, ...(opts.settings ? { settings: opts.settings } : {}) });
  const genericSql = opts.genericSettings && sizes.generic > 0 ? openDriverClient(url, { max: sizes.generic, timeoutMs: opts.timeoutMs, settings: opts.genericSettings }) : sql;
  const send = (s: Phases[number][number]) => (s.generic ? genericSql : sql).unsafe(s.text, s.params as never[], { prepare: opts.prepare }).values();
  return {
    async run(phases) {
      for (const phase of phases) await Promise.all(phase.map(send));
    },
    async verify(phases, expectedIds) {
      const page = phases.flat().find((s) => statementLabel(s) === 'page');
      if (!page) return undefined;
      const rows = await send(page);
      const got = rows.map((r) => String(r[0]));
      return got.join(',') === expectedIds.join(',') ? undefined : `the node answered ${expectedIds.length} artifacts, the replay ${got.length} rows`;
    },
    close: async () => {
      await Promise.all([sql.end({ timeout: 5 }), genericSql === sql ? undefined : genericSql.end({ timeout: 5 })]);
    },
  };
}
