/**
 * @module The check a node makes before it serves. Artifacts made with a type version no file
 * defines any more are read by the next newer version; when that version cannot read them (a
 * field whose kind changed, or a field it requires of active artifacts, which they lack and which
 * has no default), the node stops with a message naming the type, the field and the artifacts,
 * rather than serve artifacts it can no longer read. A version's own file is trusted with its
 * artifacts: a changed schema takes a new version. A type with no file left at all is not
 * checked: its artifacts stay listed under `all`, as before.
 */
import type { ArtifactType } from '../artifacts/artifact-type.js';
import { BLOB_KINDS, isDict, isList, type FieldDef, type FieldKind } from '../artifacts/fields.js';
import type { TypeRegistry } from '../artifacts/registry.js';
import type { Db } from '../db/client.js';
import { findStoredValueProblems, storedBlobFields, storedFieldShapes, storedTypeVersions, type StoredValueCheck } from '../db/queries/type-versions.js';

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

interface StoredShape {
  /** Field name → the JSON types of the values stored in it. */
  values: Map<string, Set<string>>;
  /** Fields blobs are stored under. */
  blobs: Set<string>;
}

/** The checks worth a pass over the artifacts: only for fields where something may not fit. */
function checksFor(reader: ArtifactType, storedVersion: string, shape: StoredShape | undefined): Labelled[] {
  const by = `${reader.name} ${reader.version}`;
  const of = ` (made with ${storedVersion}, which no type file defines now, so ${reader.version} reads them)`;
  const holds = (n: number) => (n === 1 ? 'holds' : 'hold');
  const checks: Labelled[] = [];
  for (const def of reader.specificFields) {
    const blob = BLOB_KINDS.has(def.kind);
    const stored = [...(shape?.values.get(def.name) ?? [])].filter((t) => t !== 'null');
    if (blob && stored.length > 0) {
      checks.push({ check: { kind: 'value_in_blob_field', field: def.name }, describe: (n) => `${by}: field "${def.name}" is of kind ${def.kind}, and ${artifacts(n)}${of} ${holds(n)} a value in it` });
    }
    if (!blob && stored.some((t) => !jsonTypes(def.kind).includes(t))) {
      checks.push({
        check: { kind: 'json_type', field: def.name, jsonTypes: jsonTypes(def.kind) },
        describe: (n) => `${by}: field "${def.name}" is of kind ${def.kind}, and ${artifacts(n)}${of} ${holds(n)} a value of another kind in it`,
      });
    }
    if (!blob && shape?.blobs.has(def.name)) {
      checks.push({ check: { kind: 'blob_in_value_field', field: def.name }, describe: (n) => `${by}: field "${def.name}" is of kind ${def.kind}, and ${artifacts(n)}${of} ${holds(n)} a blob in it` });
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
  // A version read by its own file was checked when its artifacts were written: only artifacts of
  // versions no file defines any more are looked at, so a node whose files are unchanged pays
  // one pass that counts. Then two passes tell which fields hold what, and artifacts are read
  // only where something may not fit.
  const versions = (await storedTypeVersions(db)).filter((v) => types.has(v.typeName) && types.forArtifact(v).version !== v.typeVersion);
  if (versions.length === 0) return;
  const [fieldShapes, blobFields] = await Promise.all([storedFieldShapes(db), storedBlobFields(db)]);
  const shapes = new Map<string, StoredShape>();
  const shapeOf = (typeName: string, typeVersion: string) => {
    const key = `${typeName}\u0000${typeVersion}`;
    let shape = shapes.get(key);
    if (!shape) shapes.set(key, (shape = { values: new Map(), blobs: new Set() }));
    return shape;
  };
  for (const f of fieldShapes) {
    const values = shapeOf(f.typeName, f.typeVersion).values;
    values.set(f.field, (values.get(f.field) ?? new Set()).add(f.jsonType));
  }
  for (const b of blobFields) shapeOf(b.typeName, b.typeVersion).blobs.add(b.field);

  const problems: string[] = [];
  for (const stored of versions) {
    const reader = types.forArtifact(stored);
    const checks = checksFor(reader, stored.typeVersion, shapes.get(`${stored.typeName}\u0000${stored.typeVersion}`));
    if (checks.length === 0) continue;
    const found = await findStoredValueProblems(db, { typeName: stored.typeName, typeVersion: stored.typeVersion, checks: checks.map((c) => c.check), sampleIds: SAMPLE_IDS });
    found.forEach(({ count, ids }, i) => {
      if (count > 0) problems.push(`${checks[i]!.describe(count)}: ${ids.join(', ')}${count > ids.length ? ', ...' : ''}`);
    });
  }
  if (problems.length > 0) throw new IncompatibleTypesError(problems);
}
