/**
 * @module Developer keys: the public keys a project registers to sign its artifacts with
 * (Ed25519 and ECDSA P-256, as JWKs), listed and revoked with a reason and a time. A key is
 * named by its RFC 7638 thumbprint, which a developer's tool computes itself and puts in the
 * signature's `kid`. Only public keys are taken: a JWK that carries a private part is refused,
 * so a private key never lands in the catalog.
 */
import { calculateJwkThumbprint, importJWK, type JWK } from 'jose';
import {
  findDeveloperKey,
  insertDeveloperKey,
  listDeveloperKeys,
  revokeDeveloperKey,
  type DeveloperKeyRow,
} from '../db/queries/signing.js';
import { BadRequest, Conflict, Forbidden, NotFound } from '../errors.js';
import type { Actor } from '../artifacts/actor.js';
import { conn, withTransaction, type OpContext } from '../artifacts/context.js';
import { hasAdminRights, writingProject } from '../artifacts/policy.js';

export type KeyAlgorithm = 'EdDSA' | 'ES256';

export type PublicJwk = { kty: 'OKP'; crv: 'Ed25519'; x: string } | { kty: 'EC'; crv: 'P-256'; x: string; y: string };

export interface DeveloperKey {
  project: string;
  kid: string;
  name: string;
  alg: KeyAlgorithm;
  jwk: PublicJwk;
  createdBy: string;
  createdAt: Date;
  revokedAt: Date | null;
  revocationReason: string | null;
  revokedBy: string | null;
}

/** JWK members that belong to a private or secret key, of any key type. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
const B64URL_32_BYTES = /^[A-Za-z0-9_-]{43}$/;

/** A public Ed25519 or P-256 JWK, or BadRequest naming what is wrong with it. */
export async function parsePublicJwk(input: unknown): Promise<{ jwk: PublicJwk; alg: KeyAlgorithm; kid: string }> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new BadRequest('jwk must be a JSON object (a JWK, RFC 7517)');
  const given = input as Record<string, unknown>;
  const secret = PRIVATE_MEMBERS.find((m) => m in given);
  if (secret !== undefined) {
    throw new BadRequest(`jwk carries "${secret}", a private key part: register only the public key, and keep the private key to yourself`);
  }
  if (given.use !== undefined && given.use !== 'sig') throw new BadRequest(`jwk "use" is ${JSON.stringify(given.use)}; a signing key has "use": "sig" or none`);
  if (given.key_ops !== undefined && !(Array.isArray(given.key_ops) && given.key_ops.includes('verify'))) {
    throw new BadRequest('jwk "key_ops" must include "verify" when given');
  }
  let jwk: PublicJwk;
  let alg: KeyAlgorithm;
  const coordinate = (name: 'x' | 'y'): string => {
    const value = given[name];
    if (typeof value !== 'string' || !B64URL_32_BYTES.test(value)) throw new BadRequest(`jwk "${name}" must be 32 bytes in base64url (43 characters)`);
    return value;
  };
  if (given.kty === 'OKP') {
    if (given.crv !== 'Ed25519') throw new BadRequest(`jwk "crv" ${JSON.stringify(given.crv)} is not supported for OKP keys; use Ed25519`);
    jwk = { kty: 'OKP', crv: 'Ed25519', x: coordinate('x') };
    alg = 'EdDSA';
  } else if (given.kty === 'EC') {
    if (given.crv !== 'P-256') throw new BadRequest(`jwk "crv" ${JSON.stringify(given.crv)} is not supported for EC keys; use P-256`);
    jwk = { kty: 'EC', crv: 'P-256', x: coordinate('x'), y: coordinate('y') };
    alg = 'ES256';
  } else {
    throw new BadRequest(`jwk "kty" ${JSON.stringify(given.kty ?? null)} is not supported: register an Ed25519 (kty OKP) or ECDSA P-256 (kty EC) public key`);
  }
  if (given.alg !== undefined && !acceptedAlgorithms(alg).includes(String(given.alg))) {
    throw new BadRequest(`jwk "alg" ${JSON.stringify(given.alg)} does not fit a ${jwk.crv} key; use ${acceptedAlgorithms(alg).join(' or ')}`);
  }
  try {
    await importJWK(jwk as JWK, alg);
  } catch (err) {
    throw new BadRequest(`jwk is not a valid ${jwk.crv} public key: ${(err as Error).message}`);
  }
  return { jwk, alg, kid: await calculateJwkThumbprint(jwk as JWK, 'sha256') };
}

/** The JWS `alg` values a key of this kind verifies: Ed25519 keys take RFC 9864's fully specified name too. */
export function acceptedAlgorithms(alg: KeyAlgorithm): string[] {
  return alg === 'EdDSA' ? ['EdDSA', 'Ed25519'] : ['ES256'];
}

