/** @module /quotas and /project-quotas: Glare's quota API. */
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { PROJECT_ID, PROJECT_ID_RULE } from '../../artifacts/names.js';
import {
  QUOTA_NAMES,
  defaultQuotas,
  listAllQuotas,
  projectQuotas,
  removeProjectQuotas,
  setQuotas,
  type ProjectQuotas as DomainProjectQuotas,
  type QuotaName,
} from '../../artifacts/quotas.js';
import type { Deps } from '../../deps.js';
import { BadRequest } from '../../errors.js';
import { opContextOf, type AppEnv } from '../env.js';
import { describeZodError, errorResponses, onInvalidInput } from '../errors.js';
import { readJsonBody } from '../json-body.js';
import { ProjectParam, ProjectQuery, jsonResponse } from '../params.js';

/** Glare names a per-type limit `max_artifact_number:images`. */
const QuotaNameText = z.string().min(1).max(255).regex(/^[^:]*:?[^:]*$/, 'may hold at most one ":"').transform((name, ctx) => {
  const [quota = '', typeName] = name.split(':');
  if (!(QUOTA_NAMES as readonly string[]).includes(quota) || typeName === '') {
    ctx.addIssue({ code: 'custom', message: `unknown quota "${name}"; quotas are ${QUOTA_NAMES.join(', ')}, optionally followed by :<type>` });
    return z.NEVER;
  }
  return { quota: quota as QuotaName, ...(typeName !== undefined ? { typeName } : {}) };
});

const QuotaInput = z
  .array(
    z
      .object({
        project_id: z.string().regex(PROJECT_ID, `a project id is ${PROJECT_ID_RULE}`),
        project_quotas: z.array(z.object({ quota_name: QuotaNameText, quota_value: z.number().int().min(-1) }).strict()).max(100),
      })
      .strict(),
  )
  .max(1000);

function renderQuotas(p: DomainProjectQuotas) {
  return {
    project_id: p.projectId,
    project_quotas: p.limits.map((l) => ({
      quota_name: quotaName(l),
      quota_value: l.value,
      ...(l.usage !== undefined ? { usage: l.usage } : {}),
    })),
  };
}

const ProjectQuotas = z
  .object({
    project_id: z.string(),
    project_quotas: z.array(z.object({ quota_name: z.string(), quota_value: z.number().int(), usage: z.number().optional() })),
  })
  .openapi('ProjectQuotas');
const AllQuotas = z
  .object({
    quotas: z.array(ProjectQuotas),
    /** The node's defaults by Glare quota name (`max_uploaded_data`, `max_artifact_number:images`...). */
    global_quotas: z.record(z.string(), z.number().int()).optional(),
  })
  .openapi('AllQuotas');

const quotaName = (l: { quota: string; typeName?: string }) => (l.typeName ? `${l.quota}:${l.typeName}` : l.quota);

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

const namedProjectRoute = createRoute({
  method: 'get',
  path: '/project-quotas/{project}',
  summary: 'One project’s effective quotas and usage (its members and admins), as Glare routes it',
  request: { params: z.object({ project: ProjectParam }) },
  responses: { 200: jsonResponse(ProjectQuotas, 'Effective quotas with usage'), ...errorResponses },
});

export function quotasRouter(deps: Deps) {
  const router = new OpenAPIHono<AppEnv>({ defaultHook: onInvalidInput });
  const limitBytes = deps.config.server.json_body_limit_kib * 1024;

  router.openapi(listRoute, async (c) => {
    const ctx = opContextOf(deps, c);
    const quotas = (await listAllQuotas(ctx)).map(renderQuotas);
    return c.json({ quotas, global_quotas: Object.fromEntries(defaultQuotas(ctx).map((l) => [quotaName(l), l.value])) }, 200);
  });

  router.openapi(setRoute, async (c) => {
    const parsed = QuotaInput.safeParse(await readJsonBody(c, { accept: ['application/json'], limitBytes }));
    if (!parsed.success) throw new BadRequest(`quota body: ${describeZodError(parsed.error)}`);
    const settings = parsed.data.map((p) => ({ projectId: p.project_id, limits: p.project_quotas.map((q) => ({ ...q.quota_name, value: q.quota_value })) }));
    return c.json({ quotas: (await setQuotas(opContextOf(deps, c), settings)).map(renderQuotas) }, 200);
  });

  router.openapi(removeRoute, async (c) => {
    await removeProjectQuotas(opContextOf(deps, c), c.req.valid('param').project);
    return c.body(null, 204);
  });

  router.openapi(projectRoute, async (c) => c.json(renderQuotas(await projectQuotas(opContextOf(deps, c), c.req.valid('query').project_id)), 200));
  router.openapi(namedProjectRoute, async (c) => c.json(renderQuotas(await projectQuotas(opContextOf(deps, c), c.req.valid('param').project)), 200));

  return router;
}
