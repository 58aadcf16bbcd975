/**
 * @module `catalog artifact ...`: create (from flags or a manifest file), show, list, update,
 * delete, and the lifecycle moves Glare makes by patching /status and /visibility.
 */
import { assignmentsToObject, assignmentsToPatch, parseFilters, pointerKey } from '../assignments.js';
import type { CommandContext } from '../context.js';
import { CliError, EXIT, usageError } from '../exit.js';
import { bytes, cell, renderTable, terminalWidth, type Table } from '../output.js';

export type Artifact = Record<string, unknown>;

export const artifactPath = (type: string, id?: string) => `/artifacts/${encodeURIComponent(type)}${id === undefined ? '' : `/${encodeURIComponent(id)}`}`;

const LIST_COLUMNS = ['id', 'name', 'version', 'status', 'visibility', 'owner', 'updated_at'];

export function artifactRows(artifacts: Artifact[], withType: boolean): Table {
  const columns = withType ? ['id', 'type_name', ...LIST_COLUMNS.slice(1)] : LIST_COLUMNS;
  return { columns: columns.map((c) => c.toUpperCase()), rows: artifacts.map((a) => columns.map((c) => cell(a[c]))) };
}

function isBlob(v: unknown): v is { size: number | null; sha256: string | null; status: string; external: boolean; url: string | null } {
  return typeof v === 'object' && v !== null && 'sha256' in v && 'status' in v && 'external' in v;
}

const blobCell = (b: { size: number | null; sha256: string | null; status: string; external: boolean; url: string | null }) =>
  b.external ? `external ${b.url ?? ''}` : `${b.size === null ? '?' : bytes(b.size)} sha256:${b.sha256 ?? '-'} ${b.status}`;

/** One row per field that has a value; blobs as size, checksum and status. */
export function artifactFields(a: Artifact): Table {
  const rows: string[][] = [];
  for (const [k, v] of Object.entries(a)) {
    if (v === null || (Array.isArray(v) && v.length === 0)) continue;
    if (isBlob(v)) rows.push([k, blobCell(v)]);
    else if (typeof v === 'object' && !Array.isArray(v) && Object.values(v as object).some(isBlob)) {
      for (const [key, b] of Object.entries(v as Record<string, unknown>)) rows.push([`${k}/${key}`, isBlob(b) ? blobCell(b) : cell(b)]);
    } else if (typeof v === 'object' && !Array.isArray(v) && Object.keys(v as object).length === 0) continue;
    else rows.push([k, cell(v)]);
  }
  return { columns: ['FIELD', 'VALUE'], rows };
}

export async function printArtifact(ctx: CommandContext, a: Artifact): Promise<void> {
  await ctx.print({ data: a, table: () => artifactFields(a), quiet: () => [String(a.id)] });
}

export interface CreateOptions {
  file?: string;
  activate?: boolean;
  publish?: boolean;
  tag?: string[];
}

export async function create(ctx: CommandContext, type: string | undefined, assignments: string[], opts: CreateOptions): Promise<void> {
  if (opts.file) {
    const { publishManifest } = await import('../manifest.js');
    const a = await publishManifest(ctx, opts.file, { type, assignments, activate: opts.activate, publish: opts.publish });
    return printArtifact(ctx, a);
  }
  if (!type) throw usageError('name the artifact type (e.g. `catalog artifact create images name=cirros`) or give a manifest with -f');
  const body = assignmentsToObject(assignments);
  if (opts.tag?.length) body.tags = [...((body.tags as string[] | undefined) ?? []), ...opts.tag];
  if (body.name === undefined) throw usageError('an artifact needs a name: add name=<name>');
  const client = ctx.client();
  let a = await client.json<Artifact>('POST', artifactPath(type), { json: body });
  const ops = lifecycleOps({ activate: opts.activate || opts.publish, publish: opts.publish });
  if (ops.length > 0) a = await client.json<Artifact>('PATCH', artifactPath(type, String(a.id)), { patch: ops });
  await printArtifact(ctx, a);
}

export function lifecycleOps(o: { activate?: boolean; publish?: boolean }) {
  const ops: Array<{ op: string; path: string; value: string }> = [];
  if (o.activate) ops.push({ op: 'replace', path: '/status', value: 'active' });
  if (o.publish) ops.push({ op: 'replace', path: '/visibility', value: 'public' });
  return ops;
}

export async function show(ctx: CommandContext, type: string, id: string): Promise<void> {
  await printArtifact(ctx, await ctx.client().json<Artifact>('GET', artifactPath(type, id)));
}

export interface ListOptions {
  sort?: string;
  limit?: string;
  marker?: string;
  all?: boolean;
  tag?: string[];
  anyTag?: string[];
}

interface Page {
  artifacts: Artifact[];
  next?: string;
  total_count?: number;
  total_count_exact?: boolean;
}

