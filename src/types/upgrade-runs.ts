/**
 * @module A type's upgrade over every artifact of it, as a job with a record of its progress.
 *
 * An admin (or the node's `upgrade-type` command) starts a run, dry or real; the job walks the
 * type's artifacts not at the target version in id order, a batch per transaction: each artifact
 * is upgraded under its row lock, and the run's counters and cursor move in the same
 * transaction, so a run that stops (a worker killed, the node restarted) resumes after the last
 * batch it counted and counts each artifact once. Running it again upgrades only what is left:
 * artifacts that failed stay as they were and are reported again.
 */
import { withTransaction, type OpContext } from '../artifacts/context.js';
import { ARTIFACT_ID } from '../artifacts/names.js';
import { requireAdmin } from '../artifacts/policy.js';
import {
  artifactsNotAtVersion,
  countArtifactsNotAtVersion,
  finishUpgradeRun,
  findUnfinishedUpgradeRun,
  findUpgradeRun,
  insertUpgradeRun,
  listUpgradeRuns,
  markUpgradeRunning,
  noteUpgradeError,
  recordUpgradeProgress,
  requeueUpgradeRun,
  type TypeUpgradeRow,
  type UpgradeFailureRow,
} from '../db/queries/type-versions.js';
import { AppError, Conflict, NotFound } from '../errors.js';
import type { JobQueue } from '../jobs/queue.js';
import { upgradeArtifact } from './upgrade.js';

export type UpgradeRun = TypeUpgradeRow;

export const UPGRADE_JOB = 'upgrade-type';
/** Failures a run keeps with their reasons; `failed` counts them all. */
const KEPT_FAILURES = 100;
/** Artifacts per transaction: a commit each, and the most a stopped run does again. */
const BATCH = 50;
/** A running run whose record has not moved for this long lost its job: starting again resumes it. */
const STALLED_AFTER_MS = 5 * 60_000;

const jobKey = (run: UpgradeRun) => `upgrade_${run.id}_${run.starts}`;

export interface StartUpgrade {
  typeName: string;
  dryRun: boolean;
  /** The version to reach; the type's newest when absent. */
  to?: string;
}

/**
 * Starts a run and queues its job. A real upgrade of a type already under way is that run,
 * unless it stalled: then it is resumed where it stopped.
 */
export async function startTypeUpgrade(ctx: OpContext, queue: Pick<JobQueue, 'enqueue'>, intent: StartUpgrade): Promise<UpgradeRun> {
  requireAdmin(ctx.actor, 'upgrade the artifacts of a type');
  const target = intent.to === undefined ? ctx.catalog.types.get(intent.typeName) : ctx.catalog.types.version(intent.typeName, intent.to);
  const db = ctx.catalog.db;
  let run: UpgradeRun;
  if (!intent.dryRun) {
    const unfinished = await findUnfinishedUpgradeRun(db, target.name);
    if (unfinished) {
      const stalled = ctx.now().getTime() - unfinished.updatedAt.getTime() > STALLED_AFTER_MS;
      if (!stalled) throw new Conflict(`an upgrade of ${target.name} to ${unfinished.targetVersion} is already ${unfinished.status}: run ${unfinished.id}`, { run: unfinished.id });
      run = await requeueUpgradeRun(db, unfinished.id, ctx.now());
      await queue.enqueue(UPGRADE_JOB, { runId: run.id }, { key: jobKey(run) });
      return run;
    }
  }
  run = await insertUpgradeRun(db, { typeName: target.name, targetVersion: target.version, dryRun: intent.dryRun });
  await queue.enqueue(UPGRADE_JOB, { runId: run.id }, { key: jobKey(run) });
  return run;
}

