/** @module Deleting an artifact (its blobs go with it). */
import type { Caller } from '../auth/caller.js';
import { deleteArtifact as deleteRow, findVisibleArtifact } from '../db/queries/artifacts.js';
import type { Deps } from '../deps.js';
import { NotFound } from '../errors.js';
import type { ArtifactType } from './artifact-type.js';
import { assertCanModify, visibilityFor } from './policy.js';

export async function deleteArtifact(deps: Pick<Deps, 'db'>, caller: Caller, type: ArtifactType, id: string): Promise<void> {
  await deps.db.transaction(async (tx) => {
    const row = await findVisibleArtifact(tx, { id, typeName: type.name, visibleTo: visibilityFor(caller), forUpdate: true });
    if (!row) throw new NotFound(`no ${type.name} with id ${id}`);
    assertCanModify(caller, row, 'delete this artifact');
    await deleteRow(tx, row.id);
  });
}
