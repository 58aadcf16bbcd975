/** @module /quotas and /project-quotas: Glare's quota API. */
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { QuotaInput, listAllQuotas, projectQuotas, removeProjectQuotas, setQuotas } from '../artifacts/quotas.js';
import type { Deps } from '../deps.js';
import { BadRequest } from '../errors.js';
import type { AppEnv } from './env.js';
import { describeZodError, errorResponses, onInvalidInput } from './errors.js';
import { readJsonBody } from './json-body.js';
import { ProjectParam, ProjectQuery, jsonResponse } from './params.js';

const ProjectQuotas = z
  .object({
    project_id: z.string(),
    project_quotas: z.array(z.object({ quota_name: z.string(), quota_value: z.number().int(), usage: z.number().optional() })),
  })
  .openapi('ProjectQuotas');
const AllQuotas = z.object({ quotas: z.array(ProjectQuotas) }).openapi('AllQuotas');

const listRoute = createRoute({
  method: 'get',
  path: '/quotas',
  summary: 'Every project’s quota overrides (admin)',
  responses: { 200: jsonResponse(AllQuotas, 'All overrides'), ...errorResponses },
});

const setRoute = createRoute({
  method: 'put',
  path: '/quotas',
  summary: 'Set quotas of projects (admin); replaces each listed project’s overrides',
  description: 'Body: `[{"project_id": "p1", "project_quotas": [{"quota_name": "max_artifact_number", "quota_value": 10}, {"quota_name": "max_uploaded_data:images", "quota_value": 1073741824}]}]`; -1 is unlimited.',
  request: { body: { required: true, content: { 'application/json': { schema: { type: 'array', items: { type: 'object' } } } } } },
  responses: { 200: jsonResponse(AllQuotas, 'The listed projects’ overrides now'), ...errorResponses },
});

const removeRoute = createRoute({
  method: 'delete',
  path: '/quotas/{project}',
  summary: 'Remove a project’s overrides (admin); the node defaults apply again',
  request: { params: z.object({ project: ProjectParam }) },
  responses: { 204: { description: 'Removed' }, ...errorResponses },
});

const projectRoute = createRoute({
  method: 'get',
  path: '/project-quotas',
  summary: 'The caller’s project’s effective quotas and usage (admins may name a project)',
  request: { query: z.object({ project_id: ProjectQuery.optional() }) },
  responses: { 200: jsonResponse(ProjectQuotas, 'Effective quotas with usage'), ...errorResponses },
});

export function quotasRouter(deps: Deps) {
  const router = new OpenAPIHono<AppEnv>({ defaultHook: onInvalidInput });
  const limitBytes = deps.config.server.json_body_limit_kib * 1024;

  router.openapi(listRoute, async (c) => c.json(await listAllQuotas(deps, c.var.caller), 200));

  router.openapi(setRoute, async (c) => {
    const parsed = QuotaInput.safeParse(await readJsonBody(c, { accept: ['application/json'], limitBytes }));
    if (!parsed.success) throw new BadRequest(`quota body: ${describeZodError(parsed.error)}`);
    return c.json(await setQuotas(deps, c.var.caller, parsed.data, deps.clock()), 200);
  });

  router.openapi(removeRoute, async (c) => {
    await removeProjectQuotas(deps, c.var.caller, c.req.valid('param').project);
    return c.body(null, 204);
  });

  router.openapi(projectRoute, async (c) => c.json(await projectQuotas(deps, c.var.caller, c.req.valid('query').project_id), 200));

  return router;
}