export async function showUpgradeRun(ctx: OpContext, q: { typeName: string; id: string }): Promise<UpgradeRun> {
  requireAdmin(ctx.actor, 'read type upgrades');
  // Run ids are UUIDs, as artifact ids are: anything else names no run.
  const run = ARTIFACT_ID.test(q.id) ? await findUpgradeRun(ctx.catalog.db, q.id, q.typeName) : undefined;
  if (!run) throw new NotFound(`no upgrade run ${q.id} of ${q.typeName}`);
  return run;
}

export async function listTypeUpgradeRuns(ctx: OpContext, q: { typeName: string; limit: number }): Promise<UpgradeRun[]> {
  requireAdmin(ctx.actor, 'read type upgrades');
  ctx.catalog.types.get(q.typeName);
  return listUpgradeRuns(ctx.catalog.db, q.typeName, q.limit);
}

/**
 * The job: carries on with the run from its cursor until no artifact is left. `signal` stops it
 * between two artifacts; the run then resumes from there.
 */
export async function runTypeUpgrade(ctx: OpContext, runId: string, signal: AbortSignal, opts: { batchSize?: number } = {}): Promise<UpgradeRun> {
  const db = ctx.catalog.db;
  const found = await findUpgradeRun(db, runId);
  if (!found) throw new NotFound(`no upgrade run ${runId}`);
  if (found.status === 'done' || found.status === 'failed') return found;
  const { typeName, targetVersion } = found;
  try {
    // The target must still be defined: the node may have restarted with other type files.
    ctx.catalog.types.version(typeName, targetVersion);
    const remaining = await countArtifactsNotAtVersion(db, { typeName, targetVersion, after: found.cursor });
    let cursor = (await markUpgradeRunning(db, runId, { remaining, now: ctx.now() })).cursor;
    for (;;) {
      if (signal.aborted) throw signal.reason ?? new Error('stopped');
      const ids = await artifactsNotAtVersion(db, { typeName, targetVersion, after: cursor, limit: opts.batchSize ?? BATCH });
      if (ids.length === 0) break;
      await upgradeBatch(ctx, found, ids);
      cursor = ids.at(-1)!;
    }
  } catch (err) {
    if (signal.aborted) throw err; // stopped, not failed: the run resumes
    // A bad target is permanent; anything else (the database away) is retried by the queue.
    if (err instanceof AppError) {
      await finishUpgradeRun(db, runId, { status: 'failed', error: err.message, now: ctx.now() });
      return (await findUpgradeRun(db, runId))!;
    }
    await noteUpgradeError(db, runId, { error: (err as Error).message, now: ctx.now() }).catch(() => undefined);
    throw err;
  }
  await finishUpgradeRun(db, runId, { status: 'done', now: ctx.now() });
  return (await findUpgradeRun(db, runId))!;
}

/**
 * One transaction per batch: the artifacts' row locks and the run's progress commit together
 * (one commit per batch, not per artifact). A refusal is an outcome and does not undo the batch;
 * an error does, and the batch is done again when the run resumes.
 */
async function upgradeBatch(ctx: OpContext, run: UpgradeRun, ids: readonly string[]): Promise<void> {
  await withTransaction(ctx, async (tx) => {
    let changed = 0;
    const failures: UpgradeFailureRow[] = [];
    for (const id of ids) {
      let outcome: Awaited<ReturnType<typeof upgradeArtifact>>;
      try {
        outcome = await upgradeArtifact(tx, { typeName: run.typeName, id, to: run.targetVersion, dryRun: run.dryRun });
      } catch (err) {
        // Deleted since it was listed: nothing to count.
        if (err instanceof NotFound) continue;
        throw err;
      }
      if (outcome.kind === 'upgraded') changed++;
      if (outcome.kind === 'refused') {
        const a = outcome.artifact;
        failures.push({ id, name: a.name, version: a.version, typeVersion: a.typeVersion, reason: outcome.reason });
      }
    }
    await recordUpgradeProgress(tx.tx, run.id, { cursor: ids.at(-1)!, processed: ids.length, changed, failures, keepFailures: KEPT_FAILURES, now: tx.now() });
  });
}
