/**
 * @module Blob fields: upload (streamed, hashed once, visible only when complete), external
 * locations, download, removal, and releasing bytes no artifact uses any more.
 *
 * Identical bytes may be stored once (the filesystem store is content addressed), so bytes are
 * removed only when no other blob row uses them. A writer records the digest of its bytes on
 * its `saving` row before the store puts them in place, and both that and the remover's
 * "still used?" check hold the same advisory lock, so a removal never takes bytes an upload
 * is about to rely on.
 */
import type { Readable } from 'node:stream';
import type { Caller } from '../auth/caller.js';
import type { NamedStore } from '../blobs/routing.js';
import { BlobTooLarge, ChecksumMismatch, writeHashed } from '../blobs/digest.js';
import { findBlobsOf } from '../db/queries/artifacts.js';
import {
  activateBlob,
  bytesReferenced,
  deleteBlobRow,
  findBlob,
  insertExternalBlob,
  lockBytes,
  reserveBlob,
  setSavingDigest,
  type BlobSlot,
} from '../db/queries/blobs.js';
import type { ArtifactRow, BlobRow } from '../db/schema/index.js';
import type { Deps } from '../deps.js';
import { BadRequest, Conflict, Forbidden, NotFound, PayloadTooLarge } from '../errors.js';
import type { ArtifactType, ArtifactValues } from './artifact-type.js';
import type { FieldDef } from './fields.js';
import { assertCanModify } from './policy.js';
import { assertWithinQuota } from './quotas.js';
import { findArtifactRow } from './read.js';
import { toArtifactValues } from './values.js';

type BlobDeps = Pick<Deps, 'db' | 'blobs' | 'config' | 'clock' | 'log'>;

const DICT_KEY = /^[^\s/]{1,255}$/;
const HEX = (n: number) => new RegExp(`^[0-9a-f]{${n}}$`);

/** The blob field (and dict key) a path names; BadRequest when it is not a blob. */
export function blobTarget(type: ArtifactType, field: string, key: string | undefined): { def: FieldDef; key: string } {
  const def = type.fields.get(field);
  if (!def || (def.kind !== 'blob' && def.kind !== 'blob_dict')) {
    throw new BadRequest(`type ${type.name} has no blob field "${field.slice(0, 60)}"`);
  }
  if (def.kind === 'blob' && key !== undefined) throw new BadRequest(`"${field}" is a single blob: it has no keys`);
  if (def.kind === 'blob_dict') {
    if (key === undefined) throw new BadRequest(`"${field}" is a blob dict: name the key, /${field}/<key>`);
    if (!DICT_KEY.test(key)) throw new BadRequest('a blob key is 1-255 characters without spaces or "/"');
  }
  return { def, key: key ?? '' };
}

function assertBlobWritable(row: ArtifactRow, def: FieldDef): void {
  if (row.status === 'drafted') return;
  if (row.status === 'active' && def.mutable) return;
  throw new Forbidden(`blob "${def.name}" cannot change: the artifact is ${row.status}`);
}

async function showAfter(deps: Pick<Deps, 'db'>, type: ArtifactType, row: ArtifactRow): Promise<ArtifactValues> {
  return toArtifactValues(type, row, await findBlobsOf(deps.db, [row.id]));
}

export interface UploadMeta {
  contentType: string;
  contentLength?: number;
  expectedMd5Base64?: string;
  expectedSha256Hex?: string;
  signal: AbortSignal;
}

