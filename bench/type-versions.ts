/**
 * What type versions cost a node (not a test; prints tables):
 *
 * 1. The start-time check that stored artifacts fit the type versions reading them
 *    (types/compatibility.ts), against the raw floor: one `count(*)` pass over the table.
 * 2. A type upgrade run (types/upgrade-runs.ts), dry and real, in artifacts per second, against
 *    the raw floor: one UPDATE statement that sets the same values, with no locks per artifact,
 *    no validation and no progress record.
 *
 *   npx tsx bench/type-versions.ts [--size 100000]
 *
 * Generates its own database (bench_<size+3>, dropped at the end) with bench/generate.ts.
 */
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import postgres from 'postgres';
import { systemActor } from '../src/artifacts/actor.js';
import { defineArtifactType } from '../src/artifacts/artifact-type.js';
import { opContext } from '../src/artifacts/context.js';
import { createCatalogEvents } from '../src/artifacts/events.js';
import { createTypeRegistry } from '../src/artifacts/registry.js';
import { configFrom } from '../src/config/load.js';
import { openPostgres } from '../src/db/client.js';
import { BUILTIN_TYPES } from '../src/types/builtin.js';
import { heatEnvironments } from '../src/types/heat-environments.js';
import { assertStoredArtifactsReadable } from '../src/types/compatibility.js';
import { runTypeUpgrade, startTypeUpgrade } from '../src/types/upgrade-runs.js';
import { openBlobStore } from '../src/blobs/options.js';
import { createBlobStores } from '../src/blobs/routing.js';
import { DEFAULT_ADMIN_URL, dropDatabase } from './databases.js';
import { formatSeconds, generateBenchDatabase } from './generate.js';
import { fixed, markdownTable, thousands } from './table.js';

const { values } = parseArgs({ options: { size: { type: 'string', default: '100000' } } });
const size = Number(values.size) + 3; // a database name of its own, beside bench/run.ts's
const adminUrl = process.env.BENCH_DATABASE_URL ?? DEFAULT_ADMIN_URL;

// heat_environments 1.1: one field added with a default, the common declarative upgrade.
const environments11 = defineArtifactType({
  name: 'heat_environments',
  version: '1.1',
  displayName: heatEnvironments.displayName,
  authorship: true,
  fields: {
    ...Object.fromEntries(heatEnvironments.specificFields.map((f) => [f.name, f])),
    region: { kind: 'string', default: 'any', requiredOnActivate: false, mutable: true },
  },
  hooks: heatEnvironments.hooks,
  upgrade: { from: '1.0', rename: {}, remove: [] },
});

const generated = await generateBenchDatabase({ adminUrl, size, log: (l) => process.stderr.write(`${l}\n`) });
const handle = openPostgres(generated.url, { poolSize: 4 });
const raw = postgres(generated.url, { max: 1, onnotice: () => {} });
try {
  const median = async (runs: number, fn: () => Promise<unknown>) => {
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      await fn();
      times.push(performance.now() - t0);
    }
    return times.sort((a, b) => a - b)[Math.floor(runs / 2)]!;
  };
  const types = createTypeRegistry([...BUILTIN_TYPES, environments11]);
  // 1.0's file gone: 1.1 reads heat_environments 1.0, and the check looks at those artifacts.
  const withoutOld = createTypeRegistry([...BUILTIN_TYPES.filter((t) => t !== heatEnvironments), environments11]);
  let found = 'none';
  const unchanged = await median(5, () => assertStoredArtifactsReadable(handle.db, types));
  const missing = await median(5, () =>
    assertStoredArtifactsReadable(handle.db, withoutOld).catch((err: Error) => {
      found = `${err.message.split('\n').length - 2} (the generator's active artifacts without a blob)`;
    }),
  );
  const scan = await median(5, () => raw`select count(*) from artifacts`);
  process.stdout.write(`\n## Start-time check, ${thousands(generated.artifacts)} artifacts\n\n`);
  process.stdout.write(
    markdownTable(
      ['what', 'median of 5', 'vs count(*)'],
      [
        ['raw: select count(*) from artifacts', `${fixed(scan, 0)} ms`, '1.0×'],
        ['check, every stored version defined by its file (a restart)', `${fixed(unchanged, 0)} ms`, `${fixed(unchanged / scan, 1)}×`],
        [`check, heat_environments 1.0 read by 1.1 (problems found: ${found})`, `${fixed(missing, 0)} ms`, `${fixed(missing / scan, 1)}×`],
      ],
      ['left', 'right', 'right'],
    ) + '\n',
  );

  const log = pino({ level: 'silent' });
  const config = configFrom({ data_dir: '/tmp/bench-type-versions', log: { level: 'silent' } });
  const catalog = { db: handle.db, types, blobs: createBlobStores([{ name: 'none', store: openBlobStore({ kind: 'fs', root: 'blobs' }, { dataDir: '/tmp/bench-type-versions' }), redirectDownloads: false }], { defaultStore: 'none', typeStores: {} }), config, log, events: createCatalogEvents(log), clock: () => new Date(), activationGuards: [] };
  const ctx = opContext(catalog, systemActor('bench'));
  const held = { enqueue: async () => ({ jobId: 'bench' }) };
  const [{ n: envs }] = (await raw`select count(*)::int as n from artifacts where type_name = 'heat_environments'`) as unknown as [{ n: number }];
  const timeRun = async (dryRun: boolean) => {
    const run = await startTypeUpgrade(ctx, held, { typeName: 'heat_environments', dryRun });
    const t0 = performance.now();
    const done = await runTypeUpgrade(ctx, run.id, new AbortController().signal);
    return { ms: performance.now() - t0, done };
  };
  const dry = await timeRun(true);
  const real = await timeRun(false);
  await raw`update artifacts set type_version = '1.0', fields = fields - 'region' where type_name = 'heat_environments'`;
  const t0 = performance.now();
  await raw`update artifacts set type_version = '1.1', fields = fields || '{"region":"any"}'::jsonb, updated_at = now() where type_name = 'heat_environments' and type_version <> '1.1'`;
  const update = performance.now() - t0;
  process.stdout.write(`\n## Upgrading heat_environments 1.0 → 1.1 (${thousands(envs)} artifacts, a field added with a default)\n\n`);
  const perSecond = (ms: number) => thousands((envs / ms) * 1000);
  process.stdout.write(
    markdownTable(
      ['what', 'time', 'artifacts/s', 'vs raw UPDATE'],
      [
        ['raw: one UPDATE statement (no locks per artifact, no checks, no progress)', formatSeconds(update), perSecond(update), '1.0×'],
        [`dry run (changed ${dry.done.changed}, failed ${dry.done.failed})`, formatSeconds(dry.ms), perSecond(dry.ms), `${fixed(dry.ms / update, 0)}×`],
        [`upgrade (changed ${real.done.changed}, failed ${real.done.failed})`, formatSeconds(real.ms), perSecond(real.ms), `${fixed(real.ms / update, 0)}×`],
      ],
      ['left', 'right', 'right', 'right'],
    ) + '\n',
  );
} finally {
  await raw.end();
  await handle.close();
  await dropDatabase(adminUrl, generated.name);
}
