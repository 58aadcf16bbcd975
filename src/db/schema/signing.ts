/**
 * @module Developer keys a project registers, and the detached signatures attached to artifacts.
 * Keys are never deleted, only revoked: a signature made before the revocation still holds, so
 * its key must stay on record.
 */
import { foreignKey, index, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { artifacts } from './artifacts.js';

export const developerKeys = pgTable(
  'developer_keys',
  {
    project: text('project').notNull(),
    /** RFC 7638 JWK thumbprint (SHA-256, base64url): the `kid` a signature names the key by. */
    kid: text('kid').notNull(),
    /** A label the developer chose ("alice's laptop"). */
    name: text('name').notNull().default(''),
    /** EdDSA (Ed25519) or ES256 (P-256). */
    alg: text('alg', { enum: ['EdDSA', 'ES256'] }).notNull(),
    /** The public JWK, only its public members. */
    jwk: jsonb('jwk').$type<Record<string, string>>().notNull(),
    createdBy: text('created_by').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    /** From this moment on, signatures made with the key no longer hold. */
    revokedAt: timestamp('revoked_at', { withTimezone: true, mode: 'date' }),
    revocationReason: text('revocation_reason'),
    revokedBy: text('revoked_by'),
  },
  (t) => [primaryKey({ columns: [t.project, t.kid] })],
);

export const artifactSignatures = pgTable(
  'artifact_signatures',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    artifactId: uuid('artifact_id')
      .notNull()
      .references(() => artifacts.id, { onDelete: 'cascade' }),
    /** The key's project (the artifact's owner when it was signed) and thumbprint. */
    project: text('project').notNull(),
    kid: text('kid').notNull(),
    /** Compact JWS with a detached payload: `<protected header>..<signature>`. */
    jws: text('jws').notNull(),
    /** The manifest as it was signed, to say what changed when the signature no longer holds. */
    manifest: jsonb('manifest').$type<Record<string, unknown>>().notNull(),
    manifestSha256: text('manifest_sha256').notNull(),
    /** When the signature is known to have existed: when a node first recorded it. */
    signedAt: timestamp('signed_at', { withTimezone: true, mode: 'date' }).notNull(),
    attachedBy: text('attached_by').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [
    foreignKey({ columns: [t.project, t.kid], foreignColumns: [developerKeys.project, developerKeys.kid], name: 'artifact_signatures_key_fk' }),
    uniqueIndex('artifact_signatures_once_unique').on(t.artifactId, t.project, t.kid, t.manifestSha256),
    index('artifact_signatures_key_idx').on(t.project, t.kid),
  ],
);
