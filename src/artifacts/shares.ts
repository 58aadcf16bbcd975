/**
 * @module Sharing an active, private artifact with named projects (the Glance V3 design's
 * "shared" visibility). A project it is shared with sees it, and finds it in lists, as if it
 * were public; nobody else does. Only the owner (or an admin) manages shares.
 */
import type { Caller } from '../auth/caller.js';
import { deleteShare, insertShare, listShares as queryShares } from '../db/queries/artifacts.js';
import type { Deps } from '../deps.js';
import { BadRequest, Conflict, NotFound } from '../errors.js';
import type { ArtifactType } from './artifact-type.js';
import { assertCanModify } from './policy.js';
import { findArtifactRow } from './read.js';

export interface ShareView {
  project: string;
  created_at: string;
}

export async function listShares(deps: Pick<Deps, 'db'>, caller: Caller, type: ArtifactType, id: string): Promise<ShareView[]> {
  const row = await findArtifactRow(deps, caller, type.name, id);
  assertCanModify(caller, { owner: row.owner, visibility: 'private' }, 'see who an artifact is shared with');
  return (await queryShares(deps.db, row.id)).map((s) => ({ project: s.project, created_at: s.createdAt.toISOString() }));
}

export async function addShare(deps: Pick<Deps, 'db'>, caller: Caller, type: ArtifactType, id: string, project: string): Promise<ShareView[]> {
  const row = await findArtifactRow(deps, caller, type.name, id);
  if (row.visibility === 'public') throw new Conflict('the artifact is public: every project sees it already');
  assertCanModify(caller, row, 'share this artifact');
  if (row.status !== 'active') throw new Conflict(`only active artifacts can be shared; this one is ${row.status}`);
  if (project === row.owner) throw new BadRequest('the owning project already sees its own artifact');
  await insertShare(deps.db, row.id, project);
  return listShares(deps, caller, type, id);
}

export async function removeShare(deps: Pick<Deps, 'db'>, caller: Caller, type: ArtifactType, id: string, project: string): Promise<void> {
  const row = await findArtifactRow(deps, caller, type.name, id);
  assertCanModify(caller, { owner: row.owner, visibility: 'private' }, 'change who an artifact is shared with');
  if (!(await deleteShare(deps.db, row.id, project))) throw new NotFound(`the artifact is not shared with project ${project}`);
}
