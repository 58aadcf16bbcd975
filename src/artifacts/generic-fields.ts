/**
 * @module The fields every artifact has, whatever its type (Glare's base type), and the
 * authorship fields the Community App Catalog carries, which a type takes by declaring
 * `authorship` (every built-in type does). Both live in columns of the artifacts table.
 */
import { STATUSES, VISIBILITIES } from './artifact.js';
import { ORDERED_FILTER_OPS, defineField, type FieldDef } from './fields.js';
import { ARTIFACT_ID } from './names.js';

const optional = { requiredOnActivate: false } as const;

// Flags, validators and filter operators as Glare's base type has them (glare/objects/base.py);
// status, visibility and updated_at are "mutable" there because they change after activation.
// Deliberately unlike Glare, metadata stays mutable after activation.
export const GENERIC_FIELDS: readonly FieldDef[] = [
  defineField('id', 'string', { system: true, sortable: true, nullable: false, description: 'Artifact UUID.', validators: { pattern: ARTIFACT_ID.source, maxLength: 255 } }),
  defineField('name', 'string', { ...optional, sortable: true, nullable: false, filterOps: ['like', 'eq', 'neq', 'in'], description: 'Artifact name.', validators: { minLength: 1, maxLength: 255 } }),
  defineField('version', 'string', { ...optional, sortable: true, nullable: false, default: '0.0.0', filterOps: ORDERED_FILTER_OPS, description: 'Artifact version (semver).' }),
  defineField('description', 'string', { ...optional, mutable: true, default: '', filterOps: [], description: 'Artifact description.', validators: { maxLength: 4096 } }),
  // Tags filter through ?tags= and ?tags-any=, not with operators.
  defineField('tags', 'string_list', { ...optional, mutable: true, filterOps: [], description: 'List of tags added to the artifact.', validators: { maxItems: 255, minLength: 1, maxLength: 255, pattern: '^[^,/]+$', uniqueItems: true } }),
  defineField('metadata', 'string_dict', { ...optional, mutable: true, description: 'Key-value dict with useful information about the artifact.', validators: { maxSize: 255, minLength: 1, maxLength: 255 } }),
  defineField('owner', 'string', { ...optional, system: true, sortable: true, nullable: false, description: 'Project that owns the artifact.', validators: { maxLength: 255 } }),
  defineField('visibility', 'string', { mutable: true, sortable: true, nullable: false, default: 'private', description: 'Who may see the artifact: private (owner and shares) or public.', validators: { allowedValues: [...VISIBILITIES] } }),
  defineField('status', 'string', { mutable: true, sortable: true, nullable: false, default: 'drafted', description: 'Artifact status.', validators: { allowedValues: [...STATUSES] } }),
  defineField('created_at', 'datetime', { system: true, sortable: true, nullable: false, description: 'When the artifact was created.' }),
  defineField('updated_at', 'datetime', { system: true, mutable: true, sortable: true, nullable: false, description: 'When the artifact last changed.' }),
  defineField('activated_at', 'datetime', { ...optional, system: true, sortable: true, description: 'When the artifact became active.' }),
  defineField('requires', 'requirement_list', { ...optional, description: 'Artifacts this one requires: {"type", "name", "range"} objects, the range a semver range ("^2.1", ">=1.4 <2", "~3.4.1", "*"), optionally an "origin" node.', validators: { maxItems: 255, uniqueItems: true } }),
  defineField('display_type_name', 'string', { system: true, sortable: true, filterOps: ['like', 'eq', 'neq', 'in'], description: 'Human-readable name of the artifact type.', validators: { maxLength: 255 } }),
];

/** The `all` view's own field: which type an artifact is of (Glare's glare/objects/all.py). */
export const TYPE_NAME_FIELD: FieldDef = defineField('type_name', 'string', {
  system: true,
  sortable: true,
  nullable: false,
  filterOps: ['like', 'eq', 'neq', 'in'],
  description: 'Name of artifact type.',
  validators: { maxLength: 255 },
});

/**
 * Extension: the version of its type's schema an artifact was made with and is read by. Shown on
 * every artifact and listed in every type's schema, since Glare's clients look each key they are
 * given up in the schema.
 */
export const TYPE_VERSION_FIELD: FieldDef = defineField('type_version', 'string', {
  system: true,
  nullable: false,
  description: "The version of the type's schema this artifact was made with and is read by (an extension).",
  validators: { maxLength: 64 },
});

/** What the `all` view shows and filters on: the generic fields and the type name. */
export const ALL_VIEW_FIELDS: ReadonlyMap<string, FieldDef> = new Map([...GENERIC_FIELDS, TYPE_NAME_FIELD].map((f) => [f.name, f]));

export const AUTHORSHIP_FIELDS: readonly FieldDef[] = [
  defineField('provided_by', 'string_dict', { ...optional, description: 'Who provides the artifact (name, href, company).', validators: { maxSize: 16, maxLength: 1024 } }),
  defineField('supported_by', 'string_dict', { ...optional, mutable: true, description: 'Who supports the artifact (name, href, email).', validators: { maxSize: 16, maxLength: 1024 } }),
  defineField('license', 'string', { ...optional, sortable: true, description: 'License name or SPDX identifier.', validators: { maxLength: 255 } }),
  defineField('license_url', 'link', { ...optional, description: 'Where the license text is.' }),
  defineField('release', 'string_list', { ...optional, mutable: true, description: 'Platform releases the artifact works with.', validators: { maxItems: 64, maxLength: 64, uniqueItems: true } }),
  defineField('icon', 'blob', { ...optional, description: 'Artifact icon.', maxBlobSize: 2 * 1024 * 1024 }),
];

/** Names no type may give its own fields. */
export const GENERIC_FIELD_NAMES: ReadonlySet<string> = new Set([...GENERIC_FIELDS, ...AUTHORSHIP_FIELDS, TYPE_NAME_FIELD].map((f) => f.name));

