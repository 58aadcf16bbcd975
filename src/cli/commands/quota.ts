/** @module `catalog quota show|list|set|reset`: Glare's quotas, with the usage this node adds. */
import type { CommandContext } from '../context.js';
import { usageError } from '../exit.js';
import { cell, type Table } from '../output.js';

interface ProjectQuotas {
  project_id: string;
  project_quotas: Array<{ quota_name: string; quota_value: number; usage?: number }>;
}

const quotaRows = (list: ProjectQuotas[]): Table => ({
  columns: ['PROJECT', 'QUOTA', 'LIMIT', 'USAGE'],
  rows: list.flatMap((p) => p.project_quotas.map((q) => [p.project_id, q.quota_name, q.quota_value === -1 ? 'unlimited' : String(q.quota_value), cell(q.usage)])),
});

export async function show(ctx: CommandContext, project: string | undefined): Promise<void> {
  const q = await ctx.client().json<ProjectQuotas>('GET', project ? `/project-quotas/${encodeURIComponent(project)}` : '/project-quotas');
  await ctx.print({ data: q, table: () => quotaRows([q]), quiet: () => q.project_quotas.map((x) => `${x.quota_name}=${x.quota_value}`) });
}

export async function list(ctx: CommandContext): Promise<void> {
  const all = await ctx.client().json<{ quotas: ProjectQuotas[]; global_quotas?: Record<string, number> }>('GET', '/quotas');
  await ctx.print({
    data: all,
    table: () => {
      const defaults = Object.entries(all.global_quotas ?? {}).map(([k, v]) => ['(default)', k, v === -1 ? 'unlimited' : String(v), '']);
      const t = quotaRows(all.quotas);
      return { ...t, rows: [...defaults, ...t.rows] };
    },
    quiet: () => all.quotas.map((p) => p.project_id),
  });
}

/** `max_artifact_number=10`, `max_uploaded_data:images=1073741824`; -1 is unlimited. */
export async function set(ctx: CommandContext, project: string, limits: string[]): Promise<void> {
  const project_quotas = limits.map((l) => {
    const m = /^([\w:]+)=(-?\d+)$/.exec(l);
    if (!m) throw usageError(`"${l}" is not quota=number (e.g. max_artifact_number=10, max_uploaded_data:images=1073741824; -1 is unlimited)`);
    return { quota_name: m[1]!, quota_value: Number(m[2]) };
  });
  const res = await ctx.client().json<{ quotas: ProjectQuotas[] }>('PUT', '/quotas', { json: [{ project_id: project, project_quotas }] });
  await ctx.print({ data: res, table: () => quotaRows(res.quotas), quiet: () => [project] });
}

export async function reset(ctx: CommandContext, project: string): Promise<void> {
  await ctx.client().send('DELETE', `/quotas/${encodeURIComponent(project)}`);
  ctx.note(`${project} is back on the node's default quotas`);
}
