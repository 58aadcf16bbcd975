/** @module The artifact types every node ships with. */
import type { ArtifactType } from '../artifacts/artifact-type.js';
import { bundles } from './bundles.js';
import { heatEnvironments } from './heat-environments.js';
import { heatTemplates } from './heat-templates.js';
import { images } from './images.js';
import { muranoPackages } from './murano-packages.js';
import { toscaTemplates } from './tosca-templates.js';

export const BUILTIN_TYPES: readonly ArtifactType[] = [images, heatTemplates, heatEnvironments, muranoPackages, toscaTemplates, bundles];
