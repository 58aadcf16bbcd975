/**
 * @module /artifacts: Glare v1's artifact resources (create, show, list, patch, delete) and the
 * share extension. The wire is parsed into a typed intent, one verb acts, the result is rendered.
 */
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import type { Artifact } from '../../artifacts/artifact.js';
import type { ArtifactType } from '../../artifacts/artifact-type.js';
import { createArtifact } from '../../artifacts/create.js';
import { ALL_TYPES } from '../../artifacts/names.js';
import { listArtifacts, showArtifact } from '../../artifacts/read.js';
import { deleteArtifact } from '../../artifacts/remove.js';
import { addShare, listShares, removeShare, type Share } from '../../artifacts/shares.js';
import { updateArtifact } from '../../artifacts/update.js';
import type { Deps } from '../../deps.js';
import { Forbidden } from '../../errors.js';
import { opContextOf, type AppEnv } from '../env.js';
import { errorResponses, onInvalidInput } from '../errors.js';
import { readJsonBody, requireObject } from '../json-body.js';
import { IdParam, ProjectParam, TypeParam, jsonResponse } from '../params.js';
import { parseListQuery } from './filters.js';
import { patchToChanges } from './patch.js';
import { renderArtifact, renderListed, type WireArtifact } from './render.js';
import { valuesFromWire } from './values.js';

export const ArtifactView = z.record(z.string(), z.unknown()).openapi('Artifact', {
  description: 'An artifact: every generic and type-specific field, flat (see GET /schemas/{type})',
});

const ListBody = z
  .object({
    artifacts: z.array(ArtifactView),
    type_name: z.string(),
    first: z.string(),
    schema: z.string(),
    next: z.string().optional(),
    total_count: z.number().int().openapi({
      description:
        'How many artifacts the list holds, exactly when total_count_exact is true: always when the first page is shorter than its limit, else when the list holds at most `api.list_count_exact_up_to` (default 1000). Otherwise a number above that threshold: PostgreSQL\'s estimate, or threshold + 1 when counting stopped there.',
    }),
    total_count_exact: z.boolean().openapi({
      description: 'Extension. false: the list holds more than `api.list_count_exact_up_to` artifacts (by estimate or by a count that stopped there) and total_count is not exact; paging with next still reaches every one.',
    }),
  })
  .openapi('ArtifactList');

const ShareList = z.object({ shares: z.array(z.object({ project: z.string(), created_at: z.string() })) }).openapi('ShareList');


const listRoute = createRoute({
  method: 'get',
  path: '/artifacts/{type}',
  summary: 'List artifacts',
  description: [
    'Filters: `?field=[op:]value` with op one of eq (default), neq, lt, lte, gt, gte, in (comma list); repeat a field to combine.',
    '`?version=latest` keeps the newest version per name. `?version=<semver range>` (e.g. `>2.1.0 <3.5.7`, `^2.1`) is an extension, answered newest first;',
    'partial versions in op filters are padded (`gt:2.1` is `gt:2.1.0`), ranges keep node-semver meaning (`>2.1` is `>=2.2.0`).',
    '`?tags=a,b` has all, `?tags-any=a,b` has any; `?metadata.key=[op:]value`, `?metadata=key`. Sort: `?sort=key[:asc|desc],...`. Paging: `limit`, `marker`.',
    '`?q=words` (extension): full-text search over name, display name (metadata display_name), description, tags, keywords (metadata keywords) and provider; every word must match as a word prefix; combines with every filter; ranked by relevance unless a sort is given.',
    'Extension sort keys: `relevance` (with q), `downloads` (this version\'s downloads), `rating` (average rating of the name).',
  ].join(' '),
  request: {
    params: z.object({ type: TypeParam }),
    query: z.looseObject({
      limit: z.union([z.string(), z.array(z.string())]).optional().openapi({ description: 'Page size, at most 1000 (default 25)' }),
      marker: z.union([z.string(), z.array(z.string())]).optional().openapi({ description: 'Id of the last artifact of the previous page' }),
      sort: z.union([z.string(), z.array(z.string())]).optional().openapi({ example: 'name:asc,version:desc' }),
      q: z.union([z.string(), z.array(z.string())]).optional().openapi({ description: 'Full-text search words (each a prefix)', example: 'kube' }),
      // Repeatable (version=gt:2.1&version=lt:3.5.7), so the validator may see a list.
      version: z.union([z.string(), z.array(z.string())]).optional().openapi({ example: 'latest' }),
    }),
  },
  responses: { 200: jsonResponse(ListBody, 'A page of artifacts visible to the caller'), ...errorResponses },
});

