/**
 * @module Glare's update: a JSON patch (RFC 6902) over the artifact as Glare renders it. The
 * patched document is compared with the original and each changed field becomes a typed change
 * for the domain's update verb.
 */
import jsonpatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';
import { STATUSES, VISIBILITIES, type Artifact, type Status, type Visibility } from '../../artifacts/artifact.js';
import type { ArtifactType } from '../../artifacts/artifact-type.js';
import type { ArtifactChanges } from '../../artifacts/update.js';
import { BadRequest } from '../../errors.js';
import { fromWire } from './values.js';
import { renderArtifact, type WireArtifact } from './render.js';

const MAX_OPERATIONS = 500;

/** The changes a patch makes to `current`, for updateArtifact's `change`. */
export function patchToChanges(type: ArtifactType, current: Artifact, ops: unknown): ArtifactChanges {
  const before = renderArtifact(type, current);
  const after = applyJsonPatch(before, ops);
  const values: Record<string, unknown> = {};
  const changes: ArtifactChanges = { values };
  for (const name of changedFields(before, after)) {
    const value = after[name];
    if (name === 'status') changes.status = statusOf(value);
    else if (name === 'visibility') changes.visibility = visibilityOf(value);
    else if (name === 'type_version') throw new BadRequest(`a draft moves to a newer version of its type with POST /artifacts/${type.name}/${current.id}/upgrade`);
    else {
      const def = type.fields.get(name);
      if (!def) throw new BadRequest(`type ${type.name} has no field "${name.slice(0, 60)}"`);
      values[name] = fromWire(def, value);
    }
  }
  return changes;
}

function statusOf(value: unknown): Status {
  if (value === 'deleted') throw new BadRequest('delete an artifact with DELETE, not by setting its status');
  if (!(STATUSES as readonly unknown[]).includes(value)) throw new BadRequest(`status must be one of ${STATUSES.join(', ')}`);
  return value as Status;
}

function visibilityOf(value: unknown): Visibility {
  if (!(VISIBILITIES as readonly unknown[]).includes(value)) throw new BadRequest(`visibility must be ${VISIBILITIES.join(' or ')}`);
  return value as Visibility;
}

/** Most bytes a patch may add to an artifact's rendering (copies included). */
const MAX_PATCH_GROWTH_BYTES = 1024 * 1024;
const OPS = ['add', 'remove', 'replace', 'move', 'copy', 'test'];
// Paths into prototypes would reach Object's internals, not a field.
const FORBIDDEN_SEGMENT = /(^|\/)(__proto__|constructor|prototype)(\/|$)/;

/**
 * Returns a patched copy; `doc` is left as it was. Operations are checked and applied one at a
 * time, counting what each adds: a patch that copies a value into itself over and over fails
 * as soon as it has grown the document past MAX_PATCH_GROWTH_BYTES, before it can take the
 * node's memory and time.
 */
function applyJsonPatch(doc: WireArtifact, ops: unknown): WireArtifact {
  if (!Array.isArray(ops)) throw new BadRequest('the body must be a JSON patch: a list of operations');
  if (ops.length > MAX_OPERATIONS) throw new BadRequest(`a patch may hold at most ${MAX_OPERATIONS} operations`);
  const patched = structuredClone(doc);
  let grown = 0;
  ops.forEach((raw: unknown, index) => {
    const op = checkOperation(raw, index);
    if (op.op === 'add' || op.op === 'replace') grown += JSON.stringify(op.value).length;
    if (op.op === 'copy') grown += JSON.stringify(jsonpatch.getValueByPointer(patched, op.from) ?? null).length;
    if (grown > MAX_PATCH_GROWTH_BYTES) throw new BadRequest(`invalid JSON patch: operation ${index}: the patch would add more than ${MAX_PATCH_GROWTH_BYTES} bytes to the artifact`);
    try {
      jsonpatch.applyOperation(patched, op, true, true, true, index);
    } catch (err) {
      if (err instanceof jsonpatch.JsonPatchError) throw new BadRequest(`invalid JSON patch: operation ${index}: ${describe(err)}`);
      throw new BadRequest(`invalid JSON patch: operation ${index}: ${(err as Error).message.split('\n')[0]}`);
    }
  });
  return patched;
}

function checkOperation(raw: unknown, index: number): Operation {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new BadRequest(`invalid JSON patch: operation ${index} is not an object`);
  const op = raw as Record<string, unknown>;
  const pointer = (key: 'path' | 'from'): string => {
    const value = op[key];
    if (typeof value !== 'string') throw new BadRequest(`invalid JSON patch: operation ${index}: "${key}" must be a JSON pointer string`);
    if (FORBIDDEN_SEGMENT.test(value)) throw new BadRequest(`invalid JSON patch: operation ${index}: "${key}" ${value.slice(0, 80)} names no field`);
    return value;
  };
  const value = (): unknown => {
    if (!('value' in op)) throw new BadRequest(`invalid JSON patch: operation ${index}: "${op.op}" needs a value`);
    return op.value;
  };
  switch (op.op) {
    case 'add':
    case 'replace':
    case 'test':
      return { op: op.op, path: pointer('path'), value: value() };
    case 'remove': {
      const path = pointer('path');
      // Glare (engine.py _apply_patch): "Cannot remove field"; a field is emptied by replacing it with null.
      if (/^\/[^/]*$/.test(path)) throw new BadRequest(`cannot remove field "${path.slice(1, 61)}": replace it with null (or remove one of its items)`);
      return { op: 'remove', path };
    }
    case 'move':
    case 'copy':
      return { op: op.op, path: pointer('path'), from: pointer('from') };
    default:
      throw new BadRequest(`invalid JSON patch: operation ${index}: "op" must be one of ${OPS.join(', ')}`);
  }
}

function describe(err: jsonpatch.JsonPatchError): string {
  switch (err.name) {
    case 'OPERATION_PATH_UNRESOLVABLE':
      return `path ${String(err.operation?.path)} does not exist`;
    case 'TEST_OPERATION_FAILED':
      return `test of ${String(err.operation?.path)} failed`;
    case 'OPERATION_VALUE_REQUIRED':
      return `"${String(err.operation?.op)}" needs a value`;
    default:
      return err.message.split('\n')[0] ?? err.name;
  }
}

/** Top-level fields whose value differs between the two. */
function changedFields(before: WireArtifact, after: WireArtifact): string[] {
  const names = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...names].filter((n) => canonical(before[n]) !== canonical(after[n]));
}

/** JSON with object keys sorted, so that key order alone is no change. */
function canonical(value: unknown): string {
  return (
    JSON.stringify(value, (_key, v: unknown) =>
      v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
    ) ?? 'undefined'
  );
}
