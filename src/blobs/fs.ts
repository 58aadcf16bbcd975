/**
 * @module The filesystem store (the embedded default): content addressed by sha256, so identical
 * bytes are stored once. Bytes stream into a temporary file and are renamed into place, atomically,
 * only once the digest is known and verified; nothing half-written is ever at a locator.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, unlink, type FileHandle } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BlobMissing, drained, StoreFull, type BlobKey, type BlobStore, type ByteRange, type ListedObject, type StoredObject, type WriteOptions } from './blob-store.js';

const SEND_CHUNK = 1024 * 1024;
/** Bytes gathered before one write to a file (one writev of the chunks as they came). */
const WRITE_BATCH = 1024 * 1024;
/** Bytes written between the flushes to disk started while a file is still being written. */
const FLUSH_EVERY = 64 * 1024 * 1024;

const LOCATOR = /^sha256\/[0-9a-f]{2}\/[0-9a-f]{2}\/[0-9a-f]{64}$/;
/** `tmp/<base64url of the writer's key>.<uuid>`; files from before writers were named lack the key. */
const TMP_LOCATOR = /^tmp\/(?:([A-Za-z0-9_-]{1,200})\.)?[0-9a-f-]{36}$/;

/** A temporary file's name says which write it belongs to (when the key is short enough). */
function tmpLocatorFor(key: BlobKey): string {
  const writer = Buffer.from(key).toString('base64url');
  return writer.length <= 200 ? `tmp/${writer}.${randomUUID()}` : `tmp/${randomUUID()}`;
}

function writerOf(locator: string): BlobKey | undefined {
  const encoded = TMP_LOCATOR.exec(locator)?.[1];
  return encoded === undefined ? undefined : (Buffer.from(encoded, 'base64url').toString() as BlobKey);
}

/**
 * Writes a stream into an open file in batches of about WRITE_BATCH bytes, each one writev of the
 * chunks as they came (no copy), fsyncs it at the end and closes it when done or destroyed. A
 * write stream writes each chunk as it arrives while the disk keeps up: at a socket's 64 KiB per
 * read, 16 writes per MiB, each a round trip through libuv's thread pool that the event loop pays
 * for. Every FLUSH_EVERY bytes a flush to disk starts in the background (fdatasync, not awaited),
 * so the fsync at the end finds little left to write: the disk works while the bytes still arrive.
 */
class BatchedFileWriter extends Writable {
  private batch: Buffer[] = [];
  private batched = 0;
  bytesWritten = 0;
  private flushedUpTo = 0;
  private flushing: Promise<void> | undefined;
  /** A background flush's failure: an error reported once to this descriptor is not reported again by the fsync at the end. */
  private flushFailure: Error | undefined;

  constructor(private readonly handle: FileHandle) {
    // The next batch gathers while one is written: at most about two batches are held.
    super({ highWaterMark: WRITE_BATCH });
  }

  private flush(done: (err?: Error | null) => void): void {
    const buffers = this.batch;
    const bytes = this.batched;
    this.batch = [];
    this.batched = 0;
    if (bytes === 0) return done();
    this.writeAll(buffers).then(() => {
      this.bytesWritten += bytes;
      if (!this.flushing && this.bytesWritten - this.flushedUpTo >= FLUSH_EVERY) this.flushToDisk();
      done();
    }, done);
  }

  private flushToDisk(): void {
    const upTo = this.bytesWritten;
    this.flushing = this.handle.datasync().then(
      () => {
        this.flushedUpTo = upTo;
        this.flushing = undefined;
      },
      (err: Error) => {
        this.flushFailure = err;
      },
    );
  }

  /** A write that stops short (the disk filled up during it) is followed by one of the rest, which fails with the reason. */
  private async writeAll(buffers: Buffer[]): Promise<void> {
    let rest = buffers;
    while (rest.length > 0) {
      let { bytesWritten } = await this.handle.writev(rest);
      if (bytesWritten === 0) throw new Error('the file took no bytes');
      let first = 0;
      while (first < rest.length && bytesWritten >= rest[first]!.length) bytesWritten -= rest[first++]!.length;
      rest = rest.slice(first);
      if (bytesWritten > 0) rest[0] = rest[0]!.subarray(bytesWritten);
    }
  }

  private add(chunks: readonly Buffer[], done: (err?: Error | null) => void): void {
    for (const chunk of chunks) {
      this.batch.push(chunk);
      this.batched += chunk.length;
    }
    if (this.batched >= WRITE_BATCH) this.flush(done);
    else done();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (err?: Error | null) => void): void {
    this.add([chunk], done);
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, done: (err?: Error | null) => void): void {
    this.add(chunks.map((c) => c.chunk), done);
  }

  override _final(done: (err?: Error | null) => void): void {
    this.flush((err) => {
      if (err) return done(err);
      Promise.resolve(this.flushing)
        .then(() => {
          if (this.flushFailure) throw this.flushFailure;
          return this.handle.sync();
        })
        .then(() => done(), done);
    });
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    this.handle.close().then(
      () => done(err),
      (closeErr: Error) => done(err ?? closeErr),
    );
  }
}

