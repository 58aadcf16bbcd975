/** @module Queries over submissions: what a child sent up, what an upstream received. */
import { and, desc, eq } from 'drizzle-orm';
import type { Db, Tx } from '../client.js';
import { incomingSubmissions, outgoingSubmissions } from '../schema/index.js';

type Conn = Db | Tx;

export type OutgoingSubmissionRecord = typeof outgoingSubmissions.$inferSelect;
export type OutgoingState = OutgoingSubmissionRecord['state'];
export type IncomingSubmissionRecord = typeof incomingSubmissions.$inferSelect;
export type IncomingState = IncomingSubmissionRecord['state'];

/**
 * The submission of `artifactId` to `upstreamNodeId`, made or found: a resubmission keeps the
 * row and starts it again (queued), with the latest request's choices.
 */
export async function upsertOutgoingSubmission(
  db: Conn,
  values: { upstreamNodeId: string; artifactId: string; typeName: string; name: string; version: string; includePrivate: boolean; requestedBy: string; requestedByProject: string; now: Date },
): Promise<OutgoingSubmissionRecord> {
  const [row] = await db
    .insert(outgoingSubmissions)
    .values({ ...values, state: 'queued', createdAt: values.now, updatedAt: values.now })
    .onConflictDoUpdate({
      target: [outgoingSubmissions.upstreamNodeId, outgoingSubmissions.artifactId],
      set: { state: 'queued', message: '', includePrivate: values.includePrivate, requestedBy: values.requestedBy, requestedByProject: values.requestedByProject, updatedAt: values.now },
    })
    .returning();
  return row!;
}

export async function findOutgoingSubmission(db: Conn, id: string): Promise<OutgoingSubmissionRecord | undefined> {
  const [row] = await db.select().from(outgoingSubmissions).where(eq(outgoingSubmissions.id, id));
  return row;
}

export async function listOutgoingSubmissions(db: Conn, q: { project?: string; limit: number }): Promise<OutgoingSubmissionRecord[]> {
  return db
    .select()
    .from(outgoingSubmissions)
    .where(q.project ? eq(outgoingSubmissions.requestedByProject, q.project) : undefined)
    .orderBy(desc(outgoingSubmissions.updatedAt), desc(outgoingSubmissions.id))
    .limit(q.limit);
}

export async function updateOutgoingSubmission(
  db: Conn,
  id: string,
  set: Partial<Pick<OutgoingSubmissionRecord, 'state' | 'message' | 'remoteId' | 'remoteArtifactId' | 'sentAt'>> & { now: Date },
): Promise<OutgoingSubmissionRecord | undefined> {
  const { now, ...rest } = set;
  const [row] = await db.update(outgoingSubmissions).set({ ...rest, updatedAt: now }).where(eq(outgoingSubmissions.id, id)).returning();
  return row;
}

export async function findIncomingSubmission(db: Conn, id: string): Promise<IncomingSubmissionRecord | undefined> {
  const [row] = await db.select().from(incomingSubmissions).where(eq(incomingSubmissions.id, id));
  return row;
}

/** The row for this child's root identity, locked for the transaction that records a (re)submission. */
export async function findIncomingSubmissionByRoot(tx: Tx, q: { childNodeId: string; typeName: string; name: string; version: string }): Promise<IncomingSubmissionRecord | undefined> {
  const [row] = await tx
    .select()
    .from(incomingSubmissions)
    .where(and(eq(incomingSubmissions.childNodeId, q.childNodeId), eq(incomingSubmissions.typeName, q.typeName), eq(incomingSubmissions.name, q.name), eq(incomingSubmissions.version, q.version)))
    .for('update');
  return row;
}

export async function insertIncomingSubmission(db: Conn, values: Omit<IncomingSubmissionRecord, 'id' | 'reason' | 'reviewedBy' | 'reviewedAt'>): Promise<IncomingSubmissionRecord> {
  const [row] = await db.insert(incomingSubmissions).values(values).returning();
  return row!;
}

export async function updateIncomingSubmission(
  db: Conn,
  id: string,
  set: Partial<Pick<IncomingSubmissionRecord, 'state' | 'reason' | 'reviewedBy' | 'reviewedAt' | 'artifactId' | 'sourceId' | 'createdArtifactIds' | 'projectId'>> & { now: Date },
): Promise<IncomingSubmissionRecord | undefined> {
  const { now, ...rest } = set;
  const [row] = await db.update(incomingSubmissions).set({ ...rest, updatedAt: now }).where(eq(incomingSubmissions.id, id)).returning();
  return row;
}

export async function listIncomingSubmissions(db: Conn, q: { state?: IncomingState; limit: number }): Promise<IncomingSubmissionRecord[]> {
  return db
    .select()
    .from(incomingSubmissions)
    .where(q.state ? eq(incomingSubmissions.state, q.state) : undefined)
    .orderBy(desc(incomingSubmissions.createdAt), desc(incomingSubmissions.id))
    .limit(q.limit);
}
