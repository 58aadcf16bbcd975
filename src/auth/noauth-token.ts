/**
 * @module Glare's default "trusted auth" credential: `X-Auth-Token: user:tenant:roles` (roles
 * comma-separated), read without any verification, exactly as Glare's TrustedAuthMiddleware did
 * (glare/api/middleware/context.py). Anyone who reaches the node can claim any identity this way,
 * so the mode (`noauth-token`) is off by default, like trusted-headers. A tenant spelled `none`
 * asks for anonymous access, which the node grants only when it also allows anonymous callers.
 */
import { Unauthenticated } from '../errors.js';
import type { UserActor } from '../artifacts/actor.js';
import { checkedUser } from './identity.js';

const FORM = "X-Auth-Token must be 'user:tenant:roles'";

/** 'anonymous' for a token whose tenant is `none`. */
export function callerFromNoauthToken(token: string, adminRole: string): UserActor | 'anonymous' {
  const parts = token.trim().split(':');
  if (parts.length !== 3) throw new Unauthenticated(`${FORM}: expected three parts separated by ':', got ${parts.length}`);
  const [user, tenant, roles] = parts as [string, string, string];
  if (tenant === '') throw new Unauthenticated(`${FORM}: the tenant is missing`);
  if (tenant.toLowerCase() === 'none') return 'anonymous';
  return checkedUser({ userId: user, projectId: tenant, roles: roles.split(',') }, { user: 'X-Auth-Token user', project: 'X-Auth-Token tenant', roles: 'X-Auth-Token roles' }, adminRole);
}
