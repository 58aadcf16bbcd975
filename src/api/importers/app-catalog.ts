/**
 * @module /import/app-catalog (admins): post a Community App Catalog assets.yaml; it is imported
 * by a job, whose run answers at /import/app-catalog/{run_id} with its progress and report.
 */
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { importRunStatus, startAppCatalogImport, type ImportRun } from '../../importers/runs.js';
import { PROJECT_ID, PROJECT_ID_RULE } from '../../artifacts/names.js';
import { requireAdmin } from '../../artifacts/policy.js';
import type { Deps } from '../../deps.js';
import { opContextOf, type AppEnv } from '../env.js';
import { errorResponses, onInvalidInput } from '../errors.js';
import { readTextBody } from '../json-body.js';
import { jsonResponse } from '../params.js';
import { assertStorableText } from '../text.js';

/** An assets.yaml of the real catalog is ~200 KiB; this leaves room without inviting abuse. */
const MAX_ASSETS_FILE_BYTES = 16 * 1024 * 1024;
const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml', 'text/plain'];

const ImportRunView = z
  .object({
    id: z.string(),
    status: z.enum(['queued', 'running', 'done', 'failed']),
    project: z.string(),
    done: z.number().int().openapi({ description: 'Assets handled so far' }),
    total: z.number().int().openapi({ description: 'Assets in the file' }),
    report: z
      .record(z.string(), z.unknown())
      .nullable()
      .openapi({ description: 'Once done: created, updated, unchanged (each {name, type, id}), skipped ({index, name, reason}) and warnings ({name, message})' }),
    error: z.string().nullable(),
    created_at: z.string(),
    finished_at: z.string().nullable(),
  })
  .openapi('ImportRun');

const startRoute = createRoute({
  method: 'post',
  path: '/import/app-catalog',
  tags: ['import'],
  summary: 'Import a Community App Catalog assets.yaml (admin)',
  description: 'The body is the YAML file. It is checked (400 when it is not an assets file), kept, and imported by a job as the node itself: each good asset becomes an active public artifact of the import project; nothing is downloaded. Re-posting the same file updates in place and duplicates nothing.',
  request: {
    query: z.object({ project: z.string().regex(PROJECT_ID, `a project id is ${PROJECT_ID_RULE}`).optional().openapi({ description: 'Project that owns the imported artifacts (default app-catalog)' }) }),
    body: { required: true, content: { 'application/yaml': { schema: { type: 'string' as const } } } },
  },
  responses: { 202: jsonResponse(ImportRunView, 'The run, queued'), ...errorResponses, 413: { description: 'The file is too large' } },
});

const statusRoute = createRoute({
  method: 'get',
  path: '/import/app-catalog/{run_id}',
  tags: ['import'],
  summary: 'An import run’s progress and report (admin)',
  request: { params: z.object({ run_id: z.string().max(255).openapi({ param: { name: 'run_id', in: 'path' } }) }) },
  responses: { 200: jsonResponse(ImportRunView, 'The run'), ...errorResponses },
});

function render(run: ImportRun): z.infer<typeof ImportRunView> {
  return {
    id: run.id,
    status: run.status,
    project: run.project,
    done: run.done,
    total: run.total,
    report: (run.report as unknown as Record<string, unknown> | null) ?? null,
    error: run.error,
    created_at: run.createdAt.toISOString(),
    finished_at: run.finishedAt?.toISOString() ?? null,
  };
}

export function importersRouter(deps: Deps) {
  const router = new OpenAPIHono<AppEnv>({ defaultHook: onInvalidInput });

  router.openapi(startRoute, async (c) => {
    const { project } = c.req.valid('query');
    const ctx = opContextOf(deps, c);
    // Who may import is decided before the body is read.
    requireAdmin(ctx.actor, 'import into the catalog');
    const source = await readTextBody(c, { accept: YAML_TYPES, limitBytes: MAX_ASSETS_FILE_BYTES, what: 'YAML' });
    assertStorableText(source, 'the assets file');
    const run = await startAppCatalogImport(ctx, deps.queue, { source, ...(project ? { project } : {}) });
    c.header('Location', `/import/app-catalog/${run.id}`);
    return c.json(render(run), 202);
  });

  router.openapi(statusRoute, async (c) => {
    return c.json(render(await importRunStatus(opContextOf(deps, c), c.req.valid('param').run_id)), 200);
  });

  return router;
}
