/**
 * @module Checking user-given field values against a type: which fields a user may set, their
 * kinds and validators, and that internal links point at artifacts the caller can see.
 */
import type { Caller } from '../auth/caller.js';
import type { Db, Tx } from '../db/client.js';
import { findVisibleArtifact } from '../db/queries/artifacts.js';
import { BadRequest } from '../errors.js';
import type { ArtifactType, ArtifactValues } from './artifact-type.js';
import { BLOB_KINDS, LINK_KINDS, parseInternalLink, validateFieldValue, type FieldDef } from './fields.js';
import { visibilityFor } from './policy.js';

/** Fields a user never writes directly (status and visibility change through PATCH only). */
const NOT_SETTABLE_AT_CREATE = new Set(['status', 'visibility']);

export function assertSettableAtCreate(type: ArtifactType, name: string): FieldDef {
  const def = type.fields.get(name);
  if (!def) throw new BadRequest(`type ${type.name} has no field "${name.slice(0, 60)}"`);
  if (def.system) throw new BadRequest(`field "${name}" is set by the catalog and cannot be given`);
  if (NOT_SETTABLE_AT_CREATE.has(name)) throw new BadRequest(`"${name}" cannot be set at creation: an artifact starts drafted and private`);
  if (BLOB_KINDS.has(def.kind)) throw new BadRequest(`field "${name}" is a blob: upload it with PUT /artifacts/${type.name}/<id>/${name}`);
  return def;
}

export function validateValue(def: FieldDef, value: unknown): unknown {
  if (def.name === 'name' && (typeof value !== 'string' || value.trim() === '')) throw new BadRequest('name must be a non-empty string');
  if (def.name === 'version') {
    if (typeof value !== 'string' && typeof value !== 'number') throw new BadRequest('version must be a string such as "1.2.3"');
    return String(value);
  }
  return validateFieldValue(def, value);
}

/** Every internal link among `changed` fields must point at an existing artifact the caller sees. */
export async function assertLinksResolve(db: Db | Tx, caller: Caller, type: ArtifactType, values: ArtifactValues, changed: Iterable<string>): Promise<void> {
  const visibleTo = visibilityFor(caller);
  for (const name of changed) {
    const def = type.fields.get(name);
    if (!def || !LINK_KINDS.has(def.kind)) continue;
    const value = values[name];
    const links = value === null || value === undefined ? [] : typeof value === 'string' ? [value] : Array.isArray(value) ? value : Object.values(value as object);
    for (const link of links as string[]) {
      const target = parseInternalLink(link);
      if (!target) continue;
      if (!(await findVisibleArtifact(db, { id: target.id, typeName: target.type, visibleTo }))) {
        throw new BadRequest(`field "${name}" links to ${link}, which is not an artifact you can see`);
      }
    }
  }
}
