/**
 * @module Federation state: this node's identity and signing keys, the enrolment tokens its admins
 * issue, and the peers it trusts (its upstreams and its children), each with the public keys
 * pinned for it.
 */
import { bigint, boolean, check, foreignKey, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';
import { artifacts } from './artifacts.js';
import { lifecycleDates } from './columns.js';

/** One row: the node id, made on first start and kept for good (keys rotate, the id does not). */
export const nodeIdentity = pgTable('node_identity', {
  singleton: boolean('singleton').primaryKey().default(true),
  nodeId: text('node_id').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});

/**
 * The node's Ed25519 keys. The newest key without `retires_at` signs; every key whose
 * `retires_at` is unset or still ahead is published, so peers learn a new key before the old one
 * stops being accepted.
 */
export const nodeKeys = pgTable('node_keys', {
  kid: text('kid').primaryKey(),
  publicJwk: jsonb('public_jwk').$type<Record<string, unknown>>().notNull(),
  privateJwk: jsonb('private_jwk').$type<Record<string, unknown>>().notNull(),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  retiresAt: timestamp('retires_at', { withTimezone: true, mode: 'date' }),
});

/** One-time enrolment tokens; only a hash of the token is kept. */
export const enrolmentTokens = pgTable('federation_enrolment_tokens', {
  id: uuid('id').primaryKey().defaultRandom(),
  tokenHash: text('token_hash').notNull().unique(),
  permissions: text('permissions').array().notNull(),
  /** The project a child's submissions land in (and whose artifacts it sees). */
  projectId: text('project_id'),
  note: text('note').notNull().default(''),
  createdBy: text('created_by').notNull(),
  expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
  usedAt: timestamp('used_at', { withTimezone: true, mode: 'date' }),
  usedBy: text('used_by'),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});

/**
 * Peers: an `upstream` this node enrolled with (its URL, what it granted us, its pinned keys) or a
 * `child` that enrolled here (what we granted it, its pinned keys). `keys_issued_at` is the issue
 * time of the last key announcement taken, so an older one cannot be replayed.
 */
export const federationPeers = pgTable(
  'federation_peers',
  {
    relation: text('relation', { enum: ['upstream', 'child'] }).notNull(),
    nodeId: text('node_id').notNull(),
    name: text('name').notNull(),
    role: text('role').notNull(),
    url: text('url'),
    permissions: text('permissions').array().notNull(),
    projectId: text('project_id'),
    status: text('status', { enum: ['active', 'suspended'] }).notNull().default('active'),
    keys: jsonb('keys').$type<Array<Record<string, unknown>>>().notNull(),
    keysIssuedAt: timestamp('keys_issued_at', { withTimezone: true, mode: 'date' }),
    /** Upstreams: how long one search of it may take. */
    timeoutMs: integer('timeout_ms'),
    ...lifecycleDates,
  },
  (t) => [primaryKey({ columns: [t.relation, t.nodeId] })],
);

/**
 * Cached copies: one row per artifact this node pulled from an upstream. The artifact itself is an
 * ordinary row of `artifacts` (owner, values and blobs as the upstream had them); this row makes
 * it read-only here and keeps where it came from: the upstream it was pulled from, the id it has
 * there, the digest of its canonical manifest (signing/manifest.ts) as served, and the chain of
 * provenance hops (compact JWS, oldest first), each signed by the node that served it
 * (federation/provenance.ts).
 */
export const artifactOrigins = pgTable(
  'artifact_origins',
  {
    artifactId: uuid('artifact_id')
      .primaryKey()
      .references(() => artifacts.id, { onDelete: 'cascade' }),
    upstreamNodeId: text('upstream_node_id').notNull(),
    upstreamArtifactId: uuid('upstream_artifact_id').notNull(),
    manifestSha256: text('manifest_sha256').notNull(),
    chain: jsonb('chain').$type<string[]>().notNull(),
    /** The pull that made the copy. */
    pullId: text('pull_id'),
    pulledAt: timestamp('pulled_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [uniqueIndex('artifact_origins_upstream_unique').on(t.upstreamNodeId, t.upstreamArtifactId)],
);

export const PULL_STATUSES = ['queued', 'running', 'succeeded', 'failed'] as const;

/**
 * Pulls: one row per job copying upstream artifacts (and their closures) here. The id is the job
 * id, derived from the upstream and the artifacts asked for, so concurrent requests for the same
 * artifacts find the same row and the same job. Progress is written as the bytes arrive.
 */
export const federationPulls = pgTable('federation_pulls', {
  id: text('id').primaryKey(),
  upstreamNodeId: text('upstream_node_id').notNull(),
  /** The upstream's ids of the artifacts asked for (each pulled with its closure). */
  artifactIds: text('artifact_ids').array().notNull(),
  requestedBy: text('requested_by').notNull(),
  status: text('status', { enum: PULL_STATUSES }).notNull().default('queued'),
  attempts: integer('attempts').notNull().default(0),
  /** Bundles fetched from the upstream (0 when everything was here already). */
  transfers: integer('transfers').notNull().default(0),
  bytesDone: bigint('bytes_done', { mode: 'number' }).notNull().default(0),
  bytesTotal: bigint('bytes_total', { mode: 'number' }),
  /** Once succeeded: what each asked artifact and its closure became here. */
  result: jsonb('result').$type<Record<string, unknown>>(),
  error: text('error'),
  startedAt: timestamp('started_at', { withTimezone: true, mode: 'date' }),
  finishedAt: timestamp('finished_at', { withTimezone: true, mode: 'date' }),
  ...lifecycleDates,
});

/**
 * Subscriptions (mirrors): a saved search filter on one upstream, synced every `every_minutes` by
 * a repeatable job: what the upstream holds that matches and this node does not is pulled. Goes
 * with its upstream. The last sync's outcome is kept for the admin to read.
 */
export const federationSubscriptions = pgTable(
  'federation_subscriptions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** Always 'upstream': it makes the foreign key to the peer row. */
    relation: text('relation', { enum: ['upstream'] }).notNull().default('upstream'),
    upstreamNodeId: text('upstream_node_id').notNull(),
    /** The search filters, as query parameters ([name, value] pairs, in order). */
    filters: jsonb('filters').$type<Array<[string, string]>>().notNull(),
    everyMinutes: integer('every_minutes').notNull(),
    note: text('note').notNull().default(''),
    createdBy: text('created_by').notNull(),
    lastSyncAt: timestamp('last_sync_at', { withTimezone: true, mode: 'date' }),
    /** ok, partial (stopped at max_results or the upstream failed mid-way), error. */
    lastStatus: text('last_status', { enum: ['ok', 'partial', 'error'] }),
    /** What the last sync found: matched, new, pulled job ids, message. */
    lastResult: jsonb('last_result').$type<Record<string, unknown>>(),
    ...lifecycleDates,
  },
  (t) => [
    foreignKey({ columns: [t.relation, t.upstreamNodeId], foreignColumns: [federationPeers.relation, federationPeers.nodeId] }).onDelete('cascade'),
    index('federation_subscriptions_upstream').on(t.upstreamNodeId),
    check('federation_subscriptions_every', sql`${t.everyMinutes} >= 1`),
  ],
);
