/**
 * @module Artifact types an operator declares in YAML (node-config/types/*.yaml), no code needed;
 * a type module (types/modules.ts) uses the same description and adds hooks.
 *
 * ```yaml
 * name: vnf_packages
 * version: "1.0"
 * display_name: VNF package
 * authorship: true            # provided_by, supported_by, license, license_url, release, icon
 * fields:
 *   vendor: { kind: string, sortable: true, validators: { max_length: 255 } }
 *   package: { kind: blob, max_blob_size: 104857600 }
 * upgrade:                    # how artifacts of an older version carry over (see upgrade.ts)
 *   from: "0.9"
 *   rename: { maker: vendor }
 *   remove: [legacy_id]
 * ```
 */
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { defineArtifactType, type ArtifactType, type TypeHooks, type TypeUpgrade } from '../artifacts/artifact-type.js';
import { FIELD_KINDS, FILTER_OPS } from '../artifacts/fields.js';
import { TYPE_NAME } from '../artifacts/names.js';

const Validators = z
  .object({
    min_length: z.number().int().min(0).optional(),
    max_length: z.number().int().min(1).optional(),
    pattern: z
      .string()
      .refine((p) => {
        try {
          new RegExp(p);
          return true;
        } catch {
          return false;
        }
      }, 'must be a valid regular expression')
      .optional(),
    allowed_values: z.array(z.union([z.string(), z.number()])).min(1).optional(),
    min: z.number().optional(),
    max: z.number().optional(),
    max_items: z.number().int().min(0).optional(),
    unique_items: z.boolean().optional(),
    max_size: z.number().int().min(0).optional(),
    allowed_keys: z.array(z.string().min(1)).min(1).optional(),
    required_keys: z.array(z.string().min(1)).min(1).optional(),
    max_key_length: z.number().int().min(1).max(255).optional(),
    forbidden_chars: z.array(z.string().length(1)).min(1).optional(),
    max_total_size: z.number().int().min(1).optional(),
  })
  .strict();

const FieldYaml = z
  .object({
    kind: z.enum(FIELD_KINDS),
    description: z.string().optional(),
    mutable: z.boolean().optional(),
    system: z.boolean().optional(),
    sortable: z.boolean().optional(),
    required_on_activate: z.boolean().optional(),
    nullable: z.boolean().optional(),
    default: z.unknown().optional(),
    filter_ops: z.array(z.enum(FILTER_OPS)).optional(),
    validators: Validators.optional(),
    max_blob_size: z.number().int().min(1).optional(),
    /** For link fields: the type internal links must point at. */
    link_type: z.string().regex(TYPE_NAME).optional(),
    /** Free-form facts for clients, shown with the field's schema. */
    metadata: z.record(z.string(), z.string()).optional(),
  })
  .strict();

const UpgradeYaml = z
  .object({
    from: z.union([z.string(), z.number()]).transform(String),
    rename: z.record(z.string(), z.string()).default({}),
    remove: z.array(z.string()).default([]),
  })
  .strict();

const TypeYaml = z
  .object({
    name: z.string().regex(TYPE_NAME, 'must be lower case letters, digits and _'),
    version: z.union([z.string(), z.number()]).transform(String),
    display_name: z.string().optional(),
    description: z.string().optional(),
    /** Carry the catalog's authorship fields (provided_by, supported_by, license, ...). */
    authorship: z.boolean().default(false),
    fields: z.record(z.string(), FieldYaml),
    upgrade: UpgradeYaml.optional(),
  })
  .strict();

export class TypeFileError extends Error {
  constructor(file: string, problems: string[]) {
    super(`artifact type file ${file} is invalid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'TypeFileError';
  }
}

export function typeFromYaml(file: string, text: string): ArtifactType {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new TypeFileError(file, [`not valid YAML: ${(err as Error).message}`]);
  }
  return typeFromDocument(file, doc);
}

/** A type from its declarative description (YAML's snake_case keys), with a module's hooks if any. */
export function typeFromDocument(file: string, doc: unknown, hooks?: TypeHooks, upgradeApply?: TypeUpgrade['apply']): ArtifactType {
  const parsed = TypeYaml.safeParse(doc);
  if (!parsed.success) throw new TypeFileError(file, parsed.error.issues.map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`));
  const t = parsed.data;
  if (upgradeApply && !t.upgrade) throw new TypeFileError(file, ['upgrade.apply needs upgrade.from: the version it upgrades from']);
  try {
    return defineArtifactType({
      name: t.name,
      version: t.version,
      displayName: t.display_name,
      description: t.description,
      authorship: t.authorship,
      ...(hooks ? { hooks } : {}),
      ...(t.upgrade ? { upgrade: { ...t.upgrade, ...(upgradeApply ? { apply: upgradeApply } : {}) } } : {}),
      fields: Object.fromEntries(
        Object.entries(t.fields).map(([name, f]) => [
          name,
          {
            kind: f.kind,
            description: f.description,
            mutable: f.mutable,
            system: f.system,
            sortable: f.sortable,
            requiredOnActivate: f.required_on_activate,
            nullable: f.nullable,
            default: f.default,
            filterOps: f.filter_ops,
            maxBlobSize: f.max_blob_size,
            linkType: f.link_type,
            metadata: f.metadata,
            validators: f.validators && {
              minLength: f.validators.min_length,
              maxLength: f.validators.max_length,
              pattern: f.validators.pattern,
              allowedValues: f.validators.allowed_values,
              min: f.validators.min,
              max: f.validators.max,
              maxItems: f.validators.max_items,
              uniqueItems: f.validators.unique_items,
              maxSize: f.validators.max_size,
              allowedKeys: f.validators.allowed_keys,
              requiredKeys: f.validators.required_keys,
              maxKeyLength: f.validators.max_key_length,
              forbiddenChars: f.validators.forbidden_chars,
              maxTotalSize: f.validators.max_total_size,
            },
          },
        ]),
      ),
    });
  } catch (err) {
    throw new TypeFileError(file, [(err as Error).message]);
  }
}
