/** @module Heat environments (Glare's `heat_environments`). */
import { defineArtifactType } from '../artifacts/artifact-type.js';

export const heatEnvironments = defineArtifactType({
  name: 'heat_environments',
  version: '1.0',
  displayName: 'Heat environment',
  description: 'A Heat environment file.',
  authorship: true,
  fields: {
    environment: { kind: 'blob', description: 'The environment body.', maxBlobSize: 10 * 1024 * 1024 },
  },
});
