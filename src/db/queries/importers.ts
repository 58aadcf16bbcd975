/** @module Import runs: the SQL of src/importers/ jobs. */
import { eq } from 'drizzle-orm';
import type { Db, Tx } from '../client.js';
import { importRuns } from '../schema/index.js';

export type ImportRunRow = typeof importRuns.$inferSelect;

export async function insertImportRun(db: Db | Tx, row: Pick<ImportRunRow, 'kind' | 'project' | 'requestedBy' | 'source'> & { now: Date }): Promise<ImportRunRow> {
  const [inserted] = await db.insert(importRuns).values({ kind: row.kind, project: row.project, requestedBy: row.requestedBy, source: row.source, createdAt: row.now, updatedAt: row.now }).returning();
  return inserted!;
}

export async function findImportRun(db: Db | Tx, id: string): Promise<ImportRunRow | undefined> {
  const [row] = await db.select().from(importRuns).where(eq(importRuns.id, id));
  return row;
}

export async function updateImportRun(db: Db | Tx, id: string, changes: Partial<Pick<ImportRunRow, 'status' | 'done' | 'total' | 'report' | 'error' | 'updatedAt' | 'finishedAt'>>): Promise<void> {
  await db.update(importRuns).set(changes).where(eq(importRuns.id, id));
}
