/**
 * @module List statements compiled once per shape. Building a list's SELECT through drizzle (26
 * columns, the blobs subquery, filters, order) and turning it into text was a good part of the
 * CPU a list cost the node (bench/README.md, issue 13). A request's shape (typed or not, the
 * caller's kind of sight, which filters on which fields with which operators, the sort keys,
 * `latest`, where a marker's values are NULL) decides the statements' text; everything else it
 * brings is a value, bound to a named placeholder per execution.
 */
import { sql, type Placeholder } from 'drizzle-orm';
import type { Filter, ListQuery, SortKey } from '../../artifacts/list-query.js';
import type { Sight } from '../../artifacts/policy.js';
import type { Db, Tx } from '../client.js';

type Conn = Db | Tx;

/**
 * The values of one request, each behind a placeholder named by the order it was bound in. The
 * same code builds the same shape in the same order, so a statement compiled for one request of
 * a shape takes another request's values by the same names.
 */
export class Bindings {
  readonly values: Record<string, unknown> = {};
  private next = 0;

  readonly bind = (value: unknown): Placeholder => {
    const name = `p${this.next++}`;
    this.values[name] = value;
    return sql.placeholder(name);
  };

  /** How many values were bound: a statement compiled for this shape has exactly these placeholders. */
  get size(): number {
    return this.next;
  }
}

/**
 * Compiled statements per database handle (a transaction has its own), the `capacity` most
 * recently used shapes each. Texts past what prepared-statements.ts admits still run, unnamed.
 */
export class ShapeCache<T> {
  private readonly byConn = new WeakMap<Conn, Map<string, T>>();

  constructor(private readonly capacity: number) {}

  get(db: Conn, shape: string, compile: () => T): T {
    let shapes = this.byConn.get(db);
    if (!shapes) this.byConn.set(db, (shapes = new Map()));
    let compiled = shapes.get(shape);
    if (compiled !== undefined) {
      // Map iteration order is insertion order: re-inserting makes this the most recent.
      shapes.delete(shape);
    } else {
      compiled = compile();
    }
    shapes.set(shape, compiled);
    if (shapes.size > this.capacity) shapes.delete(shapes.keys().next().value!);
    return compiled;
  }
}

/**
 * What decides a filter's SQL text but its values (predicates.ts): the field's name and kind, the
 * operator, and for version ranges how many sets, comparisons and prerelease windows.
 */
function filterShape(f: Filter): string {
  switch (f.kind) {
    case 'compare':
    case 'member':
    case 'dict_value':
      return `${f.kind}:${f.field.name}:${f.field.kind}:${f.op}`;
    case 'version':
      return `version:${f.op}`;
    case 'version_range':
      return `range:${f.sets.map((s) => `${s.comparisons.map((c) => c.op).join(',')}/${s.prereleaseWindows.length}`).join(';')}`;
    case 'tags':
      return `tags:${f.match}`;
    case 'search':
      return 'search';
  }
}

function sortShape(k: SortKey): string {
  return `${'field' in k ? `${k.field.name}:${k.field.kind}` : k.computed.by}:${k.direction}`;
}

/** The shape of a list request: equal shapes compile to the same statements. */
export function listShape(q: { typed: boolean; sight: Sight['kind']; query: ListQuery; markerValues?: readonly unknown[] | undefined }): string {
  const { query } = q;
  return [
    q.typed ? 'typed' : 'any',
    q.sight,
    query.latest ? 'latest' : 'every',
    query.limit === 0 ? 'no-page' : 'page',
    q.markerValues ? `after:${q.markerValues.map((v) => (v === null || v === undefined ? 'null' : 'value')).join(',')}` : 'first',
    `where:${query.filters.map(filterShape).join('|')}`,
    `or:${(query.anyOf ?? []).map(filterShape).join('|')}`,
    `sort:${query.sort.map(sortShape).join(',')}`,
  ].join(' ');
}

/** The shape of a marker lookup: the sort keys decide which values it reads. */
export function markerShape(q: { typed: boolean; sight: Sight['kind']; sort: readonly SortKey[] }): string {
  return `${q.typed ? 'typed' : 'any'} ${q.sight} ${q.sort.map(sortShape).join(',')}`;
}
