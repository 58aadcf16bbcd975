/**
 * What the benchmark asks the node, as pools of concrete requests (filter values, names and
 * callers vary from request to request; the same pool drives the HTTP and the raw-SQL paths).
 */
import { OS_VALUES, PROJECT_COUNT, projectId, TAGS, type Random } from './dataset.js';

export type CallerKind = 'anonymous' | 'member' | 'admin';

/** Share of each kind of caller in every workload. */
export const CALLER_MIX: ReadonlyArray<readonly [CallerKind, number]> = [
  ['anonymous', 0.5],
  ['member', 0.35],
  ['admin', 0.15],
];

export interface RequestVariant {
  caller: CallerKind;
  path: string;
  headers: Record<string, string>;
}

export interface WorkloadContext {
  /** Names of heat_templates artifacts in the database. */
  heatNames: readonly string[];
  /** Ids of public, active heat_templates artifacts: every caller may see them. */
  publicHeatIds: readonly string[];
}

export interface Workload {
  id: string;
  description: string;
  /**
   * The target this workload is judged by: a list's bounded latency with counts never
   * remembered (and its ratio to raw SQL), latest-in-range's latency, show's ratio to raw SQL.
   */
  target: 'list-bounded' | 'latest-latency' | 'show' | 'none';
  path(random: Random, ctx: WorkloadContext): string;
}

function heatTemplates(query: Array<[string, string]>): string {
  return `/artifacts/heat_templates?${new URLSearchParams(query)}`;
}

export const WORKLOADS: readonly Workload[] = [
  {
    id: 'list-3-filters',
    description: 'GET /artifacts/heat_templates?tags=<tag>&metadata.os=<os>&visibility=public&limit=20',
    target: 'list-bounded',
    path: (random) =>
      heatTemplates([
        ['tags', random.pick(TAGS)],
        ['metadata.os', random.pick(OS_VALUES)],
        ['visibility', 'public'],
        ['limit', '20'],
      ]),
  },
  {
    id: 'list-tag',
    description: 'GET /artifacts/heat_templates?tags=<tag>&limit=20 (one tag: ~15% of the type)',
    target: 'list-bounded',
    path: (random) => heatTemplates([['tags', random.pick(TAGS)], ['limit', '20']]),
  },
  {
    id: 'list-visibility',
    description: 'GET /artifacts/heat_templates?visibility=public&limit=20 (half the type)',
    target: 'list-bounded',
    path: () => heatTemplates([['visibility', 'public'], ['limit', '20']]),
  },
  {
    id: 'show',
    description: 'GET /artifacts/heat_templates/<id> (a public, active one)',
    target: 'show',
    path: (random, ctx) => `/artifacts/heat_templates/${random.pick(ctx.publicHeatIds)}`,
  },
  {
    id: 'latest-in-range',
    description: 'GET /artifacts/heat_templates?name=<X>&version=gt:2.1&version=lt:3.5.7&version=latest&limit=1',
    target: 'latest-latency',
    path: (random, ctx) =>
      heatTemplates([
        ['name', random.pick(ctx.heatNames)],
        ['version', 'gt:2.1'],
        ['version', 'lt:3.5.7'],
        ['version', 'latest'],
        ['limit', '1'],
      ]),
  },
  {
    id: 'latest-in-range-semver',
    description: 'GET /artifacts/heat_templates?name=<X>&version=>2.1.0 <3.5.7&sort=version:desc&limit=1',
    target: 'latest-latency',
    path: (random, ctx) =>
      heatTemplates([
        ['name', random.pick(ctx.heatNames)],
        ['version', '>2.1.0 <3.5.7'],
        ['sort', 'version:desc'],
        ['limit', '1'],
      ]),
  },
  {
    id: 'http-floor',
    description: 'GET /healthz: HTTP, routing and middleware without the database (no raw-SQL counterpart)',
    target: 'none',
    path: () => '/healthz',
  },
];

export function buildVariants(workload: Workload, random: Random, ctx: WorkloadContext, count: number): RequestVariant[] {
  return Array.from({ length: count }, () => {
    const caller = pickCaller(random);
    return { caller, path: workload.path(random, ctx), headers: callerHeaders(caller, random) };
  });
}

function pickCaller(random: Random): CallerKind {
  let r = random.next();
  for (const [kind, share] of CALLER_MIX) {
    if (r < share) return kind;
    r -= share;
  }
  return CALLER_MIX[0]![0];
}

/** Trusted-headers identities (the node runs with auth modes anonymous + trusted-headers). */
function callerHeaders(caller: CallerKind, random: Random): Record<string, string> {
  switch (caller) {
    case 'anonymous':
      return {};
    case 'member': {
      const project = projectId(random.int(PROJECT_COUNT));
      return { 'x-user-id': `user-of-${project}`, 'x-project-id': project, 'x-roles': 'member' };
    }
    case 'admin':
      return { 'x-user-id': 'bench-admin', 'x-project-id': 'admin-project', 'x-roles': 'admin' };
  }
}
