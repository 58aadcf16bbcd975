/**
 * @module Reading a JSON request body: content type, size limit, syntax, nesting depth and
 * storable text checked at the edge.
 */
import type { Context } from 'hono';
import { BadRequest, PayloadTooLarge, UnsupportedMediaType } from '../errors.js';
import { assertStorableJson } from './text.js';

export async function readJsonBody(c: Context, opts: { accept: readonly string[]; limitBytes: number }): Promise<unknown> {
  const text = await readTextBody(c, { ...opts, what: 'JSON' });
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    // A RangeError here is nesting too deep for the parser itself.
    throw new BadRequest(`the body is not valid JSON: ${(err as Error).message}`);
  }
  assertStorableJson(body, 'the body');
  return body;
}

/** A text body of one of the `accept`ed types, at most `limitBytes`, not empty, storable. */
export async function readTextBody(c: Context, opts: { accept: readonly string[]; limitBytes: number; what: string }): Promise<string> {
  const contentType = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (contentType === '') throw new BadRequest(`Content-Type must be given: ${opts.accept.join(' or ')}`);
  if (!opts.accept.includes(contentType)) {
    throw new UnsupportedMediaType(`Content-Type must be ${opts.accept.join(' or ')}${contentType ? `, not ${contentType}` : ''}`);
  }
  const declared = Number(c.req.header('content-length') ?? '0');
  if (declared > opts.limitBytes) throw new PayloadTooLarge(`the ${opts.what} body may be at most ${opts.limitBytes} bytes`);
  const text = await readLimited(c.req.raw, opts.limitBytes, opts.what);
  if (text.trim() === '') throw new BadRequest(`the request body is empty; send ${opts.what}`);
  return text;
}

async function readLimited(req: Request, limit: number, what: string): Promise<string> {
  if (!req.body) return '';
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
  return Buffer.concat(chunks).toString('utf8');
}

export function requireObject(body: unknown, what: string): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new BadRequest(`${what} must be a JSON object`);
  return body as Record<string, unknown>;
}
