/**
 * @module Queries over the versions of types artifacts were made with, and over the runs of a
 * type upgrade.
 */
import { and, asc, count, desc, eq, gt, ne, sql, type SQL } from 'drizzle-orm';
import type { Db, Tx } from '../client.js';
import { artifactBlobs, artifacts, ONE_UNFINISHED_UPGRADE_INDEX, typeUpgrades, type TypeUpgradeRow, type UpgradeFailureRow } from '../schema/index.js';
import { conflictOnDuplicate } from './errors.js';

type Conn = Db | Tx;

/**
 * Every (type, type version) some artifact has: a skip through the (type_name, type_version)
 * index, one probe per pair, however many artifacts there are.
 */
export async function storedTypeVersions(db: Conn): Promise<Array<{ typeName: string; typeVersion: string }>> {
  const result = await db.execute(sql`with recursive pairs as (
      (select type_name, type_version from ${artifacts} order by type_name, type_version limit 1)
      union all
      select next.type_name, next.type_version from pairs, lateral (
        select a.type_name, a.type_version from ${artifacts} a
        where (a.type_name, a.type_version) > (pairs.type_name, pairs.type_version)
        order by a.type_name, a.type_version limit 1) next
    ) select type_name as "typeName", type_version as "typeVersion" from pairs`);
  return rowsOf(result) as Array<{ typeName: string; typeVersion: string }>;
}

/** Which fields the artifacts of each (type, type version) hold values in, by the values' JSON type: one pass. */
export async function storedFieldShapes(db: Conn): Promise<Array<{ typeName: string; typeVersion: string; field: string; jsonType: string }>> {
  const rows = await db.execute(
    sql`select distinct a.type_name as "typeName", a.type_version as "typeVersion", f.key as "field", jsonb_typeof(f.value) as "jsonType"
        from ${artifacts} a, jsonb_each(a.fields) f`,
  );
  return rowsOf(rows) as Array<{ typeName: string; typeVersion: string; field: string; jsonType: string }>;
}

/** Which fields the artifacts of each (type, type version) hold blobs in: one pass over the blobs. */
export async function storedBlobFields(db: Conn): Promise<Array<{ typeName: string; typeVersion: string; field: string }>> {
  return db
    .selectDistinct({ typeName: artifacts.typeName, typeVersion: artifacts.typeVersion, field: artifactBlobs.field })
    .from(artifactBlobs)
    .innerJoin(artifacts, eq(artifacts.id, artifactBlobs.artifactId));
}

/** postgres.js answers an array of rows, PGlite { rows }. */
function rowsOf(result: unknown): unknown[] {
  return Array.isArray(result) ? result : (result as { rows: unknown[] }).rows;
}

/** A way a stored artifact may not fit the type version that reads it. */
export type StoredValueCheck =
  /** A value is stored for the field and its JSON type is none of `jsonTypes`. */
  | { kind: 'json_type'; field: string; jsonTypes: readonly string[] }
  /** A value is stored where the type has a blob field. */
  | { kind: 'value_in_blob_field'; field: string }
  /** A blob is stored under a field the type has as no blob. */
  | { kind: 'blob_in_value_field'; field: string }
  /** A non-draft artifact has nothing in the field (a value, or a blob when `blob`). */
  | { kind: 'missing_on_active'; field: string; blob: boolean };

const EMPTY_JSON = sql`('null'::jsonb, '""'::jsonb, '[]'::jsonb, '{}'::jsonb)`;

function checkWhere(check: StoredValueCheck): SQL {
  const value = sql`${artifacts.fields} -> ${check.field}`;
  const hasBlob = sql`exists (select 1 from ${artifactBlobs} where ${artifactBlobs.artifactId} = ${artifacts.id} and ${artifactBlobs.field} = ${check.field})`;
  switch (check.kind) {
    case 'json_type':
      return sql`(${value} is not null and jsonb_typeof(${value}) <> 'null' and jsonb_typeof(${value}) not in (${sql.join(
        check.jsonTypes.map((t) => sql`${t}`),
        sql`, `,
      )}))`;
    case 'value_in_blob_field':
      return sql`(${value} is not null and jsonb_typeof(${value}) <> 'null')`;
    case 'blob_in_value_field':
      return hasBlob;
    case 'missing_on_active':
      return check.blob
        ? sql`(${artifacts.status} <> 'drafted' and not ${hasBlob})`
        : sql`(${artifacts.status} <> 'drafted' and (${value} is null or ${value} in ${EMPTY_JSON}))`;
  }
}

/**
 * For each check, how many artifacts of (type, type version) fail it and the first few ids:
 * one pass over those artifacts.
 */
export async function findStoredValueProblems(
  db: Conn,
  q: { typeName: string; typeVersion: string; checks: readonly StoredValueCheck[]; sampleIds: number },
): Promise<Array<{ count: number; ids: string[] }>> {
  if (q.checks.length === 0) return [];
  const columns = Object.fromEntries(
    q.checks.flatMap((check, i) => {
      const where = checkWhere(check);
      return [
        [`n${i}`, sql<number>`count(*) filter (where ${where})`.mapWith(Number)],
        [`ids${i}`, sql<string[] | null>`(array_agg(${artifacts.id}::text order by ${artifacts.id}) filter (where ${where}))[1:${sql.raw(String(q.sampleIds))}]`],
      ];
    }),
  );
  const [row] = await db
    .select(columns)
    .from(artifacts)
    .where(and(eq(artifacts.typeName, q.typeName), eq(artifacts.typeVersion, q.typeVersion)));
  const values = (row ?? {}) as Record<string, unknown>;
  return q.checks.map((_, i) => ({ count: Number(values[`n${i}`] ?? 0), ids: (values[`ids${i}`] as string[] | null) ?? [] }));
}

