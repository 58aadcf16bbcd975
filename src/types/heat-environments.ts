/**
 * @module Heat environments (Glare's `heat_environments`). An uploaded environment must be a
 * mapping of the sections Heat reads and nothing else; the parameters it sets and the resource
 * types it maps become searchable fields.
 */
import { defineArtifactType } from '../artifacts/artifact-type.js';
import { isMapping, parseMapping, readBlobText, sectionKeys } from './documents.js';

const MAX_ENVIRONMENT_BYTES = 10 * 1024 * 1024;
const derived = { requiredOnActivate: false, system: true } as const;
const names = { maxItems: 1000, uniqueItems: true, maxLength: 255 } as const;

/** The sections of a Heat environment, and whether each is a mapping (or else a list). */
const SECTIONS: Readonly<Record<string, 'mapping' | 'list'>> = {
  parameters: 'mapping',
  parameter_defaults: 'mapping',
  resource_registry: 'mapping',
  event_sinks: 'list',
  encrypted_param_names: 'list',
  parameter_merge_strategies: 'mapping',
};

export const heatEnvironments = defineArtifactType({
  name: 'heat_environments',
  version: '1.0',
  displayName: 'Heat environment',
  description: 'A Heat environment file.',
  authorship: true,
  fields: {
    environment: { kind: 'blob', description: 'The environment body.', maxBlobSize: MAX_ENVIRONMENT_BYTES },
    parameter_names: { kind: 'string_list', ...derived, description: 'Parameters the environment sets (parameters and parameter_defaults).', validators: names },
    resource_types: { kind: 'string_list', ...derived, description: 'Resource types the resource_registry maps.', validators: names },
  },
  hooks: {
    async afterUpload(_artifact, blob, ctx) {
      if (blob.field !== 'environment') return undefined;
      const what = 'the environment';
      const doc = parseMapping(ctx, await readBlobText(ctx, blob, MAX_ENVIRONMENT_BYTES, what), what);
      for (const [key, value] of Object.entries(doc)) {
        const shape = SECTIONS[key];
        if (!shape) ctx.refuse(`${what} has an unknown section "${key.slice(0, 100)}"; an environment has ${Object.keys(SECTIONS).join(', ')}`);
        if (value !== null && (shape === 'list' ? !Array.isArray(value) : !isMapping(value))) ctx.refuse(`${what}: "${key}" must be a ${shape}`);
      }
      const parameters = new Set([...sectionKeys(ctx, doc, 'parameters', what), ...sectionKeys(ctx, doc, 'parameter_defaults', what)]);
      const resourceTypes = sectionKeys(ctx, doc, 'resource_registry', what).filter((k) => k !== 'resources');
      return { parameter_names: [...parameters], resource_types: resourceTypes };
    },
  },
});
