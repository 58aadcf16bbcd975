/** @module Queries over artifacts and their shares. Each function aims for one statement. */
import { and, count, eq, sql, type SQL } from 'drizzle-orm';
import type { ListQuery } from '../../artifacts/filters.js';
import type { ListCounts } from '../../artifacts/list-counts.js';
import type { Visibility } from '../../artifacts/policy.js';
import { BadRequest } from '../../errors.js';
import type { Db, Tx } from '../client.js';
import { artifactBlobs, artifactColumns, artifactShares, artifacts, type ArtifactRow, type BlobRow, type NewArtifactRow } from '../schema/index.js';
import { conflictOnDuplicate } from './errors.js';
import { afterMarker, companionTermsWhere, fieldExpr, filterWhere, orderBy, visibleWhere } from './predicates.js';

type Conn = Db | Tx;

export async function insertArtifact(db: Conn, row: NewArtifactRow): Promise<ArtifactRow> {
  const [inserted] = await conflictOnDuplicate(
    () => db.insert(artifacts).values(row).returning(artifactColumns),
    `an artifact of type ${row.typeName} named "${row.name}" with version ${row.version} already exists in project ${row.owner}`,
  );
  return inserted!;
}

export async function findVisibleArtifact(
  db: Conn,
  q: { id: string; typeName?: string; visibleTo: Visibility; forUpdate?: boolean },
): Promise<ArtifactRow | undefined> {
  const query = db
    .select(artifactColumns)
    .from(artifacts)
    .where(and(eq(artifacts.id, q.id), q.typeName ? eq(artifacts.typeName, q.typeName) : undefined, visibleWhere(q.visibleTo)))
    .limit(1);
  // forUpdate locks the row for the rest of the transaction (read-modify-write of one artifact).
  const [row] = await (q.forUpdate ? query.for('update', { of: artifacts }) : query.prepare('show_artifact').execute());
  return row;
}

export async function updateArtifact(db: Conn, id: string, values: Partial<NewArtifactRow>, conflictMessage: string): Promise<ArtifactRow> {
  const [row] = await conflictOnDuplicate(() => db.update(artifacts).set(values).where(eq(artifacts.id, id)).returning(artifactColumns), conflictMessage);
  return row!;
}

export async function deleteArtifact(db: Conn, id: string): Promise<void> {
  await db.delete(artifacts).where(eq(artifacts.id, id));
}

/** Whether another public artifact already has this type, name and version. */
export async function publicTwinExists(db: Conn, row: Pick<ArtifactRow, 'id' | 'typeName' | 'name' | 'version'>): Promise<boolean> {
  const [found] = await db
    .select({ id: artifacts.id })
    .from(artifacts)
    .where(
      and(
        eq(artifacts.typeName, row.typeName),
        eq(artifacts.name, row.name),
        eq(artifacts.version, row.version),
        eq(artifacts.visibility, 'public'),
        sql`${artifacts.id} <> ${row.id}`,
      ),
    )
    .limit(1);
  return found !== undefined;
}

export interface ListResult {
  rows: ArtifactRow[];
  total: number;
}

/**
 * One page of a list and its total count. The page comes first: a first page shorter than the
 * limit is the whole list, so its length is the count and no count statement runs (the common
 * case of "latest foo in range"). Otherwise the count goes through `counts`, which may remember it.
 */
export async function listArtifacts(
  db: Conn,
  q: { typeName?: string; query: ListQuery; visibleTo: Visibility; counts: Pick<ListCounts, 'count'> },
): Promise<ListResult> {
  const { query } = q;
  const base = and(
    q.typeName ? eq(artifacts.typeName, q.typeName) : undefined,
    visibleWhere(q.visibleTo),
    ...query.filters.map(filterWhere),
    companionTermsWhere({ typeName: q.typeName, visibleTo: q.visibleTo, filters: query.filters }),
  );
  // "latest": of the rows that pass every filter, only the newest version of each name.
  const scope: SQL | undefined = query.latest
    ? sql`${artifacts.id} in (select distinct on (${artifacts.typeName}, ${artifacts.name}) ${artifacts.id} from ${artifacts} where ${base ?? sql`true`} order by ${artifacts.typeName}, ${artifacts.name}, ${artifacts.versionKey} desc)`
    : base;

  let page: SQL | undefined = scope;
  if (query.marker) {
    const [marker] = await db
      .select({ values: sql<unknown[]>`json_build_array(${sql.join(query.sort.map((k) => fieldExpr(k.field)), sql`, `)})` })
      .from(artifacts)
      .where(and(eq(artifacts.id, query.marker), q.typeName ? eq(artifacts.typeName, q.typeName) : undefined, visibleWhere(q.visibleTo)))
      .prepare('list_marker')
      .execute();
    if (!marker) throw new BadRequest(`marker ${query.marker} is not an artifact in this list`);
    page = and(scope, afterMarker(query.sort, marker.values, query.marker));
  }

  const rows =
    query.limit === 0
      ? []
      : await db
          .select(artifactColumns)
          .from(artifacts)
          .where(page)
          .orderBy(...orderBy(query.sort))
          .limit(query.limit)
          .prepare('list_page')
          .execute();
  if (!query.marker && query.limit > 0 && rows.length < query.limit) return { rows, total: rows.length };

  const counting = db.select({ n: count() }).from(artifacts).where(scope);
  const statement = counting.toSQL();
  const total = await q.counts.count(`${statement.sql}\u0000${JSON.stringify(statement.params)}`, async () => {
    const [totals] = await counting.prepare('list_count').execute();
    return Number(totals?.n ?? 0);
  });
  return { rows, total };
}

export async function countOwnedArtifacts(db: Conn, owner: string, typeName?: string): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(artifacts)
    .where(and(eq(artifacts.owner, owner), typeName ? eq(artifacts.typeName, typeName) : undefined));
  return Number(row?.n ?? 0);
}

export async function findBlobsOf(db: Conn, artifactIds: readonly string[]): Promise<BlobRow[]> {
  if (artifactIds.length === 0) return [];
  // One array parameter: the same statement text for any number of artifacts, so it prepares once.
  return db
    .select()
    .from(artifactBlobs)
    .where(sql`${artifactBlobs.artifactId} = any(${sql.param([...artifactIds])}::uuid[])`)
    .prepare('blobs_of')
    .execute();
}

export async function insertShare(db: Conn, artifactId: string, project: string): Promise<void> {
  await db.insert(artifactShares).values({ artifactId, project }).onConflictDoNothing();
}

export async function deleteShare(db: Conn, artifactId: string, project: string): Promise<boolean> {
  const removed = await db
    .delete(artifactShares)
    .where(and(eq(artifactShares.artifactId, artifactId), eq(artifactShares.project, project)))
    .returning({ project: artifactShares.project });
  return removed.length > 0;
}

export async function listShares(db: Conn, artifactId: string): Promise<Array<{ project: string; createdAt: Date }>> {
  return db
    .select({ project: artifactShares.project, createdAt: artifactShares.createdAt })
    .from(artifactShares)
    .where(eq(artifactShares.artifactId, artifactId))
    .orderBy(artifactShares.project);
}
