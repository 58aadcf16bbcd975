/**
 * @module Type versions and upgrades over HTTP (extensions): an admin starts a type's upgrade
 * (dry run first) and reads its progress; an owner moves a draft to a newer version.
 */
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { ALL_TYPES } from '../../artifacts/names.js';
import type { Deps } from '../../deps.js';
import { Conflict, Forbidden } from '../../errors.js';
import { upgradeArtifact } from '../../types/upgrade.js';
import { listTypeUpgradeRuns, showUpgradeRun, startTypeUpgrade, type UpgradeRun } from '../../types/upgrade-runs.js';
import { opContextOf, type AppEnv } from '../env.js';
import { errorResponses, onInvalidInput } from '../errors.js';
import { renderArtifact } from '../glare/render.js';
import { IdParam, TypeParam, isoOrNull, jsonResponse } from '../params.js';

const TypeVersionQuery = z.string().min(1).max(64).optional().openapi({ description: 'The version to reach; the newest when absent', example: '1.1' });

const UpgradeRunView = z
  .object({
    id: z.string(),
    type_name: z.string(),
    type_version: z.string().openapi({ description: 'The version artifacts are carried to' }),
    dry_run: z.boolean(),
    status: z.enum(['queued', 'running', 'done', 'failed']),
    total: z.number().int().openapi({ description: 'Artifacts not at the target version when the run started' }),
    processed: z.number().int(),
    changed: z.number().int().openapi({ description: 'Upgraded; in a dry run, that would be' }),
    failed: z.number().int().openapi({ description: 'Left as they were: they would not be valid in the target version' }),
    failures: z.array(z.object({ id: z.string(), name: z.string(), version: z.string(), type_version: z.string(), reason: z.string() })).openapi({ description: 'The first 100 failures and why' }),
    error: z.string().nullable(),
    created_at: z.string(),
    started_at: z.string().nullable(),
    finished_at: z.string().nullable(),
    updated_at: z.string(),
  })
  .openapi('TypeUpgradeRun');

function renderRun(run: UpgradeRun): z.infer<typeof UpgradeRunView> {
  return {
    id: run.id,
    type_name: run.typeName,
    type_version: run.targetVersion,
    dry_run: run.dryRun,
    status: run.status,
    total: run.total,
    processed: run.processed,
    changed: run.changed,
    failed: run.failed,
    failures: run.failures.map((f) => ({ id: f.id, name: f.name, version: f.version, type_version: f.typeVersion, reason: f.reason })),
    error: run.error,
    created_at: run.createdAt.toISOString(),
    started_at: isoOrNull(run.startedAt),
    finished_at: isoOrNull(run.finishedAt),
    updated_at: run.updatedAt.toISOString(),
  };
}

const startRoute = createRoute({
  method: 'post',
  path: '/admin/types/{type}/upgrades',
  summary: 'Upgrade every artifact of a type to its newest (or a given) version, as a job (admin; extension)',
  description:
    'Answers 202 with the run; read its progress at the URL in Location. `dry_run=true` changes nothing and reports how many would change and which would fail, and why. A real run upgrades active artifacts too, never changing a blob or an immutable value; starting it again upgrades what is left, and resumes a run that stalled.',
  request: {
    params: z.object({ type: TypeParam }),
    query: z.object({ dry_run: z.enum(['true', 'false']).optional().openapi({ description: 'Report only (default false)' }), type_version: TypeVersionQuery }),
  },
  responses: { 202: jsonResponse(UpgradeRunView, 'The run, queued'), ...errorResponses, 409: { description: 'A real upgrade of the type is already under way' } },
});

const listRoute = createRoute({
  method: 'get',
  path: '/admin/types/{type}/upgrades',
  summary: 'Recent upgrade runs of a type, newest first (admin; extension)',
  request: { params: z.object({ type: TypeParam }) },
  responses: { 200: jsonResponse(z.object({ upgrades: z.array(UpgradeRunView) }), 'The runs'), ...errorResponses },
});

const showRoute = createRoute({
  method: 'get',
  path: '/admin/types/{type}/upgrades/{id}',
  summary: 'Status and progress of an upgrade run (admin; extension)',
  request: { params: z.object({ type: TypeParam, id: IdParam }) },
  responses: { 200: jsonResponse(UpgradeRunView, 'The run'), ...errorResponses },
});

const upgradeArtifactRoute = createRoute({
  method: 'post',
  path: '/artifacts/{type}/{id}/upgrade',
  summary: 'Move a draft to the newest (or a given) version of its type (extension)',
  description: 'The owner upgrades its drafts; admins any artifact. 409 names what would not be valid in the new version; the artifact stays as it was.',
  request: { params: z.object({ type: TypeParam, id: IdParam }), query: z.object({ type_version: TypeVersionQuery }) },
  responses: { 200: jsonResponse(z.record(z.string(), z.unknown()), 'The artifact, at the new version'), ...errorResponses, 409: { description: 'Not valid in the new version' } },
});

export function typeUpgradesRouter(deps: Deps) {
  const router = new OpenAPIHono<AppEnv>({ defaultHook: onInvalidInput });
  const concrete = (name: string) => {
    if (name === ALL_TYPES) throw new Forbidden(`the "${ALL_TYPES}" view has no versions: use a concrete artifact type`);
    return deps.types.get(name).name;
  };

  router.openapi(startRoute, async (c) => {
    const { type } = c.req.valid('param');
    const { dry_run: dryRun, type_version: to } = c.req.valid('query');
    const run = await startTypeUpgrade(opContextOf(deps, c), deps.queue, { typeName: concrete(type), dryRun: dryRun === 'true', ...(to !== undefined ? { to } : {}) });
    c.header('Location', `/admin/types/${run.typeName}/upgrades/${run.id}`);
    return c.json(renderRun(run), 202);
  });

  router.openapi(listRoute, async (c) => {
    const { type } = c.req.valid('param');
    const runs = await listTypeUpgradeRuns(opContextOf(deps, c), { typeName: concrete(type), limit: 50 });
    return c.json({ upgrades: runs.map(renderRun) }, 200);
  });

  router.openapi(showRoute, async (c) => {
    const { type, id } = c.req.valid('param');
    return c.json(renderRun(await showUpgradeRun(opContextOf(deps, c), { typeName: concrete(type), id })), 200);
  });

  router.openapi(upgradeArtifactRoute, async (c) => {
    const { type, id } = c.req.valid('param');
    const { type_version: to } = c.req.valid('query');
    const outcome = await upgradeArtifact(opContextOf(deps, c), { typeName: concrete(type), id, ...(to !== undefined ? { to } : {}) });
    if (outcome.kind === 'refused') throw new Conflict(`cannot upgrade ${type} ${id}: ${outcome.reason}`);
    return c.json(renderArtifact(deps.types.forArtifact(outcome.artifact), outcome.artifact), 200);
  });

  return router;
}
