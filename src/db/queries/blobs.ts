/** @module Blob records: reserving a slot, finishing or abandoning an upload, references to bytes. */
import { and, eq, lt, ne, or, sql } from 'drizzle-orm';
import type { Db, Tx } from '../client.js';
import { artifactBlobs, type BlobRow } from '../schema/index.js';
import { conflictOnDuplicate } from './errors.js';

type Conn = Db | Tx;

export interface BlobSlot {
  artifactId: string;
  field: string;
  key: string;
}

const slotWhere = (s: BlobSlot) => and(eq(artifactBlobs.artifactId, s.artifactId), eq(artifactBlobs.field, s.field), eq(artifactBlobs.key, s.key));

export async function findBlob(db: Conn, slot: BlobSlot): Promise<BlobRow | undefined> {
  const [row] = await db.select().from(artifactBlobs).where(slotWhere(slot)).limit(1);
  return row;
}

/** Claims the slot with a `saving` row; Conflict when another upload holds it. */
export async function reserveBlob(db: Conn, slot: BlobSlot, values: { store: string; contentType: string; now: Date }): Promise<BlobRow> {
  const [row] = await conflictOnDuplicate(
    () =>
      db
        .insert(artifactBlobs)
        .values({ ...slot, status: 'saving', external: false, store: values.store, contentType: values.contentType, createdAt: values.now, updatedAt: values.now })
        .returning(),
    `blob ${slot.field}${slot.key ? `/${slot.key}` : ''} is already uploaded or being uploaded`,
  );
  return row!;
}

export async function insertExternalBlob(
  db: Conn,
  slot: BlobSlot,
  values: { url: string; md5: string | null; sha1: string | null; sha256: string | null; size: number | null; contentType: string | null; now: Date },
): Promise<BlobRow> {
  const { now, ...rest } = values;
  const [row] = await conflictOnDuplicate(
    () => db.insert(artifactBlobs).values({ ...slot, ...rest, status: 'active', external: true, createdAt: now, updatedAt: now }).returning(),
    `blob ${slot.field}${slot.key ? `/${slot.key}` : ''} is already set`,
  );
  return row!;
}

/** Records the digest of a saving blob before its bytes are put in place (see artifacts/blobs.ts). */
export async function setSavingDigest(db: Conn, blobId: string, sha256: string): Promise<void> {
  await db.update(artifactBlobs).set({ sha256 }).where(and(eq(artifactBlobs.id, blobId), eq(artifactBlobs.status, 'saving')));
}

export async function activateBlob(
  db: Conn,
  blobId: string,
  values: { locator: string; size: number; md5: string; sha1: string; sha256: string; now: Date },
): Promise<BlobRow | undefined> {
  const { now, ...rest } = values;
  const [row] = await db
    .update(artifactBlobs)
    .set({ ...rest, status: 'active', updatedAt: now })
    .where(and(eq(artifactBlobs.id, blobId), eq(artifactBlobs.status, 'saving')))
    .returning();
  return row;
}

export async function deleteBlobRow(db: Conn, blobId: string): Promise<void> {
  await db.delete(artifactBlobs).where(eq(artifactBlobs.id, blobId));
}

/** Serialises "is anyone still using these bytes?" with writers of the same bytes. */
export async function lockBytes(tx: Tx, store: string, sha256: string | null, locator: string | null): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`bytes:${store}:${sha256 ?? locator ?? ''}`}))`);
}

/** Whether any blob row other than `exceptId` uses these bytes (by locator, or by digest while saving). */
export async function bytesReferenced(db: Conn, q: { store: string; locator: string | null; sha256: string | null; exceptId?: string }): Promise<boolean> {
  const sameBytes = or(
    q.locator ? eq(artifactBlobs.locator, q.locator) : undefined,
    q.sha256 ? and(eq(artifactBlobs.sha256, q.sha256), eq(artifactBlobs.status, 'saving')) : undefined,
  );
  if (!sameBytes) return false;
  const [row] = await db
    .select({ id: artifactBlobs.id })
    .from(artifactBlobs)
    .where(and(eq(artifactBlobs.store, q.store), sameBytes, q.exceptId ? ne(artifactBlobs.id, q.exceptId) : undefined))
    .limit(1);
  return row !== undefined;
}

export async function locatorReferenced(db: Conn, store: string, locator: string): Promise<boolean> {
  const [row] = await db
    .select({ id: artifactBlobs.id })
    .from(artifactBlobs)
    .where(and(eq(artifactBlobs.store, store), eq(artifactBlobs.locator, locator)))
    .limit(1);
  return row !== undefined;
}

/** Uploads that never finished (a crashed or killed node): their rows go, their bytes are scrubbed. */
export async function deleteStaleUploads(db: Conn, olderThan: Date): Promise<number> {
  const removed = await db
    .delete(artifactBlobs)
    .where(and(eq(artifactBlobs.status, 'saving'), lt(artifactBlobs.updatedAt, olderThan)))
    .returning({ id: artifactBlobs.id });
  return removed.length;
}
