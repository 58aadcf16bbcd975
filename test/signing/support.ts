/**
 * What a developer's tool does: make a key pair, register its public half, fetch the manifest a
 * node serves and sign those bytes as a detached JWS (jose, as any JOSE library would).
 */
import { CompactSign, calculateJwkThumbprint, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import type { TestNode } from '../support/node.js';

export const SIGNING_TYPES_DIR = 'test/signing/fixtures/types';

export interface DeveloperKeyPair {
  alg: 'EdDSA' | 'ES256';
  publicJwk: JWK;
  privateJwk: JWK;
  privateKey: CryptoKey;
  kid: string;
}

export async function developerKey(alg: 'EdDSA' | 'ES256'): Promise<DeveloperKeyPair> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  return { alg, publicJwk, privateJwk: await exportJWK(privateKey), privateKey, kid: await calculateJwkThumbprint(publicJwk, 'sha256') };
}

/** A detached compact JWS over `payload`: `<header>..<signature>`. */
export async function signDetached(payload: Uint8Array, key: DeveloperKeyPair, header: Record<string, unknown> = {}): Promise<string> {
  const compact = await new CompactSign(payload).setProtectedHeader({ alg: key.alg, kid: key.kid, ...header }).sign(key.privateKey);
  const [protectedHeader, , signature] = compact.split('.');
  return `${protectedHeader}..${signature}`;
}

export async function register(node: TestNode, as: Record<string, string>, key: DeveloperKeyPair, name = 'laptop') {
  const res = await node.request('POST', '/developer-keys', { as, json: { jwk: key.publicJwk, name } });
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${await res.text()}`);
  return res.json();
}

/** The manifest bytes exactly as served. */
export async function manifestBytes(node: TestNode, as: Record<string, string>, type: string, id: string): Promise<Uint8Array> {
  const res = await node.request('GET', `/artifacts/${type}/${id}/manifest`, { as });
  if (res.status !== 200) throw new Error(`manifest failed: ${res.status} ${await res.text()}`);
  return new Uint8Array(await res.arrayBuffer());
}

/** Fetches the manifest, signs it with `key` and attaches the signature; returns the response. */
export async function signAndAttach(node: TestNode, as: Record<string, string>, type: string, id: string, key: DeveloperKeyPair) {
  const jws = await signDetached(await manifestBytes(node, as, type, id), key);
  return node.request('POST', `/artifacts/${type}/${id}/signatures`, { as, json: { jws } });
}

export function upload(node: TestNode, as: Record<string, string>, type: string, id: string, field: string, body: string | Buffer) {
  return node.request('PUT', `/artifacts/${type}/${id}/${field}`, { as, body: body as never, headers: { 'content-type': 'application/octet-stream' } });
}

export function activate(node: TestNode, as: Record<string, string>, type: string, id: string) {
  return node.request('PATCH', `/artifacts/${type}/${id}`, { as, patch: [{ op: 'replace', path: '/status', value: 'active' }] });
}
