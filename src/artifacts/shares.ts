/**
 * @module Sharing an active, private artifact with named projects (the Glance V3 design's
 * "shared" visibility). A project it is shared with sees it, and finds it in lists, as if it
 * were public; nobody else does. Only the owner (or an admin) manages shares.
 */
import { deleteShare, insertShare, listShares as queryShares } from '../db/queries/artifacts.js';
import { BadRequest, Conflict, NotFound } from '../errors.js';
import type { ArtifactType } from './artifact-type.js';
import { conn, emit, refFor, type OpContext } from './context.js';
import { assertCanManageShares, assertCanModify } from './policy.js';
import { showArtifact } from './read.js';

export interface Share {
  project: string;
  createdAt: Date;
}

type ShareTarget = { type: ArtifactType; id: string };

export async function listShares(ctx: OpContext, target: ShareTarget): Promise<Share[]> {
  const artifact = await showArtifact(ctx, target);
  assertCanManageShares(ctx.actor, artifact, 'see who an artifact is shared with');
  return queryShares(conn(ctx), artifact.id);
}

export async function addShare(ctx: OpContext, target: ShareTarget & { project: string }): Promise<Share[]> {
  const artifact = await showArtifact(ctx, target);
  if (artifact.visibility === 'public') throw new Conflict('the artifact is public: every project sees it already');
  assertCanModify(ctx.actor, artifact, 'share this artifact');
  if (artifact.status !== 'active') throw new Conflict(`only active artifacts can be shared; this one is ${artifact.status}`);
  if (target.project === artifact.owner) throw new BadRequest('the owning project already sees its own artifact');
  await insertShare(conn(ctx), artifact.id, target.project);
  emit(ctx, { kind: 'shares.changed', id: artifact.id, ref: refFor(ctx, artifact) });
  return queryShares(conn(ctx), artifact.id);
}

export async function removeShare(ctx: OpContext, target: ShareTarget & { project: string }): Promise<void> {
  const artifact = await showArtifact(ctx, target);
  assertCanManageShares(ctx.actor, artifact, 'change who an artifact is shared with');
  if (!(await deleteShare(conn(ctx), artifact.id, target.project))) throw new NotFound(`the artifact is not shared with project ${target.project}`);
  emit(ctx, { kind: 'shares.changed', id: artifact.id, ref: refFor(ctx, artifact) });
}
