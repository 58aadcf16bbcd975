/** @module Heat orchestration templates (Glare's `heat_templates`). */
import { defineArtifactType } from '../artifacts/artifact-type.js';

export const heatTemplates = defineArtifactType({
  name: 'heat_templates',
  version: '1.0',
  displayName: 'Heat template',
  description: 'A Heat orchestration template with its nested templates and environments.',
  authorship: true,
  fields: {
    template: { kind: 'blob', description: 'The template body.', maxBlobSize: 10 * 1024 * 1024 },
    nested_templates: { kind: 'blob_dict', requiredOnActivate: false, description: 'Nested templates by file name.', maxBlobSize: 10 * 1024 * 1024, validators: { maxSize: 255 } },
    environments: { kind: 'link_dict', linkType: 'heat_environments', requiredOnActivate: false, mutable: true, description: 'Links to heat_environments artifacts, by name.', validators: { maxSize: 255 } },
    default_envs: { kind: 'string_dict', requiredOnActivate: false, mutable: true, description: 'Default environment parameters.', validators: { maxSize: 255 } },
  },
});
