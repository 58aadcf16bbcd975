/**
 * @module Queries over federation state: the node's identity and keys, enrolment tokens, peers.
 * Rows become the federation domain's types here.
 */
import { and, desc, eq, gt, isNull, lt, or, sql } from 'drizzle-orm';
import type { Db, Tx } from '../client.js';
import { enrolmentTokens, federationPeers, nodeIdentity, nodeKeys } from '../schema/index.js';
import { conflictOnDuplicate } from './errors.js';

type Conn = Db | Tx;
type Jwk = Record<string, unknown>;

export interface StoredNodeKey {
  kid: string;
  publicJwk: Jwk;
  privateJwk: Jwk;
  createdAt: Date;
  retiresAt: Date | null;
}

export type PeerRelation = 'upstream' | 'child';
export type PeerStatus = 'active' | 'suspended';

export interface PeerRecord {
  relation: PeerRelation;
  nodeId: string;
  name: string;
  role: string;
  url: string | null;
  permissions: string[];
  projectId: string | null;
  status: PeerStatus;
  keys: Jwk[];
  keysIssuedAt: Date | null;
  timeoutMs: number | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface EnrolmentTokenRecord {
  id: string;
  permissions: string[];
  projectId: string | null;
  note: string;
  createdBy: string;
  expiresAt: Date;
  usedAt: Date | null;
  usedBy: string | null;
  createdAt: Date;
}

/**
 * The node id, made once: concurrent first starts (several processes) all read the one that won.
 * Runs in the caller's transaction, which also makes the first key under the same lock.
 */
export async function ensureNodeId(tx: Tx, candidate: string): Promise<string> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext('catalog:node-identity'))`);
  await tx.insert(nodeIdentity).values({ nodeId: candidate }).onConflictDoNothing();
  const [row] = await tx.select({ nodeId: nodeIdentity.nodeId }).from(nodeIdentity);
  return row!.nodeId;
}

/** This node's id, once a node has one (its first start made it). */
export async function findNodeId(db: Conn): Promise<string | null> {
  const [row] = await db.select({ nodeId: nodeIdentity.nodeId }).from(nodeIdentity);
  return row?.nodeId ?? null;
}

export async function listNodeKeys(db: Conn): Promise<StoredNodeKey[]> {
  return db.select().from(nodeKeys).orderBy(desc(nodeKeys.createdAt), desc(nodeKeys.kid));
}

export async function insertNodeKey(db: Conn, key: Omit<StoredNodeKey, 'retiresAt'> & { retiresAt?: Date | null }): Promise<void> {
  await db.insert(nodeKeys).values({ ...key, retiresAt: key.retiresAt ?? null });
}

/** Sets when the listed keys stop being published (only sooner than already set). */
export async function retireNodeKeys(db: Conn, kids: readonly string[], at: Date): Promise<number> {
  if (kids.length === 0) return 0;
  const rows = await db
    .update(nodeKeys)
    .set({ retiresAt: at })
    .where(and(sql`${nodeKeys.kid} = any(${sql.param([...kids])}::text[])`, or(isNull(nodeKeys.retiresAt), gt(nodeKeys.retiresAt, at))))
    .returning({ kid: nodeKeys.kid });
  return rows.length;
}

export async function insertEnrolmentToken(db: Conn, row: Omit<EnrolmentTokenRecord, 'id' | 'usedAt' | 'usedBy' | 'createdAt'> & { tokenHash: string; createdAt: Date }): Promise<EnrolmentTokenRecord> {
  const [inserted] = await db.insert(enrolmentTokens).values(row).returning();
  return toToken(inserted!);
}

export async function listEnrolmentTokens(db: Conn): Promise<EnrolmentTokenRecord[]> {
  const rows = await db.select().from(enrolmentTokens).orderBy(desc(enrolmentTokens.createdAt));
  return rows.map(toToken);
}

/** Marks the token used by `nodeId` if it is unused and unexpired at `now`; undefined otherwise. One statement, so a token is spent once. */
export async function spendEnrolmentToken(tx: Tx, tokenHash: string, nodeId: string, now: Date): Promise<EnrolmentTokenRecord | undefined> {
  const [row] = await tx
    .update(enrolmentTokens)
    .set({ usedAt: now, usedBy: nodeId })
    .where(and(eq(enrolmentTokens.tokenHash, tokenHash), isNull(enrolmentTokens.usedAt), gt(enrolmentTokens.expiresAt, now)))
    .returning();
  return row ? toToken(row) : undefined;
}

/** Why a token was not spendable: unknown, used or expired (for the message only). */
export async function findEnrolmentTokenByHash(db: Conn, tokenHash: string): Promise<EnrolmentTokenRecord | undefined> {
  const [row] = await db.select().from(enrolmentTokens).where(eq(enrolmentTokens.tokenHash, tokenHash));
  return row ? toToken(row) : undefined;
}

function toToken(row: typeof enrolmentTokens.$inferSelect): EnrolmentTokenRecord {
  const { tokenHash: _hash, ...rest } = row;
  return rest;
}

export async function insertPeer(db: Conn, peer: Omit<PeerRecord, 'createdAt' | 'updatedAt' | 'status'> & { now: Date }): Promise<PeerRecord> {
  const { now, ...values } = peer;
  const [row] = await conflictOnDuplicate(
    () => db.insert(federationPeers).values({ ...values, createdAt: now, updatedAt: now }).returning(),
    `node ${peer.nodeId} is already enrolled as ${peer.relation === 'child' ? 'a child' : 'an upstream'}: remove it first to enrol it again`,
  );
  return row as PeerRecord;
}

export async function findPeer(db: Conn, relation: PeerRelation, nodeId: string): Promise<PeerRecord | undefined> {
  const [row] = await db.select().from(federationPeers).where(and(eq(federationPeers.relation, relation), eq(federationPeers.nodeId, nodeId)));
  return row as PeerRecord | undefined;
}

/** Every relation this node has with `nodeId` (a node may be both an upstream and a child). */
export async function findPeerRelations(db: Conn, nodeId: string): Promise<PeerRecord[]> {
  return (await db.select().from(federationPeers).where(eq(federationPeers.nodeId, nodeId))) as PeerRecord[];
}

export async function listPeers(db: Conn, relation: PeerRelation): Promise<PeerRecord[]> {
  return (await db.select().from(federationPeers).where(eq(federationPeers.relation, relation)).orderBy(federationPeers.name, federationPeers.nodeId)) as PeerRecord[];
}

export async function setPeerStatus(db: Conn, relation: PeerRelation, nodeId: string, status: PeerStatus, now: Date): Promise<PeerRecord | undefined> {
  const [row] = await db
    .update(federationPeers)
    .set({ status, updatedAt: now })
    .where(and(eq(federationPeers.relation, relation), eq(federationPeers.nodeId, nodeId)))
    .returning();
  return row as PeerRecord | undefined;
}

export async function deletePeer(db: Conn, relation: PeerRelation, nodeId: string): Promise<boolean> {
  const rows = await db
    .delete(federationPeers)
    .where(and(eq(federationPeers.relation, relation), eq(federationPeers.nodeId, nodeId)))
    .returning({ nodeId: federationPeers.nodeId });
  return rows.length > 0;
}

/** Takes a key announcement issued at `issuedAt` for every relation with `nodeId`, unless a newer one was taken. */
export async function replacePeerKeys(db: Conn, nodeId: string, keys: Jwk[], issuedAt: Date, now: Date): Promise<number> {
  const rows = await db
    .update(federationPeers)
    .set({ keys, keysIssuedAt: issuedAt, updatedAt: now })
    .where(and(eq(federationPeers.nodeId, nodeId), or(isNull(federationPeers.keysIssuedAt), lt(federationPeers.keysIssuedAt, issuedAt))))
    .returning({ nodeId: federationPeers.nodeId });
  return rows.length;
}
