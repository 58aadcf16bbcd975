/**
 * @module Identity from headers set by a trusted authenticating proxy (Glare's noauth flavour):
 * X-User-Id, X-Project-Id or X-Tenant-Id, X-Roles. Anyone who can reach the node directly can
 * forge these, so the mode is off by default.
 */
import { Unauthenticated } from '../errors.js';
import { userActor, type UserActor } from '../artifacts/actor.js';

const ID = /^[A-Za-z0-9_.@:-]{1,255}$/;

/** undefined when the request carries none of the headers. */
export function callerFromHeaders(headers: Headers, adminRole: string): UserActor | undefined {
  const userId = headers.get('x-user-id');
  const projectId = headers.get('x-project-id') ?? headers.get('x-tenant-id');
  const roles = headers.get('x-roles');
  if (userId === null && projectId === null && roles === null) return undefined;
  if (headers.get('x-identity-status')?.toLowerCase() === 'invalid') throw new Unauthenticated('the authenticating proxy marked the identity invalid');
  if (!userId || !ID.test(userId)) throw new Unauthenticated('X-User-Id must be 1-255 characters of letters, digits and _.@:-');
  if (!projectId || !ID.test(projectId)) throw new Unauthenticated('X-Project-Id (or X-Tenant-Id) must be 1-255 characters of letters, digits and _.@:-');
  return userActor({
    userId,
    projectId,
    roles: (roles ?? '').split(',').map((r) => r.trim()).filter(Boolean),
    adminRole,
  });
}
