/**
 * @module The filesystem store (the embedded default): content addressed by sha256, so identical
 * bytes are stored once. Bytes stream into a temporary file and are renamed into place, atomically,
 * only once the digest is known and verified; nothing half-written is ever at a locator.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BlobMissing, type BlobStore, type ByteRange, type ListedObject, type StoredObject, type WriteOptions } from './blob-store.js';

const LOCATOR = /^sha256\/[0-9a-f]{2}\/[0-9a-f]{2}\/[0-9a-f]{64}$/;
const TMP_LOCATOR = /^tmp\/[0-9a-f-]{36}$/;

export class FsBlobStore implements BlobStore {
  readonly kind = 'fs' as const;

  constructor(readonly root: string) {}

  private path(locator: string): string {
    // Locators are ours, but they come back from the database: never let one leave the root.
    if (!LOCATOR.test(locator) && !TMP_LOCATOR.test(locator)) throw new Error(`not a filesystem blob locator: ${locator.slice(0, 80)}`);
    return join(this.root, locator);
  }

  async write(body: Readable, opts: WriteOptions): Promise<StoredObject> {
    const tmpLocator = `tmp/${randomUUID()}`;
    const tmpPath = this.path(tmpLocator);
    await mkdir(join(this.root, 'tmp'), { recursive: true });
    // Open before streaming, so that cleaning up after a failure never races the file's creation.
    const handle = await open(tmpPath, 'wx');
    try {
      const out = handle.createWriteStream({ highWaterMark: 256 * 1024 });
      await pipeline(body, out, { signal: opts.signal }); // closes the handle
      const sha256 = await opts.sha256;
      const synced = await open(tmpPath, 'r');
      try {
        await synced.sync();
      } finally {
        await synced.close();
      }
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
        if (info) yield { locator: relative(this.root, path).split('\\').join('/'), bytes: info.size, modifiedAt: info.mtime };
      }
    }
  }
}
