/**
 * @module The shared facts about names and ids, stated once: every edge that parses them and
 * every rule that checks them uses these.
 */

/** Artifact ids are UUIDs (any case on input; stored and shown lower case). */
export const ARTIFACT_ID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** Type names and field names: lower case letters, digits and _, starting with a letter. */
export const TYPE_NAME = /^[a-z][a-z0-9_]{0,63}$/;
export const FIELD_NAME = /^[a-z][a-z0-9_]{0,63}$/;

/** The read-only view over every type answers under this name; no type may take it. */
export const ALL_TYPES = 'all';

/** Sub-resources of an artifact that share the URL space of its blob fields: no blob field may take these names. */
export const RESERVED_FIELD_NAMES: ReadonlySet<string> = new Set(['shares', 'resolve', 'dependencies', 'dependants', 'manifest', 'signatures', 'verify']);

/** Keys of dict fields and blob dicts: no white space and no "/", at most 255 characters. */
export const DICT_KEY = /^[^\s/]{1,255}$/;

/** Project (tenant) ids, as identity providers give them and routes accept them. */
export const PROJECT_ID = /^[A-Za-z0-9_.@:-]{1,255}$/;
export const PROJECT_ID_RULE = '1-255 characters of letters, digits and _.@:-';

export function isProjectId(value: unknown): value is string {
  return typeof value === 'string' && PROJECT_ID.test(value);
}

// User ids and roles only label a caller (logs, tokens from any issuer: "auth0|42", e-mail
// addresses), so they keep any printable text; control characters and lone surrogates would
// poison logs and SQL.
export const USER_ID_RULE = 'a user id is 1-255 characters without control characters';

export function isUserId(value: unknown): value is string {
  return isPrintableLabel(value);
}

/** Role names follow the user id rule. */
export function isRoleName(value: unknown): value is string {
  return isPrintableLabel(value);
}

function isPrintableLabel(value: unknown): value is string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 255) return false;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return false;
    const high = code >= 0xd800 && code <= 0xdbff;
    const low = code >= 0xdc00 && code <= 0xdfff;
    if (high) {
      const next = value.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return false; // a lone high surrogate
      i++;
    } else if (low) return false; // a low surrogate without its high half
  }
  return true;
}
