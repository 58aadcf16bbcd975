/** @module Showing and listing artifacts, as the actor is allowed to see them. */
import { findArtifact, listArtifactRows, listArtifacts as queryArtifacts } from '../db/queries/artifacts.js';
import { NotFound } from '../errors.js';
import type { Artifact } from './artifact.js';
import type { ArtifactType } from './artifact-type.js';
import { conn, type OpContext } from './context.js';
import type { ListCounts } from './list-counts.js';
import type { ListPage, ListQuery } from './list-query.js';
import { sightOf } from './policy.js';

/** `type` undefined: any type (the read-only view over every type). */
export interface ArtifactTarget {
  type?: ArtifactType;
  id: string;
}

/** The artifact if the actor may see it; NotFound otherwise (also for another type's id). */
export async function showArtifact(ctx: OpContext, { type, id }: ArtifactTarget): Promise<Artifact> {
  const found = await findArtifact(conn(ctx), { id, typeName: type?.name, sight: sightOf(ctx.actor) });
  if (!found) throw new NotFound(`no ${type?.name ?? 'artifact'} with id ${id}`);
  return found;
}

export interface ListIntent {
  type?: ArtifactType;
  query: ListQuery;
  /** Where remembered total counts live (a node's own; see list-counts.ts). */
  counts: Pick<ListCounts, 'count'>;
  /** Counts stop one row past this: larger totals are reported as this many, not exact. */
  exactCountUpTo: number;
}

export async function listArtifacts(ctx: OpContext, { type, query, counts, exactCountUpTo }: ListIntent): Promise<ListPage<Artifact>> {
  const { rows, total, totalExact } = await queryArtifacts(conn(ctx), { typeName: type?.name, query, sight: sightOf(ctx.actor), counts, exactCountUpTo });
  return { artifacts: rows, total, totalExact, ...continuation(rows, query.limit) };
}

/**
 * One page of a list without its total, for a reader that shows none (a federated search's own
 * page): the list's size is neither estimated nor counted.
 */
export async function listArtifactsPage(ctx: OpContext, { type, query, exactCountUpTo }: Omit<ListIntent, 'counts'>): Promise<Omit<ListPage<Artifact>, 'total' | 'totalExact'>> {
  const rows = await listArtifactRows(conn(ctx), { typeName: type?.name, query, sight: sightOf(ctx.actor), exactCountUpTo });
  return { artifacts: rows, ...continuation(rows, query.limit) };
}

/** A full page's last id, where the next page starts; a shorter page is the list's end. */
function continuation(rows: readonly Artifact[], limit: number): { nextMarker?: string } {
  return rows.length === limit && rows.length > 0 ? { nextMarker: rows.at(-1)!.id } : {};
}
