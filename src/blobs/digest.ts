/**
 * @module The one place blob bytes are hashed: md5, sha1 and sha256 in one streaming pass, a size
 * limit enforced as bytes arrive, and the client's expected digests checked before the stream is
 * allowed to end cleanly, so a store never commits bytes that fail.
 */
import { createHash, type Hash } from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { pipeline } from 'node:stream/promises';
import { StoreFull, type BlobKey, type BlobStore } from './blob-store.js';

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

/**
 * md5 of a stream on a worker thread, so that a large upload is hashed on two cores: md5 is the
 * slowest of the three digests (about as costly as sha1 and sha256 together where the CPU has SHA
 * instructions), so it goes to the worker and sha1 and sha256 stay on the event loop. Bytes are
 * copied into 1 MiB batches (the socket's buffers may be reused, and one message per MiB costs
 * far less than one per chunk); at most `window` bytes wait for the worker, past that the stream
 * waits (backpressure), so memory stays bounded whatever the blob's size.
 */
class SideHasher {
  private static readonly BATCH = 1024 * 1024;
  private readonly worker: Worker;
  /** Batches the worker has handed back; reused, so an upload of any size allocates a few MiB once. */
  private readonly free: Array<Buffer<ArrayBuffer>> = [];
  private batch: Buffer<ArrayBuffer> = Buffer.allocUnsafeSlow(SideHasher.BATCH);
  private filled = 0;
  private outstanding = 0;
  private waiting: (() => void) | undefined;
  private result: ((md5: Buffer) => void) | undefined;
  private failure: Error | undefined;

  constructor(private readonly window = 4 * 1024 * 1024) {
    // Plain JS evaluated in the worker: no TypeScript loader needed there. Each batch goes back
    // to the main thread once hashed; the digest comes back as hex text.
    this.worker = new Worker(
      `const { parentPort } = require('node:worker_threads');
       const hash = require('node:crypto').createHash('md5');
       parentPort.on('message', (bytes) => {
         if (bytes) { hash.update(bytes); parentPort.postMessage(bytes, [bytes.buffer]); }
         else parentPort.postMessage(hash.digest('hex'));
       });`,
      { eval: true, resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 } },
    );
    this.worker.on('message', (m: Uint8Array<ArrayBuffer> | string) => {
      if (typeof m === 'string') return this.result?.(Buffer.from(m, 'hex'));
      this.outstanding -= m.byteLength;
      this.free.push(Buffer.from(m.buffer, 0, SideHasher.BATCH));
      if (this.outstanding <= this.window / 2) this.release();
    });
    this.worker.on('error', (err) => {
      this.failure = err;
      this.release();
    });
  }

  private release() {
    const go = this.waiting;
    this.waiting = undefined;
    go?.();
  }

  private send(): void {
    const bytes = new Uint8Array(this.batch.buffer, this.batch.byteOffset, this.filled);
    this.outstanding += this.filled;
    this.worker.postMessage(bytes, [bytes.buffer]);
    this.batch = this.free.pop() ?? Buffer.allocUnsafeSlow(SideHasher.BATCH);
    this.filled = 0;
  }

  /** Resolves at once, or once the worker has caught up enough. */
  update(chunk: Buffer): Promise<void> | undefined {
    if (this.failure) throw this.failure;
    let offset = 0;
    while (offset < chunk.length) {
      const n = chunk.copy(this.batch, this.filled, offset);
      this.filled += n;
      offset += n;
      if (this.filled === SideHasher.BATCH) this.send();
    }
    if (this.outstanding < this.window) return undefined;
    return new Promise((resolve) => (this.waiting = resolve));
  }

  async digest(): Promise<Buffer> {
    if (this.failure) throw this.failure;
    if (this.filled > 0) this.send();
    const done = new Promise<Buffer>((resolve) => (this.result = resolve));
    this.worker.postMessage(null);
    return done;
  }

  close(): void {
    void this.worker.terminate();
  }
}

/** Uploads of unknown or larger size than this hash on two threads. */
const PARALLEL_HASHING_FROM = 8 * 1024 * 1024;

