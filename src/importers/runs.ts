/**
 * @module Imports as jobs: an admin posts a file, which is kept with a run record and imported
 * by the `import-app-catalog` job (as the node itself, for the import project); the run record
 * says how far it got and, once done, the importer's report. A retried job resumes nothing by
 * hand: the import is idempotent, so it simply runs again.
 */
import { z } from 'zod';
import { systemActor } from '../artifacts/actor.js';
import { conn, opContext, type Catalog, type OpContext } from '../artifacts/context.js';
import { ARTIFACT_ID } from '../artifacts/names.js';
import { requireAdmin } from '../artifacts/policy.js';
import type { TypeRegistry } from '../artifacts/registry.js';
import { findImportRun, insertImportRun, updateImportRun, type ImportRunRow } from '../db/queries/importers.js';
import { AppError, NotFound } from '../errors.js';
import { PermanentJobError, type JobHandler, type JobQueue } from '../jobs/queue.js';
import { DEFAULT_IMPORT_PROJECT } from './app-catalog-command.js';
import { importAppCatalog, readAssetsFile, type ImportReport } from './app-catalog.js';

export const APP_CATALOG_JOB = 'import-app-catalog';

export interface ImportRun {
  id: string;
  status: ImportRunRow['status'];
  project: string;
  done: number;
  total: number;
  report: ImportReport | null;
  error: string | null;
  createdAt: Date;
  finishedAt: Date | null;
}

const toRun = (row: ImportRunRow): ImportRun => ({
  id: row.id,
  status: row.status,
  project: row.project,
  done: row.done,
  total: row.total,
  report: (row.report as ImportReport | null) ?? null,
  error: row.error,
  createdAt: row.createdAt,
  finishedAt: row.finishedAt,
});

/** Checks the file is an assets file (400 now rather than a failed job), records it, and queues the job. */
export async function startAppCatalogImport(ctx: OpContext, queue: Pick<JobQueue, 'enqueue'>, input: { source: string; project?: string }): Promise<ImportRun> {
  requireAdmin(ctx.actor, 'import into the catalog');
  const total = readAssetsFile(input.source).length;
  const requestedBy = ctx.actor.kind === 'user' ? ctx.actor.userId : ctx.actor.kind;
  const row = await insertImportRun(conn(ctx), { kind: APP_CATALOG_JOB, project: input.project ?? DEFAULT_IMPORT_PROJECT, requestedBy, source: input.source, now: ctx.now() });
  await updateImportRun(conn(ctx), row.id, { total });
  try {
    await queue.enqueue(APP_CATALOG_JOB, { runId: row.id }, { key: `import_${row.id}` });
  } catch (err) {
    // No job will ever take this run: it ends now rather than showing queued for ever.
    await updateImportRun(conn(ctx), row.id, { status: 'failed', error: (err as Error).message, updatedAt: ctx.now(), finishedAt: ctx.now() });
    throw err;
  }
  return { ...toRun(row), total };
}

export async function importRunStatus(ctx: OpContext, id: string): Promise<ImportRun> {
  requireAdmin(ctx.actor, 'read import runs');
  const row = ARTIFACT_ID.test(id) ? await findImportRun(conn(ctx), id.toLowerCase()) : undefined;
  if (!row) throw new NotFound(`no import run ${id.slice(0, 60)}`);
  return toRun(row);
}

const Payload = z.object({ runId: z.string().uuid() }).strict();

export function importAppCatalogHandler(catalog: Catalog & { types: TypeRegistry }): JobHandler<z.infer<typeof Payload>> {
  return {
    kind: APP_CATALOG_JOB,
    payload: Payload,
    async run({ runId }, job) {
      const run = await findImportRun(catalog.db, runId);
      if (!run) throw new PermanentJobError(`import run ${runId} does not exist`);
      if (run.status === 'done') return { runId, status: run.status };
      const now = () => catalog.clock();
      await updateImportRun(catalog.db, runId, { status: 'running', updatedAt: now() });
      const ctx = opContext({ ...catalog, log: job.log }, systemActor(APP_CATALOG_JOB, run.project));
      try {
        const report = await importAppCatalog(ctx, run.source, {
          types: catalog.types,
          onProgress: (done, total) => void updateImportRun(catalog.db, runId, { done, total, updatedAt: now() }).catch((err: unknown) => job.log.warn({ err }, 'could not record import progress')),
        });
        await updateImportRun(catalog.db, runId, { status: 'done', report, done: run.total, updatedAt: now(), finishedAt: now() });
        return { runId, created: report.created.length, skipped: report.skipped.length };
      } catch (err) {
        const permanent = err instanceof AppError;
        const finalAttempt = permanent || job.attempt >= 3;
        await updateImportRun(catalog.db, runId, { status: finalAttempt ? 'failed' : 'running', error: err instanceof Error ? err.message : String(err), updatedAt: now(), ...(finalAttempt ? { finishedAt: now() } : {}) });
        if (permanent) throw new PermanentJobError(err.message);
        throw err;
      }
    },
  };
}
