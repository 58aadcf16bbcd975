/**
 * @module Who acts on the catalog: what every policy decision is made about.
 *
 * - a user of a project (with roles; the admin role sees and changes everything);
 * - anonymous: reads active public artifacts only;
 * - system: the node itself (jobs, importers), allowed everything;
 * - peer: another catalog node, allowed only what its enrolment grants.
 */

export type PeerPermission = 'search' | 'pull' | 'submit';

export type Actor =
  | { kind: 'anonymous' }
  | { kind: 'user'; userId: string; projectId: string; roles: readonly string[]; isAdmin: boolean }
  /** `projectId`: the project whose artifacts the node makes when it creates any (an importer's). */
  | { kind: 'system'; purpose: string; projectId?: string }
  | { kind: 'peer'; nodeId: string; permissions: readonly PeerPermission[]; projectId?: string };

export type UserActor = Extract<Actor, { kind: 'user' }>;
export type SystemActor = Extract<Actor, { kind: 'system' }>;
export type PeerActor = Extract<Actor, { kind: 'peer' }>;

export const ANONYMOUS: Actor = Object.freeze({ kind: 'anonymous' });

export function userActor(input: { userId: string; projectId: string; roles: readonly string[]; adminRole: string }): UserActor {
  return {
    kind: 'user',
    userId: input.userId,
    projectId: input.projectId,
    roles: input.roles,
    isAdmin: input.roles.includes(input.adminRole),
  };
}

/** The node acting on its own behalf; `purpose` names the job or importer, for logs. */
export function systemActor(purpose: string, projectId?: string): SystemActor {
  return { kind: 'system', purpose, ...(projectId ? { projectId } : {}) };
}

export function peerActor(input: { nodeId: string; permissions: readonly PeerPermission[]; projectId?: string }): PeerActor {
  return { kind: 'peer', ...input };
}

/** The project an actor acts for, if any (for logs and ownership). */
export function actorProject(actor: Actor): string | undefined {
  return actor.kind === 'anonymous' ? undefined : actor.projectId;
}
