import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { genericallyPlanned, openPostgres, splitPool } from '../../src/db/client.js';
import { PreparedStatementBudget } from '../../src/db/prepared-statements.js';
import { createTestDatabase } from '../support/database.js';
import { createTestNode, type TestNode } from '../support/node.js';

const LIMIT = 40;
let node: TestNode;
let p1: Record<string, string>;

/** Named statements on the pool's one connection, as PostgreSQL counts them. */
async function preparedOnServer(): Promise<number> {
  const rows = (await node.deps.db.execute(sql`select count(*)::int as n from pg_prepared_statements`)) as unknown as Array<{ n: number }>;
  return rows[0]!.n;
}

async function list(query: string): Promise<unknown[]> {
  const res = await node.request('GET', `/artifacts/images?${query}`, { as: p1 });
  expect(res.status).toBe(200);
  return ((await res.json()) as { artifacts: unknown[] }).artifacts;
}

beforeAll(async () => {
  const created = await createTestDatabase();
  // One connection per pool (the main one and its generically planning twin), so that
  // pg_prepared_statements (per session) sees every statement the node names on each.
  const single = openPostgres(created.url, { poolSize: 2, preparedStatementLimit: LIMIT });
  node = await createTestNode({}, { ...single, drop: async () => { await single.close(); await created.drop(); } });
  p1 = node.as({ project: 'p1' });
  for (const [i, name] of ['a0', 'a1', 'a2'].entries()) {
    await node.seed('images', { name, version: `1.${i}.0`, tags: [`t${i}`], metadata: { k: `v${i}` } }, { as: p1, activate: true });
  }
});
afterAll(() => node.close());

