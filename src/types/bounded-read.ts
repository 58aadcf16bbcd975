/**
 * @module Reading a bounded amount of a stream: what a type hook needs of uploaded bytes (a
 * template, a manifest, a header) without ever holding more than it asked for.
 */
import type { Readable } from 'node:stream';

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
