/**
 * @module The credential of every node-to-node request: a short-lived EdDSA JWT bound to its
 * target and its request.
 *
 *   header  alg EdDSA, kid (a key the caller published), typ node+jwt
 *   claims  iss caller node id, aud target node id, iat, exp (at most the node's limit after iat),
 *           jti (refused the second time), htm the HTTP method, htu the path and query,
 *           bdg base64url SHA-256 of the body (present exactly when there is a body)
 *
 * Everything else is refused, with a message saying which check failed.
 */
import { createHash, randomBytes } from 'node:crypto';
import { decodeProtectedHeader, importJWK, jwtVerify, SignJWT, type JWK } from 'jose';
import { Unauthenticated } from '../errors.js';
import { NODE_JWT_ALG, type NodeIdentity } from './identity.js';
import type { ReplayCache } from './replay-cache.js';

export const NODE_JWT_TYPE = 'node+jwt';
/** Receivers refuse a node token that lives longer than this (whatever the sender's setting). */
export const MAX_NODE_TOKEN_LIFETIME_SECONDS = 120;

export interface RequestBinding {
  method: string;
  /** Path and query, as the request line has them. */
  path: string;
  body?: Uint8Array;
  /**
   * A streamed body's digest (base64url SHA-256), declared before the body is read: the token
   * binds it, and the receiver checks the bytes against it as the stream ends (streamed-body.ts).
   */
  bodyDigest?: string;
}

/** The `bdg` claim a request binding calls for: the declared digest, or the digest of the body it has. */
function boundDigest(request: RequestBinding): string | undefined {
  if (request.bodyDigest !== undefined) return request.bodyDigest;
  return request.body && request.body.byteLength > 0 ? bodyDigest(request.body) : undefined;
}

export function bodyDigest(body: Uint8Array): string {
  return createHash('sha256').update(body).digest('base64url');
}

export async function signNodeJwt(identity: NodeIdentity, audience: string, request: RequestBinding, now: Date, ttlSeconds: number): Promise<string> {
  const iat = Math.floor(now.getTime() / 1000);
  return new SignJWT({
    htm: request.method.toUpperCase(),
    htu: request.path,
    ...(boundDigest(request) !== undefined ? { bdg: boundDigest(request) } : {}),
  })
    .setProtectedHeader({ alg: NODE_JWT_ALG, kid: identity.signing.kid, typ: NODE_JWT_TYPE })
    .setIssuer(identity.nodeId)
    .setAudience(audience)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ttlSeconds)
    .setJti(randomBytes(16).toString('base64url'))
    .sign(identity.signing.key);
}

/** Whether a bearer token claims to be a node JWT (its header says so); nothing is verified. */
export function looksLikeNodeJwt(token: string): boolean {
  try {
    return decodeProtectedHeader(token).typ === NODE_JWT_TYPE;
  } catch {
    return false;
  }
}

export interface VerifyOptions {
  /** This node's id. */
  audience: string;
  request: RequestBinding;
  now: Date;
  maxLifetimeSeconds: number;
  clockToleranceSeconds: number;
  /** The keys pinned for node `iss` (undefined: not a peer, or not an active one). */
  keysFor(iss: string, kid: string): Promise<readonly JWK[] | undefined>;
  replay: ReplayCache;
}

/** Imported public keys by their JWK text: importing is most of the cost of a verification. */
const importedKeys = new Map<string, Promise<Awaited<ReturnType<typeof importJWK>>>>();
const IMPORTED_KEYS_MAX = 1000;

function importVerifyKey(jwk: JWK) {
  const id = JSON.stringify([jwk.kty, jwk.crv, jwk.x]);
  let key = importedKeys.get(id);
  if (!key) {
    if (importedKeys.size >= IMPORTED_KEYS_MAX) importedKeys.clear();
    key = importJWK({ kty: jwk.kty, crv: jwk.crv, x: jwk.x }, NODE_JWT_ALG);
    importedKeys.set(id, key);
  }
  return key;
}

export async function verifyNodeJwt(token: string, opts: VerifyOptions): Promise<{ iss: string; kid: string }> {
  let header: ReturnType<typeof decodeProtectedHeader>;
  let claimed: { iss?: unknown };
  try {
    header = decodeProtectedHeader(token);
    claimed = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { iss?: unknown };
  } catch {
    throw new Unauthenticated('node token refused: not a JWT');
  }
  if (header.typ !== NODE_JWT_TYPE) throw new Unauthenticated(`node token refused: typ must be ${NODE_JWT_TYPE}`);
  if (header.alg !== NODE_JWT_ALG) throw new Unauthenticated(`node token refused: alg must be ${NODE_JWT_ALG}`);
  if (typeof header.kid !== 'string' || typeof claimed.iss !== 'string') throw new Unauthenticated('node token refused: kid and iss are required');
  const iss = claimed.iss;
  const kid = header.kid;
  const keys = await opts.keysFor(iss, kid);
  if (!keys) throw new Unauthenticated(`node token refused: node ${iss} is not an enrolled peer of this node`);
  const jwk = keys.find((k) => k.kid === kid);
  if (!jwk) throw new Unauthenticated(`node token refused: key ${kid} is unknown or revoked for node ${iss}`);

  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, await importVerifyKey(jwk), {
      algorithms: [NODE_JWT_ALG],
      issuer: iss,
      audience: opts.audience,
      currentDate: opts.now,
      clockTolerance: opts.clockToleranceSeconds,
      maxTokenAge: opts.maxLifetimeSeconds + opts.clockToleranceSeconds,
      requiredClaims: ['iat', 'exp', 'jti', 'htm', 'htu'],
    }));
  } catch (err) {
    throw new Unauthenticated(`node token refused: ${(err as Error).message}`);
  }
  const iat = payload.iat as number;
  const exp = payload.exp as number;
  if (exp - iat > opts.maxLifetimeSeconds) throw new Unauthenticated(`node token refused: it lives ${exp - iat} s, more than ${opts.maxLifetimeSeconds} s`);
  if (payload.htm !== opts.request.method.toUpperCase()) throw new Unauthenticated(`node token refused: it is for ${String(payload.htm)}, not ${opts.request.method}`);
  if (payload.htu !== opts.request.path) throw new Unauthenticated('node token refused: it is for another path');
  const expected = boundDigest(opts.request);
  if (payload.bdg !== expected) {
    throw new Unauthenticated(
      expected === undefined
        ? 'node token refused: it names a body the request does not have'
        : opts.request.bodyDigest !== undefined
          ? 'node token refused: it was signed for another body digest than the one declared (Content-Digest)'
          : 'node token refused: the body is not the one it was signed for',
    );
  }
  // Last, so a forged token cannot spend another node's jti.
  const ttlMs = (exp + opts.clockToleranceSeconds) * 1000 - opts.now.getTime();
  if (!(await opts.replay.firstUse(`${iss}:${String(payload.jti)}`, Math.max(ttlMs, 1000)))) {
    throw new Unauthenticated('node token refused: it was used already (replay)');
  }
  return { iss, kid };
}
