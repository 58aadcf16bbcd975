/**
 * @module Headers that keep a browser from treating what the API serves (JSON, uploaded blobs)
 * as a page: no content sniffing, and a policy that runs nothing and frames nothing. Blob bytes
 * come from uploaders; an HTML or SVG blob opened from the API's origin must stay inert.
 */
import type { Context, MiddlewareHandler } from 'hono';

export const API_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'; sandbox",
};

/** Sets the API's security headers on every response but those of pages (which bring their own). */
export function apiSecurityHeaders(isPage: (c: Context) => boolean): MiddlewareHandler {
  return async function apiSecurityHeaders(c, next) {
    await next();
    if (isPage(c)) {
      c.res.headers.set('X-Content-Type-Options', 'nosniff');
      return;
    }
    for (const [name, value] of Object.entries(API_SECURITY_HEADERS)) c.res.headers.set(name, value);
  };
}
