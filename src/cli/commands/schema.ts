/** @module `catalog schema list|show`: the artifact types a node serves and their fields. */
import type { CommandContext } from '../context.js';
import { cell } from '../output.js';

interface JsonSchema {
  version?: string;
  title?: string;
  properties?: Record<string, { type?: unknown; description?: string; mutable?: boolean; readOnly?: boolean; required_on_activate?: boolean; filter_ops?: string[] }>;
}

export async function list(ctx: CommandContext): Promise<void> {
  const { schemas } = await ctx.client().json<{ schemas: Record<string, JsonSchema> }>('GET', '/schemas');
  await ctx.print({
    data: { schemas },
    table: () => ({ columns: ['TYPE', 'VERSION', 'TITLE'], rows: Object.entries(schemas).map(([name, s]) => [name, cell(s.version), cell(s.title)]) }),
    quiet: () => Object.keys(schemas),
  });
}

export async function show(ctx: CommandContext, type: string): Promise<void> {
  const res = await ctx.client().json<{ schemas: Record<string, JsonSchema> }>('GET', `/schemas/${encodeURIComponent(type)}`);
  const schema = res.schemas[type] ?? Object.values(res.schemas)[0] ?? {};
  const props = Object.entries(schema.properties ?? {});
  await ctx.print({
    data: res,
    table: () => ({
      columns: ['FIELD', 'TYPE', 'MUTABLE', 'SYSTEM', 'FILTERS', 'DESCRIPTION'],
      rows: props.map(([name, p]) => [name, cell(p.type), p.mutable ? 'yes' : '', p.readOnly ? 'yes' : '', cell(p.filter_ops), cell(p.description)]),
    }),
    quiet: () => props.map(([name]) => name),
  });
}
