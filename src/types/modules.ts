/**
 * @module Artifact types an operator writes as a TypeScript or JavaScript module in the types
 * folder, for rules a YAML file cannot state. The module's default export is the same
 * description as a YAML type file, plus `hooks`:
 *
 * ```ts
 * // node-config/types/vnf-descriptors.ts
 * export default {
 *   name: 'vnf_descriptors',
 *   version: '1.0',
 *   fields: { descriptor: { kind: 'blob', max_blob_size: 1048576 } },
 *   hooks: {
 *     beforeUpload(artifact, blob, ctx) {
 *       if (blob.contentType !== 'application/yaml') ctx.refuse('a descriptor is YAML');
 *     },
 *     output: (artifact) => ({ has_descriptor: artifact.blobs.length > 0 }),
 *   },
 * };
 * ```
 *
 * `upgrade: { from, rename?, remove?, apply(fields, artifact, ctx) }` carries artifacts of an
 * older version over where declarations are not enough (see types/upgrade.ts).
 *
 * A hook refuses with `ctx.refuse(message)` (a 400 naming the type); anything else it throws is
 * the module's own fault and answers 500 with the error logged.
 */
import { pathToFileURL } from 'node:url';
import type { ArtifactType, TypeHooks, TypeUpgrade } from '../artifacts/artifact-type.js';
import { TypeFileError, typeFromDocument } from './declarative.js';

const HOOK_NAMES = [
  'beforeCreate',
  'afterCreate',
  'beforeUpdate',
  'afterUpdate',
  'beforeActivate',
  'afterActivate',
  'beforeUpload',
  'afterUpload',
  'output',
] as const satisfies ReadonlyArray<keyof TypeHooks>;

export async function typeFromModule(file: string): Promise<ArtifactType> {
  let loaded: { default?: unknown };
  try {
    loaded = (await import(pathToFileURL(file).href)) as { default?: unknown };
  } catch (err) {
    throw new TypeFileError(file, [`the module does not load: ${(err as Error).message}`]);
  }
  const exported = loaded.default;
  if (typeof exported !== 'object' || exported === null) throw new TypeFileError(file, ['the module must export its type description as default']);
  const { hooks, ...description } = exported as Record<string, unknown>;
  return typeFromDocument(file, withoutUpgradeFunction(description), checkHooks(file, hooks), upgradeFunction(file, description.upgrade));
}

/** `upgrade.apply` is code; the rest of `upgrade` is the declarative description. */
function withoutUpgradeFunction(description: Record<string, unknown>): Record<string, unknown> {
  const upgrade = description.upgrade;
  if (typeof upgrade !== 'object' || upgrade === null) return description;
  const { apply: _apply, ...declared } = upgrade as Record<string, unknown>;
  return { ...description, upgrade: declared };
}

function upgradeFunction(file: string, upgrade: unknown): TypeUpgrade['apply'] {
  if (typeof upgrade !== 'object' || upgrade === null) return undefined;
  const apply = (upgrade as Record<string, unknown>).apply;
  if (apply === undefined) return undefined;
  if (typeof apply !== 'function') throw new TypeFileError(file, ['upgrade.apply must be a function']);
  return apply as TypeUpgrade['apply'];
}

function checkHooks(file: string, hooks: unknown): TypeHooks | undefined {
  if (hooks === undefined) return undefined;
  if (typeof hooks !== 'object' || hooks === null) throw new TypeFileError(file, ['hooks must be an object of functions']);
  const problems: string[] = [];
  for (const [name, hook] of Object.entries(hooks)) {
    if (!(HOOK_NAMES as readonly string[]).includes(name)) problems.push(`hooks.${name}: unknown hook; hooks are ${HOOK_NAMES.join(', ')}`);
    else if (typeof hook !== 'function') problems.push(`hooks.${name}: must be a function`);
  }
  if (problems.length > 0) throw new TypeFileError(file, problems);
  return hooks as TypeHooks;
}
