/**
 * @module Queries of subscriptions (mirrors): the saved filters per upstream, their last sync's
 * outcome, and which of an upstream's artifacts this node holds already.
 */
import { eq, sql } from 'drizzle-orm';
import type { Db, Tx } from '../client.js';
import { artifacts, federationSubscriptions } from '../schema/index.js';
import { textArray } from './predicates.js';

type Conn = Db | Tx;

export type SyncStatus = 'ok' | 'partial' | 'error';

export interface SubscriptionRecord {
  id: string;
  upstreamNodeId: string;
  filters: Array<[string, string]>;
  everyMinutes: number;
  note: string;
  createdBy: string;
  lastSyncAt: Date | null;
  lastStatus: SyncStatus | null;
  lastResult: Record<string, unknown> | null;
  createdAt: Date;
  updatedAt: Date;
}

const columns = {
  id: federationSubscriptions.id,
  upstreamNodeId: federationSubscriptions.upstreamNodeId,
  filters: federationSubscriptions.filters,
  everyMinutes: federationSubscriptions.everyMinutes,
  note: federationSubscriptions.note,
  createdBy: federationSubscriptions.createdBy,
  lastSyncAt: federationSubscriptions.lastSyncAt,
  lastStatus: federationSubscriptions.lastStatus,
  lastResult: federationSubscriptions.lastResult,
  createdAt: federationSubscriptions.createdAt,
  updatedAt: federationSubscriptions.updatedAt,
};

export async function insertSubscription(
  db: Conn,
  row: { upstreamNodeId: string; filters: Array<[string, string]>; everyMinutes: number; note: string; createdBy: string; now: Date },
): Promise<SubscriptionRecord> {
  const [created] = await db
    .insert(federationSubscriptions)
    .values({ upstreamNodeId: row.upstreamNodeId, filters: row.filters, everyMinutes: row.everyMinutes, note: row.note, createdBy: row.createdBy, createdAt: row.now, updatedAt: row.now })
    .returning(columns);
  return created!;
}

/** Every subscription, or one upstream's; oldest first. */
export async function listSubscriptions(db: Conn, upstreamNodeId?: string): Promise<SubscriptionRecord[]> {
  return db
    .select(columns)
    .from(federationSubscriptions)
    .where(upstreamNodeId === undefined ? undefined : eq(federationSubscriptions.upstreamNodeId, upstreamNodeId))
    .orderBy(federationSubscriptions.createdAt, federationSubscriptions.id);
}

export async function findSubscription(db: Conn, id: string): Promise<SubscriptionRecord | undefined> {
  const [row] = await db.select(columns).from(federationSubscriptions).where(eq(federationSubscriptions.id, id));
  return row;
}

export async function deleteSubscription(db: Conn, id: string): Promise<boolean> {
  const deleted = await db.delete(federationSubscriptions).where(eq(federationSubscriptions.id, id)).returning({ id: federationSubscriptions.id });
  return deleted.length > 0;
}

export async function recordSubscriptionSync(db: Conn, id: string, outcome: { at: Date; status: SyncStatus; result: Record<string, unknown> }): Promise<void> {
  await db
    .update(federationSubscriptions)
    .set({ lastSyncAt: outcome.at, lastStatus: outcome.status, lastResult: outcome.result, updatedAt: outcome.at })
    .where(eq(federationSubscriptions.id, id));
}

/**
 * Which of these (type, name, version) this node holds, in any state, whoever owns it: a mirror never fetches a version it has, as its own or as a copy. Keys: type \0 name \0 version.
 */
export async function heldCoordinates(db: Conn, wanted: ReadonlyArray<{ type: string; name: string; version: string }>): Promise<Set<string>> {
  if (wanted.length === 0) return new Set();
  const rows = await db
    .select({ typeName: artifacts.typeName, name: artifacts.name, version: artifacts.version })
    .from(artifacts)
    .where(
      sql`(${artifacts.typeName}, ${artifacts.name}, ${artifacts.version}) in (select * from unnest(${textArray(wanted.map((w) => w.type))}, ${textArray(wanted.map((w) => w.name))}, ${textArray(wanted.map((w) => w.version))}))`,
    );
  return new Set(rows.map((r) => coordinateKey(r.typeName, r.name, r.version)));
}

export const coordinateKey = (type: string, name: string, version: string) => `${type}\u0000${name}\u0000${version}`;
