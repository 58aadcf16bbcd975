/** @module Quota overrides and the usage they are checked against. */
import { and, eq, inArray, sql, sum } from 'drizzle-orm';
import type { Db, Tx } from '../client.js';
import { artifactBlobs, artifacts, quotas } from '../schema/index.js';

type Conn = Db | Tx;

export interface QuotaRow {
  projectId: string;
  quotaName: string;
  typeName: string;
  value: number;
}

export async function listQuotaRows(db: Conn, projectIds?: readonly string[]): Promise<QuotaRow[]> {
  return db
    .select({ projectId: quotas.projectId, quotaName: quotas.quotaName, typeName: quotas.typeName, value: quotas.value })
    .from(quotas)
    .where(projectIds ? inArray(quotas.projectId, [...projectIds]) : undefined)
    .orderBy(quotas.projectId, quotas.quotaName, quotas.typeName);
}

/**
 * Rows per INSERT: each row takes 6 bind parameters and PostgreSQL accepts at most 65535 in one
 * statement, so a large request is inserted in batches (in the caller's transaction).
 */
const QUOTA_INSERT_BATCH = 1000;

/** Replaces every override of each listed project with the given ones, atomically. */
export async function replaceProjectQuotas(tx: Tx, rows: readonly QuotaRow[], projectIds: readonly string[], now: Date): Promise<void> {
  await tx.delete(quotas).where(sql`${quotas.projectId} = any(${sql.param([...projectIds])}::text[])`);
  for (let start = 0; start < rows.length; start += QUOTA_INSERT_BATCH) {
    await tx.insert(quotas).values(rows.slice(start, start + QUOTA_INSERT_BATCH).map((r) => ({ ...r, createdAt: now, updatedAt: now })));
  }
}

export async function deleteProjectQuotas(db: Conn, projectId: string): Promise<number> {
  const removed = await db.delete(quotas).where(eq(quotas.projectId, projectId)).returning({ p: quotas.projectId });
  return removed.length;
}

/** Serialises quota checks of one project inside the caller's transaction. */
export async function lockProjectQuota(tx: Tx, projectId: string): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`quota:${projectId}`}))`);
}

export async function uploadedBytes(db: Conn, owner: string, typeName?: string): Promise<number> {
  const [row] = await db
    .select({ bytes: sum(artifactBlobs.size) })
    .from(artifactBlobs)
    .innerJoin(artifacts, eq(artifacts.id, artifactBlobs.artifactId))
    .where(and(eq(artifacts.owner, owner), eq(artifactBlobs.external, false), typeName ? eq(artifacts.typeName, typeName) : undefined));
  return Number(row?.bytes ?? 0);
}
