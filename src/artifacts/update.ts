/**
 * @module Changing an artifact: field values (system fields never, immutable ones only while
 * drafted, blobs only through their own verbs), status transitions and visibility. The change
 * is computed from the artifact as it is under the row lock, so concurrent changes never
 * interleave.
 */
import { findArtifact, publicTwinExists, updateArtifactRecord, type ArtifactRecord } from '../db/queries/artifacts.js';
import { assertRequirementsResolve } from '../dependencies/closure.js';
import { afterReactivation, beforeDependedRemoval, recordReferences } from '../dependencies/references.js';
import { BadRequest, Conflict, Forbidden, NotFound } from '../errors.js';
import type { Artifact, Status, Visibility } from './artifact.js';
import type { ArtifactType } from './artifact-type.js';
import { conn, emit, hookContext, refFor, withTransaction, type OpContext } from './context.js';
import { BLOB_KINDS } from './fields.js';
import { assertLinksResolve, validateValue, withValues } from './input.js';
import { assertActivatable, assertTransition } from './lifecycle.js';
import { assertNotCachedCopy } from './cached-copies.js';
import { assertCanModify, assertCanPublish, sightOf } from './policy.js';

export interface ArtifactChanges {
  /** New field values by field name (not status or visibility). */
  values?: Readonly<Record<string, unknown>>;
  status?: Status;
  visibility?: Visibility;
}

export interface UpdateIntent {
  type: ArtifactType;
  id: string;
  /** Computes the changes from the artifact as it is now (a dialect's patch, a job's decision). */
  change: (current: Artifact) => ArtifactChanges;
}

export async function updateArtifact(ctx: OpContext, intent: UpdateIntent): Promise<Artifact> {
  const { id } = intent;
  return withTransaction(ctx, async (tx) => {
    const current = await findArtifact(conn(tx), { id, typeName: intent.type.name, sight: sightOf(tx.actor), forUpdate: true });
    if (!current) throw new NotFound(`no ${intent.type.name} with id ${id}`);
    // The artifact keeps the rules of the type version it was made with.
    const type = tx.catalog.types.forArtifact(current);
    assertCanModify(tx.actor, current);
    await assertNotCachedCopy(tx, current, 'change this artifact');
    const changes = intent.change(current);
    const values = changes.values ?? {};
    const statusChanges = changes.status !== undefined && changes.status !== current.status;
    const visibilityChanges = changes.visibility !== undefined && changes.visibility !== current.visibility;
    if (Object.keys(values).length === 0 && !statusChanges && !visibilityChanges) return current;

    const valid: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(values)) {
      const def = type.fields.get(name);
      if (!def) throw new BadRequest(`type ${type.name} has no field "${name.slice(0, 60)}"`);
      if (name === 'status' || name === 'visibility') throw new BadRequest(`"${name}" changes through its own transition, not as a value`);
      if (def.system) throw new Forbidden(`field "${name}" is set by the catalog and cannot be changed`);
      if (BLOB_KINDS.has(def.kind)) throw new BadRequest(`field "${name}" is a blob: change it through the blob API`);
      if (current.status !== 'drafted' && !def.mutable) throw new Forbidden(`field "${name}" cannot change once the artifact has been activated`);
      valid[name] = validateValue(def, value);
    }

    const now = tx.now();
    const after: Artifact = { ...withValues(type, current, valid), updatedAt: now };
    const hooks = hookContext(tx, type);
    if (statusChanges) {
      assertTransition(tx.actor, current.status, changes.status!);
      after.status = changes.status!;
      if (current.status === 'drafted') {
        assertActivatable(type, after);
        await type.hooks.beforeActivate?.(after, hooks);
        await assertRequirementsResolve(tx, after);
        for (const guard of tx.catalog.activationGuards) await guard(tx, type, after);
        after.activatedAt = now;
      }
      if (after.status === 'deactivated') await beforeDependedRemoval(tx, current, 'deactivated');
    }
    if (visibilityChanges) {
      // Glare forbids these (common/utils.py validate_visibility_transition): 403, not 400.
      if (after.status !== 'active') throw new Forbidden('visibility can change only while the artifact is active; drafts are always private');
      if (changes.visibility === 'private') throw new Forbidden('a public artifact cannot become private again');
      assertCanPublish(tx.actor, { ownersMayPublish: tx.catalog.config.policy.owners_may_publish });
      if (changes.visibility === 'public' && (await publicTwinExists(conn(tx), current))) {
        throw new Conflict(`a public ${type.name} named "${current.name}" with version ${current.version} already exists`);
      }
      after.visibility = changes.visibility!;
    }
    await assertLinksResolve(conn(tx), tx.actor, type, valid, Object.keys(valid));
    await type.hooks.beforeUpdate?.(current, after, hooks);

    const { id: _id, blobs: _blobs, typeName: _t, typeVersion: _v, owner: _o, createdAt: _c, ...record } = after;
    const updated = await updateArtifactRecord(conn(tx), current, record satisfies Partial<ArtifactRecord>);
    await recordReferences(tx, type, updated, Object.keys(valid));
    if (statusChanges && current.status === 'deactivated') await afterReactivation(tx, updated);
    if (statusChanges && current.status === 'drafted') await type.hooks.afterActivate?.(updated, hooks);
    await type.hooks.afterUpdate?.(updated, hooks);
    const changed = [...Object.keys(valid), ...(statusChanges ? ['status'] : []), ...(visibilityChanges ? ['visibility'] : [])];
    emit(tx, { kind: 'artifact.updated', id: updated.id, ref: refFor(tx, updated), changed });
    return updated;
  });
}

/** drafted → active: the typed form of the most common change. */
export function activateArtifact(ctx: OpContext, target: { type: ArtifactType; id: string }): Promise<Artifact> {
  return updateArtifact(ctx, { ...target, change: () => ({ status: 'active' }) });
}

/** Makes an active artifact public (admins, by default policy). */
export function publishArtifact(ctx: OpContext, target: { type: ArtifactType; id: string }): Promise<Artifact> {
  return updateArtifact(ctx, { ...target, change: () => ({ visibility: 'public' }) });
}
