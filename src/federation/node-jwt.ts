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
import { createHash, createPublicKey, randomUUID, sign, verify, type KeyObject } from 'node:crypto';
import type { JWK } from 'jose';
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

/*
 * Node tokens are made and checked here with node:crypto's one-shot Ed25519 sign and verify
 * rather than through jose: jose goes through WebCrypto, whose every operation is a job on the
 * thread pool and back, and signing plus verifying was the largest part of the CPU a hop of a
 * federated search added (bench/README.md). The format is plain compact JWS; every check jose
 * made on these tokens is made below, by name.
 */

const b64json = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

export async function signNodeJwt(identity: NodeIdentity, audience: string, request: RequestBinding, now: Date, ttlSeconds: number): Promise<string> {
  const iat = Math.floor(now.getTime() / 1000);
  const digest = boundDigest(request);
  const header = b64json({ alg: NODE_JWT_ALG, kid: identity.signing.kid, typ: NODE_JWT_TYPE });
  const claims = b64json({
    htm: request.method.toUpperCase(),
    htu: request.path,
    ...(digest !== undefined ? { bdg: digest } : {}),
    iss: identity.nodeId,
    aud: audience,
    iat,
    exp: iat + ttlSeconds,
    // 122 random bits from node's buffered entropy: randomBytes asks OpenSSL for every token.
    jti: randomUUID(),
  });
  const signature = sign(null, Buffer.from(`${header}.${claims}`), identity.signing.key).toString('base64url');
  return `${header}.${claims}.${signature}`;
}

/** Whether a bearer token claims to be a node JWT (its header says so); nothing is verified. */
export function looksLikeNodeJwt(token: string): boolean {
  return decodeSegment(token.split('.')[0] ?? '')?.typ === NODE_JWT_TYPE;
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** A JWS segment's JSON object, or undefined when it is not one (strict base64url, a JSON object). */
function decodeSegment(segment: string): Record<string, unknown> | undefined {
  if (!BASE64URL.test(segment)) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
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

/** Public key objects by their JWK's key material: making one is a good part of a verification's cost. */
const verifyKeys = new Map<string, KeyObject>();
const VERIFY_KEYS_MAX = 1000;

function verifyKeyOf(jwk: JWK): KeyObject {
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') throw new Unauthenticated(`node token refused: key ${String(jwk.kid)} is not an Ed25519 key`);
  let key = verifyKeys.get(jwk.x);
  if (!key) {
    if (verifyKeys.size >= VERIFY_KEYS_MAX) verifyKeys.clear();
    key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x }, format: 'jwk' });
    verifyKeys.set(jwk.x, key);
  }
  return key;
}

export async function verifyNodeJwt(token: string, opts: VerifyOptions): Promise<{ iss: string; kid: string }> {
  const { iss, kid, firstUse } = await checkNodeJwt(token, opts);
  await firstUse;
  return { iss, kid };
}

/** A node token whose every check passed but its first use, which is being recorded. */
export interface CheckedNodeJwt {
  iss: string;
  kid: string;
  /**
   * Settles once the replay cache has recorded the token's jti: rejects (401) when the token was
   * used already, or (503) when the cache does not answer. Nothing may be answered, and nothing
   * asked of another node, on the token's behalf before it fulfils.
   */
  firstUse: Promise<void>;
}

/**
 * Every check of `verifyNodeJwt`; the jti's first use is recorded meanwhile, so a caller that only
 * reads may overlap the replay cache's round trip with its own (`firstUse`).
 */
export async function checkNodeJwt(token: string, opts: VerifyOptions): Promise<CheckedNodeJwt> {
  const parts = token.split('.');
  const header = parts.length === 3 ? decodeSegment(parts[0]!) : undefined;
  const payload = header ? decodeSegment(parts[1]!) : undefined;
  if (!header || !payload) throw new Unauthenticated('node token refused: not a JWT');
  if (header.typ !== NODE_JWT_TYPE) throw new Unauthenticated(`node token refused: typ must be ${NODE_JWT_TYPE}`);
  if (header.alg !== NODE_JWT_ALG) throw new Unauthenticated(`node token refused: alg must be ${NODE_JWT_ALG}`);
  // No extension this node understands: a token that says it needs one is refused (RFC 7515 4.1.11).
  if (header.crit !== undefined) throw new Unauthenticated('node token refused: it names critical header parameters');
  if (typeof header.kid !== 'string' || typeof payload.iss !== 'string') throw new Unauthenticated('node token refused: kid and iss are required');
  const iss = payload.iss;
  const kid = header.kid;
  const keys = await opts.keysFor(iss, kid);
  if (!keys) throw new Unauthenticated(`node token refused: node ${iss} is not an enrolled peer of this node`);
  const jwk = keys.find((k) => k.kid === kid);
  if (!jwk) throw new Unauthenticated(`node token refused: key ${kid} is unknown or revoked for node ${iss}`);
  const signature = parts[2]!;
  if (!BASE64URL.test(signature) || !verify(null, Buffer.from(`${parts[0]}.${parts[1]}`), verifyKeyOf(jwk), Buffer.from(signature, 'base64url'))) {
    throw new Unauthenticated('node token refused: signature verification failed');
  }
  checkClaims(payload, opts);

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
  const firstUse = opts.replay.firstUse(`${iss}:${String(payload.jti)}`, Math.max(ttlMs, 1000)).then((first) => {
    if (!first) throw new Unauthenticated('node token refused: it was used already (replay)');
  });
  // Handled here too: a request that fails for another reason before awaiting it leaves no unhandled rejection.
  firstUse.catch(() => undefined);
  return { iss, kid, firstUse };
}

/** The registered claims as jose checked them (audience, times, the claims required), then the lifetime. */
function checkClaims(payload: Record<string, unknown>, opts: VerifyOptions): void {
  const refuse = (why: string): never => {
    throw new Unauthenticated(`node token refused: ${why}`);
  };
  for (const claim of ['iat', 'exp', 'jti', 'htm', 'htu']) if (!(claim in payload)) refuse(`missing required "${claim}" claim`);
  const aud = payload.aud;
  if (!(aud === opts.audience || (Array.isArray(aud) && aud.includes(opts.audience)))) refuse('unexpected "aud" claim value');
  const { iat, exp, nbf } = payload;
  if (typeof iat !== 'number' || !Number.isFinite(iat)) return refuse('"iat" claim must be a number');
  if (typeof exp !== 'number' || !Number.isFinite(exp)) return refuse('"exp" claim must be a number');
  if (nbf !== undefined && (typeof nbf !== 'number' || !Number.isFinite(nbf))) return refuse('"nbf" claim must be a number');
  if (typeof payload.jti !== 'string') refuse('"jti" claim must be a string');
  const now = Math.floor(opts.now.getTime() / 1000);
  const tolerance = opts.clockToleranceSeconds;
  if (exp <= now - tolerance) refuse('"exp" claim timestamp check failed');
  if (typeof nbf === 'number' && nbf > now + tolerance) refuse('"nbf" claim timestamp check failed');
  if (iat > now + tolerance) refuse('"iat" claim timestamp check failed (it should be in the past)');
  // Issued longer ago than any token may live (with the tolerance on both sides, as jose's maxTokenAge had it).
  if (now - iat - tolerance > opts.maxLifetimeSeconds + tolerance) refuse('"iat" claim timestamp check failed (too far in the past)');
}
