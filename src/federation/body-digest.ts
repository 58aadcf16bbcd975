/**
 * @module Streamed bodies between nodes. A body too large to hold (a submitted bundle: GiBs) cannot
 * be digested before its request is authenticated, so the sender declares its SHA-256 in
 * `Content-Digest` (RFC 9530: `sha-256=:<base64>:`), the node token binds that digest (`bdg`), and
 * the receiver hashes the bytes as they pass and fails the stream at its end when they differ.
 * The consumer (an all-or-nothing import) waits for `verified` before it commits anything.
 */
import { createHash } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import { BadRequest, Unauthenticated } from '../errors.js';

export const CONTENT_DIGEST_HEADER = 'content-digest';

/** `Content-Digest` for a base64url SHA-256. */
export function contentDigestHeader(digest: string): string {
  return `sha-256=:${Buffer.from(digest, 'base64url').toString('base64')}:`;
}

/** The base64url SHA-256 a `Content-Digest` header declares (400 when it declares none). */
export function parseContentDigest(header: string | undefined): string {
  const match = header && /(?:^|,)\s*sha-256=:([A-Za-z0-9+/]{43}=):\s*(?:,|$)/.exec(header);
  if (!match) throw new BadRequest('a streamed body needs Content-Digest: sha-256=:<base64 SHA-256 of the body>:');
  return Buffer.from(match[1]!, 'base64').toString('base64url');
}

/** Hashes a stream: the base64url SHA-256 and the byte count of everything it carries. */
export async function digestOf(source: Readable): Promise<{ digest: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of source as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { digest: hash.digest('base64url'), size };
}

/**
 * `source` passed through a SHA-256: the stream fails at its end, and `verified` rejects, when
 * the bytes are not those of `expected` (base64url).
 */
export function digestChecked(source: Readable, expected: string): { stream: Readable; verified: Promise<void> } {
  const hash = createHash('sha256');
  let settle!: { resolve: () => void; reject: (err: Error) => void };
  const verified = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  verified.catch(() => undefined); // the stream's error reaches the consumer too
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      callback(null, chunk);
    },
    flush(callback) {
      if (hash.digest('base64url') === expected) {
        settle.resolve();
        callback();
        return;
      }
      const err = new Unauthenticated('the body is not the one the node token was signed for (its SHA-256 differs from Content-Digest); nothing was kept');
      settle.reject(err);
      callback(err);
    },
  });
  source.on('error', (err) => {
    settle.reject(err);
    stream.destroy(err);
  });
  stream.on('close', () => settle.reject(new BadRequest('the body ended before it was read whole')));
  source.pipe(stream);
  return { stream, verified };
}