/** Ids of the type's artifacts not at `targetVersion`, after `after`, in id order. */
export async function artifactsNotAtVersion(db: Conn, q: { typeName: string; targetVersion: string; after: string | null; limit: number }): Promise<string[]> {
  const rows = await db
    .select({ id: artifacts.id })
    .from(artifacts)
    .where(and(eq(artifacts.typeName, q.typeName), ne(artifacts.typeVersion, q.targetVersion), q.after ? gt(artifacts.id, q.after) : undefined))
    .orderBy(asc(artifacts.id))
    .limit(q.limit);
  return rows.map((r) => r.id);
}

export async function countArtifactsNotAtVersion(db: Conn, q: { typeName: string; targetVersion: string; after: string | null }): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(artifacts)
    .where(and(eq(artifacts.typeName, q.typeName), ne(artifacts.typeVersion, q.targetVersion), q.after ? gt(artifacts.id, q.after) : undefined));
  return Number(row?.n ?? 0);
}

export async function insertUpgradeRun(db: Conn, run: { typeName: string; targetVersion: string; dryRun: boolean }): Promise<TypeUpgradeRow> {
  const [row] = await conflictOnDuplicate(
    () => db.insert(typeUpgrades).values(run).returning(),
    `an upgrade of ${run.typeName} is already queued or running`,
    { [ONE_UNFINISHED_UPGRADE_INDEX]: `an upgrade of ${run.typeName} is already queued or running` },
  );
  return row!;
}

export async function findUpgradeRun(db: Conn, id: string, typeName?: string): Promise<TypeUpgradeRow | undefined> {
  const [row] = await db
    .select()
    .from(typeUpgrades)
    .where(and(eq(typeUpgrades.id, id), typeName ? eq(typeUpgrades.typeName, typeName) : undefined));
  return row;
}

/** The type's real upgrade that has not finished, if any. */
export async function findUnfinishedUpgradeRun(db: Conn, typeName: string): Promise<TypeUpgradeRow | undefined> {
  const [row] = await db
    .select()
    .from(typeUpgrades)
    .where(and(eq(typeUpgrades.typeName, typeName), eq(typeUpgrades.dryRun, false), sql`${typeUpgrades.status} in ('queued', 'running')`));
  return row;
}

export async function listUpgradeRuns(db: Conn, typeName: string, limit: number): Promise<TypeUpgradeRow[]> {
  return db.select().from(typeUpgrades).where(eq(typeUpgrades.typeName, typeName)).orderBy(desc(typeUpgrades.createdAt), desc(typeUpgrades.id)).limit(limit);
}

/** Starts (or starts again) a run: running, counting what is left after its cursor. */
export async function markUpgradeRunning(db: Conn, id: string, q: { remaining: number; now: Date }): Promise<TypeUpgradeRow> {
  const [row] = await db
    .update(typeUpgrades)
    .set({ status: 'running', total: sql`${typeUpgrades.processed} + ${q.remaining}`, startedAt: sql`coalesce(${typeUpgrades.startedAt}, ${q.now.toISOString()}::timestamptz)`, updatedAt: q.now, error: null })
    .where(eq(typeUpgrades.id, id))
    .returning();
  return row!;
}

/**
 * Counts a batch of artifacts done, in the transaction that upgraded them, so a resumed run
 * counts each once.
 */
export async function recordUpgradeProgress(
  db: Conn,
  id: string,
  q: { cursor: string; processed: number; changed: number; failures: readonly UpgradeFailureRow[]; keepFailures: number; now: Date },
): Promise<void> {
  const kept = sql`(select coalesce(jsonb_agg(f), '[]'::jsonb) from (select f from jsonb_array_elements(${typeUpgrades.failures} || ${JSON.stringify(q.failures)}::jsonb) with ordinality as e(f, n) order by n limit ${q.keepFailures}) kept)`;
  await db
    .update(typeUpgrades)
    .set({
      cursor: q.cursor,
      processed: sql`${typeUpgrades.processed} + ${q.processed}`,
      changed: sql`${typeUpgrades.changed} + ${q.changed}`,
      failed: sql`${typeUpgrades.failed} + ${q.failures.length}`,
      ...(q.failures.length > 0 ? { failures: kept } : {}),
      updatedAt: q.now,
    })
    .where(eq(typeUpgrades.id, id));
}

export async function finishUpgradeRun(db: Conn, id: string, q: { status: 'done' | 'failed'; error?: string; now: Date }): Promise<void> {
  await db
    .update(typeUpgrades)
    .set({ status: q.status, error: q.error ?? null, finishedAt: q.now, updatedAt: q.now })
    .where(eq(typeUpgrades.id, id));
}

/** Why the run's job last stopped without finishing (it will be retried, or resumed by starting it again). */
export async function noteUpgradeError(db: Conn, id: string, q: { error: string; now: Date }): Promise<void> {
  await db.update(typeUpgrades).set({ error: q.error, updatedAt: q.now }).where(eq(typeUpgrades.id, id));
}

/** A run started again: queued once more, one start more (its job id is new). */
export async function requeueUpgradeRun(db: Conn, id: string, now: Date): Promise<TypeUpgradeRow> {
  const [row] = await db
    .update(typeUpgrades)
    .set({ status: 'queued', starts: sql`${typeUpgrades.starts} + 1`, updatedAt: now })
    .where(eq(typeUpgrades.id, id))
    .returning();
  return row!;
}
export type { TypeUpgradeRow, UpgradeFailureRow } from '../schema/index.js';
