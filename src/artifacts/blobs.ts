/**
 * @module Blob fields: upload (streamed, hashed once, visible only when complete), external
 * locations, download, removal, and releasing bytes no artifact uses any more.
 *
 * Every state-dependent step holds the artifact's row lock and checks the status under it: an
 * upload claims its slot, and later completes, only while the artifact still takes the blob,
 * so activation never races an upload or a removal.
 *
 * Identical bytes may be stored once (the filesystem store is content addressed), so bytes are
 * removed only when no other blob row uses them. A writer records the digest of its bytes on
 * its `saving` row before the store puts them in place, and both that and the remover's
 * "still used?" check hold the same advisory lock, so a removal never takes bytes an upload
 * is about to rely on.
 */
import type { Readable } from 'node:stream';
import type { NamedStore } from '../blobs/routing.js';
import { StoreFull, uploadKey } from '../blobs/blob-store.js';
import { BlobTooLarge, ChecksumMismatch, writeHashed } from '../blobs/digest.js';
import { holdLease } from '../blobs/upload-lease.js';
import { findArtifact, updateArtifactRecord } from '../db/queries/artifacts.js';
import {
  activateBlob,
  bytesReferenced,
  deleteBlobRow,
  insertExternalBlob,
  lockBytes,
  renewUploadLease,
  reserveBlob,
  setSavingDigest,
  type BlobSlot,
} from '../db/queries/blobs.js';
import { recordReferences } from '../dependencies/references.js';
import { BadRequest, Conflict, Forbidden, InsufficientStorage, NotFound, PayloadTooLarge } from '../errors.js';
import type { Artifact, BlobInfo } from './artifact.js';
import type { ArtifactType, DerivedValues } from './artifact-type.js';
import { conn, emit, hookContext, refFor, withTransaction, type Catalog, type OpContext, type TxContext } from './context.js';
import { assertDictKey, BLOB_KINDS, type FieldDef } from './fields.js';
import { assertLinksResolve, validateValue, withValues } from './input.js';
import { blobsWritable } from './lifecycle.js';
import { assertNotCachedCopy } from './cached-copies.js';
import { assertCanDownload, assertCanModify, sightOf } from './policy.js';
import { assertWithinQuota } from './quotas.js';
import { showArtifact } from './read.js';

export interface BlobTarget {
  type: ArtifactType;
  id: string;
  field: string;
  /** The key, for a blob dict. */
  key?: string;
}

/** The blob field (and dict key) a target names; BadRequest when it is not a blob. */
export function blobSlot(type: ArtifactType, field: string, key: string | undefined): { def: FieldDef; key: string } {
  const def = type.fields.get(field);
  if (!def || (def.kind !== 'blob' && def.kind !== 'blob_dict')) {
    throw new BadRequest(`type ${type.name} has no blob field "${field.slice(0, 60)}"`);
  }
  if (def.kind === 'blob' && key !== undefined) throw new BadRequest(`"${field}" is a single blob: it has no keys`);
  if (def.kind === 'blob_dict') {
    if (key === undefined) throw new BadRequest(`"${field}" is a blob dict: name the key, ${field}/<key>`);
    assertDictKey(def, key);
  }
  return { def, key: key ?? '' };
}

const slotName = (def: FieldDef, key: string) => `${def.name}${key ? `/${key}` : ''}`;

/**
 * The target with the type version the artifact was made with, whose blob fields it keeps. Only
 * a type with several versions costs the extra read; an artifact the actor cannot see stays
 * the verb's NotFound.
 */
async function ownVersion<T extends { type: ArtifactType; id: string }>(ctx: OpContext, target: T): Promise<T> {
  if (ctx.catalog.types.versions(target.type.name).length < 2) return target;
  const found = await findArtifact(conn(ctx), { id: target.id, typeName: target.type.name, sight: sightOf(ctx.actor) });
  return found ? { ...target, type: ctx.catalog.types.forArtifact(found) } : target;
}

/** The artifact under its row lock, if the actor sees it. */
async function lockedArtifact(tx: TxContext, type: ArtifactType, id: string): Promise<Artifact> {
  const found = await findArtifact(conn(tx), { id, typeName: type.name, sight: sightOf(tx.actor), forUpdate: true });
  if (!found) throw new NotFound(`no ${type.name} with id ${id}`);
  return found;
}

