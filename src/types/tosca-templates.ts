/** @module TOSCA templates (Glare's `tosca_templates`). */
import { defineArtifactType } from '../artifacts/artifact-type.js';

export const toscaTemplates = defineArtifactType({
  name: 'tosca_templates',
  version: '1.0',
  displayName: 'TOSCA template',
  description: 'A TOSCA service template.',
  authorship: true,
  fields: {
    template_format: { kind: 'string', requiredOnActivate: false, sortable: true, description: 'TOSCA template format (e.g. tosca_simple_yaml_1_3).', validators: { maxLength: 255 } },
    template: { kind: 'blob', description: 'The template body.', maxBlobSize: 10 * 1024 * 1024 },
  },
});