const createArtifactRoute = createRoute({
  method: 'post',
  path: '/artifacts/{type}',
  summary: 'Create a drafted artifact',
  request: {
    params: z.object({ type: TypeParam }),
    body: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['name'], additionalProperties: true } } } },
  },
  responses: {
    201: jsonResponse(ArtifactView, 'The created artifact (drafted, private)'),
    ...errorResponses,
    409: { description: 'Same name and version already in the project' },
    413: { description: 'The project’s artifact quota is used up' },
  },
});

const showRoute = createRoute({
  method: 'get',
  path: '/artifacts/{type}/{id}',
  summary: 'Show an artifact',
  request: { params: z.object({ type: TypeParam, id: IdParam }) },
  responses: { 200: jsonResponse(ArtifactView, 'The artifact'), ...errorResponses },
});

const patchRoute = createRoute({
  method: 'patch',
  path: '/artifacts/{type}/{id}',
  summary: 'Update an artifact with a JSON patch',
  description: 'Patch `/status` to activate (drafted→active), deactivate or reactivate (admins); patch `/visibility` (active only) to publish.',
  request: {
    params: z.object({ type: TypeParam, id: IdParam }),
    body: {
      required: true,
      content: {
        'application/json-patch+json': { schema: { type: 'array', items: { type: 'object', required: ['op', 'path'] } } },
      },
    },
  },
  responses: { 200: jsonResponse(ArtifactView, 'The updated artifact'), ...errorResponses, 409: { description: 'Name and version clash' } },
});

const deleteRoute = createRoute({
  method: 'delete',
  path: '/artifacts/{type}/{id}',
  summary: 'Delete an artifact and its blobs',
  request: { params: z.object({ type: TypeParam, id: IdParam }) },
  responses: { 204: { description: 'Deleted' }, ...errorResponses },
});

const listSharesRoute = createRoute({
  method: 'get',
  path: '/artifacts/{type}/{id}/shares',
  summary: 'Projects an artifact is shared with (extension)',
  request: { params: z.object({ type: TypeParam, id: IdParam }) },
  responses: { 200: jsonResponse(ShareList, 'The shares'), ...errorResponses },
});

const addShareRoute = createRoute({
  method: 'put',
  path: '/artifacts/{type}/{id}/shares/{project}',
  summary: 'Share an active private artifact with a project (extension)',
  request: { params: z.object({ type: TypeParam, id: IdParam, project: ProjectParam }) },
  responses: { 200: jsonResponse(ShareList, 'The shares, the new one included'), ...errorResponses, 409: { description: 'Not active, or already public' } },
});

const removeShareRoute = createRoute({
  method: 'delete',
  path: '/artifacts/{type}/{id}/shares/{project}',
  summary: 'Stop sharing an artifact with a project (extension)',
  request: { params: z.object({ type: TypeParam, id: IdParam, project: ProjectParam }) },
  responses: { 204: { description: 'No longer shared' }, ...errorResponses },
});