/** A pass-through that hashes, counts and checks. `digests` resolves at a clean end. */
class MultiHash extends Transform {
  private readonly md5: Hash | undefined;
  private readonly sha1: Hash = createHash('sha1');
  private readonly sha256: Hash = createHash('sha256');
  private readonly side: SideHasher | undefined;
  private bytes = 0;
  readonly digests: Promise<Digests>;
  private settle!: { resolve(d: Digests): void; reject(e: Error): void };

  constructor(
    private readonly maxBytes: number,
    private readonly expected: ExpectedDigests = {},
    /** Runs after verification and before the end is passed on (see writeHashed). */
    private readonly beforeEnd?: (d: Digests) => Promise<void>,
    expectedSize?: number,
  ) {
    super({ highWaterMark: 1024 * 1024 });
    if (expectedSize === undefined || expectedSize > PARALLEL_HASHING_FROM) this.side = new SideHasher();
    else this.md5 = createHash('md5');
    this.digests = new Promise((resolve, reject) => (this.settle = { resolve, reject }));
    this.digests.catch(() => {}); // observed through the stream's error as well
    this.once('error', (err) => this.settle.reject(err));
    this.once('close', () => {
      this.side?.close();
      this.settle.reject(new Error('the stream closed before it ended'));
    });
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) return done(new BlobTooLarge(this.maxBytes));
    this.sha1.update(chunk);
    this.sha256.update(chunk);
    if (this.side) {
      let wait: Promise<void> | undefined;
      try {
        wait = this.side.update(chunk);
      } catch (err) {
        return done(err as Error);
      }
      if (wait) return void wait.then(() => done(null, chunk));
    } else this.md5!.update(chunk);
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    const sha1 = this.sha1.digest('hex');
    const sha256 = this.sha256.digest('hex');
    (this.side ? this.side.digest() : Promise.resolve(this.md5!.digest()))
      .then(async (md5) => {
        const digests: Digests = { bytes: this.bytes, md5: md5.toString('hex'), sha1, sha256 };
        const { md5Base64, sha256Hex } = this.expected;
        if (md5Base64 !== undefined && md5Base64 !== md5.toString('base64')) throw new ChecksumMismatch('md5', md5Base64, md5.toString('base64'));
        if (sha256Hex !== undefined && sha256Hex.toLowerCase() !== sha256) throw new ChecksumMismatch('sha256', sha256Hex, sha256);
        if (this.beforeEnd) await this.beforeEnd(digests);
        return digests;
      })
      .then(
        (digests) => {
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
  /** The declared size, when known: small blobs are hashed on one thread. */
  expectedSize?: number;
}

/** Streams `body` into `store` through the hasher; resolves when the object is durable. */
export async function writeHashed(store: BlobStore, body: Readable, opts: WriteHashedOptions): Promise<Digests & { locator: string }> {
  const hasher = new MultiHash(opts.maxBytes, opts.expected, opts.beforeCommit ? (d) => opts.beforeCommit!(d.sha256) : undefined, opts.expectedSize);
  const sha256 = hasher.digests.then((d) => d.sha256);
  sha256.catch(() => {});
  // If the store gives up, nobody reads the hasher any more: destroy it so the pipeline ends too.
  const writing = store.write(hasher, { key: opts.key, signal: opts.signal, contentType: opts.contentType, sha256 }).catch((err: unknown) => {
    hasher.destroy(err as Error);
    throw err;
  });
  // Wait for both sides, so that a failed store has finished cleaning up before we answer.
  const [stored, piped] = await Promise.allSettled([writing, pipeline(body, hasher, { signal: opts.signal })]);
  // A full store cut the pipeline short: its error, not the pipeline's, says what happened.
  if (stored.status === 'rejected' && stored.reason instanceof StoreFull) throw stored.reason;
  if (piped.status === 'rejected') throw piped.reason;
  if (stored.status === 'rejected') throw stored.reason;
  const digests = await hasher.digests;
  return { ...digests, locator: stored.value.locator, bytes: stored.value.bytes };
}
