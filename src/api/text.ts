/**
 * @module Text the catalog can store: PostgreSQL refuses NUL characters in text and JSON, and a
 * lone UTF-16 surrogate is no character at all. Both are refused at the edge with the place they
 * were found, never stored, never silently replaced.
 */
import { BadRequest } from '../errors.js';

// A high surrogate not followed by a low one, or a low surrogate not preceded by a high one.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** JSON nesting deeper than this is no artifact field: refused before anything recurses into it. */
const MAX_JSON_DEPTH = 32;

export function isStorableText(text: string): boolean {
  return !text.includes('\0') && !LONE_SURROGATE.test(text);
}

/** Refuses `text` (named `what`) when it holds a NUL or a lone surrogate. */
export function assertStorableText(text: string, what: string): void {
  if (!isStorableText(text)) throw new BadRequest(`${what} holds a NUL character or an unpaired UTF-16 surrogate`);
}

/**
 * Walks a parsed JSON value without recursion: every key and string must be storable, and the
 * nesting at most MAX_JSON_DEPTH deep. The message names the path of the first problem.
 */
export function assertStorableJson(value: unknown, what: string): void {
  const stack: Array<{ value: unknown; path: string; depth: number }> = [{ value, path: '', depth: 0 }];
  while (stack.length > 0) {
    const { value: v, path, depth } = stack.pop()!;
    const here = path ? `${what} at ${path}` : what;
    if (typeof v === 'string') assertStorableText(v, here);
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= MAX_JSON_DEPTH) throw new BadRequest(`${here} nests deeper than ${MAX_JSON_DEPTH} levels`);
    if (Array.isArray(v)) v.forEach((item, i) => stack.push({ value: item, path: `${path}/${i}`, depth: depth + 1 }));
    else {
      for (const [key, item] of Object.entries(v)) {
        assertStorableText(key, `${here}: a key`);
        stack.push({ value: item, path: `${path}/${key.slice(0, 60)}`, depth: depth + 1 });
      }
    }
  }
}
