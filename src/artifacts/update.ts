/**
 * @module Changing an artifact with a JSON patch: field rules (system, immutable after
 * activation, blobs through their own API), status transitions and visibility.
 */
import type { Caller } from '../auth/caller.js';
import { findBlobsOf, findVisibleArtifact, publicTwinExists, updateArtifact as updateRow } from '../db/queries/artifacts.js';
import type { NewArtifactRow } from '../db/schema/index.js';
import type { Deps } from '../deps.js';
import { BadRequest, Conflict, Forbidden, NotFound } from '../errors.js';
import type { ArtifactType, ArtifactValues } from './artifact-type.js';
import { BLOB_KINDS } from './fields.js';
import { assertLinksResolve, validateValue } from './input.js';
import { assertActivatable, assertTransition, type Status } from './lifecycle.js';
import { applyJsonPatch, changedFields } from './patch.js';
import { assertCanModify, visibilityFor } from './policy.js';
import { toArtifactValues, toRowValues } from './values.js';
import { parseVersion, toStoredVersion } from './versions.js';

const STATUSES: readonly Status[] = ['drafted', 'active', 'deactivated', 'deleted'];

export async function updateArtifact(
  deps: Pick<Deps, 'db' | 'clock'>,
  caller: Caller,
  type: ArtifactType,
  id: string,
  ops: unknown,
): Promise<ArtifactValues> {
  return deps.db.transaction(async (tx) => {
    const row = await findVisibleArtifact(tx, { id, typeName: type.name, visibleTo: visibilityFor(caller), forUpdate: true });
    if (!row) throw new NotFound(`no ${type.name} with id ${id}`);
    assertCanModify(caller, row);
    const before = toArtifactValues(type, row, await findBlobsOf(tx, [row.id]));
    const after = applyJsonPatch(before, ops);
    const changed = changedFields(before, after);
    if (changed.size === 0) return before;

    for (const name of changed) {
      const def = type.fields.get(name);
      if (!def) throw new BadRequest(`type ${type.name} has no field "${name.slice(0, 60)}"`);
      if (name === 'status' || name === 'visibility') continue;
      if (def.system) throw new Forbidden(`field "${name}" is set by the catalog and cannot be changed`);
      if (BLOB_KINDS.has(def.kind)) throw new BadRequest(`field "${name}" is a blob: change it with PUT or DELETE /artifacts/${type.name}/${id}/${name}`);
      if (row.status !== 'drafted' && !def.mutable) throw new Forbidden(`field "${name}" cannot change once the artifact has been activated`);
      after[name] = validateValue(def, after[name]);
    }

    const now = deps.clock();
    const set: Partial<NewArtifactRow> = { updatedAt: now };
    const from = row.status as Status;
    const to = after.status as Status;
    if (changed.has('status')) {
      if (!STATUSES.includes(to)) throw new BadRequest(`status must be one of ${STATUSES.join(', ')}`);
      assertTransition(caller, from, to);
      if (from === 'drafted') {
        assertActivatable(type, after);
        await type.hooks.onActivate?.(after);
        set.activatedAt = now;
      }
      set.status = to;
    }
    if (changed.has('visibility')) {
      if (after.visibility !== 'private' && after.visibility !== 'public') throw new BadRequest('visibility must be private or public');
      if (to !== 'active') throw new BadRequest('visibility can change only while the artifact is active; drafts are always private');
      if (after.visibility === 'public' && (await publicTwinExists(tx, row))) {
        throw new Conflict(`a public ${type.name} named "${row.name}" with version ${row.version} already exists`);
      }
      set.visibility = after.visibility;
    }

    const version = toStoredVersion(parseVersion(String(after.version)));
    after.version = version.version;
    await assertLinksResolve(tx, caller, type, after, changed);
    await type.hooks.onUpdate?.(before, after);
    const updated = await updateRow(
      tx,
      row.id,
      { ...toRowValues(type, after, version), ...set },
      `an artifact of type ${type.name} named "${String(after.name)}" with version ${version.version} already exists in project ${row.owner}`,
    );
    return toArtifactValues(type, updated, await findBlobsOf(tx, [row.id]));
  });
}
