/** @module Turns driver errors the domain cares about into AppErrors, in one place. */
import { Conflict } from '../../errors.js';

function sqlState(err: unknown): string | undefined {
  let e: unknown = err;
  // drizzle wraps driver errors; the SQLSTATE sits on the cause.
  for (let depth = 0; depth < 3 && e && typeof e === 'object'; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function isUniqueViolation(err: unknown): boolean {
  return sqlState(err) === '23505';
}

/** Runs `work`; a unique violation becomes Conflict(message). */
export async function conflictOnDuplicate<T>(work: () => Promise<T>, message: string): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (isUniqueViolation(err)) throw new Conflict(message);
    throw err;
  }
}