function assertBlobWritable(artifact: Artifact, def: FieldDef): void {
  if (!blobsWritable(artifact)) throw new Forbidden(`blob "${def.name}" cannot change: the artifact is ${artifact.status}, and blobs change only while it is a draft`);
}

/**
 * A blob dict holds at most `maxSize` keys, and at most `maxTotalSize` bytes over all of them
 * (`adding` more bytes into `key`, which replaces what that key held).
 */
function assertRoomForKey(artifact: Artifact, def: FieldDef, key: string, adding = 0): void {
  if (def.kind !== 'blob_dict') return;
  const others = artifact.blobs.filter((b) => b.field === def.name && b.key !== key);
  const { maxSize, maxTotalSize } = def.validators;
  if (maxSize !== undefined && others.length >= maxSize) throw new BadRequest(`blob dict "${def.name}" may hold at most ${maxSize} keys`);
  const held = others.reduce((sum, b) => sum + (b.external ? 0 : (b.size ?? 0)), 0);
  if (maxTotalSize !== undefined && held + adding > maxTotalSize) {
    throw new PayloadTooLarge(`blob dict "${def.name}" may hold at most ${maxTotalSize} bytes over all its keys; it holds ${held}`);
  }
}

export interface UploadMeta {
  contentType: string;
  contentLength?: number;
  /** Base64 of the MD5 the client expects (HTTP's Content-MD5). */
  expectedMd5Base64?: string;
  /** Lower-case hex of the SHA-256 the client expects. */
  expectedSha256Hex?: string;
  signal: AbortSignal;
}

export async function uploadBlob(ctx: OpContext, given: BlobTarget & { body: Readable; meta: UploadMeta }): Promise<Artifact> {
  const target = await ownVersion(ctx, given);
  const { type, id, body, meta } = target;
  const { def, key } = blobSlot(type, target.field, target.key);
  const maxBytes = def.maxBlobSize!;
  if (meta.contentLength !== undefined && meta.contentLength > maxBytes) {
    throw new PayloadTooLarge(`blob "${def.name}" may be at most ${maxBytes} bytes; the request declares ${meta.contentLength}`);
  }
  const named = ctx.catalog.blobs.forType(type.name);
  const leaseMs = ctx.catalog.config.blobs.upload_lease_seconds * 1000;

  const { artifact, reserved } = await withTransaction(ctx, async (tx) => {
    const artifact = await lockedArtifact(tx, type, id);
    assertCanModify(tx.actor, artifact, 'upload blobs to this artifact');
    await assertNotCachedCopy(tx, artifact, 'upload blobs to this artifact');
    assertBlobWritable(artifact, def);
    assertRoomForKey(artifact, def, key, meta.contentLength ?? 0);
    await type.hooks.beforeUpload?.(artifact, { field: def.name, key, contentType: meta.contentType, declaredSize: meta.contentLength }, hookContext(tx, type));
    await assertWithinQuota(tx, { owner: artifact.owner, typeName: type.name, quotaName: 'max_uploaded_data', adding: meta.contentLength ?? 0 });
    const slot: BlobSlot = { artifactId: artifact.id, field: def.name, key };
    const reserved = await reserveBlob(conn(tx), slot, { store: named.name, contentType: meta.contentType, now: tx.now(), leaseMs });
    return { artifact, reserved };
  });
  // Until the upload ends, one way or the other, its row says a live process holds it.
  const lease = holdLease({ ttlMs: leaseMs, renew: () => renewUploadLease(ctx.catalog.db, reserved.id, leaseMs), log: ctx.catalog.log });

  let written: Awaited<ReturnType<typeof writeHashed>>;
  try {
    written = await writeHashed(named.store, body, {
      key: uploadKey(type.name, artifact.id, reserved.id),
      signal: meta.signal,
      maxBytes,
      contentType: meta.contentType,
      expected: { md5Base64: meta.expectedMd5Base64, sha256Hex: meta.expectedSha256Hex },
      expectedSize: meta.contentLength,
      beforeCommit: (sha256) =>
        ctx.catalog.db.transaction(async (tx) => {
          await lockBytes(tx, named.name, sha256, null);
          await setSavingDigest(tx, reserved.id, sha256);
        }),
    });
  } catch (err) {
    lease.stop();
    await deleteBlobRow(ctx.catalog.db, reserved.id);
    if (err instanceof BlobTooLarge) throw new PayloadTooLarge(`blob "${def.name}" may be at most ${maxBytes} bytes`);
    if (err instanceof ChecksumMismatch) throw new BadRequest(`the uploaded bytes do not match: ${err.message}`);
    if (err instanceof StoreFull) throw new InsufficientStorage(`no room to store blob "${def.name}": ${err.message}; nothing was kept`);
    throw err;
  }

  try {
    return await withTransaction(ctx, async (tx) => {
      const current = await findArtifact(conn(tx), { id: artifact.id, typeName: type.name, sight: { kind: 'all' }, forUpdate: true });
      if (!current) throw new Conflict('the artifact was deleted during the upload');
      if (!blobsWritable(current)) throw new Conflict(`the artifact became ${current.status} during the upload: blob "${def.name}" cannot change now`);
      assertRoomForKey(current, def, key, written.bytes);
      await assertWithinQuota(tx, { owner: current.owner, typeName: type.name, quotaName: 'max_uploaded_data', adding: written.bytes });
      const done = await activateBlob(conn(tx), reserved.id, { locator: written.locator, size: written.bytes, md5: written.md5, sha1: written.sha1, sha256: written.sha256, now: tx.now() });
      if (!done) throw new Conflict('the blob was removed during the upload');
      let after = (await findArtifact(conn(tx), { id: current.id, sight: { kind: 'all' } }))!;
      const derived = await type.hooks.afterUpload?.(after, after.blobs.find((b) => b.id === reserved.id)!, hookContext(tx, type));
      if (derived) after = await storeDerivedValues(tx, type, after, derived);
      emit(tx, { kind: 'blob.changed', id: after.id, ref: refFor(tx, after), field: def.name, key });
      return after;
    });
  } catch (err) {
    await deleteBlobRow(ctx.catalog.db, reserved.id);
    await releaseBytes(ctx.catalog, named, { locator: written.locator, sha256: written.sha256 });
    throw err;
  } finally {
    lease.stop();
  }
}

