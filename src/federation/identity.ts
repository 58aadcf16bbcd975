/**
 * @module This node's identity: a node id made on first start and kept, and Ed25519 keys stored in
 * the database (so every process of the node, and every restart, signs as the same node).
 *
 * Rotation publishes a new key beside the old one: the new key signs from then on, the old one
 * stays published (and accepted by peers) until it retires. Peers learn the change from a key
 * announcement: the published key set, signed by every published key, so a peer that pins any
 * one of them can take the rest.
 */
import { createPrivateKey, randomUUID, type JsonWebKey, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, GeneralSign, generalVerify, importJWK, type GeneralJWSInput, type JWK } from 'jose';
import type { Db } from '../db/client.js';
import { ensureNodeId, insertNodeKey, listNodeKeys, retireNodeKeys, type StoredNodeKey } from '../db/queries/federation.js';
import { BadRequest, NotFound, Unauthenticated } from '../errors.js';

export const NODE_JWT_ALG = 'EdDSA';
export const FEDERATION_API_VERSION = '1';

export type PublicJwk = JWK & { kid: string };
/** A private key as node:crypto holds it: node tokens are signed with it directly (node-jwt.ts), jose takes it too. */
type SigningKey = KeyObject;

export interface NodeIdentity {
  nodeId: string;
  /** Signs node JWTs: the newest key that is not retiring. */
  signing: { kid: string; key: SigningKey };
  /** Every key peers should accept now, newest first (the signing key among them). */
  published: readonly PublicJwk[];
  /** Private halves of the published keys, to sign key announcements with each. */
  announcers: ReadonlyArray<{ kid: string; key: SigningKey }>;
}

/** A key's fingerprint, also its kid: the RFC 7638 SHA-256 thumbprint of its public JWK. */
export function keyFingerprint(jwk: JWK): Promise<string> {
  return calculateJwkThumbprint(jwk, 'sha256');
}

