/**
 * @module Decides who is calling, per the node's auth modes: a JWT (jwt) in `Authorization:
 * Bearer` or in `X-Auth-Token` (where Glare's clients send their credential, and Glare's Keycloak
 * setup took a JWT), Glare's `user:tenant:roles` token in `X-Auth-Token` (noauth-token), headers
 * from a trusted proxy (trusted-headers), or nobody (anonymous). Sets `c.var.actor`.
 */
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../api/env.js';
import type { AuthMode } from '../config/schema.js';
import { Unauthenticated } from '../errors.js';
import { ANONYMOUS, type Actor } from '../artifacts/actor.js';
import type { JwtVerifier } from './jwt.js';
import { callerFromNoauthToken } from './noauth-token.js';
import { callerFromHeaders } from './trusted-headers.js';

/** A compact JWS: three base64url parts. A noauth token always holds two ':' and so never matches. */
const COMPACT_JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

export function authenticate(options: { modes: readonly AuthMode[]; adminRole: string; jwt: JwtVerifier }): MiddlewareHandler<AppEnv> {
  const modes = new Set(options.modes);

  async function fromAuthToken(token: string): Promise<Actor> {
    if (modes.has('jwt') && COMPACT_JWT.test(token)) return options.jwt.verify(token);
    if (modes.has('noauth-token')) {
      const caller = callerFromNoauthToken(token, options.adminRole);
      if (caller !== 'anonymous') return caller;
      if (modes.has('anonymous')) return ANONYMOUS;
      throw new Unauthenticated('the X-Auth-Token names no tenant, and this node does not allow anonymous access');
    }
    if (modes.has('jwt')) throw new Unauthenticated('X-Auth-Token must be a JWT on this node');
    throw new Unauthenticated('this node does not accept X-Auth-Token credentials');
  }

  return async function authenticate(c, next) {
    const authorization = c.req.header('authorization');
    const authToken = c.req.header('x-auth-token')?.trim();
    if (authorization !== undefined && authToken !== undefined) {
      throw new Unauthenticated('send one credential: Authorization or X-Auth-Token, not both');
    }
    if (authorization !== undefined) {
      const [scheme, token] = authorization.split(' ', 2);
      if (scheme?.toLowerCase() !== 'bearer' || !token) throw new Unauthenticated('the Authorization header must be "Bearer <token>"');
      if (!modes.has('jwt')) throw new Unauthenticated('this node does not accept bearer tokens');
      c.set('actor', await options.jwt.verify(token.trim()));
    } else if (authToken !== undefined) {
      if (authToken === '') throw new Unauthenticated('X-Auth-Token is empty');
      c.set('actor', await fromAuthToken(authToken));
    } else {
      const fromHeaders = modes.has('trusted-headers') ? callerFromHeaders(c.req.raw.headers, options.adminRole) : undefined;
      if (fromHeaders) c.set('actor', fromHeaders);
      else if (modes.has('anonymous')) c.set('actor', ANONYMOUS);
      else throw new Unauthenticated('authentication is required on this node');
    }
    await next();
  };
}
