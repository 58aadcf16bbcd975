/**
 * @module Reading an uploaded zip (a Murano package, a TOSCA CSAR) where it is stored, through
 * byte ranges of the blob: nothing is extracted to disk and nothing is read whole. The central
 * directory is checked before any entry is read: too many entries, paths escaping the archive
 * (zip slip), or declared sizes that make a bomb (in total, or by compression ratio) refuse the
 * upload. Entries are read one at a time, each up to a bound, and yauzl checks that an entry
 * inflates to no more than it declares, so a lying header cannot get past the limits either.
 */
import { PassThrough, pipeline, type Readable } from 'node:stream';
import yauzl from 'yauzl';
import type { BlobInfo } from '../artifacts/artifact.js';
import type { HookContext } from '../artifacts/artifact-type.js';
import type { ByteRange } from '../blobs/blob-store.js';
import { readBounded } from './bounded-read.js';

export interface ZipLimits {
  maxEntries: number;
  /** The most bytes all entries may declare together, uncompressed. */
  maxTotalBytes: number;
  /** The highest uncompressed/compressed ratio of an entry larger than `ratioFloorBytes`. */
  maxRatio: number;
  /** Entries this small may compress as well as they like (a page of spaces is no bomb). */
  ratioFloorBytes: number;
}

export const PACKAGE_ZIP_LIMITS: ZipLimits = {
  maxEntries: 10_000,
  maxTotalBytes: 1024 ** 3,
  maxRatio: 100,
  ratioFloorBytes: 1024 ** 2,
};

/** yauzl's reader over byte ranges of a stored blob (`end` exclusive, as yauzl gives it). */
class BlobRangeReader extends yauzl.RandomAccessReader {
  /** A failure of the store itself, as opposed to a malformed archive. */
  storeError: Error | undefined;

  constructor(private readonly open: (range: ByteRange) => Promise<Readable>) {
    super();
  }

  override _readStreamForRange(start: number, end: number): Readable {
    const out = new PassThrough();
    if (end <= start) {
      out.end();
      return out;
    }
    this.open({ start, end: end - 1 }).then(
      (source) => pipeline(source, out, () => {}),
      (err: Error) => {
        this.storeError = err;
        out.destroy(err);
      },
    );
    return out;
  }
}

export interface ZipArchive {
  /** Every entry's path (directories end with "/"). */
  readonly names: readonly string[];
  has(name: string): boolean;
  /** The entry's text (UTF-8), refused when it declares more than `maxBytes`. */
  readText(name: string, maxBytes: number): Promise<string>;
  close(): void;
}

/**
 * Opens the zip stored as `blob` and checks its central directory against `limits`; refuses
 * (400, through `ctx`) what is not a zip or breaks a limit. `what` names the archive in messages.
 */
export async function openZip(ctx: HookContext, blob: BlobInfo, what: string, limits: ZipLimits = PACKAGE_ZIP_LIMITS): Promise<ZipArchive> {
  const reader = new BlobRangeReader((range) => ctx.openBlob(blob, range));
  const refuseOrThrow = (err: Error): never => {
    if (reader.storeError) throw reader.storeError;
    const escaping = /^(absolute path|invalid relative path): (.*)$/s.exec(err.message);
    if (escaping) ctx.refuse(`${what} holds a path that escapes the archive: "${escaping[2]!.slice(0, 200)}"`);
    ctx.refuse(`${what} is not a readable zip archive: ${err.message.slice(0, 200)}`);
  };

  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.fromRandomAccessReader(reader, blob.size ?? 0, { lazyEntries: true, autoClose: false, validateEntrySizes: true }, (err, z) =>
      err ? reject(err) : resolve(z),
    ),
  ).catch(refuseOrThrow);

  try {
    if (zip.entryCount > limits.maxEntries) ctx.refuse(`${what} has ${zip.entryCount} entries; at most ${limits.maxEntries} are accepted`);
    const entries = await new Promise<Map<string, yauzl.Entry>>((resolve, reject) => {
      const found = new Map<string, yauzl.Entry>();
      let total = 0;
      zip.on('error', reject);
      zip.on('end', () => resolve(found));
      zip.on('entry', (entry: yauzl.Entry) => {
        total += entry.uncompressedSize;
        const ratio = entry.uncompressedSize / Math.max(entry.compressedSize, 1);
        if (entry.uncompressedSize > limits.ratioFloorBytes && ratio > limits.maxRatio) {
          reject(new ZipBomb(`${what}: entry "${entry.fileName.slice(0, 200)}" would inflate ${Math.round(ratio)} times (${entry.uncompressedSize} bytes); at most ${limits.maxRatio} times is accepted`));
        } else if (total > limits.maxTotalBytes) {
          reject(new ZipBomb(`${what} would inflate to more than ${limits.maxTotalBytes} bytes`));
        } else {
          found.set(entry.fileName, entry);
          zip.readEntry();
        }
      });
      zip.readEntry();
    }).catch((err: Error) => (err instanceof ZipBomb ? ctx.refuse(err.message) : refuseOrThrow(err)));

    return {
      names: [...entries.keys()],
      has: (name) => entries.has(name),
      async readText(name, maxBytes) {
        const entry = entries.get(name);
        if (!entry) ctx.refuse(`${what} has no ${name}`);
        if (entry.uncompressedSize > maxBytes) ctx.refuse(`${what}: ${name} is ${entry.uncompressedSize} bytes; at most ${maxBytes} are accepted`);
        const stream = await new Promise<Readable>((resolve, reject) => zip.openReadStream(entry, (err, s) => (err ? reject(err) : resolve(s)))).catch(refuseOrThrow);
        const bytes = await readBounded(stream, maxBytes).catch(refuseOrThrow);
        if (!bytes) ctx.refuse(`${what}: ${name} inflates to more than ${maxBytes} bytes`);
        return bytes.toString('utf8');
      },
      close: () => zip.close(),
    };
  } catch (err) {
    zip.close();
    throw err;
  }
}

class ZipBomb extends Error {}