/** Generic fields an upload hook may not set: identity, ownership, dates and the lifecycle. */
const NOT_DERIVABLE = new Set(['id', 'name', 'version', 'owner', 'visibility', 'status', 'created_at', 'updated_at', 'activated_at', 'display_type_name']);

/**
 * Stores the values an afterUpload hook read from the bytes, validated as the type's fields.
 * A value the bytes gave wrongly refuses the upload (400); a field the hook may not set at all
 * is the hook's own fault.
 */
async function storeDerivedValues(tx: TxContext, type: ArtifactType, artifact: Artifact, derived: DerivedValues): Promise<Artifact> {
  const valid: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(derived)) {
    const def = type.fields.get(name);
    if (!def || NOT_DERIVABLE.has(name) || BLOB_KINDS.has(def.kind)) throw new Error(`type ${type.name}: afterUpload may not set field "${name}"`);
    if (artifact.status !== 'drafted' && !def.mutable) throw new Error(`type ${type.name}: afterUpload may not change field "${name}" of a ${artifact.status} artifact`);
    try {
      valid[name] = validateValue(def, value);
    } catch (err) {
      if (err instanceof BadRequest) throw new BadRequest(`${type.name}: the upload gives a value the type refuses: ${err.message}`);
      throw err;
    }
  }
  if (Object.keys(valid).length === 0) return artifact;
  await assertLinksResolve(conn(tx), tx.actor, type, valid, Object.keys(valid));
  const { id: _id, blobs: _blobs, typeName: _t, typeVersion: _v, owner: _o, createdAt: _c, ...record } = withValues(type, artifact, valid);
  const updated = await updateArtifactRecord(conn(tx), artifact, { ...record, updatedAt: tx.now() });
  await recordReferences(tx, type, updated, Object.keys(valid));
  return updated;
}

/** A blob whose bytes live elsewhere: recorded with the digests the caller declares. */
export interface ExternalLocation {
  url: string;
  md5: string | null;
  sha1: string | null;
  sha256: string | null;
  size: number | null;
}

export async function setExternalBlob(ctx: OpContext, given: BlobTarget & { location: ExternalLocation }): Promise<Artifact> {
  const target = await ownVersion(ctx, given);
  const { type, id, location } = target;
  const { def, key } = blobSlot(type, target.field, target.key);
  return withTransaction(ctx, async (tx) => {
    const artifact = await lockedArtifact(tx, type, id);
    assertCanModify(tx.actor, artifact, 'set blobs of this artifact');
    await assertNotCachedCopy(tx, artifact, 'set blobs of this artifact');
    assertBlobWritable(artifact, def);
    assertRoomForKey(artifact, def, key);
    await insertExternalBlob(conn(tx), { artifactId: artifact.id, field: def.name, key }, { ...location, contentType: null, now: tx.now() });
    emit(tx, { kind: 'blob.changed', id: artifact.id, ref: refFor(tx, artifact), field: def.name, key });
    return (await findArtifact(conn(tx), { id: artifact.id, sight: { kind: 'all' } }))!;
  });
}

