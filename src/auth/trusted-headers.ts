/**
 * @module Identity from headers set by a trusted authenticating proxy (Glare's noauth flavour):
 * X-User-Id, X-Project-Id or X-Tenant-Id, X-Roles. Anyone who can reach the node directly can
 * forge these, so the mode is off by default.
 */
import { Unauthenticated } from '../errors.js';
import type { UserActor } from '../artifacts/actor.js';
import { checkedUser } from './identity.js';

/** undefined when the request carries none of the headers. */
export function callerFromHeaders(headers: Headers, adminRole: string): UserActor | undefined {
  const userId = headers.get('x-user-id');
  const projectHeader = headers.has('x-project-id') ? 'X-Project-Id' : 'X-Tenant-Id';
  const projectId = headers.get(projectHeader);
  const roles = headers.get('x-roles');
  if (userId === null && projectId === null && roles === null) return undefined;
  if (headers.get('x-identity-status')?.toLowerCase() === 'invalid') throw new Unauthenticated('the authenticating proxy marked the identity invalid');
  return checkedUser({ userId, projectId, roles: (roles ?? '').split(',') }, { user: 'X-User-Id', project: projectHeader, roles: 'X-Roles' }, adminRole);
}
