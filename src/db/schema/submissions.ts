/**
 * @module Submissions between federated nodes. A child keeps what it sent up (outgoing), an
 * upstream what it received (incoming): the child's GET of a submission refreshes its state from
 * the upstream's record.
 */
import { boolean, index, pgTable, text, timestamp, unique, uuid } from 'drizzle-orm/pg-core';
import { lifecycleDates } from './columns.js';

/**
 * One row per (upstream, local artifact): submitting again sends again and keeps the row.
 * `state`: queued → sending → pending_review | accepted, or failed (with `message`); an upstream
 * reviewer's decision (accepted, refused) arrives when the child reads the submission.
 */
export const outgoingSubmissions = pgTable(
  'federation_outgoing_submissions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    upstreamNodeId: text('upstream_node_id').notNull(),
    artifactId: uuid('artifact_id').notNull(),
    typeName: text('type_name').notNull(),
    name: text('name').notNull(),
    version: text('version').notNull(),
    /** An admin let private (or shared) artifacts of the closure go. */
    includePrivate: boolean('include_private').notNull().default(false),
    requestedBy: text('requested_by').notNull(),
    /** The project of the user who asked: they (and admins) see the submission. */
    requestedByProject: text('requested_by_project').notNull(),
    state: text('state', { enum: ['queued', 'sending', 'pending_review', 'accepted', 'refused', 'failed'] }).notNull(),
    message: text('message').notNull().default(''),
    /** The upstream's submission id and the id its copy of the artifact has there. */
    remoteId: text('remote_id'),
    remoteArtifactId: text('remote_artifact_id'),
    sentAt: timestamp('sent_at', { withTimezone: true, mode: 'date' }),
    ...lifecycleDates,
  },
  (t) => [unique('federation_outgoing_submissions_target').on(t.upstreamNodeId, t.artifactId)],
);

/**
 * What a child submitted here: the root artifact (in the child's project), the artifacts the
 * submission created (dependencies first; what a reviewer activates or a refusal removes).
 * One row per child and root identity, so a resubmission finds it again.
 */
export const incomingSubmissions = pgTable(
  'federation_incoming_submissions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    childNodeId: text('child_node_id').notNull(),
    projectId: text('project_id').notNull(),
    typeName: text('type_name').notNull(),
    name: text('name').notNull(),
    version: text('version').notNull(),
    /** The root artifact here, and its id on the child. */
    artifactId: uuid('artifact_id').notNull(),
    sourceId: text('source_id').notNull(),
    createdArtifactIds: uuid('created_artifact_ids').array().notNull(),
    state: text('state', { enum: ['pending_review', 'accepted', 'refused'] }).notNull(),
    reason: text('reason').notNull().default(''),
    reviewedBy: text('reviewed_by'),
    reviewedAt: timestamp('reviewed_at', { withTimezone: true, mode: 'date' }),
    ...lifecycleDates,
  },
  (t) => [unique('federation_incoming_submissions_root').on(t.childNodeId, t.typeName, t.name, t.version), index('federation_incoming_submissions_state').on(t.state, t.createdAt)],
);
