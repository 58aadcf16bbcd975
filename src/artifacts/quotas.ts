/**
 * @module Per-project limits (Glare's quota API): max_artifact_number and max_uploaded_data, each
 * either over all types or for one type (`max_artifact_number:images`). -1 means unlimited.
 * Limits an admin has not set come from the node's config.
 */
import { z } from 'zod';
import type { Caller } from '../auth/caller.js';
import type { Config } from '../config/schema.js';
import type { Db, Tx } from '../db/client.js';
import { countOwnedArtifacts } from '../db/queries/artifacts.js';
import { deleteProjectQuotas, listQuotaRows, lockProjectQuota, replaceProjectQuotas, uploadedBytes, type QuotaRow } from '../db/queries/quotas.js';
import { BadRequest, NotFound, QuotaExceeded } from '../errors.js';
import { requireAdmin, requireUser } from './policy.js';
import type { TypeRegistry } from './registry.js';

export const QUOTA_NAMES = ['max_artifact_number', 'max_uploaded_data'] as const;
export type QuotaName = (typeof QUOTA_NAMES)[number];

export const QuotaInput = z
  .array(
    z
      .object({
        project_id: z.string().min(1).max(255),
        project_quotas: z
          .array(
            z
              .object({
                quota_name: z.string().min(1).max(255).regex(/^[^:]*:?[^:]*$/, 'may hold at most one ":"'),
                quota_value: z.number().int().min(-1),
              })
              .strict(),
          )
          .max(100),
      })
      .strict(),
  )
  .max(1000);
export type QuotaInput = z.infer<typeof QuotaInput>;

export interface ProjectQuotas {
  project_id: string;
  project_quotas: Array<{ quota_name: string; quota_value: number; usage?: number }>;
}

interface QuotaDeps {
  db: Db;
  config: Config;
  types: TypeRegistry;
}

function parseQuotaName(name: string, types: TypeRegistry): { quotaName: QuotaName; typeName: string } {
  const [quotaName, typeName = ''] = name.split(':');
  if (!(QUOTA_NAMES as readonly string[]).includes(quotaName!)) {
    throw new BadRequest(`unknown quota "${name}"; quotas are ${QUOTA_NAMES.join(', ')}, optionally followed by :<type>`);
  }
  if (typeName !== '' && !types.has(typeName)) throw new BadRequest(`quota "${name}": unknown artifact type "${typeName}"`);
  return { quotaName: quotaName as QuotaName, typeName };
}

function group(rows: readonly QuotaRow[]): ProjectQuotas[] {
  const byProject = new Map<string, ProjectQuotas>();
  for (const r of rows) {
    const entry = byProject.get(r.projectId) ?? { project_id: r.projectId, project_quotas: [] };
    entry.project_quotas.push({ quota_name: r.typeName ? `${r.quotaName}:${r.typeName}` : r.quotaName, quota_value: r.value });
    byProject.set(r.projectId, entry);
  }
  return [...byProject.values()];
}

export async function listAllQuotas(deps: QuotaDeps, caller: Caller): Promise<{ quotas: ProjectQuotas[] }> {
  requireAdmin(caller, 'list every project’s quotas');
  return { quotas: group(await listQuotaRows(deps.db)) };
}

export async function setQuotas(deps: QuotaDeps, caller: Caller, input: QuotaInput, now: Date): Promise<{ quotas: ProjectQuotas[] }> {
  requireAdmin(caller, 'set quotas');
  const rows: QuotaRow[] = [];
  const projects = new Set<string>();
  for (const item of input) {
    if (projects.has(item.project_id)) throw new BadRequest(`project ${item.project_id} appears twice`);
    projects.add(item.project_id);
    const seen = new Set<string>();
    for (const q of item.project_quotas) {
      if (seen.has(q.quota_name)) throw new BadRequest(`project ${item.project_id}: quota ${q.quota_name} appears twice`);
      seen.add(q.quota_name);
      rows.push({ projectId: item.project_id, ...parseQuotaName(q.quota_name, deps.types), value: q.quota_value });
    }
  }
  await deps.db.transaction((tx) => replaceProjectQuotas(tx, rows, [...projects], now));
  return { quotas: group(await listQuotaRows(deps.db, [...projects])) };
}

export async function removeProjectQuotas(deps: QuotaDeps, caller: Caller, projectId: string): Promise<void> {
  requireAdmin(caller, 'remove quotas');
  if ((await deleteProjectQuotas(deps.db, projectId)) === 0) throw new NotFound(`project ${projectId} has no quotas set`);
}

/** The effective limits of one project (its own by default; admins may ask for any), with usage. */
export async function projectQuotas(deps: QuotaDeps, caller: Caller, projectId?: string): Promise<ProjectQuotas> {
  const user = requireUser(caller);
  const target = projectId ?? user.projectId;
  if (target !== user.projectId && !user.isAdmin) throw new NotFound(`no quotas visible for project ${target}`);
  const rows = await listQuotaRows(deps.db, [target]);
  const entries: ProjectQuotas['project_quotas'] = [];
  for (const quotaName of QUOTA_NAMES) {
    const own = rows.find((r) => r.quotaName === quotaName && r.typeName === '');
    entries.push({ quota_name: quotaName, quota_value: own?.value ?? deps.config.quotas[quotaName], usage: await usage(deps.db, quotaName, target) });
  }
  for (const r of rows.filter((r) => r.typeName !== '')) {
    entries.push({ quota_name: `${r.quotaName}:${r.typeName}`, quota_value: r.value, usage: await usage(deps.db, r.quotaName as QuotaName, target, r.typeName) });
  }
  return { project_id: target, project_quotas: entries };
}

function usage(db: Db | Tx, quotaName: QuotaName, owner: string, typeName?: string): Promise<number> {
  return quotaName === 'max_artifact_number' ? countOwnedArtifacts(db, owner, typeName) : uploadedBytes(db, owner, typeName);
}

/**
 * Inside `tx`, refuses when adding `adding` (artifacts or bytes) would pass a limit of the owner's,
 * overall or for the type. Locks the project's quota first, so concurrent checks queue up.
 */
export async function assertWithinQuota(
  tx: Tx,
  config: Config,
  q: { owner: string; typeName: string; quotaName: QuotaName; adding: number },
): Promise<void> {
  await lockProjectQuota(tx, q.owner);
  const rows = await listQuotaRows(tx, [q.owner]);
  const limits: Array<{ typeName?: string; limit: number }> = [
    { limit: rows.find((r) => r.quotaName === q.quotaName && r.typeName === '')?.value ?? config.quotas[q.quotaName] },
  ];
  const typed = rows.find((r) => r.quotaName === q.quotaName && r.typeName === q.typeName);
  if (typed) limits.push({ typeName: q.typeName, limit: typed.value });
  for (const { typeName, limit } of limits) {
    if (limit < 0) continue;
    const used = await usage(tx, q.quotaName, q.owner, typeName);
    if (used + q.adding > limit) {
      const scope = typeName ? ` for ${typeName}` : '';
      const what = q.quotaName === 'max_artifact_number' ? `${limit} artifacts` : `${limit} bytes of uploaded data`;
      throw new QuotaExceeded(`project ${q.owner} may hold at most ${what}${scope} (${q.quotaName}${typeName ? `:${typeName}` : ''}); it uses ${used}`);
    }
  }
}
