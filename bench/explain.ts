/** EXPLAIN (ANALYZE, BUFFERS) of captured statements, summarised as a compact plan tree. */
import type postgres from 'postgres';
import type { Statement } from './capture.js';

interface PlanNode {
  'Node Type': string;
  Strategy?: string;
  'Join Type'?: string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  'Actual Total Time'?: number;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Index Recheck'?: number;
  'Shared Hit Blocks'?: number;
  'Shared Read Blocks'?: number;
  'Exact Heap Blocks'?: number;
  'Sort Method'?: string;
  Plans?: PlanNode[];
}

interface ExplainOutput {
  Plan: PlanNode;
  'Planning Time': number;
  'Execution Time': number;
  JIT?: { Functions: number; Timing: { Total: number } };
}

export interface ExplainSummary {
  executionMs: number;
  planningMs: number;
  jitMs?: number;
  sharedHit: number;
  sharedRead: number;
  /** Top plan node, e.g. "Index Scan Backward using artifacts_type_created_idx". */
  topScan: string;
  lines: string[];
}

const MAX_LINES = 18;

export async function explainStatement(sql: postgres.Sql, statement: Statement): Promise<ExplainSummary> {
  const rows = await sql.unsafe(`explain (analyze, buffers, format json) ${statement.text}`, statement.params as never[], { prepare: false });
  const raw = (rows[0] as Record<string, unknown>)['QUERY PLAN'];
  const [output] = (typeof raw === 'string' ? JSON.parse(raw) : raw) as ExplainOutput[];
  if (!output) throw new Error('EXPLAIN returned no plan');
  const lines: string[] = [];
  walk(output.Plan, 0, lines);
  if (lines.length > MAX_LINES) lines.splice(MAX_LINES, lines.length - MAX_LINES, `  … ${lines.length - MAX_LINES} more plan nodes`);
  return {
    executionMs: output['Execution Time'],
    planningMs: output['Planning Time'],
    ...(output.JIT ? { jitMs: output.JIT.Timing.Total } : {}),
    sharedHit: output.Plan['Shared Hit Blocks'] ?? 0,
    sharedRead: output.Plan['Shared Read Blocks'] ?? 0,
    topScan: mainAccessPath(output.Plan),
    lines,
  };
}

function walk(node: PlanNode, depth: number, lines: string[]): void {
  lines.push(`${'  '.repeat(depth)}${describeNode(node)}`);
  for (const child of node.Plans ?? []) walk(child, depth + 1, lines);
}

function describeNode(n: PlanNode): string {
  const name = [n.Strategy && n.Strategy !== 'Plain' ? `${n.Strategy}` : '', n['Join Type'] && n['Join Type'] !== 'Inner' ? n['Join Type'] : '', n['Node Type']]
    .filter(Boolean)
    .join(' ');
  const where = [n['Index Name'] ? `using ${n['Index Name']}` : '', n['Relation Name'] ? `on ${n['Relation Name']}` : ''].filter(Boolean).join(' ');
  const actual = [
    `rows=${n['Actual Rows'] ?? '?'}`,
    (n['Actual Loops'] ?? 1) > 1 ? `loops=${n['Actual Loops']}` : '',
    n['Actual Total Time'] !== undefined ? `${n['Actual Total Time'].toFixed(2)} ms` : '',
    n['Rows Removed by Filter'] ? `removed by filter=${n['Rows Removed by Filter']}` : '',
    n['Rows Removed by Index Recheck'] ? `removed by recheck=${n['Rows Removed by Index Recheck']}` : '',
    n['Exact Heap Blocks'] ? `heap blocks=${n['Exact Heap Blocks']}` : '',
    n['Sort Method'] ? `sort=${n['Sort Method']}` : '',
  ]
    .filter(Boolean)
    .join(', ');
  return `${name}${where ? ` ${where}` : ''} (${actual})`;
}

/** The scans feeding the plan: which indexes (or sequential scans) serve the statement. */
function mainAccessPath(plan: PlanNode): string {
  const scans: string[] = [];
  const visit = (n: PlanNode) => {
    if (n['Node Type'].includes('Scan') && n['Relation Name'] !== undefined) {
      scans.push(n['Index Name'] ? `${n['Node Type']} ${n['Index Name']}` : `${n['Node Type']} ${n['Relation Name']}`);
    } else if (n['Node Type'] === 'Bitmap Index Scan' && n['Index Name']) scans.push(`Bitmap Index Scan ${n['Index Name']}`);
    for (const c of n.Plans ?? []) visit(c);
  };
  visit(plan);
  return [...new Set(scans)].join(' + ');
}