/**
 * The project whose keys the actor reads or changes: its own, or any one an admin names. A
 * project it may not see answers NotFound, as an artifact it may not see does.
 */
function keyProjectFor(actor: Actor, asked: string | undefined, action: string): string {
  if (asked !== undefined && hasAdminRights(actor)) return asked;
  if (actor.kind === 'system' && !actor.projectId) throw new Forbidden(`name the project to ${action}`);
  const own = writingProject(actor, action);
  if (asked !== undefined && asked !== own) throw new NotFound(`no developer keys visible for project ${asked}`);
  return own;
}

/** Who the actor is, as key and signature records remember it. */
export function actorLabel(actor: Actor): string {
  switch (actor.kind) {
    case 'user':
      return actor.userId;
    case 'system':
      return `system:${actor.purpose}`;
    case 'peer':
      return `peer:${actor.nodeId}`;
    case 'anonymous':
      return 'anonymous';
  }
}

function toKey(row: DeveloperKeyRow): DeveloperKey {
  return { ...row, jwk: row.jwk as PublicJwk };
}

export async function registerKey(ctx: OpContext, input: { project?: string; jwk: unknown; name?: string }): Promise<DeveloperKey> {
  const project = keyProjectFor(ctx.actor, input.project, 'register developer keys');
  const { jwk, alg, kid } = await parsePublicJwk(input.jwk);
  const row = await insertDeveloperKey(conn(ctx), { project, kid, name: input.name ?? '', alg, jwk, createdBy: actorLabel(ctx.actor), createdAt: ctx.now() });
  return toKey(row);
}

export async function listKeys(ctx: OpContext, project?: string): Promise<DeveloperKey[]> {
  const p = keyProjectFor(ctx.actor, project, 'list developer keys');
  return (await listDeveloperKeys(conn(ctx), p)).map(toKey);
}

export async function showKey(ctx: OpContext, target: { project?: string; kid: string }): Promise<DeveloperKey> {
  const project = keyProjectFor(ctx.actor, target.project, 'read developer keys');
  const row = await findDeveloperKey(conn(ctx), project, target.kid);
  if (!row) throw new NotFound(`project ${project} has no developer key ${target.kid}`);
  return toKey(row);
}

/**
 * Revokes a key from `revokedAt` (default now; earlier when the key is known to have been
 * compromised before): signatures made from then on no longer hold, earlier ones still do.
 */
export async function revokeKey(ctx: OpContext, input: { project?: string; kid: string; reason: string; revokedAt?: Date }): Promise<DeveloperKey> {
  const project = keyProjectFor(ctx.actor, input.project, 'revoke developer keys');
  const now = ctx.now();
  const revokedAt = input.revokedAt ?? now;
  if (revokedAt.getTime() > now.getTime()) throw new BadRequest(`revoked_at ${revokedAt.toISOString()} is in the future; a key is revoked now or from a past moment`);
  return withTransaction(ctx, async (tx) => {
    const row = await revokeDeveloperKey(conn(tx), { project, kid: input.kid, revokedAt, reason: input.reason, revokedBy: actorLabel(tx.actor) });
    if (row) return toKey(row);
    const existing = await findDeveloperKey(conn(tx), project, input.kid);
    if (!existing) throw new NotFound(`project ${project} has no developer key ${input.kid}`);
    throw new Conflict(`key ${input.kid} was already revoked at ${existing.revokedAt!.toISOString()} (${existing.revocationReason})`);
  });
}

/**
 * Records a key another node holds (an import brings the keys its signatures were made with):
 * registers it when the project lacks it, and takes a revocation the other node knows of and
 * this one does not. Running it again changes nothing.
 */
export async function adoptKey(
  ctx: OpContext,
  input: { project: string; jwk: unknown; name?: string; revokedAt?: Date | null; revocationReason?: string | null },
): Promise<DeveloperKey> {
  const project = keyProjectFor(ctx.actor, input.project, 'register developer keys');
  const { jwk, alg, kid } = await parsePublicJwk(input.jwk);
  return withTransaction(ctx, async (tx) => {
    const found = await findDeveloperKey(conn(tx), project, kid);
    const row = found ?? (await insertDeveloperKey(conn(tx), { project, kid, name: input.name ?? '', alg, jwk, createdBy: actorLabel(tx.actor), createdAt: tx.now() }));
    if (row.revokedAt || !input.revokedAt) return toKey(row);
    const reason = input.revocationReason ?? 'revoked where the key came from';
    return toKey((await revokeDeveloperKey(conn(tx), { project, kid, revokedAt: input.revokedAt, reason, revokedBy: actorLabel(tx.actor) }))!);
  });
}

/** The key a signature names, among the keys of `project` (the signed artifact's owner). */
export async function findKey(ctx: OpContext, project: string, kid: string): Promise<DeveloperKey | undefined> {
  const row = await findDeveloperKey(conn(ctx), project, kid);
  return row && toKey(row);
}
