/**
 * @module The fields every artifact has, whatever its type (Glare's base type), and the
 * authorship fields the Community App Catalog carries, which a type takes by declaring
 * `authorship` (every built-in type does). Both live in columns of the artifacts table.
 */
import { STATUSES, VISIBILITIES } from './artifact.js';
import { FILTER_OPS, defineField, type FieldDef } from './fields.js';
import { ARTIFACT_ID } from './names.js';

const optional = { requiredOnActivate: false } as const;

export const GENERIC_FIELDS: readonly FieldDef[] = [
  defineField('id', 'string', { ...optional, system: true, sortable: true, nullable: false, description: 'Artifact UUID.', validators: { pattern: ARTIFACT_ID.source } }),
  defineField('name', 'string', { ...optional, sortable: true, nullable: false, description: 'Artifact name.', validators: { minLength: 1, maxLength: 255 } }),
  defineField('version', 'string', { ...optional, sortable: true, nullable: false, default: '0.0.0', filterOps: FILTER_OPS, description: 'Artifact version (semver).' }),
  defineField('description', 'string', { ...optional, mutable: true, default: '', description: 'Artifact description.', validators: { maxLength: 4096 } }),
  defineField('tags', 'string_list', { ...optional, mutable: true, description: 'List of tags added to the artifact.', validators: { maxItems: 255, maxLength: 255, uniqueItems: true } }),
  defineField('metadata', 'string_dict', { ...optional, mutable: true, filterOps: FILTER_OPS, description: 'Key-value dict with useful information about the artifact.', validators: { maxSize: 255, maxLength: 255 } }),
  defineField('owner', 'string', { ...optional, system: true, sortable: true, nullable: false, description: 'Project that owns the artifact.' }),
  defineField('visibility', 'string', { ...optional, sortable: true, nullable: false, default: 'private', filterOps: ['eq', 'neq'], description: 'Who may see the artifact: private (owner and shares) or public.', validators: { allowedValues: [...VISIBILITIES] } }),
  defineField('status', 'string', { ...optional, sortable: true, nullable: false, default: 'drafted', description: 'Artifact status.', validators: { allowedValues: [...STATUSES] } }),
  defineField('created_at', 'datetime', { ...optional, system: true, sortable: true, nullable: false, description: 'When the artifact was created.' }),
  defineField('updated_at', 'datetime', { ...optional, system: true, sortable: true, nullable: false, description: 'When the artifact last changed.' }),
  defineField('activated_at', 'datetime', { ...optional, system: true, sortable: true, description: 'When the artifact became active.' }),
  defineField('display_type_name', 'string', { ...optional, system: true, description: 'Human-readable name of the artifact type.' }),
];

export const AUTHORSHIP_FIELDS: readonly FieldDef[] = [
  defineField('provided_by', 'string_dict', { ...optional, description: 'Who provides the artifact (name, href, company).', validators: { maxSize: 16, maxLength: 1024 } }),
  defineField('supported_by', 'string_dict', { ...optional, mutable: true, description: 'Who supports the artifact (name, href, email).', validators: { maxSize: 16, maxLength: 1024 } }),
  defineField('license', 'string', { ...optional, sortable: true, description: 'License name or SPDX identifier.', validators: { maxLength: 255 } }),
  defineField('license_url', 'link', { ...optional, description: 'Where the license text is.' }),
  defineField('release', 'string_list', { ...optional, mutable: true, description: 'Platform releases the artifact works with.', validators: { maxItems: 64, maxLength: 64, uniqueItems: true } }),
  defineField('icon', 'blob', { ...optional, description: 'Artifact icon.', maxBlobSize: 2 * 1024 * 1024 }),
];

/** Names no type may give its own fields. */
export const GENERIC_FIELD_NAMES: ReadonlySet<string> = new Set([...GENERIC_FIELDS, ...AUTHORSHIP_FIELDS].map((f) => f.name));

export const GENERIC_FIELD_MAP: ReadonlyMap<string, FieldDef> = new Map(GENERIC_FIELDS.map((f) => [f.name, f]));
