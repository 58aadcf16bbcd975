/**
 * @module Dependencies over the Glare dialect's URLs (extension): resolving an artifact's
 * requirements (or a request's), its dependency graph, and what depends on it.
 */
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import type { ArtifactType } from '../../artifacts/artifact-type.js';
import { ALL_TYPES } from '../../artifacts/names.js';
import type { OpContext } from '../../artifacts/context.js';
import { showArtifact } from '../../artifacts/read.js';
import { dependencyGraph } from '../../dependencies/closure.js';
import { listDependants, type Dependant } from '../../dependencies/references.js';
import { parseRequirement } from '../../dependencies/requirements.js';
import { resolveDependencies, type Candidate, type PickedBy, type ResolveIntent, type Resolution, type ResolvedEdge, type Unresolved } from '../../dependencies/resolver.js';
import { pullChosen, resolveAcrossTree } from '../../federation/tree-resolve.js';
import type { Deps } from '../../deps.js';
import { BadRequest } from '../../errors.js';
import { opContextOf, type AppEnv } from '../env.js';
import { errorResponses, onInvalidInput } from '../errors.js';
import { readJsonBody, requireObject } from '../json-body.js';
import { IdParam, TypeParam, jsonResponse } from '../params.js';

interface Identified {
  id: string;
  typeName: string;
  name: string;
  version: string;
}

/** An artifact as the answers name it; one a tree resolution found upstream by its id there and its node. */
const summary = (a: Identified & Pick<Candidate, 'source'>) => ({
  id: a.source?.id ?? a.id,
  type_name: a.typeName,
  name: a.name,
  version: a.version,
  ...(a.source ? { node: a.source.path.at(-1)! } : {}),
});

function renderPickedBy(p: PickedBy) {
  switch (p.kind) {
    case 'root':
      return { root: true };
    case 'requires':
      return { by: p.by && summary(p.by), requirement: p.requirement };
    case 'link':
      return { by: summary(p.by), field: p.field, key: p.key, link: p.link };
  }
}

function renderEdge(e: ResolvedEdge) {
  return e.via === 'requires'
    ? { from: e.from?.id ?? null, to: e.to.id, via: e.via, requirement: e.requirement }
    : { from: e.from.id, to: e.to.id, via: e.via, field: e.field, key: e.key, link: e.link };
}

/** What could not be followed; an invisible target is named only by the link its referrer holds. */
function renderUnresolved(u: Unresolved) {
  return u.via === 'requires'
    ? { from: u.from?.id ?? null, via: u.via, requirement: u.requirement, reason: u.reason }
    : { from: u.from.id, via: u.via, field: u.field, key: u.key, link: u.link, reason: u.reason };
}

const renderResolved = (r: Resolution) => ({
  artifacts: r.nodes.map((n) => ({ ...summary(n.row), ...(n.row.source ? { path: n.row.source.path } : {}), picked_by: renderPickedBy(n.pickedBy) })),
});

function renderDependant(d: Dependant) {
  const base = { ...summary(d.artifact), status: d.artifact.status, via: d.via };
  return d.via === 'link' ? { ...base, field: d.field, key: d.key, broken: d.broken } : { ...base, requirement: d.requirement };
}

