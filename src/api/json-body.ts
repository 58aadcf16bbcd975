/**
 * @module Reading a JSON (or other text) request body: content type, size limit, syntax, nesting
 * depth and storable text checked at the edge.
 */
import type { Context } from 'hono';
import { BadRequest, PayloadTooLarge, UnsupportedMediaType } from '../errors.js';
import { assertStorableJson } from './text.js';

interface BodyOptions {
  accept: readonly string[];
  limitBytes: number;
}

export async function readJsonBody(c: Context, opts: BodyOptions): Promise<unknown> {
  return (await readJsonBodyBytes(c, opts)).body;
}

/** The same, also giving the bytes as received (for a signature or digest over them). */
export async function readJsonBodyBytes(c: Context, opts: BodyOptions): Promise<{ body: unknown; bytes: Uint8Array }> {
  const { text, bytes } = await readText(c, { ...opts, what: 'JSON' });
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    // A RangeError here is nesting too deep for the parser itself.
    throw new BadRequest(`the body is not valid JSON: ${(err as Error).message}`);
  }
  assertStorableJson(body, 'the body');
  return { body, bytes };
}

/** A text body of one of the `accept`ed types, at most `limitBytes`, not empty. */
export async function readTextBody(c: Context, opts: BodyOptions & { what: string }): Promise<string> {
  return (await readText(c, opts)).text;
}

async function readText(c: Context, opts: BodyOptions & { what: string }): Promise<{ text: string; bytes: Uint8Array }> {
  const contentType = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (contentType === '') throw new BadRequest(`Content-Type must be given: ${opts.accept.join(' or ')}`);
  if (!opts.accept.includes(contentType)) {
    throw new UnsupportedMediaType(`Content-Type must be ${opts.accept.join(' or ')}${contentType ? `, not ${contentType}` : ''}`);
  }
  const declared = Number(c.req.header('content-length') ?? '0');
  if (declared > opts.limitBytes) throw new PayloadTooLarge(`the ${opts.what} body may be at most ${opts.limitBytes} bytes`);
  // A peer's body was read (and its digest checked against the node token) by the authentication.
  const verified = (c.var as { verifiedBody?: Uint8Array }).verifiedBody;
  const bytes = verified ?? (await readLimitedBytes(c.req.raw, opts.limitBytes, opts.what));
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  if (text.trim() === '') throw new BadRequest(`the request body is empty; send ${opts.what}`);
  return { text, bytes };
}

/** A request body of at most `limit` bytes (413 past it), read as it arrives. */
export async function readLimitedBytes(req: Request, limit: number, what = 'JSON'): Promise<Uint8Array> {
  if (!req.body) return new Uint8Array();
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw new PayloadTooLarge(`the ${what} body may be at most ${limit} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

export function requireObject(body: unknown, what: string): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new BadRequest(`${what} must be a JSON object`);
  return body as Record<string, unknown>;
}
