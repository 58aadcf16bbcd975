/**
 * @module Detached JWS (RFC 7515, appendix F): the compact form with its payload left out,
 * `<protected header>..<signature>`. The payload is the artifact's canonical manifest bytes, so
 * the signing input is `BASE64URL(header) || '.' || BASE64URL(manifest bytes)`, exactly as jose's
 * CompactSign (or any JOSE library) produces for that payload before the middle part is dropped.
 */
import { base64url, errors, flattenedVerify, importJWK, type JWK } from 'jose';
import { BadRequest } from '../errors.js';
import { acceptedAlgorithms, type DeveloperKey } from './keys.js';

export interface DetachedJws {
  /** As sent: `<protected header>..<signature>`. */
  compact: string;
  protectedB64: string;
  signatureB64: string;
  alg: string;
  kid: string;
}

const COMPACT_DETACHED = /^([A-Za-z0-9_-]+)\.\.([A-Za-z0-9_-]+)$/;
const SUPPORTED_ALGS = new Set(['EdDSA', 'Ed25519', 'ES256']);
/** Longest compact JWS taken: a header and a 64-byte signature fit many times over. */
export const MAX_JWS_LENGTH = 4096;

export function parseDetachedJws(text: string): DetachedJws {
  if (text.length > MAX_JWS_LENGTH) throw new BadRequest(`the signature may be at most ${MAX_JWS_LENGTH} characters`);
  const m = COMPACT_DETACHED.exec(text);
  if (!m) {
    const hint = text.split('.').length === 3 && !text.includes('..') ? ': it carries a payload; send it detached, with the middle part empty' : '';
    throw new BadRequest(`the signature is not a compact JWS with a detached payload ("<protected header>..<signature>")${hint}`);
  }
  let header: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(base64url.decode(m[1]!)));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not a JSON object');
    header = parsed as Record<string, unknown>;
  } catch (err) {
    throw new BadRequest(`the signature's protected header is not base64url JSON: ${(err as Error).message}`);
  }
  if (typeof header.alg !== 'string' || !SUPPORTED_ALGS.has(header.alg)) {
    throw new BadRequest(`the signature's "alg" ${JSON.stringify(header.alg ?? null)} is not supported: use EdDSA (or Ed25519) or ES256`);
  }
  if (typeof header.kid !== 'string' || header.kid === '') throw new BadRequest('the signature\'s protected header must name its key in "kid" (the key\'s JWK thumbprint)');
  if (header.b64 !== undefined || header.crit !== undefined) {
    throw new BadRequest('the signature\'s header may not use "b64" or "crit": sign the base64url-encoded manifest, as a plain JWS does');
  }
  return { compact: text, protectedB64: m[1]!, signatureB64: m[2]!, alg: header.alg, kid: header.kid };
}

/** Whether `jws` is a signature of `payload` by `key`. */
export async function jwsVerifies(jws: DetachedJws, payload: Uint8Array, key: Pick<DeveloperKey, 'alg' | 'jwk'>): Promise<boolean> {
  const algorithms = acceptedAlgorithms(key.alg);
  if (!algorithms.includes(jws.alg)) return false;
  const publicKey = await importJWK(key.jwk as JWK, jws.alg);
  try {
    await flattenedVerify({ protected: jws.protectedB64, payload: base64url.encode(payload), signature: jws.signatureB64 }, publicKey, { algorithms });
    return true;
  } catch (err) {
    if (err instanceof errors.JWSSignatureVerificationFailed || err instanceof errors.JWSInvalid) return false;
    throw err;
  }
}