const ArtifactSummary = { id: z.string(), type_name: z.string(), name: z.string(), version: z.string() };
const PickedByView = z.record(z.string(), z.unknown()).openapi({ description: 'What took this version: {by, requirement} (by null: the request), or {by, field, key, link} for a link' });
const NodeView = z.object({ id: z.string(), name: z.string() });
const Resolved = z
  .object({
    artifacts: z.array(
      z.object({
        ...ArtifactSummary,
        node: NodeView.optional().openapi({ description: 'scope=tree: the node holding it (`id` is its id there)' }),
        path: z.array(NodeView).optional().openapi({ description: 'scope=tree: the nodes from this one to the one holding it' }),
        picked_by: PickedByView,
      }),
    ),
    scope: z.enum(['local', 'tree']),
    sources: z.array(z.record(z.string(), z.unknown())).optional().openapi({ description: 'scope=tree: every source’s path, status (ok, timeout, error, skipped), ms, count' }),
    partial: z.boolean().optional().openapi({ description: 'scope=tree: some source did not answer; the set was chosen from the others' }),
    pull: z
      .object({ jobs: z.array(z.record(z.string(), z.unknown())), not_pulled: z.array(z.record(z.string(), z.unknown())) })
      .optional()
      .openapi({ description: 'pull=true: the pull jobs (GET /federation/v1/jobs/{id}) and what was chosen but cannot be pulled from a direct upstream' }),
  })
  .openapi('Resolved', { description: 'One consistent set: at most one version per type and name, every range satisfied, newest preferred, only what the caller may see' });
const Scope = z.object({
  scope: z.enum(['local', 'tree']).optional().openapi({ description: 'local (default): this catalog; tree: this catalog and every upstream’s candidates' }),
  pull: z
    .enum(['true', 'false'])
    .optional()
    .openapi({ description: 'scope=tree: also pull the chosen remote artifacts here (one pull job per upstream holding some; `pull` in the answer)' }),
});
const conflictResponse = {
  409: {
    description: 'No consistent set exists: `conflict` explains it as a chain of steps ({by, requires}, with pinned_to when the requirement of an imported copy is pinned to the version it was imported with, or {by, links_to}) ending with {reason}',
    content: { 'application/json': { schema: z.looseObject({ conflict: z.array(z.record(z.string(), z.unknown())), explanation: z.string() }) } },
  },
};
const Graph = z
  .object({
    root: z.object(ArtifactSummary),
    depth: z.number().int(),
    nodes: z.array(z.object({ ...ArtifactSummary, status: z.string(), depth: z.number().int(), picked_by: PickedByView })),
    edges: z.array(z.record(z.string(), z.unknown())),
    unresolved: z.array(z.record(z.string(), z.unknown())),
  })
  .openapi('DependencyGraph');
const Dependants = z.object({ dependants: z.array(z.record(z.string(), z.unknown())) }).openapi('Dependants');

const params = z.object({ type: TypeParam, id: IdParam });

const resolveRoute = createRoute({
  method: 'get',
  path: '/artifacts/{type}/{id}/resolve',
  summary: "Resolve an artifact's requirements and links to one consistent set (extension)",
  request: { params, query: Scope },
  responses: { 200: jsonResponse(Resolved, 'The artifacts the artifact depends on, each with what picked it'), ...errorResponses, ...conflictResponse },
});

const resolveListRoute = createRoute({
  method: 'post',
  path: '/resolve',
  summary: 'Resolve a list of top-level requirements, like `pip install a b c` (extension)',
  request: {
    query: Scope,
    // Described, not validated here: the handler reads the body once, with the node's size limit.
    body: {
      required: true,
      content: { 'application/json': { schema: { type: 'object', required: ['requires'], properties: { requires: { type: 'array', items: { type: 'object', required: ['type', 'name'], properties: { type: { type: 'string' }, name: { type: 'string' }, range: { type: 'string', default: '*' }, origin: { type: 'string' } } } } } } } },
    },
  },
  responses: { 200: jsonResponse(Resolved, 'The artifacts the requirements resolve to, each with what picked it'), ...errorResponses, ...conflictResponse },
});

const graphRoute = createRoute({
  method: 'get',
  path: '/artifacts/{type}/{id}/dependencies',
  summary: 'The dependency closure as a graph, depth-limited, reporting what is missing or invisible (extension)',
  request: {
    params,
    query: z.object({ depth: z.coerce.number().int().min(1).max(1000).optional().openapi({ description: 'Steps to follow from the artifact (default: dependencies.default_depth)' }) }),
  },
  responses: { 200: jsonResponse(Graph, 'Nodes, edges, which range picked which version, and what could not be followed'), ...errorResponses, ...conflictResponse },
});

