/**
 * Loads N synthetic artifacts into a fresh database `bench_<N>`: created from scratch, migrated
 * with the node's own migrations, bulk loaded with COPY, then vacuumed and analyzed.
 *
 *   npx tsx bench/generate.ts --size 100000 [--admin-url postgres://...] [--seed 42]
 *
 * Every row's version columns come from toStoredVersion(parseVersion(v)), so version_key is the
 * node's real encoding. Secondary indexes and the blob foreign key are dropped for the load and
 * recreated from their own definitions (pg_get_indexdef / pg_get_constraintdef) afterwards, so the
 * schema ends up exactly as migrated.
 */
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { runIfEntryPoint } from './cli.js';
import postgres from 'postgres';
import { openPostgres } from '../src/db/client.js';
import { runMigrations } from '../src/db/migrate.js';
import { parseVersion, toStoredVersion, type StoredVersion } from '../src/artifacts/versions.js';
import { benchDatabaseName, databaseUrl, DEFAULT_ADMIN_URL, recreateDatabase } from './databases.js';
import {
  ARCH_VALUES,
  artifactName,
  createRandom,
  nameCountFor,
  OS_VALUES,
  PROJECT_COUNT,
  projectId,
  TAGS,
  TAGS_PER_ARTIFACT,
  TIER_VALUES,
  TYPES,
  type Random,
} from './dataset.js';

