/**
 * @module Who may see and change what (Glare's default policy, plus direct shares):
 * - admins see and change everything;
 * - a project sees its own artifacts, and active ones that are public or shared with it;
 * - anonymous callers see active public artifacts and change nothing;
 * - only admins change public artifacts, deactivate and reactivate.
 * An artifact the caller may not see is NotFound, never Forbidden.
 * The SQL form of "may see" is `visibleWhere` in db/queries/predicates.ts.
 */
import type { Caller, UserCaller } from '../auth/caller.js';
import { Forbidden, Unauthenticated } from '../errors.js';

export type Visibility = { kind: 'all' } | { kind: 'public' } | { kind: 'project'; projectId: string };

export function visibilityFor(caller: Caller): Visibility {
  if (caller.kind === 'anonymous') return { kind: 'public' };
  if (caller.isAdmin) return { kind: 'all' };
  return { kind: 'project', projectId: caller.projectId };
}

/** Writes need an identity. */
export function requireUser(caller: Caller): UserCaller {
  if (caller.kind !== 'user') throw new Unauthenticated('sign in to change the catalog: anonymous callers may only read public artifacts');
  return caller;
}

export function requireAdmin(caller: Caller, action: string): UserCaller {
  const user = requireUser(caller);
  if (!user.isAdmin) throw new Forbidden(`only an admin may ${action}`);
  return user;
}

interface OwnedArtifact {
  owner: string;
  visibility: 'private' | 'public';
}

/** The caller can already see `artifact`; may it change it? */
export function assertCanModify(caller: Caller, artifact: OwnedArtifact, action = 'change this artifact'): UserCaller {
  const user = requireUser(caller);
  if (user.isAdmin) return user;
  if (artifact.owner !== user.projectId) throw new Forbidden(`only the owning project or an admin may ${action}`);
  if (artifact.visibility === 'public') throw new Forbidden(`the artifact is public: only an admin may ${action}`);
  return user;
}
