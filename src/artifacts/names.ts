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

/** Sub-resources of an artifact that share the URL space of its blob fields. */
export const RESERVED_FIELD_NAMES: ReadonlySet<string> = new Set(['shares']);

/** Keys of dict fields and blob dicts: no white space and no "/", at most 255 characters. */
export const DICT_KEY = /^[^\s/]{1,255}$/;

/** Project (tenant) ids, as identity providers give them and routes accept them. */
export const PROJECT_ID = /^[A-Za-z0-9_.@:-]{1,255}$/;
export const PROJECT_ID_RULE = '1-255 characters of letters, digits and _.@:-';