export interface GenerateOptions {
  adminUrl: string;
  size: number;
  /** The database to (re)create; default `bench_<size>`. */
  name?: string;
  seed?: number;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

export interface GeneratedDatabase {
  name: string;
  url: string;
  artifacts: number;
  blobs: number;
  shares: number;
  /** Milliseconds per phase, and in total. */
  timings: Record<string, number>;
}

const ARTIFACT_COLUMNS = [
  'id', 'type_name', 'type_version', 'name', 'version', 'version_major', 'version_minor', 'version_patch',
  'version_prerelease', 'version_key', 'description', 'tags', 'metadata', 'owner', 'visibility', 'status',
  'provided_by', 'supported_by', 'license', 'license_url', 'release', 'fields', 'created_at', 'updated_at', 'activated_at',
] as const;

const ROWS_PER_CHUNK = 2_000;
const DAY_MS = 86_400_000;
const EPOCH = Date.UTC(2023, 0, 1);

export async function generateBenchDatabase(opts: GenerateOptions): Promise<GeneratedDatabase> {
  const log = opts.log ?? (() => {});
  const name = opts.name ?? benchDatabaseName(opts.size);
  const url = databaseUrl(opts.adminUrl, name);
  const timings: Record<string, number> = {};
  const started = performance.now();
  const timed = async <T>(phase: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const result = await fn();
    timings[phase] = performance.now() - t0;
    log(`  ${phase}: ${formatSeconds(timings[phase]!)}`);
    return result;
  };

  log(`generating ${name}: ${opts.size.toLocaleString('en-US')} artifacts`);
  await timed('create + migrate', async () => {
    await recreateDatabase(opts.adminUrl, name);
    const handle = openPostgres(url, { poolSize: 1 });
    try {
      await runMigrations(handle);
    } finally {
      await handle.close();
    }
  });

  // One connection: session settings for a bulk load apply to every statement below.
  const sql = postgres(url, {
    max: 1,
    onnotice: () => {},
    connection: { maintenance_work_mem: '1GB', synchronous_commit: 'off', max_parallel_maintenance_workers: 2 },
  });
  try {
    const deferred = await timed('drop secondary indexes', () => dropSecondaryIndexes(sql));
    await timed('copy artifacts', () => copyArtifacts(sql, opts.size, opts.seed ?? 42));
    const blobs = await timed('insert blobs', () => insertBlobs(sql));
    const shares = await timed('insert shares', () => insertShares(sql));
    await timed('recreate indexes', () => restoreSecondaryIndexes(sql, deferred));
    await timed('vacuum analyze', async () => {
      await sql.unsafe('vacuum (analyze) artifacts');
      await sql.unsafe('vacuum (analyze) artifact_blobs');
      await sql.unsafe('vacuum (analyze) artifact_shares');
      await sql.unsafe('checkpoint');
    });
    const [{ n }] = (await sql`select count(*)::int as n from artifacts`) as unknown as [{ n: number }];
    timings.total = performance.now() - started;
    log(`  loaded ${n.toLocaleString('en-US')} artifacts, ${blobs.toLocaleString('en-US')} blobs, ${shares.toLocaleString('en-US')} shares in ${formatSeconds(timings.total)}`);
    return { name, url, artifacts: n, blobs, shares, timings };
  } finally {
    await sql.end({ timeout: 5 });
  }
}

interface DeferredSchema {
  indexes: Array<{ name: string; def: string }>;
  foreignKeys: Array<{ table: string; name: string; def: string }>;
}

/** Drops what makes a bulk load slow (secondary indexes, the blob FK) and returns how to rebuild it. */
async function dropSecondaryIndexes(sql: postgres.Sql): Promise<DeferredSchema> {
  const indexes = await sql<Array<{ name: string; def: string }>>`
    select i.indexrelid::regclass::text as name, pg_get_indexdef(i.indexrelid) as def
    from pg_index i
    where i.indrelid in ('artifacts'::regclass, 'artifact_blobs'::regclass)
      and not exists (select 1 from pg_constraint c where c.conindid = i.indexrelid)`;
  const foreignKeys = await sql<Array<{ table: string; name: string; def: string }>>`
    select conrelid::regclass::text as table, conname as name, pg_get_constraintdef(oid) as def
    from pg_constraint where contype = 'f' and conrelid = 'artifact_blobs'::regclass`;
  for (const fk of foreignKeys) await sql.unsafe(`alter table ${fk.table} drop constraint "${fk.name}"`);
  for (const index of indexes) await sql.unsafe(`drop index ${index.name}`);
  return { indexes: [...indexes], foreignKeys: [...foreignKeys] };
}

async function restoreSecondaryIndexes(sql: postgres.Sql, deferred: DeferredSchema): Promise<void> {
  for (const index of deferred.indexes) await sql.unsafe(index.def);
  for (const fk of deferred.foreignKeys) await sql.unsafe(`alter table ${fk.table} add constraint "${fk.name}" ${fk.def}`);
}

async function copyArtifacts(sql: postgres.Sql, size: number, seed: number): Promise<void> {
  const writable = await sql.unsafe(`copy artifacts (${ARTIFACT_COLUMNS.join(', ')}) from stdin`).writable();
  await pipeline(Readable.from(artifactCopyChunks(size, seed)), writable);
}

/** One blob row per active artifact: the field its type requires on activation. */
async function insertBlobs(sql: postgres.Sql): Promise<number> {
  const field = `case a.type_name ${TYPES.map((t) => `when '${t.name}' then '${t.blobField}'`).join(' ')} end`;
  const contentType = `case a.type_name ${TYPES.map((t) => `when '${t.name}' then '${t.contentType}'`).join(' ')} end`;
  const result = await sql.unsafe(`
    insert into artifact_blobs (artifact_id, field, key, status, external, size, md5, sha1, sha256, content_type, store, locator, created_at, updated_at)
    select a.id, ${field}, '', 'active', false, 1024 + (hashtext(a.id::text) & 1048575),
           md5(a.id::text), left(encode(sha256(('sha1' || a.id::text)::bytea), 'hex'), 40),
           encode(sha256(a.id::text::bytea), 'hex'), ${contentType}, 'local', 'bench/' || a.id::text,
           a.created_at, a.created_at
    from artifacts a where a.status = 'active'`);
  return result.count;
}

/** About 5% of the private active artifacts are shared with one other project (deterministically). */
async function insertShares(sql: postgres.Sql): Promise<number> {
  const result = await sql.unsafe(`
    insert into artifact_shares (artifact_id, project, created_at)
    select a.id, 'project-' || lpad(((hashtext(a.id::text) >> 10) & 1048575) % ${PROJECT_COUNT} || '', 2, '0'), a.created_at
    from artifacts a
    where a.status = 'active' and a.visibility = 'private' and (hashtext(a.id::text) & 1023) < 51
    on conflict do nothing`);
  return result.count;
}

/** Rows in COPY text format, a chunk of rows at a time. */
export function* artifactCopyChunks(size: number, seed: number): Generator<string> {
  const random = createRandom(seed);
  const names = nameCountFor(size);
  const perName = Math.floor(size / names);
  const extra = size % names;
  let lines: string[] = [];
  for (let i = 0; i < names; i++) {
    const owner = projectId(random.int(PROJECT_COUNT));
    const type = pickType(random);
    const versions = drawVersions(random, perName + (i < extra ? 1 : 0));
    for (const version of versions) {
      lines.push(artifactLine(random, { name: artifactName(i), typeName: type, owner, version }));
      if (lines.length === ROWS_PER_CHUNK) {
        yield lines.join('');
        lines = [];
      }
    }
  }
  if (lines.length > 0) yield lines.join('');
}

function pickType(random: Random): string {
  let r = random.next();
  for (const t of TYPES) {
    if (r < t.share) return t.name;
    r -= t.share;
  }
  return TYPES[0].name;
}

/**
 * `count` distinct versions: majors 0-5, minors 0-9, patches 0-9 (so both sides of 2.1 and 3.5.7
 * are populated), about 5% of them prereleases `-rc.1`..`-rc.3`. Stored as the node stores them.
 */
function drawVersions(random: Random, count: number): StoredVersion[] {
  const seen = new Set<string>();
  while (seen.size < count) {
    const core = `${random.int(6)}.${random.int(10)}.${random.int(10)}`;
    seen.add(random.next() < 0.05 ? `${core}-rc.${1 + random.int(3)}` : core);
  }
  return [...seen].map((v) => toStoredVersion(parseVersion(v)));
}

interface ArtifactSeed {
  name: string;
  typeName: string;
  owner: string;
  version: StoredVersion;
}

function artifactLine(random: Random, a: ArtifactSeed): string {
  const isPublic = random.next() < 0.5;
  const status = isPublic ? 'active' : pickWeighted(random, [['active', 0.6], ['drafted', 0.3], ['deactivated', 0.1]]);
  const createdAt = EPOCH + Math.floor(random.next() * 730 * DAY_MS);
  const updatedAt = createdAt + Math.floor(random.next() * 30 * DAY_MS);
  const metadata: Record<string, string> = { os: random.pick(OS_VALUES), tier: random.pick(TIER_VALUES) };
  if (random.next() < 0.5) metadata.arch = random.pick(ARCH_VALUES);
  const v = a.version;
  const values: Array<string | number | null> = [
    randomUUID(),
    a.typeName,
    '1.0',
    a.name,
    v.version,
    v.versionMajor,
    v.versionMinor,
    v.versionPatch,
    v.versionPrerelease,
    v.versionKey,
    `Benchmark artifact ${a.name} ${v.version}`,
    textArrayLiteral(drawTags(random)),
    JSON.stringify(metadata),
    a.owner,
    isPublic ? 'public' : 'private',
    status,
    null,
    null,
    random.next() < 0.7 ? 'Apache-2.0' : null,
    null,
    textArrayLiteral(random.next() < 0.3 ? ['2024.1'] : []),
    '{}',
    new Date(createdAt).toISOString(),
    new Date(updatedAt).toISOString(),
    status === 'active' ? new Date(createdAt + 3_600_000).toISOString() : null,
  ];
  return `${values.map(copyField).join('\t')}\n`;
}

function drawTags(random: Random): string[] {
  const tags = new Set<string>();
  while (tags.size < TAGS_PER_ARTIFACT) tags.add(random.pick(TAGS));
  return [...tags];
}

function pickWeighted<T>(random: Random, choices: ReadonlyArray<readonly [T, number]>): T {
  let r = random.next();
  for (const [value, weight] of choices) {
    if (r < weight) return value;
    r -= weight;
  }
  return choices[0]![0];
}

/** A PostgreSQL array literal with every element quoted. */
function textArrayLiteral(items: readonly string[]): string {
  return `{${items.map((s) => `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`).join(',')}}`;
}

/** One field of COPY's text format. */
function copyField(value: string | number | null): string {
  if (value === null) return '\\N';
  if (typeof value === 'number') return String(value);
  return value.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}

export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      size: { type: 'string', default: '100000' },
      'admin-url': { type: 'string', default: process.env.BENCH_DATABASE_URL ?? DEFAULT_ADMIN_URL },
      seed: { type: 'string', default: '42' },
    },
  });
  const size = Number(values.size);
  if (!Number.isInteger(size) || size < 1) throw new Error(`--size must be a positive whole number, got "${values.size}"`);
  const generated = await generateBenchDatabase({
    adminUrl: values['admin-url'],
    size,
    seed: Number(values.seed),
    log: (line) => console.log(line),
  });
  console.log(`ready: ${generated.url}`);
}

runIfEntryPoint(import.meta.url, main);
