/** @module Developer keys and artifact signatures. */
import { and, asc, eq, isNull } from 'drizzle-orm';
import type { Db, Tx } from '../client.js';
import { artifactSignatures, developerKeys } from '../schema/index.js';
import { conflictOnDuplicate } from './errors.js';

type Conn = Db | Tx;

export type DeveloperKeyRow = typeof developerKeys.$inferSelect;
export type SignatureRow = typeof artifactSignatures.$inferSelect;

export async function insertDeveloperKey(db: Conn, row: typeof developerKeys.$inferInsert): Promise<DeveloperKeyRow> {
  const [inserted] = await conflictOnDuplicate(
    () => db.insert(developerKeys).values(row).returning(),
    `project ${row.project} has already registered key ${row.kid}`,
  );
  return inserted!;
}

export async function listDeveloperKeys(db: Conn, project: string): Promise<DeveloperKeyRow[]> {
  return db.select().from(developerKeys).where(eq(developerKeys.project, project)).orderBy(asc(developerKeys.createdAt), asc(developerKeys.kid));
}

export async function findDeveloperKey(db: Conn, project: string, kid: string): Promise<DeveloperKeyRow | undefined> {
  const [row] = await db.select().from(developerKeys).where(and(eq(developerKeys.project, project), eq(developerKeys.kid, kid))).limit(1);
  return row;
}

/** Revokes a key not yet revoked; undefined when it is unknown or already revoked. */
export async function revokeDeveloperKey(
  db: Conn,
  q: { project: string; kid: string; revokedAt: Date; reason: string; revokedBy: string },
): Promise<DeveloperKeyRow | undefined> {
  const [row] = await db
    .update(developerKeys)
    .set({ revokedAt: q.revokedAt, revocationReason: q.reason, revokedBy: q.revokedBy })
    .where(and(eq(developerKeys.project, q.project), eq(developerKeys.kid, q.kid), isNull(developerKeys.revokedAt)))
    .returning();
  return row;
}

export async function insertSignature(db: Conn, row: typeof artifactSignatures.$inferInsert): Promise<SignatureRow> {
  const [inserted] = await conflictOnDuplicate(
    () => db.insert(artifactSignatures).values(row).returning(),
    `key ${row.kid} has already signed this manifest of the artifact`,
  );
  return inserted!;
}

export async function listSignatures(db: Conn, artifactId: string): Promise<SignatureRow[]> {
  return db.select().from(artifactSignatures).where(eq(artifactSignatures.artifactId, artifactId)).orderBy(asc(artifactSignatures.signedAt), asc(artifactSignatures.id));
}

export async function deleteSignature(db: Conn, artifactId: string, id: string): Promise<boolean> {
  const removed = await db
    .delete(artifactSignatures)
    .where(and(eq(artifactSignatures.artifactId, artifactId), eq(artifactSignatures.id, id)))
    .returning({ id: artifactSignatures.id });
  return removed.length > 0;
}
