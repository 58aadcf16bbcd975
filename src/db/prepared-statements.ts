/**
 * @module A bound on named prepared statements. postgres.js names a statement the first time a
 * connection runs its text with `prepare` and keeps it (and PostgreSQL its parsed form) until the
 * connection closes; there is no limit and no eviction. Statement texts that vary with the request
 * (lists: which filters, how many range sets, which sort keys) would then grow every pooled
 * connection, on both sides, for as long as it lives.
 *
 * The budget decides which texts may be named: the most recently used `capacity` texts (an LRU),
 * and no more than `capacity` new texts per `windowMs`. A connection holds only texts that were
 * in the LRU when it opened or were admitted while it lived, so with `windowMs` at least the
 * connections' lifetime it never holds more than 2 × capacity named statements, whatever requests
 * come. A text refused a name runs unnamed: the same result, one more round trip to describe it.
 */
import type { Sql } from 'postgres';

export interface StatementBudgetOptions {
  /** Most texts kept named at once; also the most admitted per window. */
  capacity: number;
  /** At least the pool's connection lifetime. */
  windowMs: number;
  now?: () => number;
}

export class PreparedStatementBudget {
  /** Named texts, least recently used first (a Map iterates in insertion order). */
  private readonly named = new Map<string, true>();
  /** When each admission of the current window happened, oldest first. */
  private readonly admissions: number[] = [];
  private readonly now: () => number;

  constructor(private readonly options: StatementBudgetOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Whether the statement with this text may run as a named prepared statement. */
  admit(text: string): boolean {
    if (this.named.delete(text)) {
      this.named.set(text, true);
      return true;
    }
    const now = this.now();
    while (this.admissions.length > 0 && this.admissions[0]! <= now - this.options.windowMs) this.admissions.shift();
    if (this.admissions.length >= this.options.capacity) return false;
    this.admissions.push(now);
    this.named.set(text, true);
    if (this.named.size > this.options.capacity) this.named.delete(this.named.keys().next().value!);
    return true;
  }
}

type Callback = (sql: Sql) => unknown;

/**
 * `sql` whose named statements go through `budget`: a request to prepare a text the budget
 * refuses runs unnamed instead. Transactions and savepoints hand their callbacks the same wrapper.
 */
export function boundPreparedStatements<T extends Sql>(sql: T, budget: PreparedStatementBudget): T {
  const wrapCallback = (args: unknown[]) => {
    const fn = args.at(-1);
    if (typeof fn === 'function') args[args.length - 1] = (inner: Sql) => (fn as Callback)(boundPreparedStatements(inner, budget));
    return args;
  };
  return new Proxy(sql, {
    get(target, prop, receiver) {
      switch (prop) {
        case 'unsafe':
          return (text: string, params?: unknown[], options?: { prepare?: boolean }) =>
            target.unsafe(text, params as never, options?.prepare && !budget.admit(text) ? { ...options, prepare: false } : options);
        case 'begin':
          return (...args: unknown[]) => (target.begin as (...a: unknown[]) => unknown)(...wrapCallback(args));
        case 'savepoint':
          return (...args: unknown[]) => ((target as unknown as { savepoint: (...a: unknown[]) => unknown }).savepoint)(...wrapCallback(args));
        default:
          return Reflect.get(target, prop, receiver);
      }
    },
  });
}