export async function uploadBlob(
  deps: BlobDeps,
  caller: Caller,
  type: ArtifactType,
  id: string,
  target: { field: string; key?: string },
  body: Readable,
  meta: UploadMeta,
): Promise<ArtifactValues> {
  const row = await findArtifactRow(deps, caller, type.name, id);
  assertCanModify(caller, row, 'upload blobs to this artifact');
  const { def, key } = blobTarget(type, target.field, target.key);
  assertBlobWritable(row, def);
  const maxBytes = def.maxBlobSize!;
  if (meta.contentLength !== undefined && meta.contentLength > maxBytes) {
    throw new PayloadTooLarge(`blob "${def.name}" may be at most ${maxBytes} bytes; the request declares ${meta.contentLength}`);
  }
  if (meta.expectedSha256Hex !== undefined && !HEX(64).test(meta.expectedSha256Hex)) throw new BadRequest('X-Expected-SHA256 must be 64 lower-case hex digits');
  await deps.db.transaction((tx) =>
    assertWithinQuota(tx, deps.config, { owner: row.owner, typeName: type.name, quotaName: 'max_uploaded_data', adding: meta.contentLength ?? 0 }),
  );

  const named = deps.blobs.forType(type.name);
  const slot: BlobSlot = { artifactId: row.id, field: def.name, key };
  const reserved = await reserveBlob(deps.db, slot, { store: named.name, contentType: meta.contentType, now: deps.clock() });

  let written: Awaited<ReturnType<typeof writeHashed>>;
  try {
    written = await writeHashed(named.store, body, {
      key: `${type.name}/${row.id}/${reserved.id}` as never,
      signal: meta.signal,
      maxBytes,
      contentType: meta.contentType,
      expected: { md5Base64: meta.expectedMd5Base64, sha256Hex: meta.expectedSha256Hex },
      expectedSize: meta.contentLength,
      beforeCommit: (sha256) => deps.db.transaction(async (tx) => {
        await lockBytes(tx, named.name, sha256, null);
        await setSavingDigest(tx, reserved.id, sha256);
      }),
    });
  } catch (err) {
    await deleteBlobRow(deps.db, reserved.id);
    if (err instanceof BlobTooLarge) throw new PayloadTooLarge(`blob "${def.name}" may be at most ${maxBytes} bytes`);
    if (err instanceof ChecksumMismatch) throw new BadRequest(`the uploaded bytes do not match: ${err.message}`);
    throw err;
  }

  try {
    await deps.db.transaction(async (tx) => {
      await assertWithinQuota(tx, deps.config, { owner: row.owner, typeName: type.name, quotaName: 'max_uploaded_data', adding: written.bytes });
      const done = await activateBlob(tx, reserved.id, { locator: written.locator, size: written.bytes, md5: written.md5, sha1: written.sha1, sha256: written.sha256, now: deps.clock() });
      if (!done) throw new Conflict('the artifact or its blob was deleted during the upload');
      const values = toArtifactValues(type, row, await findBlobsOf(tx, [row.id]));
      await type.hooks.onUpload?.(values, { field: def.name, key: key || undefined, size: written.bytes, contentType: meta.contentType });
    });
  } catch (err) {
    await deleteBlobRow(deps.db, reserved.id);
    await releaseBytes(deps, named, { locator: written.locator, sha256: written.sha256 });
    throw err;
  }
  return showAfter(deps, type, row);
}

export const ExternalLocation = {
  parse(body: unknown): { url: string; md5: string | null; sha1: string | null; sha256: string | null; size: number | null } {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new BadRequest('an external location is a JSON object with "url"');
    const b = body as Record<string, unknown>;
    const allowed = new Set(['url', 'md5', 'sha1', 'sha256', 'size', 'location_type']);
    for (const k of Object.keys(b)) if (!allowed.has(k)) throw new BadRequest(`unknown key "${k.slice(0, 40)}" in the external location`);
    if (b.location_type !== undefined && b.location_type !== 'external') throw new BadRequest('location_type must be "external"');
    if (typeof b.url !== 'string' || !/^https?:\/\/[^\s]+$/i.test(b.url) || b.url.length > 2048) throw new BadRequest('url must be an http(s) URL of at most 2048 characters');
    const digest = (name: string, len: number) => {
      const v = b[name];
      if (v === undefined || v === null) return null;
      if (typeof v !== 'string' || !HEX(len).test(v.toLowerCase())) throw new BadRequest(`${name} must be ${len} hex digits`);
      return v.toLowerCase();
    };
    const size = b.size;
    if (size !== undefined && size !== null && (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0)) throw new BadRequest('size must be a whole number of bytes');
    return { url: b.url, md5: digest('md5', 32), sha1: digest('sha1', 40), sha256: digest('sha256', 64), size: (size as number | undefined) ?? null };
  },
};

