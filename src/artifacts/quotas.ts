/**
 * @module Per-project limits (Glare's quotas): max_artifact_number and max_uploaded_data, each
 * either over all types or for one type. -1 means unlimited. Limits an admin has not set come
 * from the node's config.
 */
import { countOwnedArtifacts } from '../db/queries/artifacts.js';
import { deleteProjectQuotas, listQuotaRows, lockProjectQuota, replaceProjectQuotas, uploadedBytes, type QuotaRow } from '../db/queries/quotas.js';
import type { Db, Tx } from '../db/client.js';
import { BadRequest, Forbidden, NotFound, QuotaExceeded } from '../errors.js';
import { conn, emit, withTransaction, type OpContext, type TxContext } from './context.js';
import { quotaProjectFor, requireAdmin } from './policy.js';

export const QUOTA_NAMES = ['max_artifact_number', 'max_uploaded_data'] as const;
export type QuotaName = (typeof QUOTA_NAMES)[number];

export interface QuotaLimit {
  quota: QuotaName;
  /** Absent: the limit covers every type. */
  typeName?: string;
  /** -1: unlimited. */
  value: number;
  /** Filled when reading one project's effective quotas. */
  usage?: number;
}

export interface ProjectQuotas {
  projectId: string;
  limits: QuotaLimit[];
}

function group(rows: readonly QuotaRow[]): ProjectQuotas[] {
  const byProject = new Map<string, ProjectQuotas>();
  for (const r of rows) {
    const entry = byProject.get(r.projectId) ?? { projectId: r.projectId, limits: [] };
    entry.limits.push({ quota: r.quotaName as QuotaName, ...(r.typeName ? { typeName: r.typeName } : {}), value: r.value });
    byProject.set(r.projectId, entry);
  }
  return [...byProject.values()];
}

/**
 * The node's defaults, which apply to every project without an override: the overall limits and
 * each per-type limit the config sets (Glare lists these as global_quotas).
 */
export function defaultQuotas(ctx: OpContext): QuotaLimit[] {
  const config = ctx.catalog.config.quotas;
  const limits: QuotaLimit[] = QUOTA_NAMES.map((quota) => ({ quota, value: config[quota] }));
  for (const [typeName, typed] of Object.entries(config.types)) {
    for (const quota of QUOTA_NAMES) if (typed[quota] !== -1) limits.push({ quota, typeName, value: typed[quota] });
  }
  return limits;
}

function defaultLimit(ctx: OpContext, quota: QuotaName, typeName?: string): number {
  const config = ctx.catalog.config.quotas;
  return typeName === undefined ? config[quota] : (config.types[typeName]?.[quota] ?? -1);
}

export async function listAllQuotas(ctx: OpContext): Promise<ProjectQuotas[]> {
  requireAdmin(ctx.actor, 'list every project’s quotas');
  return group(await listQuotaRows(conn(ctx)));
}

/** Replaces each listed project's overrides with the given ones, atomically. */
export async function setQuotas(ctx: OpContext, settings: readonly ProjectQuotas[]): Promise<ProjectQuotas[]> {
  requireAdmin(ctx.actor, 'set quotas');
  const rows: QuotaRow[] = [];
  const projects = new Set<string>();
  for (const item of settings) {
    if (projects.has(item.projectId)) throw new BadRequest(`project ${item.projectId} appears twice`);
    projects.add(item.projectId);
    const seen = new Set<string>();
    for (const limit of item.limits) {
      const name = `${limit.quota}${limit.typeName ? `:${limit.typeName}` : ''}`;
      if (seen.has(name)) throw new BadRequest(`project ${item.projectId}: quota ${name} appears twice`);
      seen.add(name);
      if (limit.typeName !== undefined && !ctx.catalog.types.has(limit.typeName)) throw new BadRequest(`quota "${name}": unknown artifact type "${limit.typeName}"`);
      if (!Number.isSafeInteger(limit.value) || limit.value < -1) throw new BadRequest(`quota "${name}": the value must be a whole number, -1 for unlimited`);
      rows.push({ projectId: item.projectId, quotaName: limit.quota, typeName: limit.typeName ?? '', value: limit.value });
    }
  }
  await withTransaction(ctx, async (tx) => {
    await replaceProjectQuotas(tx.tx, rows, [...projects], tx.now());
    emit(tx, { kind: 'quotas.changed', projects: [...projects] });
  });
  return group(await listQuotaRows(conn(ctx), [...projects]));
}

