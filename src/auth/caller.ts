/** @module Who is calling: what every policy decision is made about. */

export type Caller =
  | { kind: 'anonymous' }
  | { kind: 'user'; userId: string; projectId: string; roles: readonly string[]; isAdmin: boolean };

export type UserCaller = Extract<Caller, { kind: 'user' }>;

export const ANONYMOUS: Caller = Object.freeze({ kind: 'anonymous' });

export function userCaller(input: { userId: string; projectId: string; roles: readonly string[]; adminRole: string }): UserCaller {
  return {
    kind: 'user',
    userId: input.userId,
    projectId: input.projectId,
    roles: input.roles,
    isAdmin: input.roles.includes(input.adminRole),
  };
}
