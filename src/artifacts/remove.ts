/** @module Deleting an artifact: its record, its blob records, and the bytes no one else uses. */
import type { Caller } from '../auth/caller.js';
import { deleteArtifact as deleteRow, findBlobsOf, findVisibleArtifact } from '../db/queries/artifacts.js';
import type { Deps } from '../deps.js';
import { NotFound } from '../errors.js';
import type { ArtifactType } from './artifact-type.js';
import { releaseBlobRows } from './blobs.js';
import { assertCanModify, visibilityFor } from './policy.js';

export async function deleteArtifact(deps: Pick<Deps, 'db' | 'blobs' | 'log'>, caller: Caller, type: ArtifactType, id: string): Promise<void> {
  const blobs = await deps.db.transaction(async (tx) => {
    const row = await findVisibleArtifact(tx, { id, typeName: type.name, visibleTo: visibilityFor(caller), forUpdate: true });
    if (!row) throw new NotFound(`no ${type.name} with id ${id}`);
    assertCanModify(caller, row, 'delete this artifact');
    const rows = await findBlobsOf(tx, [row.id]);
    await deleteRow(tx, row.id);
    return rows;
  });
  // After the commit: bytes go only once no row can point at them.
  await releaseBlobRows(deps, blobs);
}
