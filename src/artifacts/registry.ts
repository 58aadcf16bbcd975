/**
 * @module The artifact types this node serves: the built-in plugins plus the operator's
 * declarative files. Nothing else switches on a type name.
 */
import { NotFound } from '../errors.js';
import type { ArtifactType } from './artifact-type.js';

export interface TypeRegistry {
  get(name: string): ArtifactType;
  has(name: string): boolean;
  list(): readonly ArtifactType[];
}

export function createTypeRegistry(types: readonly ArtifactType[]): TypeRegistry {
  const byName = new Map<string, ArtifactType>();
  for (const t of types) {
    if (byName.has(t.name)) throw new Error(`artifact type "${t.name}" is defined twice`);
    byName.set(t.name, t);
  }
  for (const t of types) {
    for (const f of t.fields.values()) {
      if (f.linkType !== undefined && !byName.has(f.linkType)) throw new Error(`type ${t.name}: field ${f.name} links to unknown artifact type "${f.linkType}"`);
    }
  }
  const sorted = [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
  return {
    get(name) {
      const t = byName.get(name);
      if (!t) throw new NotFound(`unknown artifact type "${name}"; known types: ${sorted.map((s) => s.name).join(', ')}`);
      return t;
    },
    has: (name) => byName.has(name),
    list: () => sorted,
  };
}
