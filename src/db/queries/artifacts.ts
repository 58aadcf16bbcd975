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

/** An artifact row with its blob rows, read in one statement. */
export type ArtifactWithBlobs = ArtifactRow & { blobs: BlobRow[] };

/**
 * The artifact's blob rows as one JSON array in the artifact's own row: shows and lists read an
 * artifact and its blobs in one statement (one round trip, one plan) instead of two.
 */
// Spelled out with a table alias: drizzle leaves columns unqualified in a single-table select
// list, where "id" would name the blob's id inside the subquery rather than the artifact's.
const blobsOfRow = sql<BlobRow[]>`coalesce((select json_agg(json_build_object(
  'id', b.id, 'artifactId', b.artifact_id, 'field', b.field, 'key', b.key, 'status', b.status, 'external', b.external,
  'url', b.url, 'size', b.size, 'md5', b.md5, 'sha1', b.sha1, 'sha256', b.sha256, 'contentType', b.content_type,
  'store', b.store, 'locator', b.locator, 'createdAt', b.created_at, 'updatedAt', b.updated_at))
  from ${artifactBlobs} b where b.artifact_id = ${sql.raw('"artifacts"."id"')}), '[]'::json)`.mapWith(parseBlobRows);

function parseBlobRows(value: unknown): BlobRow[] {
  // postgres.js parses json; a driver that does not hands over the text.
  const items = (typeof value === 'string' ? JSON.parse(value) : value) as Array<BlobRow & { createdAt: string; updatedAt: string }>;
  return items.map((b) => ({ ...b, createdAt: new Date(b.createdAt), updatedAt: new Date(b.updatedAt) }));
}

const artifactWithBlobsColumns = { ...artifactColumns, blobs: blobsOfRow };

/** The artifact with this id, of this type if given, if the caller may see it. */
function visibleArtifactWhere(q: { id: string; typeName?: string | undefined; visibleTo: Visibility }): SQL | undefined {
  return and(eq(artifacts.id, q.id), q.typeName ? eq(artifacts.typeName, q.typeName) : undefined, visibleWhere(q.visibleTo));
}

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
  const query = db.select(artifactColumns).from(artifacts).where(visibleArtifactWhere(q)).limit(1);
  // forUpdate locks the row for the rest of the transaction (read-modify-write of one artifact).
  const [row] = await (q.forUpdate ? query.for('update', { of: artifacts }) : query.prepare('show_artifact').execute());
  return row;
}

/** What a show answers: the artifact, if the caller may see it, with its blobs. */
export async function showVisibleArtifact(db: Conn, q: { id: string; typeName?: string; visibleTo: Visibility }): Promise<ArtifactWithBlobs | undefined> {
  const [row] = await db.select(artifactWithBlobsColumns).from(artifacts).where(visibleArtifactWhere(q)).limit(1).prepare('show_artifact_with_blobs').execute();
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
  rows: ArtifactWithBlobs[];
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
      .where(visibleArtifactWhere({ id: query.marker, typeName: q.typeName, visibleTo: q.visibleTo }))
      .prepare('list_marker')
      .execute();
    if (!marker) throw new BadRequest(`marker ${query.marker} is not an artifact in this list`);
    page = and(scope, afterMarker(query.sort, marker.values, query.marker));
  }

  const rows =
    query.limit === 0
      ? []
      : await db
          .select(artifactWithBlobsColumns)
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
