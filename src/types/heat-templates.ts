/**
 * @module Heat orchestration templates (Glare's `heat_templates`). An uploaded template (or
 * nested template) must be a HOT or CFN document; the main template's format, version,
 * parameter names and resource types become searchable fields.
 */
import { defineArtifactType, type HookContext } from '../artifacts/artifact-type.js';
import { isMapping, parseMapping, readBlobText, sectionKeys, type Mapping } from './documents.js';

const MAX_TEMPLATE_BYTES = 10 * 1024 * 1024;
const derived = { requiredOnActivate: false, system: true } as const;
const names = { maxItems: 1000, uniqueItems: true, maxLength: 255 } as const;

export const heatTemplates = defineArtifactType({
  name: 'heat_templates',
  version: '1.0',
  displayName: 'Heat template',
  description: 'A Heat orchestration template with its nested templates and environments.',
  authorship: true,
  fields: {
    template: { kind: 'blob', description: 'The template body.', maxBlobSize: MAX_TEMPLATE_BYTES },
    nested_templates: { kind: 'blob_dict', requiredOnActivate: false, description: 'Nested templates by file name.', maxBlobSize: MAX_TEMPLATE_BYTES, validators: { maxSize: 255 } },
    environments: { kind: 'link_dict', linkType: 'heat_environments', requiredOnActivate: false, mutable: true, description: 'Links to heat_environments artifacts, by name.', validators: { maxSize: 255 } },
    default_envs: { kind: 'string_dict', requiredOnActivate: false, mutable: true, description: 'Default environment parameters.', validators: { maxSize: 255 } },
    template_format: { kind: 'string', ...derived, sortable: true, description: 'HOT or CFN, read from the uploaded template.', validators: { allowedValues: ['HOT', 'CFN'] } },
    heat_template_version: { kind: 'string', ...derived, sortable: true, description: "The HOT template's heat_template_version (or a CFN template's AWSTemplateFormatVersion).", validators: { maxLength: 64 } },
    parameter_names: { kind: 'string_list', ...derived, description: 'Names of the parameters the template takes.', validators: names },
    resource_types: { kind: 'string_list', ...derived, description: 'Resource types the template uses.', validators: names },
  },
  hooks: {
    async afterUpload(_artifact, blob, ctx) {
      if (blob.field !== 'template' && blob.field !== 'nested_templates') return undefined;
      const what = blob.field === 'template' ? 'the template' : `nested template "${blob.key}"`;
      const summary = summariseTemplate(ctx, parseMapping(ctx, await readBlobText(ctx, blob, MAX_TEMPLATE_BYTES, what), what), what);
      return blob.field === 'template' ? summary : undefined;
    },
  },
});

/** A HOT or CFN template's format, version, parameter names and resource types; refused when it is neither. */
function summariseTemplate(ctx: HookContext, doc: Mapping, what: string) {
  const hot = doc.heat_template_version !== undefined;
  if (!hot && doc.AWSTemplateFormatVersion === undefined && doc.Resources === undefined) {
    ctx.refuse(`${what} is neither a HOT template (it has no heat_template_version) nor a CFN template (it has no AWSTemplateFormatVersion or Resources)`);
  }
  const version = hot ? doc.heat_template_version : doc.AWSTemplateFormatVersion;
  if (version !== undefined && typeof version !== 'string') {
    ctx.refuse(`${what}: ${hot ? 'heat_template_version' : 'AWSTemplateFormatVersion'} must be a date (2018-08-31) or a release name`);
  }
  const [parameters, resources, typeKey] = hot ? ['parameters', 'resources', 'type'] : ['Parameters', 'Resources', 'Type'];
  const resourceTypes = new Set<string>();
  for (const name of sectionKeys(ctx, doc, resources, what)) {
    const resource = (doc[resources] as Mapping)[name];
    const type = isMapping(resource) ? resource[typeKey] : undefined;
    if (typeof type !== 'string' || type === '') ctx.refuse(`${what}: resource "${name.slice(0, 100)}" has no ${typeKey}`);
    resourceTypes.add(type);
  }
  return {
    template_format: hot ? 'HOT' : 'CFN',
    heat_template_version: version ?? null,
    parameter_names: sectionKeys(ctx, doc, parameters, what),
    resource_types: [...resourceTypes].sort(),
  };
}
