/**
 * @module Who may see and change what: the one policy module. Glare's default policy, plus
 * direct shares, the node itself and peer nodes:
 * - admins and the node itself (system) see and change everything;
 * - a project sees its own artifacts, and active ones that are public or shared with it;
 * - anonymous callers see active public artifacts and change nothing;
 * - a peer node sees active public artifacts (and, when its enrolment names a project for its
 *   submissions, that project's); it changes only that project, and only with `submit`;
 * - only admins change public artifacts, deactivate and reactivate;
 * - only admins publish, unless the node lets owners publish (`policy.owners_may_publish`).
 * An artifact the actor may not see is NotFound, never Forbidden. The SQL form of "may see" is
 * `visibleWhere` in db/queries/predicates.ts.
 */
import { Forbidden, NotFound } from '../errors.js';
import type { Actor, PeerPermission } from './actor.js';
import type { Artifact } from './artifact.js';

/** Which artifacts an actor may see, as the queries need it. */
export type Sight = { kind: 'all' } | { kind: 'public' } | { kind: 'project'; projectId: string };

export function sightOf(actor: Actor): Sight {
  switch (actor.kind) {
    case 'anonymous':
      return { kind: 'public' };
    case 'system':
      return { kind: 'all' };
    case 'user':
      return actor.isAdmin ? { kind: 'all' } : { kind: 'project', projectId: actor.projectId };
    case 'peer':
      return actor.projectId ? { kind: 'project', projectId: actor.projectId } : { kind: 'public' };
  }
}

/** Admins and the node itself may do everything the catalog allows at all. */
export function hasAdminRights(actor: Actor): boolean {
  return actor.kind === 'system' || (actor.kind === 'user' && actor.isAdmin);
}

/** The project a write by `actor` belongs to; refuses actors that may not write at all. */
export function writingProject(actor: Actor, action: string): string {
  switch (actor.kind) {
    case 'anonymous':
      // Glare: Forbidden ("It's forbidden to anonymous users to create artifacts"), not 401.
      throw new Forbidden(`anonymous callers may only read public artifacts: sign in to ${action}`);
    case 'user':
      return actor.projectId;
    case 'peer':
      if (!actor.permissions.includes('submit') || !actor.projectId) throw new Forbidden(`peer node ${actor.nodeId} may not ${action}`);
      return actor.projectId;
    case 'system':
      if (!actor.projectId) throw new Forbidden(`the node itself must act for a project to ${action}`);
      return actor.projectId;
  }
}

export function requireAdmin(actor: Actor, action: string): void {
  if (hasAdminRights(actor)) return;
  throw new Forbidden(`only an admin may ${action}`);
}

/** The actor can already see `artifact`; may it change it? */
export function assertCanModify(actor: Actor, artifact: Pick<Artifact, 'owner' | 'visibility'>, action = 'change this artifact'): void {
  if (hasAdminRights(actor)) return;
  const project = writingProject(actor, action);
  if (artifact.owner !== project) throw new Forbidden(`only the owning project or an admin may ${action}`);
  if (artifact.visibility === 'public') throw new Forbidden(`the artifact is public: only an admin may ${action}`);
}

/** Glare's `artifact:delete`: the owner or an admin; public and deactivated artifacts only an admin. */
export function assertCanDelete(actor: Actor, artifact: Pick<Artifact, 'owner' | 'visibility' | 'status'>): void {
  assertCanModify(actor, artifact, 'delete this artifact');
  if (artifact.status === 'deactivated' && !hasAdminRights(actor)) throw new Forbidden('the artifact is deactivated: only an admin may delete it');
}

/** Glare's `artifact:publish` rule is admin-only; an operator may let owners publish too. */
export function assertCanPublish(actor: Actor, options: { ownersMayPublish: boolean }): void {
  if (options.ownersMayPublish || hasAdminRights(actor)) return;
  throw new Forbidden('only an admin may publish an artifact on this node');
}

/** Whose shares an actor may manage: the owner's (of a private artifact) or an admin. */
export function assertCanManageShares(actor: Actor, artifact: Pick<Artifact, 'owner'>, action: string): void {
  assertCanModify(actor, { owner: artifact.owner, visibility: 'private' }, action);
}

/** Deactivated artifacts keep their blobs from everyone but admins. */
export function assertCanDownload(actor: Actor, artifact: Pick<Artifact, 'status'>): void {
  if (artifact.status === 'deactivated' && !hasAdminRights(actor)) {
    throw new Forbidden('the artifact is deactivated: only admins may download its blobs');
  }
}

/** A project an actor may read quotas and usage of. */
export function quotaProjectFor(actor: Actor, asked: string | undefined): string {
  if (actor.kind === 'anonymous') throw new Forbidden('anonymous callers have no quotas: sign in to read them');
  const own = actor.projectId;
  const target = asked ?? own;
  if (!target) throw new Forbidden('name the project whose quotas to read');
  if (target !== own && !hasAdminRights(actor)) throw new NotFound(`no quotas visible for project ${target}`);
  return target;
}

/** A peer node uses a federation route only with the permission its enrolment granted; other actors are judged by the route's own rules. */
export function assertPeerMay(actor: Actor, permission: PeerPermission): void {
  if (actor.kind === 'peer' && !actor.permissions.includes(permission)) throw new Forbidden(`peer node ${actor.nodeId} is not enrolled for ${permission}`);
}
