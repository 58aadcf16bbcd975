/** @module `catalog share list|add|remove`: an active private artifact shared with named projects. */
import type { CommandContext } from '../context.js';
import { artifactPath } from './artifact.js';

interface Shares {
  shares: Array<{ project: string; created_at: string }>;
}

async function printShares(ctx: CommandContext, s: Shares | undefined, fallback: () => Promise<Shares>): Promise<void> {
  const data = s ?? (await fallback());
  await ctx.print({
    data,
    table: () => (data.shares.length === 0 ? 'not shared with any project\n' : { columns: ['PROJECT', 'SINCE'], rows: data.shares.map((x) => [x.project, x.created_at]) }),
    quiet: () => data.shares.map((x) => x.project),
  });
}

export async function list(ctx: CommandContext, type: string, id: string): Promise<void> {
  await printShares(ctx, await ctx.client().json<Shares>('GET', `${artifactPath(type, id)}/shares`), async () => ({ shares: [] }));
}

export async function add(ctx: CommandContext, type: string, id: string, project: string): Promise<void> {
  await printShares(ctx, await ctx.client().json<Shares>('PUT', `${artifactPath(type, id)}/shares/${encodeURIComponent(project)}`), async () => ({ shares: [] }));
}

export async function remove(ctx: CommandContext, type: string, id: string, project: string): Promise<void> {
  const client = ctx.client();
  await client.send('DELETE', `${artifactPath(type, id)}/shares/${encodeURIComponent(project)}`);
  ctx.note(`${type}/${id} is no longer shared with ${project}`);
  await printShares(ctx, undefined, () => client.json<Shares>('GET', `${artifactPath(type, id)}/shares`));
}