export type BlobSource =
  | { kind: 'external'; blob: BlobInfo & { url: string } }
  | { kind: 'stored'; blob: BlobInfo & { locator: string; size: number; sha256: string }; store: NamedStore };

/** Where a blob's bytes are, for a download by the actor. */
export async function findBlobForDownload(ctx: OpContext, target: BlobTarget): Promise<BlobSource> {
  blobSlot(target.type, target.field, target.key);
  const artifact = await showArtifact(ctx, target);
  const { def, key } = blobSlot(ctx.catalog.types.forArtifact(artifact), target.field, target.key);
  assertCanDownload(ctx.actor, artifact);
  const blob = artifact.blobs.find((b) => b.field === def.name && b.key === key);
  if (!blob) throw new NotFound(`blob ${slotName(def, key)} has not been uploaded`);
  if (blob.external && blob.url !== null) return { kind: 'external', blob: { ...blob, url: blob.url } };
  if (blob.status !== 'active' || blob.locator === null || blob.size === null || blob.sha256 === null || blob.store === null) {
    throw new Conflict(`blob ${slotName(def, key)} is still being uploaded`);
  }
  return { kind: 'stored', blob: { ...blob, locator: blob.locator, size: blob.size, sha256: blob.sha256 }, store: ctx.catalog.blobs.byName(blob.store) };
}

export async function removeBlob(ctx: OpContext, given: BlobTarget): Promise<void> {
  const target = await ownVersion(ctx, given);
  const { type, id } = target;
  const { def, key } = blobSlot(type, target.field, target.key);
  const removed = await withTransaction(ctx, async (tx) => {
    const artifact = await lockedArtifact(tx, type, id);
    assertCanModify(tx.actor, artifact, 'remove blobs of this artifact');
    await assertNotCachedCopy(tx, artifact, 'remove blobs of this artifact');
    const blob = artifact.blobs.find((b) => b.field === def.name && b.key === key);
    if (!blob) throw new NotFound(`blob ${slotName(def, key)} is not set`);
    // Glare lets the owner remove an external location whatever the status (engine.py
    // delete_external_blob); here it is part of what a signature covers, so only a draft's goes.
    assertBlobWritable(artifact, def);
    if (blob.status === 'saving') throw new Conflict(`blob ${slotName(def, key)} is still being uploaded`);
    await deleteBlobRow(conn(tx), blob.id);
    emit(tx, { kind: 'blob.changed', id: artifact.id, ref: refFor(tx, artifact), field: def.name, key });
    return blob;
  });
  await releaseBlobBytes(ctx, [removed]);
}

/** Removes the bytes from their store unless another blob row still uses them. */
export async function releaseBytes(
  catalog: Pick<Catalog, 'db' | 'log'>,
  named: NamedStore,
  bytes: { locator: string | null; sha256: string | null },
): Promise<boolean> {
  if (!bytes.locator) return false;
  const locator = bytes.locator;
  try {
    return await catalog.db.transaction(async (tx) => {
      await lockBytes(tx, named.name, bytes.sha256, locator);
      if (await bytesReferenced(tx, { store: named.name, locator, sha256: bytes.sha256 })) return false;
      await named.store.remove(locator);
      return true;
    });
  } catch (err) {
    // The artifact is already gone; the scrub job removes what could not be removed now.
    catalog.log.warn({ err, store: named.name, locator }, 'could not remove blob bytes; the scrub job will retry');
    return false;
  }
}

/** Bytes of every stored blob among `blobs` (after their rows are gone). */
export async function releaseBlobBytes(ctx: OpContext, blobs: readonly BlobInfo[]): Promise<void> {
  for (const b of blobs) {
    if (b.external || !b.store) continue;
    let named: NamedStore;
    try {
      named = ctx.catalog.blobs.byName(b.store);
    } catch (err) {
      ctx.catalog.log.warn({ err, store: b.store }, 'blob store no longer configured; bytes left in place');
      continue;
    }
    await releaseBytes(ctx.catalog, named, b);
  }
}
