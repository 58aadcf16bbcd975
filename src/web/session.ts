/**
 * @module Who is using the pages, and the checks every page form passes.
 *
 * Signing in posts a bearer token (the same JWT the API takes); the node verifies it and keeps it
 * in an HttpOnly, SameSite cookie, so page scripts never see it. The cookie stands for the token
 * on the pages and, for reads only (GET/HEAD), on the API too: a signed-in user's download button
 * must fetch a private blob. Writes through the API still need a header credential, so a cookie
 * alone can never change the catalog except through a page form, and every page form carries a
 * CSRF token (a random value kept in a second cookie, echoed in a hidden field) and must come from
 * the node's own origin.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { AppEnv } from '../api/env.js';
import type { JwtVerifier } from '../auth/jwt.js';
import { Forbidden, Unauthenticated } from '../errors.js';

export const SESSION_COOKIE = 'catalog_session';
export const CSRF_COOKIE = 'catalog_csrf';
export const CSRF_FIELD = 'csrf';

/** Tokens are JWTs of a few hundred bytes; cookies past 4 KiB are dropped by browsers anyway. */
const MAX_TOKEN_LENGTH = 4000;

const secure = (c: Context) => new URL(c.req.url).protocol === 'https:';

/** A credential the API's own auth reads, which then takes precedence over the cookie. */
export function hasHeaderCredential(c: Context): boolean {
  return c.req.header('authorization') !== undefined || c.req.header('x-auth-token') !== undefined;
}

/** Verifies `token` and keeps it as the session, for as long as the token is valid. */
export async function signIn(c: Context, jwt: JwtVerifier, token: string, now: Date): Promise<void> {
  const trimmed = token.trim();
  if (trimmed === '') throw new Unauthenticated('paste a token to sign in');
  if (trimmed.length > MAX_TOKEN_LENGTH) throw new Unauthenticated(`a token is at most ${MAX_TOKEN_LENGTH} characters`);
  await jwt.verify(trimmed);
  const exp = tokenExpiry(trimmed);
  const maxAge = exp === undefined ? 3600 : Math.max(1, exp - Math.floor(now.getTime() / 1000));
  setCookie(c, SESSION_COOKIE, trimmed, { httpOnly: true, sameSite: 'Lax', path: '/', secure: secure(c), maxAge });
}

export function signOut(c: Context): void {
  deleteCookie(c, SESSION_COOKIE, { path: '/', secure: secure(c) });
}

/** The token's `exp`, read after verification (which requires the claim). */
function tokenExpiry(token: string): number | undefined {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof payload.exp === 'number' ? payload.exp : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Runs `auth` (the node's modes) unless the request carries no header credential but a session
 * cookie: then the cookie's token is the credential. `methods` limits where the cookie counts.
 * `onStaleCookie` decides what an expired or refused cookie means (the pages forget it; the API
 * says 401).
 */
export function sessionOrAuth(
  options: { auth: MiddlewareHandler<AppEnv>; jwt: JwtVerifier; methods?: ReadonlySet<string>; onStaleCookie: 'forget' | 'refuse' },
): MiddlewareHandler<AppEnv> {
  return async function sessionOrAuth(c, next) {
    const token = getCookie(c, SESSION_COOKIE);
    const applies = token !== undefined && !hasHeaderCredential(c) && (options.methods?.has(c.req.method) ?? true);
    if (!applies) return options.auth(c, next);
    try {
      c.set('actor', await options.jwt.verify(token));
    } catch (err) {
      if (options.onStaleCookie === 'refuse' || !(err instanceof Unauthenticated)) {
        throw err instanceof Unauthenticated ? new Unauthenticated(`the session cookie is no longer valid (${err.message}); sign in again`) : err;
      }
      signOut(c);
      return options.auth(c, next);
    }
    await next();
  };
}

/** The CSRF token of this browser, made (and kept in its cookie) on first use. */
export function csrfToken(c: Context): string {
  const existing = getCookie(c, CSRF_COOKIE);
  if (existing && /^[A-Za-z0-9_-]{43}$/.test(existing)) return existing;
  const made = randomBytes(32).toString('base64url');
  setCookie(c, CSRF_COOKIE, made, { httpOnly: true, sameSite: 'Strict', path: '/', secure: secure(c) });
  return made;
}

/**
 * Refuses a form post that did not come from one of our pages: its hidden token must equal the
 * browser's CSRF cookie, and the Origin (sent by every current browser on a POST) must be ours.
 */
export function checkCsrf(c: Context, submitted: unknown): void {
  const origin = c.req.header('origin');
  if (origin !== undefined && origin !== new URL(c.req.url).origin) throw new Forbidden('this form was posted from another site');
  const cookie = getCookie(c, CSRF_COOKIE);
  if (typeof submitted !== 'string' || cookie === undefined) throw new Forbidden('the form has no CSRF token: reload the page and try again');
  const a = Buffer.from(submitted);
  const b = Buffer.from(cookie);
  if (a.length !== b.length || !timingSafeEqual(a, b)) throw new Forbidden('the form’s CSRF token does not match: reload the page and try again');
}
