/** The shape of the generated catalog: vocabularies shared by the generator and the workloads. */

export const NAME_COUNT = 10_000;
export const MAX_VERSIONS_PER_NAME = 100;
export const PROJECT_COUNT = 50;

/** Artifact types and their share of names; each active artifact gets its type's required blob. */
export const TYPES = [
  { name: 'heat_templates', share: 0.75, blobField: 'template', contentType: 'application/x-yaml' },
  { name: 'images', share: 0.2, blobField: 'image', contentType: 'application/octet-stream' },
  { name: 'heat_environments', share: 0.05, blobField: 'environment', contentType: 'application/x-yaml' },
] as const;

export const TAGS = [
  'web', 'db', 'cache', 'queue', 'lb', 'k8s', 'ha', 'dev', 'prod', 'staging',
  'monitoring', 'logging', 'storage', 'network', 'security', 'ci', 'ml', 'gpu', 'edge', 'batch',
] as const;
export const TAGS_PER_ARTIFACT = 3;

export const OS_VALUES = ['ubuntu', 'centos', 'debian', 'fedora', 'rhel', 'windows'] as const;
export const TIER_VALUES = ['frontend', 'backend', 'data', 'infra'] as const;
export const ARCH_VALUES = ['x86_64', 'aarch64', 'ppc64le'] as const;

export function projectId(i: number): string {
  return `project-${String(i).padStart(2, '0')}`;
}

export function artifactName(i: number): string {
  return `name-${String(i).padStart(5, '0')}`;
}

/** 10k names of up to 100 versions; more names only when 100 versions each would not hold `size`. */
export function nameCountFor(size: number): number {
  return Math.max(1, Math.min(size, Math.max(NAME_COUNT, Math.ceil(size / MAX_VERSIONS_PER_NAME))));
}

/** A small, fast, seedable PRNG (mulberry32): the same seed gives the same catalog. */
export function createRandom(seed: number): Random {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n) => Math.floor(next() * n),
    pick: (items) => items[Math.floor(next() * items.length)]!,
  };
}

export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  pick<T>(items: readonly T[]): T;
}