export class FsBlobStore implements BlobStore {
  readonly kind = 'fs' as const;

  constructor(readonly root: string) {}

  private path(locator: string): string {
    // Locators are ours, but they come back from the database: never let one leave the root.
    if (!LOCATOR.test(locator) && !TMP_LOCATOR.test(locator)) throw new Error(`not a filesystem blob locator: ${locator.slice(0, 80)}`);
    return join(this.root, locator);
  }

  async write(body: Readable, opts: WriteOptions): Promise<StoredObject> {
    const tmpLocator = tmpLocatorFor(opts.key);
    const tmpPath = this.path(tmpLocator);
    await mkdir(join(this.root, 'tmp'), { recursive: true });
    // Open before streaming, so that cleaning up after a failure never races the file's creation.
    const handle = await open(tmpPath, 'wx');
    try {
      const out = new BatchedFileWriter(handle);
      await pipeline(body, out, { signal: opts.signal }); // fsyncs and closes the handle
      const sha256 = await opts.sha256;
      const locator = `sha256/${sha256.slice(0, 2)}/${sha256.slice(2, 4)}/${sha256}`;
      const finalPath = this.path(locator);
      await mkdir(join(finalPath, '..'), { recursive: true });
      // Renaming over an existing copy of the same bytes keeps one file, and puts the bytes
      // back should a concurrent removal have taken them in between.
      await rename(tmpPath, finalPath);
      return { locator, bytes: out.bytesWritten };
    } catch (err) {
      await handle.close().catch(() => {});
      await rm(tmpPath, { force: true });
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOSPC' || code === 'EDQUOT') throw new StoreFull(`no space left on its filesystem (${code})`); // the path stays out of answers
      throw err;
    }
  }

  async read(locator: string, opts: { range?: ByteRange; signal?: AbortSignal } = {}): Promise<Readable> {
    const path = this.path(locator);
    try {
      await stat(path);
    } catch {
      throw new BlobMissing(locator);
    }
    return createReadStream(path, { ...(opts.range ? { start: opts.range.start, end: opts.range.end } : {}), signal: opts.signal, highWaterMark: 1024 * 1024 });
  }

  /**
   * Sends through three reused 1 MiB buffers, reading the next one while the socket takes the
   * last. A read stream allocates a fresh buffer per read instead, and on a node with a real heap
   * the garbage collections that this much external memory sets off cost more than the copying:
   * downloads ran at 0.9 GiB/s that way, and at the socket's pace this way (bench/README.md).
   */
  async openSender(locator: string, opts: { range?: ByteRange; keepOpen?: boolean } = {}): Promise<(out: Writable) => Promise<void>> {
    let handle: FileHandle;
    try {
      handle = await open(this.path(locator), 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new BlobMissing(locator);
      throw err;
    }
    return async (out) => {
      try {
        const end = opts.range ? opts.range.end + 1 : (await handle.stat()).size;
        let position = opts.range?.start ?? 0;
        const free: Buffer[] = [];
        const readNext = async (): Promise<{ buffer: Buffer; bytes: number } | undefined> => {
          if (position >= end) return undefined;
          const buffer = free.pop() ?? Buffer.allocUnsafeSlow(SEND_CHUNK);
          const { bytesRead } = await handle.read(buffer, 0, Math.min(SEND_CHUNK, end - position), position);
          if (bytesRead === 0) throw new Error(`blob ${locator} is shorter than recorded`);
          position += bytesRead;
          return { buffer, bytes: bytesRead };
        };
        let next = readNext();
        for (let chunk = await next; chunk; chunk = await next) {
          next = readNext();
          const { buffer } = chunk;
          if (!out.write(buffer.subarray(0, chunk.bytes), () => free.push(buffer))) await drained(out);
        }
        if (!opts.keepOpen) out.end();
      } finally {
        await handle.close();
      }
    };
  }

  async stat(locator: string): Promise<{ bytes: number } | undefined> {
    try {
      return { bytes: (await stat(this.path(locator))).size };
    } catch {
      return undefined;
    }
  }

  async remove(locator: string): Promise<void> {
    try {
      await unlink(this.path(locator));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }

  async *list(): AsyncIterable<ListedObject> {
    for (const top of ['sha256', 'tmp']) {
      yield* this.walk(join(this.root, top));
    }
  }

  private async *walk(dir: string): AsyncIterable<ListedObject> {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) yield* this.walk(path);
      else if (entry.isFile()) {
        const info = await stat(path).catch(() => undefined);
        if (!info) continue;
        const locator = relative(this.root, path).split('\\').join('/');
        const writer = writerOf(locator);
        yield { locator, bytes: info.size, modifiedAt: info.mtime, ...(writer ? { writer } : {}) };
      }
    }
  }
}
