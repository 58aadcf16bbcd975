/** @module Creating an artifact: a drafted, private record owned by the actor's project. */
import { insertArtifact } from '../db/queries/artifacts.js';
import { recordReferences } from '../dependencies/references.js';
import { BadRequest } from '../errors.js';
import type { Artifact } from './artifact.js';
import type { ArtifactType } from './artifact-type.js';
import { conn, emit, hookContext, refFor, withTransaction, type OpContext } from './context.js';
import { assertLinksResolve, assertSettableAtCreate, validateValue, withValues } from './input.js';
import { writingProject } from './policy.js';
import { assertWithinQuota } from './quotas.js';

export interface CreateIntent {
  type: ArtifactType;
  /** Field values by field name; `name` is required. */
  values: Readonly<Record<string, unknown>>;
}

export async function createArtifact(ctx: OpContext, { type, values }: CreateIntent): Promise<Artifact> {
  const owner = writingProject(ctx.actor, 'create artifacts');
  if (values.name === undefined) throw new BadRequest('name is required');
  const valid: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(values)) valid[name] = validateValue(assertSettableAtCreate(type, name), value);

  const now = ctx.now();
  const draft = withValues(type, blankArtifact(type, owner, now), valid);
  return withTransaction(ctx, async (tx) => {
    await assertLinksResolve(conn(tx), tx.actor, type, valid, Object.keys(valid));
    await type.hooks.beforeCreate?.(draft, hookContext(tx, type));
    await assertWithinQuota(tx, { owner, typeName: type.name, quotaName: 'max_artifact_number', adding: 1 });
    const { id: _id, blobs: _blobs, ...record } = draft;
    const created = await insertArtifact(conn(tx), record);
    await recordReferences(tx, type, created);
    await type.hooks.afterCreate?.(created, hookContext(tx, type));
    emit(tx, { kind: 'artifact.created', id: created.id, ref: refFor(tx, created) });
    return created;
  });
}

/** A drafted, private artifact of `type` with every field at its default. */
function blankArtifact(type: ArtifactType, owner: string, now: Date): Artifact {
  const fields: Record<string, unknown> = {};
  for (const f of type.specificFields) if (f.default !== null && f.default !== undefined && f.kind !== 'blob' && f.kind !== 'blob_dict') fields[f.name] = f.default;
  return {
    id: '',
    typeName: type.name,
    typeVersion: type.version,
    name: '',
    version: '0.0.0',
    description: '',
    tags: [],
    metadata: {},
    requires: [],
    owner,
    visibility: 'private',
    status: 'drafted',
    createdAt: now,
    updatedAt: now,
    activatedAt: null,
    providedBy: null,
    supportedBy: null,
    license: null,
    licenseUrl: null,
    release: [],
    fields,
    blobs: [],
  };
}
