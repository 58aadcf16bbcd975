/**
 * @module The storage contract every blob backend (filesystem, S3, Swift) implements.
 *
 * Backends only move bytes. Hashing, size limits, expected-checksum checks and the
 * saving → active transition are decided elsewhere, once (digest.ts and the artifacts domain).
 */
import type { Readable, Writable } from 'node:stream';

/** Where we would like an object to live: built by us (`<type>/<artifactId>/<blobId>`), never from input. */
export type BlobKey = string & { readonly __brand: 'BlobKey' };

/** The key an upload of a blob row writes under. */
export function uploadKey(typeName: string, artifactId: string, blobId: string): BlobKey {
  return `${typeName}/${artifactId}/${blobId}` as BlobKey;
}

/** An inclusive byte range, as in HTTP Range. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface WriteOptions {
  /** The key the caller suggests. A content-addressed backend may ignore it. */
  key: BlobKey;
  signal: AbortSignal;
  contentType?: string;
  /**
   * Resolves with the hex sha256 of the bytes once `body` has ended cleanly (and was verified);
   * rejects if hashing or verification fails. A content-addressed backend awaits it to learn
   * where the bytes belong; others may ignore it.
   */
  sha256: Promise<string>;
}

export interface StoredObject {
  /** Opaque, backend-specific address of the bytes; what the catalog records. */
  locator: string;
  bytes: number;
}

export interface ListedObject extends StoredObject {
  modifiedAt: Date;
  /**
   * For what a write leaves while it runs (a temporary file, segments without their manifest):
   * the key that write was given, so the scrub can tell a running upload's bytes from leftovers.
   */
  writer?: BlobKey;
}

export interface BlobStore {
  readonly kind: 'fs' | 's3' | 'swift';
  /**
   * Reads `body` to the end and resolves when the object is durable. If `body` errors, the signal
   * aborts or `sha256` rejects, it rejects and nothing stays visible (no partial object at the locator).
   */
  write(body: Readable, opts: WriteOptions): Promise<StoredObject>;
  /** Rejects with BlobMissing if absent. The caller must consume or destroy the stream. */
  read(locator: string, opts?: { range?: ByteRange; signal?: AbortSignal }): Promise<Readable>;
  /**
   * Where a backend can do better than `read` for a download straight to a socket: opens the
   * object (rejecting with BlobMissing if absent) and returns the function that writes it (or the
   * range) into `out` and ends `out` (unless `keepOpen`: a bundle writes its next entry after
   * it). Call it exactly once: it releases what was opened. `out` must be the socket's own
   * writable (a ServerResponse): the sender reuses a buffer once `out` reports it written.
   */
  openSender?(locator: string, opts?: { range?: ByteRange; keepOpen?: boolean }): Promise<(out: Writable) => Promise<void>>;
  stat(locator: string): Promise<{ bytes: number } | undefined>;
  /** Idempotent: removing an absent object succeeds. */
  remove(locator: string): Promise<void>;
  /** Every stored object (including leftovers of interrupted writes), for the scrub job. */
  list(): AsyncIterable<ListedObject>;
  /** A short-lived URL a client may fetch directly (S3 presign, Swift temp URL), where supported. */
  directUrl?(locator: string, ttlSeconds: number): Promise<URL>;
  /** Releases sockets and timers. */
  close?(): Promise<void>;
}

/** Resolves once `out` wants more; rejects if it closes or fails first (the client went away). */
export function drained(out: Writable): Promise<void> {
  // Closed already: its 'close' has been and gone.
  if (out.destroyed) return Promise.reject(new Error('the connection closed before the bytes were sent'));
  return new Promise((resolve, reject) => {
    const settle = (err?: Error) => {
      out.off('drain', onDrain).off('close', onClose).off('error', settle);
      if (err) reject(err);
      else resolve();
    };
    const onDrain = () => settle();
    const onClose = () => settle(new Error('the connection closed before the bytes were sent'));
    out.on('drain', onDrain).on('close', onClose).on('error', settle);
  });
}

/** Raised by `write` when the store has no room for the bytes (disk full, quota reached); nothing was kept. */
export class StoreFull extends Error {
  constructor(readonly detail: string) {
    super(`the blob store is full: ${detail}`);
    this.name = 'StoreFull';
  }
}

/** Raised by `read` when the object does not exist. */
export class BlobMissing extends Error {
  constructor(readonly locator: string) {
    super(`blob ${locator} is missing from the store`);
    this.name = 'BlobMissing';
  }
}
