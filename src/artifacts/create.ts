/** @module Creating an artifact: a drafted, private record owned by the caller's project. */
import type { Caller } from '../auth/caller.js';
import { insertArtifact } from '../db/queries/artifacts.js';
import type { Deps } from '../deps.js';
import { BadRequest } from '../errors.js';
import type { ArtifactType, ArtifactValues } from './artifact-type.js';
import { assertLinksResolve, assertSettableAtCreate, validateValue } from './input.js';
import { requireUser } from './policy.js';
import { assertWithinQuota } from './quotas.js';
import { toArtifactValues, toRowValues } from './values.js';
import { parseVersion, toStoredVersion } from './versions.js';

export async function createArtifact(
  deps: Pick<Deps, 'db' | 'config' | 'clock'>,
  caller: Caller,
  type: ArtifactType,
  body: Record<string, unknown>,
): Promise<ArtifactValues> {
  const user = requireUser(caller);
  if (body.name === undefined) throw new BadRequest('name is required');

  const values: ArtifactValues = {};
  for (const [name, value] of Object.entries(body)) values[name] = validateValue(assertSettableAtCreate(type, name), value);
  for (const f of type.fields.values()) if (!(f.name in values) && !f.system) values[f.name] = f.default;
  const version = toStoredVersion(parseVersion((values.version as string | undefined) ?? '0.0.0'));
  values.version = version.version;
  values.status = 'drafted';
  values.visibility = 'private';
  values.owner = user.projectId;

  await assertLinksResolve(deps.db, caller, type, values, Object.keys(body));
  await type.hooks.onCreate?.(values);

  const now = deps.clock();
  const row = await deps.db.transaction(async (tx) => {
    await assertWithinQuota(tx, deps.config, { owner: user.projectId, typeName: type.name, quotaName: 'max_artifact_number', adding: 1 });
    return insertArtifact(tx, {
      ...toRowValues(type, values, version),
      typeName: type.name,
      typeVersion: type.version,
      owner: user.projectId,
      status: 'drafted',
      visibility: 'private',
      createdAt: now,
      updatedAt: now,
    });
  });
  return toArtifactValues(type, row, []);
}