export async function list(ctx: CommandContext, type: string, terms: string[], opts: ListOptions, extra: Array<[string, string]> = []): Promise<void> {
  const query = [...parseFilters(terms), ...extra];
  if (opts.tag?.length) query.push(['tags', opts.tag.join(',')]);
  if (opts.anyTag?.length) query.push(['tags-any', opts.anyTag.join(',')]);
  if (opts.sort) query.push(['sort', opts.sort]);
  if (opts.limit) query.push(['limit', opts.limit]);
  if (opts.marker) query.push(['marker', opts.marker]);
  const client = ctx.client();
  const first = await client.json<Page>('GET', artifactPath(type), { query });
  let data: Page = first;
  if (opts.all) {
    const artifacts = [...first.artifacts];
    let next = first.next;
    while (next) {
      // `next` is the node's own path and query for the following page.
      const url = new URL(next, 'http://node');
      const page = await client.json<Page>('GET', url.pathname, { query: [...url.searchParams.entries()] });
      artifacts.push(...page.artifacts);
      next = page.next;
    }
    data = { ...first, artifacts, next: undefined };
  }
  const withType = type === 'all' || data.artifacts.some((a) => a.type_name !== undefined);
  await ctx.print({
    data,
    table: () => {
      if (data.artifacts.length === 0) return 'no artifacts match\n';
      const t = artifactRows(data.artifacts, withType);
      const more = data.next ? `\n${data.artifacts.length} shown of ${data.total_count_exact === false ? 'about ' : ''}${data.total_count}; add --all, or --marker ${String(data.artifacts.at(-1)?.id)}\n` : '';
      return more ? `${renderTable(t, terminalWidth())}${more}` : t;
    },
    quiet: () => data.artifacts.map((a) => String(a.id)),
  });
}

export interface UpdateOptions {
  unset?: string[];
  tag?: string[];
  untag?: string[];
  patch?: string;
}

export async function update(ctx: CommandContext, type: string, id: string, assignments: string[], opts: UpdateOptions): Promise<void> {
  const client = ctx.client();
  let ops: unknown[] = assignmentsToPatch(assignments);
  for (const field of opts.unset ?? []) {
    const dot = field.indexOf('.');
    ops.push(dot > 0 ? { op: 'remove', path: `/${field.slice(0, dot)}/${pointerKey(field.slice(dot + 1))}` } : { op: 'replace', path: `/${field}`, value: null });
  }
  if (opts.tag?.length || opts.untag?.length) {
    const current = await client.json<Artifact>('GET', artifactPath(type, id));
    const tags = new Set((current.tags as string[] | undefined) ?? []);
    for (const t of opts.tag ?? []) tags.add(t);
    for (const t of opts.untag ?? []) tags.delete(t);
    ops.push({ op: 'replace', path: '/tags', value: [...tags] });
  }
  if (opts.patch) {
    const { readFileSync } = await import('node:fs');
    let raw: string;
    try {
      raw = readFileSync(opts.patch === '-' ? 0 : opts.patch, 'utf8');
    } catch {
      throw usageError(`cannot read the patch file ${opts.patch}`);
    }
    try {
      const parsed = JSON.parse(raw) as unknown;
      if (!Array.isArray(parsed)) throw new Error('not a list');
      ops = [...ops, ...parsed];
    } catch {
      throw usageError(`${opts.patch} must hold a JSON patch: a list of {"op", "path", "value"} objects`);
    }
  }
  if (ops.length === 0) throw usageError('nothing to change: give field=value, --unset, --tag, --untag or --patch');
  await printArtifact(ctx, await client.json<Artifact>('PATCH', artifactPath(type, id), { patch: ops }));
}

export async function remove(ctx: CommandContext, type: string, id: string): Promise<void> {
  await ctx.client().send('DELETE', artifactPath(type, id));
  ctx.note(`deleted ${type}/${id}`);
}

export const TRANSITIONS = {
  activate: { path: '/status', value: 'active', says: 'drafted → active; its immutable fields are fixed from now on' },
  deactivate: { path: '/status', value: 'deactivated', says: 'active → deactivated (admins); its blobs can no longer be downloaded' },
  reactivate: { path: '/status', value: 'active', says: 'deactivated → active again (admins)' },
  publish: { path: '/visibility', value: 'public', says: 'make an active artifact public (admins)' },
} as const;

export async function transition(ctx: CommandContext, move: keyof typeof TRANSITIONS, type: string, id: string): Promise<void> {
  const t = TRANSITIONS[move];
  const a = await ctx.client().json<Artifact>('PATCH', artifactPath(type, id), { patch: [{ op: 'replace', path: t.path, value: t.value }] });
  if (a[t.path.slice(1)] !== t.value) throw new CliError(`the node answered but ${t.path.slice(1)} is ${String(a[t.path.slice(1)])}`, EXIT.failure);
  await printArtifact(ctx, a);
}
