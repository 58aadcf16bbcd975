/**
 * @module The status machine: drafted → active (owner) → deactivated (admin) → active (admin);
 * deleting removes the artifact, it is not a status. Activation needs every
 * required_on_activate field set and every blob finished.
 */
import { Conflict, Forbidden } from '../errors.js';
import type { Actor } from './actor.js';
import { fieldValue, type Artifact, type Status } from './artifact.js';
import type { ArtifactType } from './artifact-type.js';
import { BLOB_KINDS, isEmptyValue, type FieldDef } from './fields.js';
import { hasAdminRights } from './policy.js';

const ADMIN_ONLY: ReadonlySet<string> = new Set(['active->deactivated', 'deactivated->active']);
const ALLOWED: ReadonlySet<string> = new Set(['drafted->active', ...ADMIN_ONLY]);

export function assertTransition(actor: Actor, from: Status, to: Status): void {
  const step = `${from}->${to}`;
  // Glare refuses every transition it does not allow with 403 (common/utils.py validate_status_transition).
  if (!ALLOWED.has(step)) throw new Forbidden(`an artifact cannot go from ${from} to ${to}`);
  if (ADMIN_ONLY.has(step) && !hasAdminRights(actor)) {
    throw new Forbidden(`only an admin may ${to === 'deactivated' ? 'deactivate' : 'reactivate'} an artifact`);
  }
}

/** What must hold before an artifact becomes active (type hooks run after this). */
export function assertActivatable(type: ArtifactType, artifact: Artifact): void {
  const saving = artifact.blobs.find((b) => b.status !== 'active');
  if (saving) throw new Conflict(`blob "${saving.field}" is still being uploaded; activate when it is active`);
  const missing = [...type.fields.values()].filter((f) => f.requiredOnActivate && isEmptyValue(fieldValue(type, artifact, f.name)));
  if (missing.length > 0) throw new Forbidden(`cannot activate: required fields are not set: ${missing.map((f) => f.name).join(', ')}`);
}

/**
 * Whether an artifact's blobs may change: only while it is a draft. Unlike Glare, not even a
 * mutable blob field changes once the artifact is active, since a developer's signature covers
 * every blob's digest (signing/manifest.ts).
 */
export function blobsWritable(artifact: Pick<Artifact, 'status'>): boolean {
  return artifact.status === 'drafted';
}

const IDENTITY_FIELDS: ReadonlySet<string> = new Set(['name', 'version']);

/**
 * The fields sealed once an artifact is past draft, apart from blobs and its identity: what a
 * developer's signature binds (signing/manifest.ts) and what a type upgrade may not change.
 */
export function sealedFields(type: ArtifactType): FieldDef[] {
  return [...type.fields.values()].filter((f) => !f.mutable && !f.system && !BLOB_KINDS.has(f.kind) && !IDENTITY_FIELDS.has(f.name));
}

/** The sealed fields that hold a value, by name, as `type` reads `artifact`. */
export function sealedValues(type: ArtifactType, artifact: Artifact): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const def of sealedFields(type)) {
    const value = fieldValue(type, artifact, def.name);
    if (value !== null && value !== undefined) values[def.name] = value;
  }
  return values;
}
