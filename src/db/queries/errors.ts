/** @module Turns driver errors the domain cares about into AppErrors, in one place. */
import { Conflict } from '../../errors.js';

/** The driver error itself: drizzle wraps it, the SQLSTATE sits on the cause. */
function driverError(err: unknown): { code: string; constraint?: string } | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 3 && e && typeof e === 'object'; depth++) {
    const found = e as { code?: unknown; constraint_name?: unknown; constraint?: unknown };
    if (typeof found.code === 'string' && /^[0-9A-Z]{5}$/.test(found.code)) {
      // postgres.js names it constraint_name, PGlite constraint.
      const constraint = found.constraint_name ?? found.constraint;
      return { code: found.code, ...(typeof constraint === 'string' ? { constraint } : {}) };
    }
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Runs `work`; a unique violation becomes Conflict: with the message `byConstraint` gives for the
 * violated index, or `message`.
 */
export async function conflictOnDuplicate<T>(work: () => Promise<T>, message: string, byConstraint: Record<string, string> = {}): Promise<T> {
  try {
    return await work();
  } catch (err) {
    const found = driverError(err);
    if (found?.code === '23505') throw new Conflict((found.constraint && byConstraint[found.constraint]) || message);
    throw err;
  }
}
