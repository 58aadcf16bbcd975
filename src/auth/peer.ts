/**
 * @module Requests from peer nodes: a bearer token whose header says `typ: node+jwt` is a node
 * token, verified against the keys pinned for its issuer (src/federation/node-jwt.ts) and bound to
 * this request's method, path and body. The caller becomes the peer actor its enrolment makes it.
 * Node tokens are accepted only on the peer routes under /federation/v1 (not on the admin routes,
 * not on the Glare API); every other request goes to the user authentication.
 *
 * Routes named in `streamedPaths` take bodies too large to hold (submitted bundles): their token
 * binds the digest the request declares in Content-Digest, and the route checks the bytes against
 * it as it reads them (src/federation/body-digest.ts); every other body is read here, up to the
 * limit, and its digest checked before the route runs.
 *
 * A token is refused the second time (its jti, in the replay cache). GET routes named in
 * `earlyReadPaths` only read, so they start while the replay cache records the jti (its round
 * trip overlaps theirs); they are handed that record as `nodeTokenFirstUse`, must await it before
 * asking another node anything, and their answer is let out only once it is confirmed. Every other
 * route runs after.
 */
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../api/env.js';
import { readLimitedBytes } from '../api/json-body.js';
import { Unauthenticated } from '../errors.js';
import { CONTENT_DIGEST_HEADER, parseContentDigest } from '../federation/body-digest.js';
import type { FederationDeps } from '../federation/federation.js';
import { looksLikeNodeJwt } from '../federation/node-jwt.js';
import { authenticatePeer } from '../federation/peers.js';

const PEER_PREFIX = '/federation/v1/';
const ADMIN_PREFIX = '/federation/v1/admin/';

export function peerOrUserAuthentication(
  fd: FederationDeps,
  userAuth: MiddlewareHandler<AppEnv>,
  opts: { bodyLimitBytes: number; streamedPaths: ReadonlySet<string>; earlyReadPaths: ReadonlySet<string> },
): MiddlewareHandler<AppEnv> {
  return async function authenticatePeerOrUser(c, next) {
    const authorization = c.req.header('authorization');
    const token = authorization?.startsWith('Bearer ') ? authorization.slice(7).trim() : undefined;
    if (!token || !looksLikeNodeJwt(token)) return userAuth(c, next);
    const path = c.req.path;
    if (!path.startsWith(PEER_PREFIX) || path.startsWith(ADMIN_PREFIX)) {
      throw new Unauthenticated('node tokens are accepted only on the peer routes under /federation/v1');
    }
    const url = new URL(c.req.url);
    const target = `${url.pathname}${url.search}`;
    if (c.req.method === 'GET' && opts.earlyReadPaths.has(path)) {
      const { actor, firstUse } = await authenticatePeer(fd, token, { method: 'GET', path: target });
      c.set('actor', actor);
      c.set('nodeTokenFirstUse', firstUse);
      try {
        await next();
      } finally {
        // A replayed token is refused here whatever the route answered (the refusal replaces it).
        await firstUse;
      }
      return;
    }
    const hasBody = c.req.method !== 'GET' && c.req.method !== 'HEAD';
    if (hasBody && opts.streamedPaths.has(path)) {
      const declared = parseContentDigest(c.req.header(CONTENT_DIGEST_HEADER));
      const { actor, firstUse } = await authenticatePeer(fd, token, { method: c.req.method, path: target, bodyDigest: declared });
      await firstUse;
      c.set('actor', actor);
      c.set('declaredBodyDigest', declared);
      await next();
      return;
    }
    const body = hasBody ? await readLimitedBytes(c.req.raw, opts.bodyLimitBytes) : undefined;
    const { actor, firstUse } = await authenticatePeer(fd, token, { method: c.req.method, path: target, ...(body ? { body } : {}) });
    await firstUse;
    c.set('actor', actor);
    if (body) c.set('verifiedBody', body);
    await next();
  };
}
