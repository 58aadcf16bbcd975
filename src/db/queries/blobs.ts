/**
 * @module Blob records: reserving a slot, finishing or abandoning an upload, references to bytes.
 *
 * An upload holds its `saving` row by a lease (lease_expires_at, in the database's time, so
 * nodes' clocks do not matter) that the uploading process renews while it runs. A `saving` row
 * whose lease has run out belongs to no live process (it was killed, or lost the database when the
 * upload ended): reads treat it as absent, the next upload of the slot takes it over, and the scrub
 * job deletes it and what its bytes left in the store.
 */
import { and, eq, gt, isNull, lt, ne, or, sql, type SQL } from 'drizzle-orm';
import type { Db, Tx } from '../client.js';
import { artifactBlobs, artifacts, type BlobRow } from '../schema/index.js';
import { conflictOnDuplicate } from './errors.js';

type Conn = Db | Tx;

export interface BlobSlot {
  artifactId: string;
  field: string;
  key: string;
}

const slotWhere = (s: BlobSlot) => and(eq(artifactBlobs.artifactId, s.artifactId), eq(artifactBlobs.field, s.field), eq(artifactBlobs.key, s.key));

const leaseFrom = (leaseMs: number) => sql`now() + ${leaseMs} * interval '1 millisecond'`;

/** A `saving` row no live process holds: its lease ran out. */
const abandonedUpload: SQL = and(eq(artifactBlobs.status, 'saving'), lt(artifactBlobs.leaseExpiresAt, sql`now()`))!;

/** The rows reads show: every blob but abandoned uploads (rows from before leases count as held). */
const liveBlob: SQL = sql`not coalesce(${abandonedUpload}, false)`;

export async function findBlob(db: Conn, slot: BlobSlot): Promise<BlobRow | undefined> {
  const [row] = await db.select().from(artifactBlobs).where(and(slotWhere(slot), liveBlob)).limit(1);
  return row;
}

/**
 * Claims the slot with a `saving` row held for `leaseMs`; Conflict when another upload holds
 * it. An abandoned upload in the slot is taken over.
 */
export async function reserveBlob(db: Conn, slot: BlobSlot, values: { store: string; contentType: string; now: Date; leaseMs: number }): Promise<BlobRow> {
  await db.delete(artifactBlobs).where(and(slotWhere(slot), abandonedUpload));
  const [row] = await conflictOnDuplicate(
    () =>
      db
        .insert(artifactBlobs)
        .values({
          ...slot,
          status: 'saving',
          external: false,
          store: values.store,
          contentType: values.contentType,
          leaseExpiresAt: leaseFrom(values.leaseMs),
          createdAt: values.now,
          updatedAt: values.now,
        })
        .returning(),
    `blob ${slot.field}${slot.key ? `/${slot.key}` : ''} is already uploaded or being uploaded`,
  );
  return row!;
}

/** Moves the lease of a running upload forward; false when its row is gone or no longer saving. */
export async function renewUploadLease(db: Conn, blobId: string, leaseMs: number): Promise<boolean> {
  const renewed = await db
    .update(artifactBlobs)
    .set({ leaseExpiresAt: leaseFrom(leaseMs) })
    .where(and(eq(artifactBlobs.id, blobId), eq(artifactBlobs.status, 'saving')))
    .returning({ id: artifactBlobs.id });
  return renewed.length > 0;
}

/** The store keys (`<type>/<artifact>/<blob>`) of uploads running now: their leftovers are in use. */
export async function runningUploadKeys(db: Conn): Promise<Array<{ store: string | null; typeName: string; artifactId: string; blobId: string }>> {
  return db
    .select({ store: artifactBlobs.store, typeName: artifacts.typeName, artifactId: artifactBlobs.artifactId, blobId: artifactBlobs.id })
    .from(artifactBlobs)
    .innerJoin(artifacts, eq(artifacts.id, artifactBlobs.artifactId))
    .where(and(eq(artifactBlobs.status, 'saving'), or(isNull(artifactBlobs.leaseExpiresAt), gt(artifactBlobs.leaseExpiresAt, sql`now()`))));
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
    .set({ ...rest, status: 'active', leaseExpiresAt: null, updatedAt: now })
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

/**
 * Deletes uploads that never finished (a killed node, a database gone when the upload ended):
 * abandoned ones, and rows from before leases last touched before `unleasedBefore`. Their
 * leftovers in the store are no longer anyone's; the scrub removes them.
 */
export async function deleteAbandonedUploads(db: Conn, unleasedBefore: Date): Promise<number> {
  const removed = await db
    .delete(artifactBlobs)
    .where(
      or(
        abandonedUpload,
        and(eq(artifactBlobs.status, 'saving'), isNull(artifactBlobs.leaseExpiresAt), lt(artifactBlobs.updatedAt, unleasedBefore)),
      ),
    )
    .returning({ id: artifactBlobs.id });
  return removed.length;
}
