/**
 * @module Carrying one artifact from the type version it was made with to a newer one.
 *
 * The path is the chain of `upgrade.from` declarations from the target back to the artifact's
 * version. Each step renames and removes what it declares, runs its `apply` function when it
 * has one, and gives fields it adds their defaults. The result must then be a valid artifact of
 * the target: every value passes the target's field (kind and validators), and an artifact past
 * draft has every field the target requires on activation. An upgrade is the operator's change
 * of the schema, not the owner's change of the content: it never touches a blob, nor changes an
 * immutable field's value of an artifact past draft (a signature covers those). Whatever
 * fails, the artifact is left as it was and the reason reported.
 */
import { isDeepStrictEqual } from 'node:util';
import { fieldValue, type Artifact } from '../artifacts/artifact.js';
import type { ArtifactType, TypeUpgrade } from '../artifacts/artifact-type.js';
import { conn, emit, hookContext, refFor, withTransaction, type OpContext } from '../artifacts/context.js';
import { BLOB_KINDS, isEmptyValue, validateFieldValue } from '../artifacts/fields.js';
import { sealedValues } from '../artifacts/lifecycle.js';
import { assertCanModify, hasAdminRights, sightOf } from '../artifacts/policy.js';
import { compareTypeVersions, type TypeRegistry } from '../artifacts/registry.js';
import { findArtifact, updateArtifactRecord } from '../db/queries/artifacts.js';
import { BadRequest, Forbidden, NotFound } from '../errors.js';

export type UpgradePlan =
  | { kind: 'current' }
  | { kind: 'upgrade'; fields: Record<string, unknown>; changed: string[] }
  | { kind: 'refused'; reason: string };

/** The versions to pass through, oldest first, ending with `target`; or why there is no way. */
function upgradePath(types: TypeRegistry, target: ArtifactType, from: string): ArtifactType[] | string {
  const path: ArtifactType[] = [];
  let step: ArtifactType | undefined = target;
  while (step) {
    path.unshift(step);
    const upgrade: TypeUpgrade | undefined = step.upgrade;
    if (!upgrade) return `${target.name} ${step.version} declares no upgrade from an older version, so nothing carries version ${from} to ${target.version}`;
    if (compareTypeVersions(upgrade.from, from) === 0) return path;
    if (compareTypeVersions(upgrade.from, from) < 0) return `${target.name} ${step.version} upgrades from ${upgrade.from}, which is older than ${from}: no chain of upgrades starts at ${from}`;
    step = types.versions(target.name).find((v) => compareTypeVersions(v.version, upgrade.from) === 0);
    if (!step) return `${target.name} ${path[0]!.version} upgrades from ${upgrade.from}, which no type file defines: no chain of upgrades reaches ${from}`;
  }
  return path;
}

/** What upgrading `artifact` to `target` would do; changes nothing. */
export async function planUpgrade(ctx: OpContext, artifact: Artifact, target: ArtifactType): Promise<UpgradePlan> {
  if (artifact.typeVersion === target.version) return { kind: 'current' };
  const types = ctx.catalog.types;
  if (compareTypeVersions(artifact.typeVersion, target.version) > 0) return { kind: 'refused', reason: `it was made with ${target.name} ${artifact.typeVersion}, newer than ${target.version}` };
  const path = upgradePath(types, target, artifact.typeVersion);
  if (typeof path === 'string') return { kind: 'refused', reason: path };

  let fields: Record<string, unknown> = { ...artifact.fields };
  try {
    for (const step of path) {
      const upgrade = step.upgrade!;
      for (const [from, to] of Object.entries(upgrade.rename)) {
        if (!(from in fields)) continue;
        fields[to] = fields[from];
        delete fields[from];
      }
      for (const name of upgrade.remove) delete fields[name];
      if (upgrade.apply) fields = { ...(await upgrade.apply(fields, { ...artifact, fields }, hookContext(ctx, step))) };
      for (const def of step.specificFields) {
        if (!(def.name in fields) && !BLOB_KINDS.has(def.kind) && def.default !== null && def.default !== undefined) fields[def.name] = def.default;
      }
    }
  } catch (err) {
    // ctx.refuse in an upgrade function: that artifact's report, not the run's failure.
    if (err instanceof BadRequest) return { kind: 'refused', reason: err.message };
    throw err;
  }

  const problems = targetProblems(target, artifact, fields);
  if (artifact.status !== 'drafted') problems.push(...sealedChanges(types.forArtifact(artifact), target, artifact, fields));
  if (problems.length > 0) return { kind: 'refused', reason: problems.join('; ') };
  const names = new Set([...Object.keys(artifact.fields), ...Object.keys(fields)]);
  const changed = [...names].filter((n) => !isDeepStrictEqual(artifact.fields[n], fields[n])).sort();
  return { kind: 'upgrade', fields, changed };
}

