/**
 * @module Queries over cached copies (artifact_origins) and pulls (federation_pulls). Rows become
 * the federation domain's types here.
 */
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Db, Tx } from '../client.js';
import type { PULL_STATUSES } from '../schema/index.js';
import type { Sight } from '../../artifacts/policy.js';
import { artifactOrigins, artifacts, federationPulls } from '../schema/index.js';
import { visibleWhere } from './predicates.js';

type Conn = Db | Tx;

export type PullStatus = (typeof PULL_STATUSES)[number];

export interface OriginRecord {
  artifactId: string;
  upstreamNodeId: string;
  upstreamArtifactId: string;
  manifestSha256: string;
  chain: string[];
  pullId: string | null;
  pulledAt: Date;
}

export interface PullRecord {
  id: string;
  upstreamNodeId: string;
  artifactIds: string[];
  requestedBy: string;
  status: PullStatus;
  attempts: number;
  transfers: number;
  bytesDone: number;
  bytesTotal: number | null;
  result: Record<string, unknown> | null;
  error: string | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export async function findOrigin(db: Conn, artifactId: string): Promise<OriginRecord | undefined> {
  const [row] = await db.select().from(artifactOrigins).where(eq(artifactOrigins.artifactId, artifactId));
  return row;
}

/** The cached copies of these upstream artifacts, by upstream id. */
export async function findOriginsByUpstream(db: Conn, upstreamNodeId: string, upstreamArtifactIds: readonly string[]): Promise<OriginRecord[]> {
  if (upstreamArtifactIds.length === 0) return [];
  return db
    .select()
    .from(artifactOrigins)
    .where(and(eq(artifactOrigins.upstreamNodeId, upstreamNodeId), inArray(artifactOrigins.upstreamArtifactId, [...upstreamArtifactIds])));
}

/**
 * The node each of these artifacts was first published on, for those that are copies (pulled,
 * mirrored or submitted): the node and name the first hop of its provenance chain names (the
 * chain was verified when the copy was made), or the node it came from when it carries no chain.
 * Artifacts made here are not in the map. One statement, whatever the number of ids.
 */
export async function firstPublishers(db: Conn, ids: readonly string[]): Promise<Map<string, { id: string; name: string }>> {
  if (ids.length === 0) return new Map();
  // A hop is a compact JWS: its claims are the base64url JSON between the two dots.
  const rows = await db
    .select({
      artifactId: artifactOrigins.artifactId,
      node: sql<string>`coalesce(hop.claims ->> 'node', ${artifactOrigins.upstreamNodeId})`,
      name: sql<string>`coalesce(hop.claims ->> 'name', '')`,
    })
    .from(artifactOrigins)
    .leftJoin(
      sql`lateral (
        select convert_from(decode(translate(part, '-_', '+/') || repeat('=', (4 - length(part) % 4) % 4), 'base64'), 'UTF8')::jsonb as claims
        from (select split_part(${artifactOrigins.chain} ->> 0, '.', 2) as part) p
        where part <> ''
      ) hop`,
      sql`true`,
    )
    .where(inArray(artifactOrigins.artifactId, [...new Set(ids)]));
  return new Map(rows.map((r) => [r.artifactId, { id: r.node, name: r.name }]));
}

/** Records where a cached copy came from; a copy recorded already keeps its first record. */
export async function insertOrigin(db: Conn, origin: OriginRecord): Promise<void> {
  await db.insert(artifactOrigins).values(origin).onConflictDoNothing();
}

/** Creates the pull row unless one with this id exists; either way returns the row as it stands. */
export async function claimPull(db: Conn, pull: Pick<PullRecord, 'id' | 'upstreamNodeId' | 'artifactIds' | 'requestedBy'> & { now: Date }): Promise<{ pull: PullRecord; created: boolean }> {
  const { now, ...values } = pull;
  const [inserted] = await db
    .insert(federationPulls)
    .values({ ...values, status: 'queued', createdAt: now, updatedAt: now })
    .onConflictDoNothing()
    .returning();
  if (inserted) return { pull: inserted, created: true };
  return { pull: (await findPull(db, pull.id))!, created: false };
}

export async function findPull(db: Conn, id: string): Promise<PullRecord | undefined> {
  const [row] = await db.select().from(federationPulls).where(eq(federationPulls.id, id));
  return row;
}

/** Queues a pull that ended (failed, or succeeded with copies since removed) again; false when it is still queued or running. */
export async function requeuePull(db: Conn, id: string, requestedBy: string, now: Date): Promise<PullRecord | undefined> {
  const [row] = await db
    .update(federationPulls)
    .set({ status: 'queued', requestedBy, error: null, result: null, bytesDone: 0, bytesTotal: null, startedAt: null, finishedAt: null, updatedAt: now })
    .where(and(eq(federationPulls.id, id), inArray(federationPulls.status, ['succeeded', 'failed'])))
    .returning();
  return row;
}

export async function startPullAttempt(db: Conn, id: string, now: Date): Promise<PullRecord | undefined> {
  const [row] = await db
    .update(federationPulls)
    .set({ status: 'running', attempts: sql`${federationPulls.attempts} + 1`, error: null, bytesDone: 0, startedAt: now, updatedAt: now })
    .where(eq(federationPulls.id, id))
    .returning();
  return row;
}

export async function recordPullProgress(db: Conn, id: string, progress: { bytesDone: number; bytesTotal: number | null; now: Date }): Promise<void> {
  await db.update(federationPulls).set({ bytesDone: progress.bytesDone, bytesTotal: progress.bytesTotal, updatedAt: progress.now }).where(eq(federationPulls.id, id));
}

export async function countPullTransfer(db: Conn, id: string, now: Date): Promise<void> {
  await db
    .update(federationPulls)
    .set({ transfers: sql`${federationPulls.transfers} + 1`, updatedAt: now })
    .where(eq(federationPulls.id, id));
}

export async function finishPull(db: Conn, id: string, end: { status: 'succeeded' | 'failed' | 'queued'; result?: Record<string, unknown>; error?: string; now: Date }): Promise<void> {
  await db
    .update(federationPulls)
    .set({
      status: end.status,
      ...(end.result ? { result: end.result } : {}),
      error: end.error ?? null,
      ...(end.status === 'queued' ? {} : { finishedAt: end.now }),
      updatedAt: end.now,
    })
    .where(eq(federationPulls.id, id));
}

/** The active versions of a name that `sight` sees (what a pull by name and range chooses from). */
export async function activeVersionsOf(db: Conn, q: { typeName: string; name: string; sight: Sight }): Promise<Array<{ id: string; version: string }>> {
  return db
    .select({ id: artifacts.id, version: artifacts.version })
    .from(artifacts)
    .where(and(eq(artifacts.typeName, q.typeName), eq(artifacts.name, q.name), eq(artifacts.status, 'active'), visibleWhere(q.sight)));
}
