/**
 * @module What `catalog` prints on stdout: aligned tables for people (cut to the terminal's
 * width), JSON or YAML for scripts, or only the essentials (ids) with --quiet.
 */
import { usageError } from './exit.js';

export type Format = 'table' | 'json' | 'yaml';

export interface OutputOptions {
  format: Format;
  quiet: boolean;
}

export interface GlobalOptions {
  profile?: string;
  json?: boolean;
  output?: string;
  quiet?: boolean;
  progress?: boolean;
}

export function outputOptions(opts: GlobalOptions): OutputOptions {
  const format = opts.json ? 'json' : (opts.output ?? 'table');
  if (format !== 'table' && format !== 'json' && format !== 'yaml') throw usageError(`--output must be table, json or yaml, not "${format}"`);
  return { format, quiet: opts.quiet === true };
}

export interface Printable {
  /** The value scripts get (--json, --output yaml): the node's answer as it is. */
  data: unknown;
  /** What people see. */
  table?: () => Table | string;
  /** What --quiet prints, one item a line (ids). */
  quiet?: () => string[];
}

export interface Table {
  columns: string[];
  rows: string[][];
}

export async function print(out: OutputOptions, p: Printable, write: (s: string) => void = (s) => process.stdout.write(s)): Promise<void> {
  if (out.format === 'json') return write(`${JSON.stringify(p.data, null, 2)}\n`);
  if (out.format === 'yaml') {
    const { stringify } = await import('yaml');
    return write(stringify(p.data));
  }
  if (out.quiet) {
    const lines = p.quiet?.() ?? [];
    if (lines.length > 0) write(`${lines.join('\n')}\n`);
    return;
  }
  const t = p.table ? p.table() : JSON.stringify(p.data, null, 2);
  if (typeof t === 'string') return write(t.endsWith('\n') || t === '' ? t : `${t}\n`);
  write(renderTable(t, terminalWidth()));
}

/** The width to cut tables to: the terminal's, COLUMNS when set, else none (piped output is whole). */
export function terminalWidth(): number | undefined {
  if (process.stdout.isTTY && process.stdout.columns) return process.stdout.columns;
  const env = Number(process.env.COLUMNS);
  return Number.isInteger(env) && env > 0 ? env : undefined;
}

const GAP = 2;
const MIN_COLUMN = 6;

export function renderTable(t: Table, width?: number): string {
  if (t.rows.length === 0) return '';
  const cells = [t.columns, ...t.rows].map((r) => r.map((c) => c.replace(/[\r\n\t]+/g, ' ')));
  const widths = t.columns.map((_, i) => Math.max(...cells.map((r) => [...(r[i] ?? '')].length)));
  if (width !== undefined) {
    // Take room from the widest column until the table fits (or every column is at its minimum).
    let total = widths.reduce((a, b) => a + b, 0) + GAP * (widths.length - 1);
    while (total > width) {
      const widest = widths.indexOf(Math.max(...widths));
      if (widths[widest]! <= MIN_COLUMN) break;
      widths[widest]! -= 1;
      total -= 1;
    }
  }
  const fit = (s: string, w: number) => {
    const chars = [...s];
    return chars.length > w ? `${chars.slice(0, w - 1).join('')}…` : s + ' '.repeat(w - chars.length);
  };
  return cells.map((r) => widths.map((w, i) => fit(r[i] ?? '', w)).join(' '.repeat(GAP)).trimEnd()).join('\n') + '\n';
}

/** A field value as one table cell. */
export function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(',');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

export function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u += 1;
  }
  return u === 0 ? `${n} B` : `${v.toFixed(1)} ${units[u]}`;
}
