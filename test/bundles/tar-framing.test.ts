/**
 * The bundle's tar framing (src/bundles/tar.ts) writes the headers tar-stream's pack writes, byte
 * for byte: export writes them by hand so blob bytes can go from the store into the socket
 * directly, and every reader of tar-stream's bundles must read these the same way.
 */
import tar from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { END_OF_ARCHIVE, fileHeader, padding } from '../../src/bundles/tar.js';

/** The header tar-stream's pack writes for an entry, taken from the start of its output. */
async function packedHeader(name: string, size: number, mtime: Date): Promise<Buffer> {
  const pack = tar.pack();
  const header = new Promise<Buffer>((resolve) => pack.once('data', (chunk: unknown) => resolve(Buffer.from(chunk as Buffer))));
  pack.entry({ name, size, mtime, mode: 0o644 });
  const bytes = await header;
  pack.destroy();
  return bytes.subarray(0, 512);
}

describe('tar framing', () => {
  const mtime = new Date('2026-12-05T12:34:56.789Z');

  it.each([
    ['manifest.json', 1234],
    [`blobs/${'ab'.repeat(32)}`, 0],
    [`blobs/${'0f'.repeat(32)}`, 512],
    [`blobs/${'9c'.repeat(32)}`, 256 * 1024 * 1024 + 7],
    // Past 8 GiB the size no longer fits 11 octal digits: base-256, as GNU tar writes it.
    [`blobs/${'e1'.repeat(32)}`, 9 * 1024 ** 3 + 1],
  ])('writes the header tar-stream writes for %s of %d bytes', async (name, size) => {
    expect(fileHeader(name, size, mtime).equals(await packedHeader(name, size, mtime))).toBe(true);
  });

  it('pads data to whole blocks and ends with two zero blocks', () => {
    expect(padding(0).length).toBe(0);
    expect(padding(1).length).toBe(511);
    expect(padding(512).length).toBe(0);
    expect(padding(513).length).toBe(511);
    expect(END_OF_ARCHIVE.equals(Buffer.alloc(1024))).toBe(true);
  });

  it('refuses names a plain ustar header cannot hold', () => {
    expect(() => fileHeader('x'.repeat(101), 1, mtime)).toThrow(/1-100 printable ASCII/);
    expect(() => fileHeader('blobs/é', 1, mtime)).toThrow(/printable ASCII/);
  });
});
