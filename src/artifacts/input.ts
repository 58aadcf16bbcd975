/**
 * @module Field values given by an actor: which fields it may set, their kinds and validators,
 * how they land on an artifact, and that internal links point at artifacts it can see.
 */
import type { Db, Tx } from '../db/client.js';
import { findArtifact } from '../db/queries/artifacts.js';
import { BadRequest } from '../errors.js';
import type { Actor } from './actor.js';
import { setGenericField, type Artifact } from './artifact.js';
import type { ArtifactType } from './artifact-type.js';
import { BLOB_KINDS, LINK_KINDS, parseInternalLink, validateFieldValue, type FieldDef } from './fields.js';
import { sightOf } from './policy.js';
import { parseVersion, toStoredVersion } from './versions.js';

/** Fields that change through their own rules: status and visibility by transitions only. */
const NOT_SETTABLE_AT_CREATE = new Set(['status', 'visibility']);

export function assertSettableAtCreate(type: ArtifactType, name: string): FieldDef {
  const def = type.fields.get(name);
  if (!def) throw new BadRequest(`type ${type.name} has no field "${name.slice(0, 60)}"`);
  if (def.system) throw new BadRequest(`field "${name}" is set by the catalog and cannot be given`);
  if (NOT_SETTABLE_AT_CREATE.has(name)) throw new BadRequest(`"${name}" cannot be set at creation: an artifact starts drafted and private`);
  if (BLOB_KINDS.has(def.kind)) throw new BadRequest(`field "${name}" is a blob: upload it through the blob API`);
  return def;
}

export function validateValue(def: FieldDef, value: unknown): unknown {
  if (def.name === 'name' && (typeof value !== 'string' || value.trim() === '')) throw new BadRequest('name must be a non-empty string');
  if (def.name === 'version') {
    if (typeof value !== 'string') throw new BadRequest('version must be a string such as "1.2.3"');
    return toStoredVersion(parseVersion(value)).version;
  }
  return validateFieldValue(def, value);
}

/** A copy of `artifact` with validated `values` (by field name) set on it. */
export function withValues(type: ArtifactType, artifact: Artifact, values: Readonly<Record<string, unknown>>): Artifact {
  const next: Artifact = { ...artifact, fields: { ...artifact.fields } };
  const fields = next.fields as Record<string, unknown>;
  for (const [name, value] of Object.entries(values)) {
    if (setGenericField(next, name, value)) continue;
    if (!type.fields.has(name)) throw new BadRequest(`type ${type.name} has no field "${name.slice(0, 60)}"`);
    if (value === null || value === undefined) delete fields[name];
    else fields[name] = value;
  }
  return next;
}

/** Every internal link among the `changed` fields must point at an existing artifact the actor sees. */
export async function assertLinksResolve(
  db: Db | Tx,
  actor: Actor,
  type: ArtifactType,
  values: Readonly<Record<string, unknown>>,
  changed: Iterable<string>,
): Promise<void> {
  const sight = sightOf(actor);
  for (const name of changed) {
    const def = type.fields.get(name);
    if (!def || !LINK_KINDS.has(def.kind)) continue;
    const value = values[name];
    const links = value === null || value === undefined ? [] : typeof value === 'string' ? [value] : Array.isArray(value) ? value : Object.values(value as object);
    for (const link of links as string[]) {
      const target = parseInternalLink(link);
      if (!target) continue;
      if (!(await findArtifact(db, { id: target.id, typeName: target.type, sight }))) {
        throw new BadRequest(`field "${name}" links to ${link}, which is not an artifact you can see`);
      }
    }
  }
}
