/**
 * @module The checks every credential's identity passes, whichever mode brought it: the user id,
 * the project id (one rule, artifacts/names.ts, which the routes naming a project apply too) and
 * the roles.
 */
import { Unauthenticated } from '../errors.js';
import { userActor, type UserActor } from '../artifacts/actor.js';
import { isProjectId, isRoleName, isUserId, PROJECT_ID_RULE, USER_ID_RULE } from '../artifacts/names.js';

/** `source` names where each value came from, for the message: e.g. `{ user: 'X-User-Id', ... }`. */
export function checkedUser(
  claimed: { userId: unknown; projectId: unknown; roles: readonly unknown[] },
  source: { user: string; project: string; roles: string },
  adminRole: string,
): UserActor {
  if (!isUserId(claimed.userId)) throw new Unauthenticated(`${source.user}: ${USER_ID_RULE}`);
  if (!isProjectId(claimed.projectId)) throw new Unauthenticated(`${source.project}: a project id is ${PROJECT_ID_RULE}`);
  const roles: string[] = [];
  for (const role of claimed.roles) {
    const name = typeof role === 'string' ? role.trim() : role;
    if (name === '') continue;
    if (!isRoleName(name)) throw new Unauthenticated(`${source.roles}: each role is 1-255 characters without control characters`);
    roles.push(name);
  }
  return userActor({ userId: claimed.userId, projectId: claimed.projectId, roles, adminRole });
}

