/**
 * @module `catalog federation ...`: federated search over a node and its upstreams, and the
 * admin's side of enrolment (tokens, enrolling with an upstream, suspending and removing peers).
 */
import type { CommandContext } from '../context.js';
import { usageError } from '../exit.js';
import { cell, renderTable, terminalWidth } from '../output.js';

interface NodeRef {
  id: string;
  name: string;
}

interface SearchAnswer {
  results: Array<{ type_name: string; name: string; version: string; digest: string | null; sources: Array<{ path: NodeRef[]; id: string }>; conflict: boolean }>;
  sources: Array<{ path: NodeRef[]; status: string; ms: number; count: number; message?: string }>;
  partial: boolean;
  next_cursor?: string;
}

const pathText = (p: NodeRef[]) => p.map((n) => n.name).join(' → ');

export async function search(ctx: CommandContext, terms: string[], opts: { type?: string; limit?: string; cursor?: string; sort?: string }): Promise<void> {
  const query: Array<[string, string]> = [];
  const words = terms.filter((t) => !t.includes('='));
  for (const t of terms.filter((x) => x.includes('='))) {
    const eq = t.indexOf('=');
    if (eq === 0) throw usageError(`"${t}" is not a filter: write field=[op:]value`);
    query.push([t.slice(0, eq), t.slice(eq + 1)]);
  }
  if (words.length > 0) query.push(['q', words.join(' ')]);
  if (opts.type) query.push(['type', opts.type]);
  if (opts.limit) query.push(['limit', opts.limit]);
  if (opts.sort) query.push(['sort', opts.sort]);
  if (opts.cursor) query.push(['cursor', opts.cursor]);
  const a = await ctx.client().json<SearchAnswer>('GET', '/federation/v1/search', { query });
  await ctx.print({
    data: a,
    table: () => {
      const results =
        a.results.length === 0
          ? 'nothing found\n'
          : renderTable(
              {
                columns: ['TYPE', 'NAME', 'VERSION', 'FOUND ON', 'ID THERE', 'NOTE'],
                rows: a.results.map((r) => [r.type_name, r.name, r.version, r.sources.map((s) => pathText(s.path)).join('; '), r.sources[0]?.id ?? '', r.conflict ? 'conflict: digests differ' : '']),
              },
              terminalWidth(),
            );
      const sources = a.sources.map((s) => `  ${pathText(s.path)}: ${s.status}, ${s.count} found in ${Math.round(s.ms)} ms${s.message ? ` (${s.message})` : ''}`).join('\n');
      return `${results}\nsources${a.partial ? ' (partial answer)' : ''}:\n${sources}\n${a.next_cursor ? `more: --cursor ${a.next_cursor}\n` : ''}`;
    },
    quiet: () => a.results.map((r) => `${r.type_name}/${r.name}@${r.version}`),
  });
}

interface Peer {
  node_id: string;
  relation: string;
  name: string;
  role: string;
  url: string | null;
  permissions: string[];
  project: string | null;
  status: string;
  circuit?: string;
}

const peerRows = (nodes: Peer[]) => ({
  columns: ['NODE', 'NAME', 'ROLE', 'URL', 'PERMISSIONS', 'PROJECT', 'STATUS'],
  rows: nodes.map((n) => [n.node_id, n.name, n.role, cell(n.url), n.permissions.join(','), cell(n.project), `${n.status}${n.circuit === 'open' ? ' (circuit open)' : ''}`]),
});

function relation(r: string): 'upstreams' | 'children' {
  if (r === 'upstreams' || r === 'upstream') return 'upstreams';
  if (r === 'children' || r === 'child') return 'children';
  throw usageError(`"${r}" is neither upstreams nor children`);
}

export async function peers(ctx: CommandContext, which: 'upstreams' | 'children'): Promise<void> {
  const { nodes } = await ctx.client().json<{ nodes: Peer[] }>('GET', `/federation/v1/admin/${which}`);
  await ctx.print({ data: { nodes }, table: () => (nodes.length === 0 ? `no ${which}\n` : peerRows(nodes)), quiet: () => nodes.map((n) => n.node_id) });
}

export async function token(ctx: CommandContext, opts: { permission?: string[]; project?: string; expires?: string; note?: string }): Promise<void> {
  const body: Record<string, unknown> = { permissions: opts.permission?.length ? opts.permission : ['search', 'pull'] };
  if (opts.project) body.project = opts.project;
  if (opts.note) body.note = opts.note;
  if (opts.expires) {
    if (!/^\d+$/.test(opts.expires)) throw usageError('--expires is a number of seconds');
    body.expires_in_seconds = Number(opts.expires);
  }
  const t = await ctx.client().json<{ token: string; permissions: string[]; expires_at: string }>('POST', '/federation/v1/admin/enrolment-tokens', { json: body });
  // Shown once: the node keeps only its hash.
  await ctx.print({ data: t, table: () => `${t.token}\n(grants ${t.permissions.join(', ')}; use it before ${t.expires_at}; it is shown only now)\n`, quiet: () => [t.token] });
}

export async function enrol(ctx: CommandContext, url: string, enrolmentToken: string, opts: { fingerprint?: string; timeoutMs?: string }): Promise<void> {
  const body: Record<string, unknown> = { url, token: enrolmentToken };
  if (opts.fingerprint) body.fingerprint = opts.fingerprint;
  if (opts.timeoutMs) body.timeout_ms = Number(opts.timeoutMs);
  const p = await ctx.client().json<Peer>('POST', '/federation/v1/admin/upstreams', { json: body });
  await ctx.print({ data: p, table: () => peerRows([p]), quiet: () => [p.node_id] });
}

export async function setState(ctx: CommandContext, which: string, node: string, action: 'suspend' | 'resume'): Promise<void> {
  const p = await ctx.client().json<Peer>('POST', `/federation/v1/admin/${relation(which)}/${encodeURIComponent(node)}/${action}`);
  await ctx.print({ data: p, table: () => peerRows([p]), quiet: () => [p.node_id] });
}

export async function remove(ctx: CommandContext, which: string, node: string): Promise<void> {
  await ctx.client().send('DELETE', `/federation/v1/admin/${relation(which)}/${encodeURIComponent(node)}`);
  ctx.note(`removed ${node}; it must enrol again to be trusted`);
}
