/**
 * @module What community data is about, and who may add to it. Ratings and comments belong to
 * an artifact's name in its owner's project (every version shares them); downloads to one
 * artifact (one version). Anyone who sees an artifact reads its community data; only users
 * (signed in, with a user id) write it, and only about active artifacts.
 */
import type { Actor, UserActor } from '../artifacts/actor.js';
import type { Artifact } from '../artifacts/artifact.js';
import type { ArtifactType } from '../artifacts/artifact-type.js';
import type { OpContext } from '../artifacts/context.js';
import { showArtifact } from '../artifacts/read.js';
import { Forbidden } from '../errors.js';

/** An artifact, by type (undefined: any type) and id, as the community verbs take it. */
export interface CommunityTarget {
  type?: ArtifactType;
  id: string;
}

export interface NameOf {
  typeName: string;
  owner: string;
  name: string;
}

export function nameOf(artifact: Pick<Artifact, 'typeName' | 'owner' | 'name'>): NameOf {
  return { typeName: artifact.typeName, owner: artifact.owner, name: artifact.name };
}

/** The artifact, if the actor sees it (NotFound otherwise, never Forbidden). */
export function seenArtifact(ctx: OpContext, target: CommunityTarget): Promise<Artifact> {
  return showArtifact(ctx, { type: target.type, id: target.id });
}

/** The user who writes; anonymous callers, peers and the node itself write no community data. */
export function contributor(actor: Actor, action: string): UserActor {
  if (actor.kind === 'user') return actor;
  if (actor.kind === 'anonymous') throw new Forbidden(`anonymous callers only read ratings, comments and statistics: sign in to ${action}`);
  throw new Forbidden(`only users ${action}; a ${actor.kind} actor may not`);
}

/** The artifact a user writes community data about: seen, and active. */
export async function contributedArtifact(ctx: OpContext, target: CommunityTarget, action: string): Promise<{ user: UserActor; artifact: Artifact }> {
  const user = contributor(ctx.actor, action);
  const artifact = await seenArtifact(ctx, target);
  if (artifact.status !== 'active') throw new Forbidden(`the artifact is ${artifact.status}: only active artifacts can be rated or commented on`);
  return { user, artifact };
}