// The plans first: the statements named here must be admitted before the budget's window is
// spent by the shapes the tests below make.
describe('plans', () => {
  /** How often PostgreSQL planned each named statement of a pool's one connection, and how. */
  async function plans(db: typeof node.deps.db): Promise<Array<{ statement: string; generic_plans: number; custom_plans: number }>> {
    return (await db.execute(sql`select statement, generic_plans::int, custom_plans::int from pg_prepared_statements`)) as unknown as Array<{
      statement: string;
      generic_plans: number;
      custom_plans: number;
    }>;
  }
  const byId = /where \("artifacts"\."id" = \$1/;
  const newestOfOneName = /order by "artifacts"\."version_key" desc, "artifacts"\."id" desc limit \$\d+$/;

  it('a show by id and the newest version of one name are planned once; a list by tag at every execution', async () => {
    const shown = (await list('name=a1'))[0] as { id: string };
    for (let i = 0; i < 4; i++) {
      const show = await node.request('GET', `/artifacts/images/${shown.id}`, { as: p1 });
      expect(show.status).toBe(200);
      expect(((await show.json()) as { name: string }).name).toBe('a1');
      expect(((await list('name=a2&version=gte:1.0.0&version=latest')) as Array<{ version: string }>).map((a) => a.version)).toEqual(['1.2.0']);
      expect(await list('tags=t0')).toHaveLength(1);
    }

    const twin = genericallyPlanned(node.deps.db);
    expect(twin).not.toBe(node.deps.db);
    const generic = await plans(twin as typeof node.deps.db);
    for (const shape of [byId, newestOfOneName]) {
      const planned = generic.filter((p) => shape.test(p.statement));
      expect(planned.length, String(shape)).toBeGreaterThan(0);
      expect(planned.reduce((n, p) => n + p.generic_plans, 0)).toBeGreaterThanOrEqual(4);
      expect(planned.every((p) => p.custom_plans === 0)).toBe(true);
    }
    const custom = (await plans(node.deps.db)).filter((p) => p.statement.includes('"filter_terms" @>') && !byId.test(p.statement));
    expect(custom.length).toBeGreaterThan(0);
    expect(custom.every((p) => p.generic_plans === 0)).toBe(true);
  });

  it('a list a name bounds is planned once, unless a tag or metadata filter needs its values planned', async () => {
    for (let i = 0; i < 4; i++) {
      expect(((await list('name=a1&version=gte:1.0.0&sort=name:asc,version:desc')) as Array<{ name: string }>).map((a) => a.name)).toEqual(['a1']);
      expect(((await list('name=a2&tags=t2')) as Array<{ name: string }>).map((a) => a.name)).toEqual(['a2']);
      expect(await list('name=a2&tags=t0')).toHaveLength(0);
    }
    const byName = (p: { statement: string }) => /"artifacts"\."name" = \$\d+/.test(p.statement) && !newestOfOneName.test(p.statement);
    const generic = (await plans(genericallyPlanned(node.deps.db) as typeof node.deps.db)).filter(byName);
    expect(generic.length).toBeGreaterThan(0);
    expect(generic.every((p) => !p.statement.includes('"filter_terms"'))).toBe(true);
    expect(generic.reduce((n, p) => n + p.generic_plans, 0)).toBeGreaterThanOrEqual(4);
    expect(generic.every((p) => p.custom_plans === 0)).toBe(true);
    const withTag = (await plans(node.deps.db)).filter((p) => byName(p) && p.statement.includes('"filter_terms" @>'));
    expect(withTag.length).toBeGreaterThan(0);
    expect(withTag.reduce((n, p) => n + p.custom_plans, 0)).toBeGreaterThanOrEqual(8);
    expect(withTag.every((p) => p.generic_plans === 0)).toBe(true);
  });

  it('the twin takes a quarter of database.pool_size (rounded up), never more connections than configured', () => {
    expect(splitPool(10)).toEqual({ main: 7, generic: 3 });
    expect(splitPool(4)).toEqual({ main: 3, generic: 1 });
    expect(splitPool(2)).toEqual({ main: 1, generic: 1 });
    expect(splitPool(1)).toEqual({ main: 1, generic: 0 });
    expect(splitPool(10, false)).toEqual({ main: 10, generic: 0 });
  });

  it('inside a transaction, a show runs on the transaction (it sees its own uncommitted change)', async () => {
    const shown = (await list('name=a0'))[0] as { id: string };
    await node.deps.db
      .transaction(async (tx) => {
        expect(genericallyPlanned(tx)).toBe(tx);
        await tx.execute(sql`update artifacts set description = 'in the transaction' where id = ${shown.id}`);
        const { findArtifact } = await import('../../src/db/queries/artifacts.js');
        const seen = await findArtifact(tx, { id: shown.id, sight: { kind: 'all' } });
        expect(seen?.description).toBe('in the transaction');
        tx.rollback();
      })
      .catch((err: unknown) => {
        if (!(err instanceof Error) || !/rollback/i.test(err.message)) throw err;
      });
  });
});

describe('filters whose values travel as one array', () => {
  it('answer in:, eq and neq on JSON lists, integers, ids and dates as before', async () => {
    const a = await node.seed('vnf_packages', { name: 'vnf-a', vendor: 'v', vcpus: 8, ports: ['mgmt', 'data'] }, { as: p1 });
    const b = await node.seed('vnf_packages', { name: 'vnf-b', vendor: 'v', vcpus: 16, ports: ['data-2'] }, { as: p1 });
    const names = async (query: string) => {
      const res = await node.request('GET', `/artifacts/vnf_packages?${query}&sort=name:asc`, { as: p1 });
      expect(res.status).toBe(200);
      return ((await res.json()) as { artifacts: Array<{ name: string }> }).artifacts.map((x) => x.name);
    };
    expect(await names('ports=in:data,data-2')).toEqual(['vnf-a', 'vnf-b']);
    expect(await names('ports=in:mgmt,nothing')).toEqual(['vnf-a']);
    expect(await names('ports=data-2')).toEqual(['vnf-b']);
    expect(await names('ports=neq:data-2')).toEqual(['vnf-a']);
    expect(await names('vcpus=in:16,32')).toEqual(['vnf-b']);
    expect(await names(`id=in:${a.id},${b.id}`)).toEqual(['vnf-a', 'vnf-b']);
    // Dates filter with lt and gt only, as in Glare (wrappers.py get_allowed_filter_ops).
    expect(await names('created_at=gt:2001-01-01T00:00:00Z')).toEqual(['vnf-a', 'vnf-b']);
    expect(await names('created_at=lt:2001-01-01T00:00:00Z')).toEqual([]);
  });
});

describe('PreparedStatementBudget', () => {
  it('keeps the most recently used texts and admits at most capacity new ones per window', () => {
    let now = 0;
    const budget = new PreparedStatementBudget({ capacity: 2, windowMs: 1000, now: () => now });
    expect(budget.admit('a')).toBe(true);
    expect(budget.admit('b')).toBe(true);
    expect(budget.admit('c')).toBe(false); // window full
    expect(budget.admit('a')).toBe(true); // still named
    now = 1000;
    expect(budget.admit('c')).toBe(true); // evicts b, the least recently used
    expect(budget.admit('a')).toBe(true);
    expect(budget.admit('d')).toBe(true);
    expect(budget.admit('b')).toBe(false);
  });
});

describe('prepared statements', () => {
  it('any number of in: values or tags is one statement shape', async () => {
    const before = await preparedOnServer();
    for (let n = 1; n <= 60; n++) {
      const names = Array.from({ length: n }, (_, i) => `a${i}`);
      expect(await list(`name=in:${names.join(',')}`)).toHaveLength(Math.min(n, 3));
      expect(await list(`tags-any=${Array.from({ length: n }, (_, i) => `t${i}`).join(',')}`)).toHaveLength(Math.min(n, 3));
      expect(await list(`version=in:${Array.from({ length: n }, (_, i) => `1.${i}.0`).join(',')}`)).toHaveLength(Math.min(n, 3));
    }
    // A handful of shapes (page, count per filter kind), not 180.
    expect((await preparedOnServer()) - before).toBeLessThanOrEqual(12);
  });

  it('shapes that cannot be folded (ranges of n sets, m conditions) stay under the limit, and still answer right', async () => {
    for (let n = 0; n < 3 * LIMIT; n++) {
      const range = ['1.0.0', '1.2.0', ...Array.from({ length: n % 20 }, (_, i) => `9.${i}.0`)].join(' || ');
      const excluded = Array.from({ length: Math.floor(n / 20) + 1 }, (_, i) => `name=neq:x${i}`).join('&');
      expect(await list(`version=${encodeURIComponent(range)}&${excluded}`)).toHaveLength(2);
    }
    expect(await preparedOnServer()).toBeLessThanOrEqual(2 * LIMIT);
  });
});
