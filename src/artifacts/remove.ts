/** @module Deleting an artifact: its record, its blob records, and the bytes no one else uses. */
import { deleteArtifact as deleteRow, findArtifact } from '../db/queries/artifacts.js';
import { beforeDependedRemoval } from '../dependencies/references.js';
import { NotFound } from '../errors.js';
import type { ArtifactType } from './artifact-type.js';
import { releaseBlobBytes } from './blobs.js';
import { conn, emit, refFor, withTransaction, type OpContext } from './context.js';
import { assertNotCachedCopy } from './cached-copies.js';
import { assertCanDelete, hasAdminRights, sightOf } from './policy.js';

export async function deleteArtifact(ctx: OpContext, { type, id }: { type: ArtifactType; id: string }): Promise<void> {
  const removed = await withTransaction(ctx, async (tx) => {
    const found = await findArtifact(conn(tx), { id, typeName: type.name, sight: sightOf(tx.actor), forUpdate: true });
    if (!found) throw new NotFound(`no ${type.name} with id ${id}`);
    assertCanDelete(tx.actor, found);
    if (!hasAdminRights(tx.actor)) await assertNotCachedCopy(tx, found, 'delete this artifact but an admin');
    await beforeDependedRemoval(tx, found, 'deleted');
    await deleteRow(conn(tx), found.id);
    emit(tx, { kind: 'artifact.deleted', id: found.id, ref: refFor(tx, found) });
    return found;
  });
  // After the commit: bytes go only once no row can point at them.
  await releaseBlobBytes(ctx, removed.blobs);
}
