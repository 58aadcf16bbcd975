/** @module `catalog rate`, `catalog comment ...`, `catalog stats`: ratings, comments and download statistics. */
import { readFileSync } from 'node:fs';
import type { CommandContext } from '../context.js';
import { usageError } from '../exit.js';
import { cell } from '../output.js';
import { artifactPath } from './artifact.js';

interface Rating {
  average: number | null;
  count: number;
  mine?: number;
}

const ratingText = (r: Rating) => `${r.average === null ? 'not rated yet' : `${r.average.toFixed(2)} / 5 from ${r.count} rating${r.count === 1 ? '' : 's'}`}${r.mine !== undefined ? `; yours: ${r.mine}` : ''}\n`;

export async function rate(ctx: CommandContext, type: string, id: string, score: string | undefined, opts: { remove?: boolean }): Promise<void> {
  const path = `${artifactPath(type, id)}/rating`;
  const client = ctx.client();
  let r: Rating;
  if (opts.remove) {
    if (score !== undefined) throw usageError('--remove takes no score');
    r = await client.json<Rating>('DELETE', path);
  } else if (score === undefined) r = await client.json<Rating>('GET', path);
  else {
    if (!/^[1-5]$/.test(score)) throw usageError(`a score is a whole number from 1 to 5, not "${score}"`);
    r = await client.json<Rating>('PUT', path, { json: { score: Number(score) } });
  }
  await ctx.print({ data: r, table: () => ratingText(r), quiet: () => [r.average === null ? '' : String(r.average)] });
}

interface Comment {
  id: string;
  author: { user_id: string; project_id: string };
  body: string;
  created_at: string;
  edited_at: string | null;
  hidden: boolean;
}

const commentRows = (comments: Comment[]) => ({
  columns: ['ID', 'AUTHOR', 'WHEN', 'COMMENT'],
  rows: comments.map((c) => [c.id, `${c.author.user_id} (${c.author.project_id})`, `${c.edited_at ?? c.created_at}${c.edited_at ? ' (edited)' : ''}${c.hidden ? ' (hidden)' : ''}`, c.body]),
});

function bodyOf(text: string | undefined, opts: { file?: string }): string {
  if (opts.file) {
    try {
      return readFileSync(opts.file === '-' ? 0 : opts.file, 'utf8');
    } catch {
      throw usageError(`cannot read ${opts.file}`);
    }
  }
  if (text === undefined || text.trim() === '') throw usageError('say something: give the comment as an argument or with --file');
  return text;
}

export async function listComments(ctx: CommandContext, type: string, id: string, opts: { limit?: string; marker?: string }): Promise<void> {
  const query: Array<[string, string]> = [];
  if (opts.limit) query.push(['limit', opts.limit]);
  if (opts.marker) query.push(['marker', opts.marker]);
  const list = await ctx.client().json<{ comments: Comment[]; total_count: number; next?: string }>('GET', `${artifactPath(type, id)}/comments`, { query });
  await ctx.print({ data: list, table: () => (list.comments.length === 0 ? 'no comments\n' : commentRows(list.comments)), quiet: () => list.comments.map((c) => c.id) });
}

async function printComment(ctx: CommandContext, c: Comment): Promise<void> {
  await ctx.print({ data: c, table: () => commentRows([c]), quiet: () => [c.id] });
}

export async function addComment(ctx: CommandContext, type: string, id: string, text: string | undefined, opts: { file?: string }): Promise<void> {
  await printComment(ctx, await ctx.client().json<Comment>('POST', `${artifactPath(type, id)}/comments`, { json: { body: bodyOf(text, opts) } }));
}

export async function editComment(ctx: CommandContext, type: string, id: string, commentId: string, text: string | undefined, opts: { file?: string }): Promise<void> {
  await printComment(ctx, await ctx.client().json<Comment>('PATCH', `${artifactPath(type, id)}/comments/${encodeURIComponent(commentId)}`, { json: { body: bodyOf(text, opts) } }));
}

export async function deleteComment(ctx: CommandContext, type: string, id: string, commentId: string): Promise<void> {
  await ctx.client().send('DELETE', `${artifactPath(type, id)}/comments/${encodeURIComponent(commentId)}`);
  ctx.note(`deleted comment ${commentId}`);
}

export async function hideComment(ctx: CommandContext, type: string, id: string, commentId: string, hide: boolean): Promise<void> {
  await printComment(ctx, await ctx.client().json<Comment>(hide ? 'PUT' : 'DELETE', `${artifactPath(type, id)}/comments/${encodeURIComponent(commentId)}/hidden`));
}

interface Stats {
  downloads: number;
  name_downloads: number;
  last_download_at: string | null;
  days: Array<{ day: string; downloads: number }>;
}

export async function stats(ctx: CommandContext, type: string, id: string, opts: { days?: string }): Promise<void> {
  const s = await ctx.client().json<Stats>('GET', `${artifactPath(type, id)}/downloads`, { query: opts.days ? [['days', opts.days]] : [] });
  await ctx.print({
    data: s,
    table: () => ({
      columns: ['DAY', 'DOWNLOADS'],
      rows: [['all time', String(s.downloads)], ['all versions', String(s.name_downloads)], ['last', cell(s.last_download_at)], ...s.days.map((d) => [d.day, String(d.downloads)])],
    }),
    quiet: () => [String(s.downloads)],
  });
}