export function artifactsRouter(deps: Deps) {
  const router = new OpenAPIHono<AppEnv>({ defaultHook: onInvalidInput });
  const limitBytes = deps.config.server.json_body_limit_kib * 1024;

  /** A concrete type for writes; `all` is a read-only view (Glare: 403, "This type is read only"). */
  const writableType = (name: string): ArtifactType => {
    if (name === ALL_TYPES) throw new Forbidden(`the "${ALL_TYPES}" view is read-only: use a concrete artifact type`);
    return deps.types.get(name);
  };
  const readableType = (name: string): ArtifactType | undefined => (name === ALL_TYPES ? undefined : deps.types.get(name));
  const render = (type: ArtifactType | undefined, artifact: Artifact): WireArtifact => renderListed(deps.types, type, artifact);
  const renderShares = (shares: Share[]) => ({ shares: shares.map((s) => ({ project: s.project, created_at: s.createdAt.toISOString() })) });

  router.openapi(listRoute, async (c) => {
    const { type: typeName } = c.req.valid('param');
    const type = readableType(typeName);
    const url = new URL(c.req.url);
    const query = parseListQuery(type, [...url.searchParams.entries()], {
      defaultLimit: deps.config.api.default_limit,
      maxLimit: deps.config.api.max_limit,
      types: deps.types.list(),
    });
    const page = await listArtifacts(opContextOf(deps, c), {
      type,
      query,
      counts: deps.listCounts,
      exactCountUpTo: deps.config.api.list_count_exact_up_to,
    });
    const base = `/artifacts/${typeName}`;
    const rest = new URLSearchParams([...url.searchParams.entries()].filter(([k]) => k !== 'marker'));
    const body: z.infer<typeof ListBody> = {
      artifacts: page.artifacts.map((a) => render(type, a)),
      type_name: typeName,
      first: rest.size > 0 ? `${base}?${rest}` : base,
      schema: `/schemas/${typeName}`,
      total_count: page.total,
      total_count_exact: page.totalExact,
    };
    if (page.nextMarker) {
      rest.set('marker', page.nextMarker);
      body.next = `${base}?${rest}`;
    }
    return c.json(body, 200);
  });

  router.openapi(createArtifactRoute, async (c) => {
    // The body first, as Glare deserialises it before looking the type up: bad JSON is 400 for any type.
    const body = requireObject(await readJsonBody(c, { accept: ['application/json'], limitBytes }), 'the artifact');
    const type = writableType(c.req.valid('param').type);
    const created = await createArtifact(opContextOf(deps, c), { type, values: valuesFromWire(type.fields, body) });
    c.header('Location', `/artifacts/${type.name}/${created.id}`);
    return c.json(renderArtifact(type, created), 201);
  });

  router.openapi(showRoute, async (c) => {
    const { type: typeName, id } = c.req.valid('param');
    const type = readableType(typeName);
    return c.json(render(type, await showArtifact(opContextOf(deps, c), { type, id })), 200);
  });

  router.openapi(patchRoute, async (c) => {
    const { type: typeName, id } = c.req.valid('param');
    const ops = await readJsonBody(c, { accept: ['application/json-patch+json'], limitBytes });
    const type = writableType(typeName);
    const updated = await updateArtifact(opContextOf(deps, c), { type, id, change: (current) => patchToChanges(type, current, ops) });
    return c.json(renderArtifact(type, updated), 200);
  });

  router.openapi(deleteRoute, async (c) => {
    const { type, id } = c.req.valid('param');
    await deleteArtifact(opContextOf(deps, c), { type: writableType(type), id });
    return c.body(null, 204);
  });

  router.openapi(listSharesRoute, async (c) => {
    const { type, id } = c.req.valid('param');
    return c.json(renderShares(await listShares(opContextOf(deps, c), { type: writableType(type), id })), 200);
  });

  router.openapi(addShareRoute, async (c) => {
    const { type, id, project } = c.req.valid('param');
    return c.json(renderShares(await addShare(opContextOf(deps, c), { type: writableType(type), id, project })), 200);
  });

  router.openapi(removeShareRoute, async (c) => {
    const { type, id, project } = c.req.valid('param');
    await removeShare(opContextOf(deps, c), { type: writableType(type), id, project });
    return c.body(null, 204);
  });

  return router;
}