export async function addExternalBlob(
  deps: BlobDeps,
  caller: Caller,
  type: ArtifactType,
  id: string,
  target: { field: string; key?: string },
  location: ReturnType<typeof ExternalLocation.parse>,
): Promise<ArtifactValues> {
  const row = await findArtifactRow(deps, caller, type.name, id);
  assertCanModify(caller, row, 'set blobs of this artifact');
  const { def, key } = blobTarget(type, target.field, target.key);
  assertBlobWritable(row, def);
  await insertExternalBlob(deps.db, { artifactId: row.id, field: def.name, key }, { ...location, contentType: null, now: deps.clock() });
  return showAfter(deps, type, row);
}

export type BlobSource =
  | { kind: 'external'; blob: BlobRow }
  | { kind: 'stored'; blob: BlobRow & { locator: string; size: number }; store: NamedStore };

export async function findBlobForDownload(
  deps: Pick<Deps, 'db' | 'blobs'>,
  caller: Caller,
  type: ArtifactType,
  id: string,
  target: { field: string; key?: string },
): Promise<BlobSource> {
  const row = await findArtifactRow(deps, caller, type.name, id);
  const { def, key } = blobTarget(type, target.field, target.key);
  if (row.status === 'deactivated' && !(caller.kind === 'user' && caller.isAdmin)) {
    throw new Forbidden('the artifact is deactivated: only admins may download its blobs');
  }
  const blob = await findBlob(deps.db, { artifactId: row.id, field: def.name, key });
  if (!blob) throw new NotFound(`blob ${def.name}${key ? `/${key}` : ''} has not been uploaded`);
  if (blob.external) return { kind: 'external', blob };
  if (blob.status !== 'active' || blob.locator === null || blob.size === null) throw new Conflict(`blob ${def.name}${key ? `/${key}` : ''} is still being uploaded`);
  return { kind: 'stored', blob: { ...blob, locator: blob.locator, size: blob.size }, store: deps.blobs.byName(blob.store!) };
}

export async function removeBlob(deps: BlobDeps, caller: Caller, type: ArtifactType, id: string, target: { field: string; key?: string }): Promise<void> {
  const row = await findArtifactRow(deps, caller, type.name, id);
  assertCanModify(caller, row, 'remove blobs of this artifact');
  const { def, key } = blobTarget(type, target.field, target.key);
  assertBlobWritable(row, def);
  const blob = await findBlob(deps.db, { artifactId: row.id, field: def.name, key });
  if (!blob) throw new NotFound(`blob ${def.name}${key ? `/${key}` : ''} is not set`);
  if (blob.status === 'saving') throw new Conflict(`blob ${def.name}${key ? `/${key}` : ''} is still being uploaded`);
  await deleteBlobRow(deps.db, blob.id);
  if (!blob.external && blob.store) await releaseBytes(deps, deps.blobs.byName(blob.store), blob);
}

/** Removes the bytes from their store unless another blob row still uses them. */
export async function releaseBytes(
  deps: Pick<Deps, 'db' | 'log'>,
  named: NamedStore,
  bytes: { locator: string | null; sha256: string | null },
): Promise<boolean> {
  if (!bytes.locator) return false;
  const locator = bytes.locator;
  try {
    return await deps.db.transaction(async (tx) => {
      await lockBytes(tx, named.name, bytes.sha256, locator);
      if (await bytesReferenced(tx, { store: named.name, locator, sha256: bytes.sha256 })) return false;
      await named.store.remove(locator);
      return true;
    });
  } catch (err) {
    // The artifact is already gone; the scrub job removes what could not be removed now.
    deps.log.warn({ err, store: named.name, locator }, 'could not remove blob bytes; the scrub job will retry');
    return false;
  }
}

/** Bytes of every stored blob of the given rows (for deleting an artifact). */
export async function releaseBlobRows(deps: Pick<Deps, 'db' | 'log' | 'blobs'>, rows: readonly BlobRow[]): Promise<void> {
  for (const b of rows) {
    if (b.external || !b.store) continue;
    let named: NamedStore;
    try {
      named = deps.blobs.byName(b.store);
    } catch (err) {
      deps.log.warn({ err, store: b.store }, 'blob store no longer configured; bytes left in place');
      continue;
    }
    await releaseBytes(deps, named, b);
  }
}

