/**
 * @module The operator's type plugins in the types folder: YAML descriptions (*.yaml, *.yml) and
 * type modules with hooks (*.ts, *.mts, *.js, *.mjs). A missing folder holds no types.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ArtifactType } from '../artifacts/artifact-type.js';
import { typeFromYaml } from './declarative.js';
import { typeFromModule } from './modules.js';

const YAML_FILE = /\.ya?ml$/;
const MODULE_FILE = /\.(m?ts|m?js)$/;

export async function loadTypePlugins(dir: string): Promise<ArtifactType[]> {
  if (!existsSync(dir)) return [];
  const types: ArtifactType[] = [];
  for (const name of readdirSync(dir).sort()) {
    const file = join(dir, name);
    if (YAML_FILE.test(name)) types.push(typeFromYaml(file, readFileSync(file, 'utf8')));
    else if (MODULE_FILE.test(name) && !name.endsWith('.d.ts')) types.push(await typeFromModule(file));
  }
  return types;
}
