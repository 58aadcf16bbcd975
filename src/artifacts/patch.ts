/** @module Applying a JSON patch (RFC 6902) to an artifact's values, with errors users can act on. */
import jsonpatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';
import { BadRequest } from '../errors.js';
import type { ArtifactValues } from './artifact-type.js';

const MAX_OPERATIONS = 500;

/** Returns a patched copy; `values` is left as it was. */
export function applyJsonPatch(values: ArtifactValues, ops: unknown): ArtifactValues {
  if (!Array.isArray(ops)) throw new BadRequest('the body must be a JSON patch: a list of operations');
  if (ops.length > MAX_OPERATIONS) throw new BadRequest(`a patch may hold at most ${MAX_OPERATIONS} operations`);
  const doc = structuredClone(values);
  const problem = jsonpatch.validate(ops as Operation[], doc);
  if (problem) throw new BadRequest(`invalid JSON patch: operation ${problem.index ?? 0}: ${describe(problem)}`);
  try {
    return jsonpatch.applyPatch(doc, ops as Operation[], false, true, true).newDocument;
  } catch (err) {
    throw new BadRequest(`JSON patch failed: ${(err as Error).message.split('\n')[0]}`);
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
export function changedFields(before: ArtifactValues, after: ArtifactValues): Set<string> {
  const names = new Set([...Object.keys(before), ...Object.keys(after)]);
  return new Set([...names].filter((n) => canonical(before[n]) !== canonical(after[n])));
}

/** JSON with object keys sorted, so that key order alone is no change. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  ) ?? 'undefined';
}