async function newKey(): Promise<Omit<StoredNodeKey, 'createdAt' | 'retiresAt'>> {
  const { publicKey, privateKey } = await generateKeyPair(NODE_JWT_ALG, { crv: 'Ed25519', extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = await keyFingerprint(publicJwk);
  return { kid, publicJwk: { ...publicJwk, kid, alg: NODE_JWT_ALG, use: 'sig' }, privateJwk: { ...(await exportJWK(privateKey)), kid, alg: NODE_JWT_ALG } };
}

const isPublished = (k: StoredNodeKey, now: Date) => k.retiresAt === null || k.retiresAt > now;

/** The node's identity, making the id and the first key if this is the node's first start. */
export async function loadIdentity(db: Db, now: Date): Promise<NodeIdentity> {
  let keys = await listNodeKeys(db);
  let nodeId: string | undefined;
  if (keys.length === 0) {
    const first = await newKey();
    nodeId = await db.transaction(async (tx) => {
      const id = await ensureNodeId(tx, randomUUID());
      if ((await listNodeKeys(tx)).length === 0) await insertNodeKey(tx, { ...first, createdAt: now });
      return id;
    });
    keys = await listNodeKeys(db);
  }
  nodeId ??= await db.transaction((tx) => ensureNodeId(tx, randomUUID()));
  const published = keys.filter((k) => isPublished(k, now));
  const signer = published.find((k) => k.retiresAt === null) ?? published[0];
  if (!signer) throw new Error('the node has no published key: rotate to make one (POST /federation/v1/admin/keys/rotate)');
  const announcers = published.map((k) => ({ kid: k.kid, key: createPrivateKey({ key: k.privateJwk as JsonWebKey, format: 'jwk' }) }));
  return {
    nodeId,
    signing: announcers.find((a) => a.kid === signer.kid)!,
    published: published.map((k) => k.publicJwk as PublicJwk),
    announcers,
  };
}

/**
 * Makes a new signing key; the keys signing until now stay published for `overlapMs` more, so
 * peers that have not yet taken the announcement still accept what they signed.
 */
export async function rotateKeys(db: Db, now: Date, overlapMs: number): Promise<{ kid: string; retiring: string[]; retiresAt: Date }> {
  const fresh = await newKey();
  const retiresAt = new Date(now.getTime() + overlapMs);
  const retiring = await db.transaction(async (tx) => {
    const current = (await listNodeKeys(tx)).filter((k) => k.retiresAt === null).map((k) => k.kid);
    await retireNodeKeys(tx, current, retiresAt);
    await insertNodeKey(tx, { ...fresh, createdAt: now });
    return current;
  });
  return { kid: fresh.kid, retiring, retiresAt };
}

/** Stops publishing `kid` now. The signing key cannot retire: rotate first. */
export async function retireKey(db: Db, kid: string, now: Date): Promise<void> {
  const keys = await listNodeKeys(db);
  const key = keys.find((k) => k.kid === kid);
  if (!key || !isPublished(key, now)) throw new NotFound(`no published key ${kid}`);
  const signer = keys.find((k) => k.retiresAt === null);
  if (signer?.kid === kid) throw new BadRequest(`key ${kid} signs this node's requests: rotate first, then retire it`);
  await retireNodeKeys(db, [kid], now);
}

export interface KeyAnnouncement {
  iss: string;
  iat: number;
  keys: PublicJwk[];
}

/** The published key set, signed by every published key (a JWS in General JSON serialisation). */
export async function announceKeys(identity: NodeIdentity, now: Date): Promise<GeneralJWSInput> {
  // Millisecond precision: a rotation and a retirement in the same second are still ordered.
  const payload: KeyAnnouncement = { iss: identity.nodeId, iat: now.getTime() / 1000, keys: [...identity.published] };
  const signer = new GeneralSign(new TextEncoder().encode(JSON.stringify(payload)));
  for (const a of identity.announcers) signer.addSignature(a.key).setProtectedHeader({ alg: NODE_JWT_ALG, kid: a.kid, typ: 'node-keys+json' });
  return signer.sign();
}

/**
 * The key set `announcement` declares for node `iss`, if a key pinned for it signed it. Every
 * listed key must be an Ed25519 public key whose kid is its thumbprint.
 */
export async function verifyKeyAnnouncement(announcement: unknown, iss: string, pinned: readonly JWK[]): Promise<{ keys: PublicJwk[]; issuedAt: Date }> {
  const jws = announcement as GeneralJWSInput;
  if (typeof jws !== 'object' || jws === null || !Array.isArray(jws.signatures)) throw new BadRequest('a key announcement is a JWS in General JSON serialisation');
  for (const signature of jws.signatures) {
    const kid = signature.protected ? headerKid(signature.protected) : undefined;
    const pin = pinned.find((k) => k.kid === kid);
    if (!pin || !kid) continue;
    let payload: Uint8Array;
    try {
      ({ payload } = await generalVerify({ payload: jws.payload, signatures: [signature] }, await importJWK(pin, NODE_JWT_ALG), { algorithms: [NODE_JWT_ALG] }));
    } catch {
      continue;
    }
    const body = parseAnnouncement(payload);
    if (body.iss !== iss) throw new Unauthenticated(`the key announcement is for node ${body.iss}, not ${iss}`);
    return { keys: await checkedPublicKeys(body.keys), issuedAt: new Date(body.iat * 1000) };
  }
  throw new Unauthenticated(`no key pinned for node ${iss} signed the key announcement`);
}

function headerKid(protectedHeader: string): string | undefined {
  try {
    const header = JSON.parse(Buffer.from(protectedHeader, 'base64url').toString('utf8')) as { kid?: unknown };
    return typeof header.kid === 'string' ? header.kid : undefined;
  } catch {
    return undefined;
  }
}

function parseAnnouncement(payload: Uint8Array): KeyAnnouncement {
  const body = JSON.parse(new TextDecoder().decode(payload)) as Partial<KeyAnnouncement>;
  if (typeof body.iss !== 'string' || typeof body.iat !== 'number' || !Array.isArray(body.keys)) throw new BadRequest('the key announcement needs iss, iat and keys');
  return body as KeyAnnouncement;
}

/** Public Ed25519 keys only (never a private part), each named by its thumbprint. */
export async function checkedPublicKeys(keys: readonly unknown[]): Promise<PublicJwk[]> {
  if (keys.length === 0 || keys.length > 10) throw new BadRequest('give 1 to 10 public keys');
  const out: PublicJwk[] = [];
  for (const [i, raw] of keys.entries()) {
    const k = raw as JWK;
    if (typeof k !== 'object' || k === null || k.kty !== 'OKP' || k.crv !== 'Ed25519' || typeof k.x !== 'string' || 'd' in k) {
      throw new BadRequest(`keys[${i}]: expected an Ed25519 public JWK (kty OKP, crv Ed25519, x; no private part)`);
    }
    const kid = await keyFingerprint({ kty: 'OKP', crv: 'Ed25519', x: k.x });
    if (k.kid !== undefined && k.kid !== kid) throw new BadRequest(`keys[${i}]: kid must be the key's SHA-256 thumbprint (${kid})`);
    out.push({ kty: 'OKP', crv: 'Ed25519', x: k.x, kid, alg: NODE_JWT_ALG, use: 'sig' });
  }
  return out;
}
