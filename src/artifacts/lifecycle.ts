/**
 * @module The status machine: drafted → active (owner) → deactivated (admin) → active (admin);
 * deleting is DELETE, not a status change. Activation needs every required_on_activate field
 * set and every blob finished.
 */
import type { Caller } from '../auth/caller.js';
import { BadRequest, Conflict, Forbidden } from '../errors.js';
import type { ArtifactType, ArtifactValues } from './artifact-type.js';
import { BLOB_KINDS, isEmptyValue } from './fields.js';
import type { BlobView } from './values.js';

export type Status = 'drafted' | 'active' | 'deactivated' | 'deleted';

const ADMIN_ONLY: ReadonlySet<string> = new Set(['active->deactivated', 'deactivated->active']);
const ALLOWED: ReadonlySet<string> = new Set(['drafted->active', ...ADMIN_ONLY]);

export function assertTransition(caller: Caller, from: Status, to: Status): void {
  if (to === 'deleted') throw new BadRequest('delete an artifact with DELETE, not by setting its status');
  const step = `${from}->${to}`;
  if (!ALLOWED.has(step)) throw new BadRequest(`an artifact cannot go from ${from} to ${to}`);
  if (ADMIN_ONLY.has(step) && !(caller.kind === 'user' && caller.isAdmin)) {
    throw new Forbidden(`only an admin may ${to === 'deactivated' ? 'deactivate' : 'reactivate'} an artifact`);
  }
}

/** What must hold before an artifact becomes active (type hooks run after this). */
export function assertActivatable(type: ArtifactType, values: ArtifactValues): void {
  const missing: string[] = [];
  for (const f of type.fields.values()) {
    const value = values[f.name];
    if (BLOB_KINDS.has(f.kind)) {
      const blobs = f.kind === 'blob' ? (value ? [value as BlobView] : []) : Object.values((value ?? {}) as Record<string, BlobView>);
      if (blobs.some((b) => b.status !== 'active')) throw new Conflict(`blob "${f.name}" is still being uploaded; activate when it is active`);
    }
    if (f.requiredOnActivate && isEmptyValue(value)) missing.push(f.name);
  }
  if (missing.length > 0) throw new BadRequest(`cannot activate: required fields are not set: ${missing.join(', ')}`);
}