/** How `fields` (and the artifact's blobs) fail `target`. */
function targetProblems(target: ArtifactType, artifact: Artifact, fields: Record<string, unknown>): string[] {
  const problems: string[] = [];
  for (const [name, value] of Object.entries(fields)) {
    const def = target.specificFields.find((f) => f.name === name);
    if (!def) {
      problems.push(`field "${name}" has no place in ${target.name} ${target.version}: declare it removed or renamed`);
      continue;
    }
    if (BLOB_KINDS.has(def.kind)) {
      problems.push(`field "${name}" holds a value and is a blob in ${target.version}`);
      continue;
    }
    try {
      validateFieldValue(def, value);
    } catch (err) {
      if (!(err instanceof BadRequest)) throw err;
      problems.push(err.message);
    }
  }
  for (const blob of artifact.blobs) {
    const def = target.fields.get(blob.field);
    if (!def || !BLOB_KINDS.has(def.kind) || (def.kind === 'blob') !== (blob.key === '')) {
      problems.push(`blob "${blob.field}" has no blob field of its kind in ${target.version}, and an upgrade changes no blob`);
    }
  }
  if (artifact.status !== 'drafted') {
    const after: Artifact = { ...artifact, fields };
    const missing = [...target.fields.values()].filter((f) => f.requiredOnActivate && isEmptyValue(fieldValue(target, after, f.name)));
    for (const f of missing) problems.push(`field "${f.name}" is required of ${artifact.status} artifacts in ${target.version}, and it has no value and no default`);
  }
  return problems;
}

/**
 * Sealed fields (what a signature binds) an upgrade would change on an artifact past draft: a
 * value changed, dropped or newly set (a default), or a field made mutable or immutable.
 */
function sealedChanges(own: ArtifactType, target: ArtifactType, artifact: Artifact, fields: Record<string, unknown>): string[] {
  const before = sealedValues(own, artifact);
  const after = sealedValues(target, { ...artifact, fields });
  return [...new Set([...Object.keys(before), ...Object.keys(after)])]
    .filter((name) => !isDeepStrictEqual(before[name], after[name]))
    .sort()
    .map((name) => `immutable field "${name}" would change, and an upgrade changes no immutable value once an artifact is ${artifact.status}`);
}

export type UpgradeOutcome =
  | { kind: 'current'; artifact: Artifact }
  | { kind: 'upgraded'; artifact: Artifact; changed: string[]; dryRun: boolean }
  | { kind: 'refused'; artifact: Artifact; reason: string };

export interface UpgradeIntent {
  typeName: string;
  id: string;
  /** The version to reach; the newest when absent. */
  to?: string;
  dryRun?: boolean;
}

/**
 * Upgrades one artifact under its row lock. Admins and the node upgrade any artifact; an owner
 * upgrades its own drafts. A refusal is an outcome, not an error: the caller reports it.
 */
export async function upgradeArtifact(ctx: OpContext, intent: UpgradeIntent): Promise<UpgradeOutcome> {
  const types = ctx.catalog.types;
  const target = intent.to === undefined ? types.get(intent.typeName) : types.version(intent.typeName, intent.to);
  return withTransaction(ctx, async (tx) => {
    const current = await findArtifact(conn(tx), { id: intent.id, typeName: intent.typeName, sight: sightOf(tx.actor), forUpdate: !intent.dryRun });
    if (!current) throw new NotFound(`no ${intent.typeName} with id ${intent.id}`);
    assertCanModify(tx.actor, current, 'upgrade this artifact');
    if (!hasAdminRights(tx.actor) && current.status !== 'drafted') {
      throw new Forbidden(`only drafts are upgraded by their owner; this artifact is ${current.status}, and an admin upgrades it with the type's upgrade`);
    }
    const plan = await planUpgrade(tx, current, target);
    if (plan.kind === 'current') return { kind: 'current', artifact: current };
    if (plan.kind === 'refused') return { kind: 'refused', artifact: current, reason: plan.reason };
    if (intent.dryRun) return { kind: 'upgraded', artifact: current, changed: plan.changed, dryRun: true };
    const updated = await updateArtifactRecord(conn(tx), current, { typeVersion: target.version, fields: plan.fields, updatedAt: tx.now() });
    emit(tx, { kind: 'artifact.updated', id: updated.id, ref: refFor(tx, updated), changed: [...plan.changed, 'type_version'] });
    return { kind: 'upgraded', artifact: updated, changed: plan.changed, dryRun: false };
  });
}