export async function removeProjectQuotas(ctx: OpContext, projectId: string): Promise<void> {
  requireAdmin(ctx.actor, 'remove quotas');
  if ((await deleteProjectQuotas(conn(ctx), projectId)) === 0) throw new NotFound(`project ${projectId} has no quotas set`);
  emit(ctx, { kind: 'quotas.changed', projects: [projectId] });
}

/** The effective limits of one project (the actor's own by default; admins may ask for any), with usage. */
export async function projectQuotas(ctx: OpContext, asked?: string): Promise<ProjectQuotas> {
  const projectId = quotaProjectFor(ctx.actor, asked);
  const db = conn(ctx);
  const rows = await listQuotaRows(db, [projectId]);
  const limits: QuotaLimit[] = [];
  for (const quota of QUOTA_NAMES) {
    const own = rows.find((r) => r.quotaName === quota && r.typeName === '');
    limits.push({ quota, value: own?.value ?? defaultLimit(ctx, quota), usage: await usage(db, quota, projectId) });
  }
  const typed = new Map<string, { quota: QuotaName; typeName: string; value: number }>();
  for (const d of defaultQuotas(ctx)) if (d.typeName) typed.set(`${d.quota}:${d.typeName}`, { quota: d.quota, typeName: d.typeName, value: d.value });
  for (const r of rows.filter((r) => r.typeName !== '')) typed.set(`${r.quotaName}:${r.typeName}`, { quota: r.quotaName as QuotaName, typeName: r.typeName, value: r.value });
  for (const t of typed.values()) limits.push({ ...t, usage: await usage(db, t.quota, projectId, t.typeName) });
  return { projectId, limits };
}

function usage(db: Db | Tx, quota: QuotaName, owner: string, typeName?: string): Promise<number> {
  return quota === 'max_artifact_number' ? countOwnedArtifacts(db, owner, typeName) : uploadedBytes(db, owner, typeName);
}

/**
 * Inside the transaction, refuses when adding `adding` (artifacts or bytes) would pass a limit of
 * the owner's, overall or for the type. Locks the project's quota first, so concurrent checks
 * queue up.
 */
export async function assertWithinQuota(tx: TxContext, q: { owner: string; typeName: string; quotaName: QuotaName; adding: number }): Promise<void> {
  await lockProjectQuota(tx.tx, q.owner);
  const rows = await listQuotaRows(tx.tx, [q.owner]);
  const limits: Array<{ typeName?: string; limit: number }> = [
    { limit: rows.find((r) => r.quotaName === q.quotaName && r.typeName === '')?.value ?? defaultLimit(tx, q.quotaName) },
  ];
  const typed = rows.find((r) => r.quotaName === q.quotaName && r.typeName === q.typeName)?.value ?? defaultLimit(tx, q.quotaName, q.typeName);
  if (typed >= 0) limits.push({ typeName: q.typeName, limit: typed });
  for (const { typeName, limit } of limits) {
    if (limit < 0) continue;
    const used = await usage(tx.tx, q.quotaName, q.owner, typeName);
    if (used + q.adding > limit) {
      const scope = typeName ? ` for ${typeName}` : '';
      const what = q.quotaName === 'max_artifact_number' ? `${limit} artifacts` : `${limit} bytes of uploaded data`;
      const message = `project ${q.owner} may hold at most ${what}${scope} (${q.quotaName}${typeName ? `:${typeName}` : ''}); it uses ${used}`;
      // As Glare (quota.py): too many artifacts is Forbidden (403), too many bytes is 413.
      if (q.quotaName === 'max_artifact_number') throw new Forbidden(message);
      throw new QuotaExceeded(message);
    }
  }
}
