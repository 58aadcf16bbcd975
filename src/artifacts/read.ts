/** @module Showing and listing artifacts, as the caller is allowed to see them. */
import type { Caller } from '../auth/caller.js';
import { findVisibleArtifact, listArtifacts as queryArtifacts, showVisibleArtifact } from '../db/queries/artifacts.js';
import type { ArtifactRow } from '../db/schema/index.js';
import type { Deps } from '../deps.js';
import { NotFound } from '../errors.js';
import type { ArtifactType, ArtifactValues } from './artifact-type.js';
import type { ListQuery } from './filters.js';
import { visibilityFor } from './policy.js';
import { toArtifactValues, toGenericValues } from './values.js';

type ReadDeps = Pick<Deps, 'db' | 'types' | 'listCounts'>;

/** The artifact row if the caller may see it; NotFound otherwise (also for another type's id). */
export async function findArtifactRow(deps: Pick<Deps, 'db'>, caller: Caller, typeName: string | undefined, id: string): Promise<ArtifactRow> {
  const row = await findVisibleArtifact(deps.db, { id, typeName, visibleTo: visibilityFor(caller) });
  if (!row) throw notFound(typeName, id);
  return row;
}

function notFound(typeName: string | undefined, id: string): NotFound {
  return new NotFound(`no ${typeName ?? 'artifact'} with id ${id}`);
}

/** `type` undefined: the `all` view, generic fields only. */
export async function showArtifact(deps: ReadDeps, caller: Caller, type: ArtifactType | undefined, id: string): Promise<ArtifactValues> {
  const row = await showVisibleArtifact(deps.db, { id, typeName: type?.name, visibleTo: visibilityFor(caller) });
  if (!row) throw notFound(type?.name, id);
  return type ? toArtifactValues(type, row, row.blobs) : toGenericValues(row, displayName(deps, row.typeName), row.blobs);
}

export async function listArtifacts(
  deps: ReadDeps,
  caller: Caller,
  type: ArtifactType | undefined,
  query: ListQuery,
): Promise<{ artifacts: ArtifactValues[]; total: number; lastId?: string }> {
  const { rows, total } = await queryArtifacts(deps.db, { typeName: type?.name, query, visibleTo: visibilityFor(caller), counts: deps.listCounts });
  const artifacts = rows.map((row) => (type ? toArtifactValues(type, row, row.blobs) : toGenericValues(row, displayName(deps, row.typeName), row.blobs)));
  return { artifacts, total, ...(rows.length === query.limit && rows.length > 0 ? { lastId: rows.at(-1)!.id } : {}) };
}

function displayName(deps: ReadDeps, typeName: string): string {
  // Rows of a type whose plugin was removed still list under `all`, by their stored name.
  return deps.types.has(typeName) ? deps.types.get(typeName).displayName : typeName;
}
