/**
 * @module The check a node makes before it serves: every stored artifact can be read by the type
 * version that reads it (its own, or the next one when its own is no longer defined). A field
 * whose kind changed, or a field an active artifact must have and has no value or default for,
 * stops the node with a message naming the type, the field and the artifacts, rather than a
 * node that serves artifacts it can no longer read. A type with no file left at all is not
 * checked: its artifacts stay listed under `all`, as before.
 */
import type { ArtifactType } from '../artifacts/artifact-type.js';
import { BLOB_KINDS, isDict, isList, type FieldDef, type FieldKind } from '../artifacts/fields.js';
import type { TypeRegistry } from '../artifacts/registry.js';
import type { Db } from '../db/client.js';
import { findStoredValueProblems, storedTypeVersions, type StoredValueCheck } from '../db/queries/type-versions.js';

const SAMPLE_IDS = 5;

export class IncompatibleTypesError extends Error {
  constructor(problems: string[]) {
    super(
      [
        `the artifact types would break stored artifacts, so the node does not start:`,
        ...problems.map((p) => `  - ${p}`),
        `Give the changed type a new version in a file of its own, keep the file of the version those artifacts were made with beside it, ` +
          `declare in the new one how artifacts carry over (upgrade: from, rename, remove, or an upgrade function), ` +
          `then run \`catalog-node upgrade-type <type>\`.`,
      ].join('\n'),
    );
    this.name = 'IncompatibleTypesError';
  }
}

/** The JSON types a stored value of `kind` has. */
function jsonTypes(kind: FieldKind): string[] {
  if (isList(kind)) return ['array'];
  if (isDict(kind)) return ['object'];
  if (kind === 'integer' || kind === 'float') return ['number'];
  if (kind === 'boolean') return ['boolean'];
  return ['string'];
}

interface Labelled {
  check: StoredValueCheck;
  describe(count: number): string;
}

function checksFor(reader: ArtifactType, storedVersion: string): Labelled[] {
  const by = `${reader.name} ${reader.version}`;
  const of = reader.version === storedVersion ? '' : ` (made with ${storedVersion}, which no type file defines now, so ${reader.version} reads them)`;
  const checks: Labelled[] = [];
  for (const def of reader.specificFields) {
    const blob = BLOB_KINDS.has(def.kind);
    if (blob) {
      checks.push({ check: { kind: 'value_in_blob_field', field: def.name }, describe: (n) => `${by}: field "${def.name}" is of kind ${def.kind}, and ${artifacts(n)}${of} ${n === 1 ? 'holds' : 'hold'} a value in it` });
    } else {
      checks.push({ check: { kind: 'json_type', field: def.name, jsonTypes: jsonTypes(def.kind) }, describe: (n) => `${by}: field "${def.name}" is of kind ${def.kind}, and ${artifacts(n)}${of} ${n === 1 ? 'holds' : 'hold'} a value of another kind in it` });
      checks.push({ check: { kind: 'blob_in_value_field', field: def.name }, describe: (n) => `${by}: field "${def.name}" is of kind ${def.kind}, and ${artifacts(n)}${of} ${n === 1 ? 'holds' : 'hold'} a blob in it` });
    }
    if (def.requiredOnActivate && !hasDefault(def)) {
      checks.push({
        check: { kind: 'missing_on_active', field: def.name, blob },
        describe: (n) => `${by}: field "${def.name}" is required of active artifacts and has no default, and ${artifacts(n, 'active or deactivated ')}${of} ${n === 1 ? 'has' : 'have'} no value in it`,
      });
    }
  }
  return checks;
}

const artifacts = (n: number, which = '') => `${n} ${which}artifact${n === 1 ? '' : 's'}`;

function hasDefault(def: FieldDef): boolean {
  const d = def.default;
  return !(d === null || d === undefined || d === '' || (Array.isArray(d) && d.length === 0) || (typeof d === 'object' && Object.keys(d as object).length === 0));
}

/** Throws IncompatibleTypesError listing every problem found. */
export async function assertStoredArtifactsReadable(db: Db, types: TypeRegistry): Promise<void> {
  const problems: string[] = [];
  for (const stored of await storedTypeVersions(db)) {
    if (!types.has(stored.typeName)) continue;
    const reader = types.forArtifact(stored);
    const checks = checksFor(reader, stored.typeVersion);
    const found = await findStoredValueProblems(db, { typeName: stored.typeName, typeVersion: stored.typeVersion, checks: checks.map((c) => c.check), sampleIds: SAMPLE_IDS });
    found.forEach(({ count, ids }, i) => {
      if (count > 0) problems.push(`${checks[i]!.describe(count)}: ${ids.join(', ')}${count > ids.length ? ', ...' : ''}`);
    });
  }
  if (problems.length > 0) throw new IncompatibleTypesError(problems);
}
