/**
 * @module Reading a bounded amount of a stream: what a type hook needs of uploaded bytes (a
 * template, a manifest, a header) without ever holding more than it asked for.
 */
import type { Readable } from 'node:stream';
import type { BlobInfo } from '../artifacts/artifact.js';
import type { HookContext } from '../artifacts/artifact-type.js';

/** The stream's bytes, or undefined (and the stream destroyed) once it gives more than `maxBytes`. */
export async function readBounded(stream: Readable, maxBytes: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let held = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      held += chunk.length;
      if (held > maxBytes) return undefined;
      chunks.push(chunk);
    }
  } finally {
    stream.destroy();
  }
  return Buffer.concat(chunks, held);
}

/** Up to `length` bytes of a stored blob from `start` (fewer where the blob ends sooner). */
export async function readBlobRange(ctx: HookContext, blob: BlobInfo, start: number, length: number): Promise<Buffer> {
  const end = Math.min(start + length, blob.size ?? 0) - 1;
  if (end < start) return Buffer.alloc(0);
  return (await readBounded(await ctx.openBlob(blob, { start, end }), end - start + 1)) ?? Buffer.alloc(0);
}