const dependantsRoute = createRoute({
  method: 'get',
  path: '/artifacts/{type}/{id}/dependants',
  summary: 'What depends on an artifact: links to it and requirements it satisfies, as the caller may see them (extension)',
  request: { params },
  responses: { 200: jsonResponse(Dependants, 'The dependants visible to the caller'), ...errorResponses },
});

export function dependenciesRouter(deps: Deps) {
  const router = new OpenAPIHono<AppEnv>({ defaultHook: onInvalidInput });
  const limitBytes = deps.config.server.json_body_limit_kib * 1024;
  const typeOf = (name: string): ArtifactType | undefined => (name === ALL_TYPES ? undefined : deps.types.get(name));
  const resolveIn = async (query: z.infer<typeof Scope>, ctx: OpContext, intent: Omit<ResolveIntent, 'candidates'>) => {
    const pull = query.pull === 'true';
    if (query.scope !== 'tree') {
      if (pull) throw new BadRequest('pull=true needs scope=tree: a local resolution has nothing to pull');
      return { ...renderResolved(await resolveDependencies(ctx, intent)), scope: 'local' as const };
    }
    const tree = await resolveAcrossTree(ctx, deps, intent);
    return {
      ...renderResolved(tree.resolution),
      scope: 'tree' as const,
      sources: tree.sources,
      partial: tree.partial,
      ...(pull ? { pull: await pullChosen(deps, ctx.actor, tree.resolution) } : {}),
    };
  };

  router.openapi(resolveRoute, async (c) => {
    const { type, id } = c.req.valid('param');
    const ctx = opContextOf(deps, c);
    const root = await showArtifact(ctx, { type: typeOf(type), id });
    return c.json(await resolveIn(c.req.valid('query'), ctx, { root, mode: 'strict' }), 200);
  });

  router.openapi(resolveListRoute, async (c) => {
    const body = requireObject(await readJsonBody(c, { accept: ['application/json'], limitBytes }), 'the request');
    const keys = Object.keys(body).filter((k) => k !== 'requires');
    if (keys.length > 0) throw new BadRequest(`unknown key "${keys[0]!.slice(0, 60)}": the body is {"requires": [...]}`);
    if (!Array.isArray(body.requires) || body.requires.length === 0) throw new BadRequest('"requires" must be a non-empty list of {"type", "name", "range"} requirements');
    if (body.requires.length > 1000) throw new BadRequest('"requires" may hold at most 1000 requirements');
    const requirements = body.requires.map((r, i) => parseRequirement(r, `requires[${i}]`));
    return c.json(await resolveIn(c.req.valid('query'), opContextOf(deps, c), { requirements, mode: 'strict' }), 200);
  });

  router.openapi(graphRoute, async (c) => {
    const { type, id } = c.req.valid('param');
    const depth = c.req.valid('query').depth ?? deps.config.dependencies.default_depth;
    const ctx = opContextOf(deps, c);
    const root = await showArtifact(ctx, { type: typeOf(type), id });
    const graph = await dependencyGraph(ctx, root, { maxDepth: depth });
    return c.json(
      {
        root: summary(root),
        depth,
        nodes: graph.nodes.map((n) => ({ ...summary(n.row), status: n.row.status, depth: n.depth, picked_by: renderPickedBy(n.pickedBy) })),
        edges: graph.edges.map(renderEdge),
        unresolved: graph.unresolved.map(renderUnresolved),
      },
      200,
    );
  });

  router.openapi(dependantsRoute, async (c) => {
    const { type, id } = c.req.valid('param');
    const ctx = opContextOf(deps, c);
    const target = await showArtifact(ctx, { type: typeOf(type), id });
    return c.json({ dependants: (await listDependants(ctx, target)).map(renderDependant) }, 200);
  });

  return router;
}
