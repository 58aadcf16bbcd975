/**
 * @module The artifact types this node serves: the built-in plugins plus the operator's files,
 * every version of each side by side. New artifacts take a type's newest version; an existing
 * artifact is read, validated and rendered by the version it was made with. Nothing else
 * switches on a type name.
 */
import { NotFound } from '../errors.js';
import type { Artifact } from './artifact.js';
import type { ArtifactType } from './artifact-type.js';
import { parseVersion } from './versions.js';

export interface TypeRegistry {
  /** The newest version of the type. */
  get(name: string): ArtifactType;
  has(name: string): boolean;
  /** The newest version of every type, by name. */
  list(): readonly ArtifactType[];
  /** Every version of the type, oldest first. */
  versions(name: string): readonly ArtifactType[];
  /** One version of the type; NotFound naming the versions there are. */
  version(name: string, version: string): ArtifactType;
  /**
   * The version that reads `artifact`: the one it was made with; when that one is no longer
   * defined, the oldest newer one (or else the newest), which the node checked at start can read it.
   */
  forArtifact(artifact: Pick<Artifact, 'typeName' | 'typeVersion'>): ArtifactType;
}

/** Type versions order as semver (`1.0` is `1.0.0`, `1.10` follows `1.9`). */
export function compareTypeVersions(a: string, b: string): number {
  return parseVersion(a).compare(parseVersion(b));
}

function checkedVersion(t: ArtifactType): void {
  try {
    parseVersion(t.version);
    if (t.upgrade) parseVersion(t.upgrade.from);
  } catch (err) {
    throw new Error(`artifact type ${t.name}: ${(err as Error).message}`, { cause: err });
  }
  if (t.upgrade && compareTypeVersions(t.upgrade.from, t.version) >= 0) {
    throw new Error(`artifact type ${t.name} ${t.version} upgrades from ${t.upgrade.from}, which is not an older version`);
  }
}

export function createTypeRegistry(types: readonly ArtifactType[]): TypeRegistry {
  const byName = new Map<string, ArtifactType[]>();
  for (const t of types) {
    checkedVersion(t);
    const versions = byName.get(t.name) ?? [];
    if (versions.some((v) => compareTypeVersions(v.version, t.version) === 0)) throw new Error(`artifact type "${t.name}" version ${t.version} is defined twice`);
    versions.push(t);
    byName.set(t.name, versions);
  }
  for (const versions of byName.values()) versions.sort((a, b) => compareTypeVersions(a.version, b.version));
  for (const t of types) {
    for (const f of t.fields.values()) {
      if (f.linkType !== undefined && !byName.has(f.linkType)) throw new Error(`type ${t.name}: field ${f.name} links to unknown artifact type "${f.linkType}"`);
    }
  }
  const newest = [...byName.values()].map((v) => v.at(-1)!).sort((a, b) => a.name.localeCompare(b.name));
  const versionsOf = (name: string): ArtifactType[] => {
    const versions = byName.get(name);
    if (!versions) throw new NotFound(`unknown artifact type "${name}"; known types: ${newest.map((s) => s.name).join(', ')}`);
    return versions;
  };
  return {
    get: (name) => versionsOf(name).at(-1)!,
    has: (name) => byName.has(name),
    list: () => newest,
    versions: (name) => versionsOf(name),
    version(name, version) {
      const versions = versionsOf(name);
      const found = versions.find((v) => v.version === version) ?? versions.find((v) => sameVersion(v.version, version));
      if (!found) throw new NotFound(`artifact type ${name} has no version "${version.slice(0, 60)}"; its versions: ${versions.map((v) => v.version).join(', ')}`);
      return found;
    },
    forArtifact({ typeName, typeVersion }) {
      const versions = versionsOf(typeName);
      const exact = versions.find((v) => v.version === typeVersion);
      if (exact) return exact;
      return versions.find((v) => compareLenient(v.version, typeVersion) >= 0) ?? versions.at(-1)!;
    },
  };
}

function sameVersion(a: string, b: string): boolean {
  try {
    return compareTypeVersions(a, b) === 0;
  } catch {
    return false;
  }
}

/** A stored version that does not parse (written by another node's plugin) sorts first. */
function compareLenient(known: string, stored: string): number {
  try {
    return compareTypeVersions(known, stored);
  } catch {
    return 1;
  }
}
