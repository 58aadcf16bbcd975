/**
 * @module The one place blob bytes are hashed: md5, sha1 and sha256 in one streaming pass, a size
 * limit enforced as bytes arrive, and the client's expected digests checked before the stream is
 * allowed to end cleanly, so a store never commits bytes that fail.
 */
import { createHash, type Hash } from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { BlobKey, BlobStore } from './blob-store.js';

export class BlobTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`more than ${limit} bytes`);
    this.name = 'BlobTooLarge';
  }
}

export class ChecksumMismatch extends Error {
  constructor(
    readonly digest: 'md5' | 'sha256',
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`${digest} is ${actual}, the request said ${expected}`);
    this.name = 'ChecksumMismatch';
  }
}

export interface ExpectedDigests {
  /** As HTTP's Content-MD5: base64 of the 16 bytes. */
  md5Base64?: string;
  sha256Hex?: string;
}

export interface Digests {
  bytes: number;
  md5: string;
  sha1: string;
  sha256: string;
}

/** A pass-through that hashes, counts and checks. `digests` resolves at a clean end. */
export class MultiHash extends Transform {
  private readonly md5: Hash = createHash('md5');
  private readonly sha1: Hash = createHash('sha1');
  private readonly sha256: Hash = createHash('sha256');
  private bytes = 0;
  readonly digests: Promise<Digests>;
  private settle!: { resolve(d: Digests): void; reject(e: Error): void };

  constructor(
    private readonly maxBytes: number,
    private readonly expected: ExpectedDigests = {},
    /** Runs after verification and before the end is passed on (see writeHashed). */
    private readonly beforeEnd?: (d: Digests) => Promise<void>,
  ) {
    super();
    this.digests = new Promise((resolve, reject) => (this.settle = { resolve, reject }));
    this.digests.catch(() => {}); // observed through the stream's error as well
    this.once('error', (err) => this.settle.reject(err));
    this.once('close', () => this.settle.reject(new Error('the stream closed before it ended')));
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) return done(new BlobTooLarge(this.maxBytes));
    this.md5.update(chunk);
    this.sha1.update(chunk);
    this.sha256.update(chunk);
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    const md5 = this.md5.digest();
    const digests: Digests = { bytes: this.bytes, md5: md5.toString('hex'), sha1: this.sha1.digest('hex'), sha256: this.sha256.digest('hex') };
    const { md5Base64, sha256Hex } = this.expected;
    if (md5Base64 !== undefined && md5Base64 !== md5.toString('base64')) return done(new ChecksumMismatch('md5', md5Base64, md5.toString('base64')));
    if (sha256Hex !== undefined && sha256Hex.toLowerCase() !== digests.sha256) return done(new ChecksumMismatch('sha256', sha256Hex, digests.sha256));
    const finish = this.beforeEnd ? this.beforeEnd(digests) : Promise.resolve();
    finish.then(
      () => {
        this.settle.resolve(digests);
        done();
      },
      (err: Error) => done(err),
    );
  }
}

export interface WriteHashedOptions {
  key: BlobKey;
  signal: AbortSignal;
  maxBytes: number;
  contentType?: string;
  expected?: ExpectedDigests;
  /**
   * Awaited once the bytes are known good and before the store may put them in place (a
   * content-addressed store awaits the sha256 first): the catalog records what it is about to
   * store here.
   */
  beforeCommit?: (sha256: string) => Promise<void>;
}

/** Streams `body` into `store` through the hasher; resolves when the object is durable. */
export async function writeHashed(store: BlobStore, body: Readable, opts: WriteHashedOptions): Promise<Digests & { locator: string }> {
  const hasher = new MultiHash(opts.maxBytes, opts.expected, opts.beforeCommit ? (d) => opts.beforeCommit!(d.sha256) : undefined);
  const sha256 = hasher.digests.then((d) => d.sha256);
  sha256.catch(() => {});
  // If the store gives up, nobody reads the hasher any more: destroy it so the pipeline ends too.
  const writing = store.write(hasher, { key: opts.key, signal: opts.signal, contentType: opts.contentType, sha256 }).catch((err: unknown) => {
    hasher.destroy(err as Error);
    throw err;
  });
  // Wait for both sides, so that a failed store has finished cleaning up before we answer.
  const [stored, piped] = await Promise.allSettled([writing, pipeline(body, hasher, { signal: opts.signal })]);
  if (piped.status === 'rejected') throw piped.reason;
  if (stored.status === 'rejected') throw stored.reason;
  const digests = await hasher.digests;
  return { ...digests, locator: stored.value.locator, bytes: stored.value.bytes };
}
