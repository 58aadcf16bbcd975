/**
 * @module `catalog type versions|upgrade|upgrades|upgrade-status` and `catalog artifact upgrade`:
 * the versions of a type a node serves, and carrying artifacts over to a newer one (admins run
 * upgrades as jobs on the node; the command follows a run's progress until it ends).
 */
import type { Query } from '../client.js';
import type { CommandContext } from '../context.js';
import { CliError, EXIT } from '../exit.js';
import { cell, type Table } from '../output.js';

interface UpgradeRun {
  id: string;
  type_name: string;
  type_version: string;
  dry_run: boolean;
  status: 'queued' | 'running' | 'done' | 'failed';
  total: number;
  processed: number;
  changed: number;
  failed: number;
  failures: Array<{ id: string; name: string; version: string; type_version: string; reason: string }>;
  error: string | null;
}

const POLL_MS = 500;
const upgradesPath = (type: string) => `/admin/types/${encodeURIComponent(type)}/upgrades`;

const runRows = (runs: UpgradeRun[]): Table => ({
  columns: ['ID', 'TO', 'DRY RUN', 'STATUS', 'PROCESSED', 'CHANGED', 'FAILED'],
  rows: runs.map((r) => [r.id, r.type_version, r.dry_run ? 'yes' : '', r.status, `${r.processed}/${r.total}`, String(r.changed), String(r.failed)]),
});

/** The run, then what it left as it was and why. */
function runTable(run: UpgradeRun): Table {
  if (run.failures.length === 0) return runRows([run]);
  return { columns: ['ARTIFACT', 'NAME', 'VERSION', 'TYPE VERSION', 'WHY IT WAS LEFT'], rows: run.failures.map((f) => [f.id, f.name, f.version, f.type_version, f.reason]) };
}

export async function versions(ctx: CommandContext, type: string): Promise<void> {
  const res = await ctx.client().json<{ schemas: Record<string, { version?: string; versions?: string[] }> }>('GET', `/schemas/${encodeURIComponent(type)}`);
  const schema = res.schemas[type] ?? Object.values(res.schemas)[0] ?? {};
  const all = schema.versions ?? (schema.version ? [schema.version] : []);
  await ctx.print({
    data: { type, newest: schema.version, versions: all },
    table: () => ({ columns: ['VERSION', 'NEWEST'], rows: all.map((v) => [v, v === schema.version ? 'yes' : '']) }),
    quiet: () => all,
  });
}

export async function upgrade(ctx: CommandContext, type: string, opts: { dryRun?: boolean; to?: string; wait?: boolean }): Promise<void> {
  const query: Query = [];
  if (opts.dryRun) query.push(['dry_run', 'true']);
  if (opts.to) query.push(['type_version', opts.to]);
  let run = await ctx.client().json<UpgradeRun>('POST', upgradesPath(type), { query });
  ctx.note(`${run.dry_run ? 'dry run' : 'upgrade'} ${run.id}: ${type} to ${run.type_version}`);
  if (opts.wait !== false) run = await follow(ctx, type, run);
  await finish(ctx, run);
}

export async function status(ctx: CommandContext, type: string, id: string, opts: { wait?: boolean }): Promise<void> {
  let run = await ctx.client().json<UpgradeRun>('GET', `${upgradesPath(type)}/${encodeURIComponent(id)}`);
  if (opts.wait) run = await follow(ctx, type, run);
  await finish(ctx, run);
}

export async function runs(ctx: CommandContext, type: string): Promise<void> {
  const res = await ctx.client().json<{ upgrades: UpgradeRun[] }>('GET', upgradesPath(type));
  await ctx.print({ data: res, table: () => runRows(res.upgrades), quiet: () => res.upgrades.map((r) => r.id) });
}

/** An owner's draft (an admin's artifact) moved to the newest or the given version of its type. */
export async function upgradeArtifact(ctx: CommandContext, type: string, id: string, opts: { to?: string }): Promise<void> {
  const query: Query = opts.to ? [['type_version', opts.to]] : [];
  const artifact = await ctx.client().json<Record<string, unknown>>('POST', `/artifacts/${encodeURIComponent(type)}/${encodeURIComponent(id)}/upgrade`, { query });
  await ctx.print({
    data: artifact,
    table: () => ({ columns: ['ID', 'NAME', 'VERSION', 'TYPE VERSION'], rows: [[cell(artifact.id), cell(artifact.name), cell(artifact.version), cell(artifact.type_version)]] }),
    quiet: () => [String(artifact.id)],
  });
}

/** Polls the run until it is done or failed, with a progress line on a terminal. */
async function follow(ctx: CommandContext, type: string, first: UpgradeRun): Promise<UpgradeRun> {
  let run = first;
  while (run.status === 'queued' || run.status === 'running') {
    if (ctx.progress) process.stderr.write(`\r${run.status} ${run.processed}/${run.total} (changed ${run.changed}, left ${run.failed})\x1b[K`);
    await new Promise((r) => setTimeout(r, POLL_MS));
    run = await ctx.client().json<UpgradeRun>('GET', `${upgradesPath(type)}/${encodeURIComponent(run.id)}`);
  }
  if (ctx.progress) process.stderr.write('\r\x1b[K');
  return run;
}

/** Prints the run; a run that failed, or left artifacts as they were, is not a success. */
async function finish(ctx: CommandContext, run: UpgradeRun): Promise<void> {
  await ctx.print({ data: run, table: () => runTable(run), quiet: () => [run.id] });
  if (run.status === 'failed') throw new CliError(`the run failed: ${run.error ?? 'no reason given'}`, EXIT.failure);
  if (run.status === 'done' && run.failed > 0) {
    throw new CliError(`${run.failed} artifact${run.failed === 1 ? ' was' : 's were'} left as ${run.failed === 1 ? 'it was' : 'they were'} (not valid in ${run.type_version})`, EXIT.conflict);
  }
}
