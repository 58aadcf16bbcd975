/**
 * @module Decides who is calling, per the node's auth modes: a bearer token (jwt), headers from a
 * trusted proxy (trusted-headers), or nobody (anonymous). Sets `c.var.actor`.
 */
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../api/env.js';
import type { AuthMode } from '../config/schema.js';
import { Unauthenticated } from '../errors.js';
import { ANONYMOUS } from '../artifacts/actor.js';
import type { JwtVerifier } from './jwt.js';
import { callerFromHeaders } from './trusted-headers.js';

export function authenticate(options: { modes: readonly AuthMode[]; adminRole: string; jwt: JwtVerifier }): MiddlewareHandler<AppEnv> {
  const modes = new Set(options.modes);
  return async function authenticate(c, next) {
    const authorization = c.req.header('authorization');
    if (authorization !== undefined) {
      const [scheme, token] = authorization.split(' ', 2);
      if (scheme?.toLowerCase() !== 'bearer' || !token) throw new Unauthenticated('the Authorization header must be "Bearer <token>"');
      if (!modes.has('jwt')) throw new Unauthenticated('this node does not accept bearer tokens');
      c.set('actor', await options.jwt.verify(token.trim()));
    } else {
      const fromHeaders = modes.has('trusted-headers') ? callerFromHeaders(c.req.raw.headers, options.adminRole) : undefined;
      if (fromHeaders) c.set('actor', fromHeaders);
      else if (modes.has('anonymous')) c.set('actor', ANONYMOUS);
      else throw new Unauthenticated('authentication is required on this node');
    }
    await next();
  };
}
