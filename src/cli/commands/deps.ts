/**
 * @module `catalog deps resolve|tree|dependants`: an artifact's requirements resolved to one
 * consistent set, its dependency graph drawn as a tree, and what depends on it.
 */
import type { CommandContext } from '../context.js';
import { usageError } from '../exit.js';
import { cell } from '../output.js';
import { artifactPath } from './artifact.js';

interface Summary {
  id: string;
  type_name: string;
  name: string;
  version: string;
}

interface Resolved {
  artifacts: Array<Summary & { picked_by: { root?: boolean; by?: Summary | null; requirement?: { range?: string }; field?: string; key?: string } }>;
}

/** `type/name@range` (range defaults to any version). */
export function parseRequirement(text: string): { type: string; name: string; range: string } {
  const m = /^([a-z][\w-]*)\/([^@]+)(?:@(.+))?$/.exec(text);
  if (!m) throw usageError(`"${text}" is not a requirement: write type/name@range, e.g. murano_packages/io.murano.apps.Nginx@^1.2`);
  return { type: m[1]!, name: m[2]!, range: m[3] ?? '*' };
}

const pickedBy = (p: Resolved['artifacts'][number]['picked_by']) => {
  if (p.root) return '(asked)';
  const who = p.by ? `${p.by.name}@${p.by.version}` : '(asked)';
  return p.field !== undefined ? `${who} links via ${p.field}${p.key ? `/${p.key}` : ''}` : `${who} requires ${p.requirement?.range ?? '*'}`;
};

export async function resolve(ctx: CommandContext, type: string | undefined, id: string | undefined, opts: { require?: string[] }): Promise<void> {
  const client = ctx.client();
  let res: Resolved;
  if (opts.require?.length) {
    if (type || id) throw usageError('resolve either an artifact (<type> <id>) or --require lists, not both');
    res = await client.json<Resolved>('POST', '/resolve', { json: { requires: opts.require.map(parseRequirement) } });
  } else {
    if (!type || !id) throw usageError('name an artifact (<type> <id>) or give --require type/name@range');
    res = await client.json<Resolved>('GET', `${artifactPath(type, id)}/resolve`);
  }
  await ctx.print({
    data: res,
    table: () => (res.artifacts.length === 0 ? 'nothing to resolve: no requirements or links\n' : { columns: ['TYPE', 'NAME', 'VERSION', 'ID', 'PICKED BY'], rows: res.artifacts.map((a) => [a.type_name, a.name, a.version, a.id, pickedBy(a.picked_by)]) }),
    quiet: () => res.artifacts.map((a) => a.id),
  });
}

interface Graph {
  root: Summary;
  depth: number;
  nodes: Array<Summary & { status: string; depth: number }>;
  edges: Array<{ from: string | null; to: string; via: string; field?: string; key?: string; requirement?: { range?: string } }>;
  unresolved: Array<{ from: string | null; via: string; field?: string; key?: string; link?: string; requirement?: { type?: string; name?: string; range?: string }; reason: string }>;
}

/** The graph as an indented tree from the root; a node met again is named, not expanded again. */
export function drawTree(g: Graph): string {
  const byId = new Map<string, Summary & { status?: string }>([[g.root.id, g.root], ...g.nodes.map((n) => [n.id, n] as const)]);
  const label = (n: Summary & { status?: string }) => `${n.type_name}/${n.name}@${n.version}${n.status && n.status !== 'active' ? ` (${n.status})` : ''}`;
  const lines = [label(g.root)];
  const seen = new Set([g.root.id]);
  const walk = (id: string, indent: string) => {
    const children: Array<{ text: string; next?: string }> = [
      ...g.edges.filter((e) => e.from === id).map((e) => {
        const to = byId.get(e.to);
        const how = e.via === 'requires' ? `requires ${e.requirement?.range ?? '*'}` : `${e.field ?? 'link'}${e.key ? `/${e.key}` : ''}`;
        const again = seen.has(e.to);
        seen.add(e.to);
        return { text: `${to ? label(to) : e.to} [${how}]${again ? ' (shown above)' : ''}`, ...(again ? {} : { next: e.to }) };
      }),
      ...g.unresolved
        .filter((u) => u.from === id)
        .map((u) => ({ text: `✗ ${u.via === 'requires' ? `${u.requirement?.type}/${u.requirement?.name}@${u.requirement?.range ?? '*'}` : `${u.field ?? 'link'}${u.key ? `/${u.key}` : ''} → ${u.link ?? '?'}`}: ${u.reason}` })),
    ];
    children.forEach((c, i) => {
      const last = i === children.length - 1;
      lines.push(`${indent}${last ? '└── ' : '├── '}${c.text}`);
      if (c.next) walk(c.next, `${indent}${last ? '    ' : '│   '}`);
    });
  };
  walk(g.root.id, '');
  return `${lines.join('\n')}\n`;
}

export async function tree(ctx: CommandContext, type: string, id: string, opts: { depth?: string }): Promise<void> {
  const g = await ctx.client().json<Graph>('GET', `${artifactPath(type, id)}/dependencies`, { query: opts.depth ? [['depth', opts.depth]] : [] });
  await ctx.print({ data: g, table: () => drawTree(g), quiet: () => g.nodes.map((n) => n.id) });
}

interface Dependants {
  dependants: Array<Summary & { status: string; via: string; field?: string; key?: string; broken?: boolean; requirement?: { range?: string } }>;
}

export async function dependants(ctx: CommandContext, type: string, id: string): Promise<void> {
  const d = await ctx.client().json<Dependants>('GET', `${artifactPath(type, id)}/dependants`);
  await ctx.print({
    data: d,
    table: () =>
      d.dependants.length === 0
        ? 'nothing depends on it\n'
        : {
            columns: ['TYPE', 'NAME', 'VERSION', 'STATUS', 'ID', 'VIA'],
            rows: d.dependants.map((x) => [x.type_name, x.name, x.version, x.status, x.id, x.via === 'link' ? `link ${x.field}${x.key ? `/${x.key}` : ''}${x.broken ? ' (broken)' : ''}` : `requires ${cell(x.requirement?.range)}`]),
          },
    quiet: () => d.dependants.map((x) => x.id),
  });
}
