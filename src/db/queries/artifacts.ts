/**
 * @module Queries over artifacts and their shares. Each function aims for one statement, and
 * speaks the domain's types: rows become `Artifact`s here and nowhere else.
 */
import { and, count, desc, eq, fillPlaceholders, inArray, is, or, Placeholder, sql, type SQL } from 'drizzle-orm';
import type { Artifact, BlobInfo } from '../../artifacts/artifact.js';
import type { Filter, ListQuery } from '../../artifacts/list-query.js';
import type { ListCounts } from '../../artifacts/list-counts.js';
import type { Sight } from '../../artifacts/policy.js';
import { parseVersion, toStoredVersion } from '../../artifacts/versions.js';
import { ARTIFACT_ID } from '../../artifacts/names.js';
import { BadRequest } from '../../errors.js';
import { genericallyPlanned, type Db, type Tx } from '../client.js';
import { artifactBlobs, artifactColumns, artifactShares, artifacts, PUBLIC_TWIN_INDEX, type ArtifactRow, type BlobRow, type NewArtifactRow } from '../schema/index.js';
import { conflictOnDuplicate } from './errors.js';
import { Bindings, listShape, markerShape, ShapeCache } from './list-statements.js';
import { partedOrder, partJoin, type ListPart, type PartedOrder } from './list-parts.js';
import { afterMarker, companionTermsWhere, filterWhere, orderBy, orderTerms, visibleRowWhere, visibleWhere, visibleWhereOf } from './predicates.js';

type Conn = Db | Tx;

type ArtifactWithBlobs = ArtifactRow & { blobs: BlobRow[] };

/** The properties of an artifact that its row stores (everything but id, blobs and creation). */
export type ArtifactRecord = Omit<Artifact, 'id' | 'blobs'>;

function toBlobInfo(b: BlobRow): BlobInfo {
  return {
    id: b.id,
    field: b.field,
    key: b.key,
    status: b.status,
    external: b.external,
    url: b.url,
    size: b.size,
    md5: b.md5,
    sha1: b.sha1,
    sha256: b.sha256,
    contentType: b.contentType,
    store: b.store,
    locator: b.locator,
    createdAt: b.createdAt,
    updatedAt: b.updatedAt,
  };
}

function toArtifact(row: ArtifactWithBlobs | ArtifactRow): Artifact {
  return {
    id: row.id,
    typeName: row.typeName,
    typeVersion: row.typeVersion,
    name: row.name,
    version: row.version,
    description: row.description,
    tags: row.tags,
    metadata: row.metadata,
    requires: row.requires,
    owner: row.owner,
    visibility: row.visibility,
    status: row.status,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    activatedAt: row.activatedAt,
    providedBy: row.providedBy ?? null,
    supportedBy: row.supportedBy ?? null,
    license: row.license,
    licenseUrl: row.licenseUrl,
    release: row.release,
    fields: row.fields,
    blobs: 'blobs' in row ? row.blobs.map(toBlobInfo) : [],
  };
}

/** Column values for an artifact's stored properties; the version's sort columns come from its text. */
function toRow(record: Partial<ArtifactRecord>): Partial<NewArtifactRow> {
  const { providedBy, supportedBy, licenseUrl, version, ...rest } = record;
  return {
    ...rest,
    ...(version !== undefined ? toStoredVersion(parseVersion(version)) : {}),
    ...(providedBy !== undefined ? { providedBy } : {}),
    ...(supportedBy !== undefined ? { supportedBy } : {}),
    ...(licenseUrl !== undefined ? { licenseUrl } : {}),
  };
}

/**
 * The artifact's blob rows as one JSON array in the artifact's own row: shows and lists read an
 * artifact and its blobs in one statement (one round trip, one plan) instead of two.
 */
// Spelled out with a table alias: drizzle leaves columns unqualified in a single-table select
// list, where "id" would name the blob's id inside the subquery rather than the artifact's.
const blobsOfRow = sql<BlobRow[]>`coalesce((select json_agg(json_build_object(
  'id', b.id, 'artifactId', b.artifact_id, 'field', b.field, 'key', b.key, 'status', b.status, 'external', b.external,
  'url', b.url, 'size', b.size, 'md5', b.md5, 'sha1', b.sha1, 'sha256', b.sha256, 'contentType', b.content_type,
  'store', b.store, 'locator', b.locator, 'leaseExpiresAt', b.lease_expires_at, 'createdAt', b.created_at, 'updatedAt', b.updated_at))
  from ${artifactBlobs} b where b.artifact_id = ${sql.raw('"artifacts"."id"')}
  -- liveBlob (queries/blobs.ts), on the alias: an abandoned upload is no blob
  and not coalesce(b.status = 'saving' and b.lease_expires_at < now(), false)), '[]'::json)`.mapWith(parseBlobRows);

function parseBlobRows(value: unknown): BlobRow[] {
  // postgres.js parses json; a driver that does not hands over the text.
  const items = (typeof value === 'string' ? JSON.parse(value) : value) as Array<BlobRow & { leaseExpiresAt: string | null; createdAt: string; updatedAt: string }>;
  return items.map((b) => ({
    ...b,
    leaseExpiresAt: b.leaseExpiresAt === null ? null : new Date(b.leaseExpiresAt),
    createdAt: new Date(b.createdAt),
    updatedAt: new Date(b.updatedAt),
  }));
}

const artifactWithBlobsColumns = { ...artifactColumns, blobs: blobsOfRow };

/** The artifact with this id, of this type if given, if the caller may see it. */
function visibleArtifactWhere(q: { id: string; typeName?: string | undefined; sight: Sight }): SQL | undefined {
  return and(eq(artifacts.id, q.id), q.typeName ? eq(artifacts.typeName, q.typeName) : undefined, visibleWhere(q.sight));
}

type Identity = Pick<ArtifactRecord, 'typeName' | 'name' | 'version' | 'owner'>;

const duplicateMessage = (a: Identity) => `an artifact of type ${a.typeName} named "${a.name}" with version ${a.version} already exists in project ${a.owner}`;

/** Which unique index a duplicate broke decides the message: the owner's own, or a public twin's. */
const duplicateMessages = (a: Identity) => ({
  [PUBLIC_TWIN_INDEX]: `a public ${a.typeName} named "${a.name}" with version ${a.version} already exists`,
});

/** `id`: chosen by the caller (an import assigns ids before it inserts, so links can name them), or by the database. */
export async function insertArtifact(db: Conn, record: ArtifactRecord & { id?: string }): Promise<Artifact> {
  const row = toRow(record) as NewArtifactRow;
  const [inserted] = await conflictOnDuplicate(
    () => db.insert(artifacts).values(row).returning(artifactColumns),
    duplicateMessage(record),
    duplicateMessages(record),
  );
  return toArtifact(inserted!);
}

/**
 * The artifact with its blobs, if `sight` sees it (and it is of `typeName`, when given).
 * `forUpdate` locks the row for the rest of the transaction: every state-dependent write
 * reads the artifact this way, so it acts on the status it checked.
 */
export async function findArtifact(
  db: Conn,
  q: { id: string; typeName?: string; sight: Sight; forUpdate?: boolean },
): Promise<Artifact | undefined> {
  // An id that is no UUID names no artifact (Glare answers 404 for it, as for any unknown id).
  if (!ARTIFACT_ID.test(q.id)) return undefined;
  if (q.forUpdate) {
    const [locked] = await db.select({ id: artifacts.id }).from(artifacts).where(visibleArtifactWhere(q)).limit(1).for('update', { of: artifacts });
    if (!locked) return undefined;
    // A second statement, so its snapshot is taken once the lock is held: a statement that
    // waited for the lock would still read the blob rows as they were before it waited.
  }
  // By primary key: one plan fits every id.
  const [row] = await showStatement(genericallyPlanned(db), q.typeName !== undefined, q.sight.kind).execute({
    id: q.id,
    typeName: q.typeName,
    projectId: q.sight.kind === 'project' ? q.sight.projectId : '',
  });
  return row && toArtifact(row);
}

/**
 * Show's statement for a shape (of one type or any, the caller's kind of sight), built by drizzle
 * once per database handle with placeholders, its parameters bound per execution: building the
 * text of a 26-column select is a good part of the CPU a show costs the node (bench/README.md).
 */
const showStatements = new WeakMap<Conn, Map<string, ReturnType<typeof prepareShow>>>();

function showStatement(db: Conn, typed: boolean, sight: Sight['kind']): ReturnType<typeof prepareShow> {
  let shapes = showStatements.get(db);
  if (!shapes) showStatements.set(db, (shapes = new Map()));
  const shape = `${typed}:${sight}`;
  let statement = shapes.get(shape);
  if (!statement) shapes.set(shape, (statement = prepareShow(db, typed, sight)));
  return statement;
}

function prepareShow(db: Conn, typed: boolean, sight: Sight['kind']) {
  return db
    .select(artifactWithBlobsColumns)
    .from(artifacts)
    .where(
      and(
        eq(artifacts.id, sql.placeholder('id')),
        typed ? eq(artifacts.typeName, sql.placeholder('typeName')) : undefined,
        visibleWhereOf(sight, sql.placeholder('projectId')),
      ),
    )
    .limit(1)
    .prepare('show_artifact_with_blobs');
}

/** The artifacts with these ids that `sight` sees, with their blobs, in one statement (order not kept). */
export async function findArtifactsByIds(db: Conn, q: { ids: readonly string[]; sight: Sight }): Promise<Artifact[]> {
  const ids = [...new Set(q.ids.filter((id) => ARTIFACT_ID.test(id)))];
  if (ids.length === 0) return [];
  const rows = await db.select(artifactWithBlobsColumns).from(artifacts).where(and(inArray(artifacts.id, ids), visibleWhere(q.sight)));
  return rows.map(toArtifact);
}

/** Of these ids, the ones some artifact has, whoever may see it: tells an invisible target from a missing one. */
export async function existingArtifactIds(db: Conn, ids: readonly string[]): Promise<Set<string>> {
  const wanted = [...new Set(ids.filter((id) => ARTIFACT_ID.test(id)))];
  if (wanted.length === 0) return new Set();
  const rows = await db.select({ id: artifacts.id }).from(artifacts).where(inArray(artifacts.id, wanted));
  return new Set(rows.map((r) => r.id));
}

export async function updateArtifactRecord(db: Conn, current: Artifact, changes: Partial<ArtifactRecord>): Promise<Artifact> {
  const [row] = await conflictOnDuplicate(
    () => db.update(artifacts).set(toRow(changes)).where(eq(artifacts.id, current.id)).returning(artifactWithBlobsColumns),
    duplicateMessage({ ...current, ...changes }),
    duplicateMessages({ ...current, ...changes }),
  );
  return toArtifact(row!);
}

export async function deleteArtifact(db: Conn, id: string): Promise<void> {
  await db.delete(artifacts).where(eq(artifacts.id, id));
}

/**
 * Whether another public artifact already has this type, name and version: an early, friendly
 * answer. The unique index PUBLIC_TWIN_INDEX is what holds when publishes race.
 */
export async function publicTwinExists(db: Conn, row: Pick<Artifact, 'id' | 'typeName' | 'name' | 'version'>): Promise<boolean> {
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
  rows: Artifact[];
  /** How many artifacts the list holds: exactly when `totalExact`, else an estimate above the threshold (see below). */
  total: number;
  totalExact: boolean;
}

/**
 * One page of a list and its total count, in bounded time however broad the filters:
 *
 * - a first page shorter than its limit is the whole list: its length is the count, exactly; so
 *   is a first page that covers every row the filters allow (`latest` of one type and as many
 *   names as a name equality or `in` gives: one row per name);
 * - otherwise, unless a name or id equality bounds the list to one name's versions, PostgreSQL's
 *   estimate of the list's size is asked beside the page (EXPLAIN: planned, no row read). Above
 *   `exactCountUpTo` the total is that estimate (at least `exactCountUpTo + 1`), not exact:
 *   counting a broad filter exactly reads every matching row, and even stopping early still
 *   builds the whole bitmap of a GIN index scan (bench/README.md);
 * - else the rows are counted up to `exactCountUpTo + 1`: exact up to the threshold, and past it
 *   (the estimate was low) `exactCountUpTo + 1`, not exact. That count goes through `counts`,
 *   which may remember it.
 */
export async function listArtifacts(db: Conn, q: ListArgs & { counts: Pick<ListCounts, 'count'> }): Promise<ListResult> {
  return readList(db, q, q.counts);
}

/**
 * One page of a list and nothing else, for a reader that shows no total (a federated search's
 * page): no estimate and no count is run beside it.
 */
export async function listArtifactRows(db: Conn, q: ListArgs): Promise<Artifact[]> {
  return (await readList(db, q, undefined)).rows;
}

interface ListArgs {
  typeName?: string | undefined;
  query: ListQuery;
  sight: Sight;
  /** Counts stop one row past this; a list sorted by a computed key is read in parts past it. */
  exactCountUpTo: number;
}

/** The page, and its total when `counts` is given. */
async function readList(db: Conn, q: ListArgs, counts: Pick<ListCounts, 'count'>): Promise<ListResult>;
async function readList(db: Conn, q: ListArgs, counts: undefined): Promise<Pick<ListResult, 'rows'>>;
async function readList(db: Conn, q: ListArgs, counts: Pick<ListCounts, 'count'> | undefined): Promise<ListResult | Pick<ListResult, 'rows'>> {
  const { query, sight } = q;
  const typed = q.typeName !== undefined;
  const markerValues = query.marker ? await markerValuesOf(db, q, query.marker) : undefined;
  // A list sorted by one computed key (relevance, downloads, rating) may be read in parts, each
  // in an index's order (list-parts.ts); every other list is one statement compiled per shape.
  const parted = query.latest ? undefined : partedOrder(query.sort, markerValues && { values: markerValues, id: query.marker! });
  if (parted) return listInParts(db, q, counts, parted, markerValues);

  // The request's parts, its values bound: cheap to build; the statements are compiled from
  // them only the first time this shape is seen.
  const b = new Bindings();
  const typeIs = typed ? eq(artifacts.typeName, b.bind(q.typeName)) : undefined;
  const visible = visibleWhereOf(sight.kind, sight.kind === 'project' ? b.bind(sight.projectId) : '');
  const filtered = and(
    visible,
    ...query.filters.map((f) => filterWhere(f, b.bind)),
    query.anyOf?.length ? or(...query.anyOf.map((f) => filterWhere(f, b.bind))) : undefined,
  );
  const companion = companionTermsWhere({ typeName: q.typeName, sight, filters: query.filters }, b.bind);
  const after = markerValues ? afterMarker(query.sort, markerValues, query.marker!, b.bind) : undefined;
  // The newest version of one name of one type is at most one row, whatever the sort: the top of
  // that name's versions, read down the (name, version_key) index without the semi-join that
  // `latest` over many names needs.
  const newestOfOneName = !markerValues && query.limit > 0 && query.latest && typed && query.filters.some(isNameEquality);
  const order = newestOfOneName ? [desc(artifacts.versionKey), desc(artifacts.id)] : orderBy(query.sort, b.bind);
  const limit = newestOfOneName ? 1 : b.bind(query.limit);
  const beyond = q.exactCountUpTo + 1;
  const countLimit = b.bind(beyond);
  const bounded = boundedByName(query);

  const shape = listShape({ typed, sight: sight.kind, query, markerValues });
  // Planned once per connection when one plan suits every value: the top of one name's versions
  // (read down its index), or a list a name bounds with only plain comparisons besides.
  const runOn = newestOfOneName || (bounded && onlyPlainComparisons(query)) ? genericallyPlanned(db) : db;
  const statements = listStatements.get(runOn, shape, () =>
    compileList(runOn, { latest: query.latest, newestOfOneName, typeIs, filtered, companion, after, order, limit, countLimit, estimate: !bounded }),
  );
  // A shape whose text depended on a value the shape leaves out would bind a different number.
  if (statements.placeholders !== b.size) throw new Error(`list shape "${shape}" bound ${b.size} values for ${statements.placeholders} placeholders`);

  const [found, estimate] = await Promise.all([
    query.limit === 0 ? [] : statements.page.execute(b.values),
    statements.estimate && counts ? statements.estimate.execute(b.values).then(planRows) : undefined,
  ]);
  const rows = found.map(toArtifact);
  if (!counts) return { rows };
  if (!query.marker && query.limit > 0 && (rows.length < query.limit || (bound(q.typeName, query) ?? Infinity) <= query.limit)) {
    return { rows, total: rows.length, totalExact: true };
  }
  if (estimate !== undefined && estimate > q.exactCountUpTo) return { rows, total: Math.max(estimate, beyond), totalExact: false };

  const { sql: countText, params } = statements.countQuery;
  const counted = await counts.count(`${countText}\u0000${JSON.stringify(fillPlaceholders(params, b.values))}`, async () => {
    const [totals] = await statements.count.execute(b.values);
    return Number(totals?.n ?? 0);
  });
  return { rows, total: counted, totalExact: counted <= q.exactCountUpTo };
}

/** A list's parts, their values bound to placeholders (listArtifacts). */
interface ListParts {
  latest: boolean;
  /** The page is the one row of the newest version: no `latest` semi-join, no sort but by version. */
  newestOfOneName: boolean;
  typeIs: SQL | undefined;
  filtered: SQL | undefined;
  companion: SQL | undefined;
  after: SQL | undefined;
  order: SQL[];
  limit: Placeholder | number;
  countLimit: Placeholder;
  estimate: boolean;
}

/** The statements of one list shape: the page, the planner's estimate, the capped count. */
function compileList(db: Conn, p: ListParts) {
  const scopeOf = (where: SQL | undefined): SQL | undefined => (p.latest ? latestOnly(where) : where);
  const scope = scopeOf(and(p.typeIs, p.filtered, p.companion));
  const page = db.select(artifactWithBlobsColumns).from(artifacts).where(p.newestOfOneName ? and(p.typeIs, p.filtered, p.companion) : and(scope, p.after)).orderBy(...p.order).limit(p.limit);
  // Without the companion terms, which repeat the type and visibility conditions: the planner
  // would take them as independent and estimate the list several times too small.
  const estimate = p.estimate ? db.execute(sql`explain (format json) select 1 from ${artifacts} where ${scopeOf(and(p.typeIs, p.filtered)) ?? sql`true`}`).getQuery() : undefined;
  // The companion terms hold the type: the count (which needs no order) leaves the type_name
  // equality out, which would only tempt the planner to AND in a btree over the whole type.
  const countScope = p.companion ? scopeOf(and(p.filtered, p.companion)) : scope;
  const matching = db.select({ one: sql<number>`1`.as('one') }).from(artifacts).where(countScope).limit(p.countLimit).as('matching');
  const counting = db.select({ n: count() }).from(matching);
  const countQuery = counting.toSQL();
  return {
    page: page.prepare('list_page'),
    estimate: estimate && db._.session.prepareQuery(estimate, undefined, 'list_estimate', false),
    count: counting.prepare('list_count'),
    countQuery,
    placeholders: new Set([...page.toSQL().params, ...countQuery.params, ...(estimate?.params ?? [])].filter((v) => is(v, Placeholder)).map((v) => (v as Placeholder).name)).size,
  };
}

/** Shapes kept compiled per database handle: far more than the shapes a catalog's clients send. */
const LIST_SHAPES_KEPT = 200;
const listStatements = new ShapeCache<ReturnType<typeof compileList>>(LIST_SHAPES_KEPT);

/** The marker row's sort values (in the caller's sight), by a statement compiled once per sort shape. */
async function markerValuesOf(db: Conn, q: { typeName?: string | undefined; query: ListQuery; sight: Sight }, marker: string): Promise<unknown[]> {
  const b = new Bindings();
  const values = sql<unknown[]>`json_build_array(${sql.join(orderTerms(q.query.sort, b.bind).map((t) => t.expr), sql`, `)})`;
  const where = and(
    eq(artifacts.id, b.bind(marker)),
    q.typeName !== undefined ? eq(artifacts.typeName, b.bind(q.typeName)) : undefined,
    visibleWhereOf(q.sight.kind, q.sight.kind === 'project' ? b.bind(q.sight.projectId) : ''),
  );
  const statement = markerStatements.get(db, markerShape({ typed: q.typeName !== undefined, sight: q.sight.kind, sort: q.query.sort }), () =>
    db.select({ values }).from(artifacts).where(where).prepare('list_marker'),
  );
  const [row] = await statement.execute(b.values);
  if (!row) throw new BadRequest(`marker ${marker} is not an artifact in this list`);
  return row.values;
}

const markerStatements = new ShapeCache<{ execute(values: Record<string, unknown>): Promise<Array<{ values: unknown[] }>> }>(LIST_SHAPES_KEPT);

/**
 * The most rows the list can hold, when its filters alone say: a `latest` list of one type keeps
 * one version of each name, and a name equality (or `in`) allows so many names.
 */
function bound(typeName: string | undefined, query: ListQuery): number | undefined {
  if (!query.latest || typeName === undefined) return undefined;
  const names = query.filters.find((f) => f.kind === 'compare' && f.field.name === 'name' && (f.op === 'eq' || f.op === 'in'));
  return names?.kind === 'compare' ? (names.op === 'eq' ? 1 : names.values.length) : undefined;
}

function isNameEquality(f: Filter): boolean {
  return f.kind === 'compare' && f.field.name === 'name' && f.op === 'eq';
}

/**
 * A list sorted by one computed key, read in parts when it is too large to count (predicates.ts
 * SEARCH_TIERS, list-parts.ts); built per request, as these sorts are rarer than field sorts.
 */
async function listInParts(
  db: Conn,
  q: ListArgs,
  counts: Pick<ListCounts, 'count'> | undefined,
  parted: PartedOrder,
  markerValues: unknown[] | undefined,
): Promise<ListResult | Pick<ListResult, 'rows'>> {
  const { query } = q;
  const typeIs = q.typeName ? eq(artifacts.typeName, q.typeName) : undefined;
  const filtered = and(visibleWhere(q.sight), ...query.filters.map((f) => filterWhere(f)), query.anyOf?.length ? or(...query.anyOf.map((f) => filterWhere(f))) : undefined);
  const companion = companionTermsWhere({ typeName: q.typeName, sight: q.sight, filters: query.filters });
  const scope = and(typeIs, filtered, companion);
  // Without the companion terms, which repeat the type and visibility conditions: the planner
  // would take them as independent and estimate the list several times too small.
  const estimating = boundedByName(query) ? undefined : estimateRows(db, and(typeIs, filtered));
  // A list small enough to count is sorted in one statement as cheaply as read in parts, and in
  // one round trip instead of one per part.
  // (PostgreSQL estimates at least one row: with a bound of 1, every such list is read in parts.)
  const inParts = ((await estimating) ?? 0) >= q.exactCountUpTo;
  const readPage = async (): Promise<ArtifactWithBlobs[]> => {
    if (query.limit === 0) return [];
    if (!inParts) {
      const page = markerValues ? and(scope, afterMarker(query.sort, markerValues, query.marker!)) : scope;
      return db.select(artifactWithBlobsColumns).from(artifacts).where(page).orderBy(...orderBy(query.sort)).limit(query.limit).prepare('list_page_computed').execute();
    }
    // Relevance parts match the words themselves, each within its tier: the search filter would
    // only tempt the planner to AND in the whole-document index.
    const words = parted.searchWords;
    const partFilters = words ? query.filters.filter((f) => !(f.kind === 'search' && sameWords(f.words, words))) : query.filters;
    const partScope = and(
      typeIs,
      visibleRowWhere(q.sight),
      ...partFilters.map((f) => filterWhere(f)),
      query.anyOf?.length ? or(...query.anyOf.map((f) => filterWhere(f))) : undefined,
      companion,
    );
    const rows: ArtifactWithBlobs[] = [];
    for (const part of parted.parts) {
      rows.push(...(await readPart(db, part, partScope, query.limit - rows.length)));
      if (rows.length >= query.limit) break;
    }
    return rows;
  };

  const beyond = q.exactCountUpTo + 1;
  const countMatches = (by: Pick<ListCounts, 'count'>): Promise<number> => {
    const matching = db.select({ one: sql<number>`1`.as('one') }).from(artifacts).where(unorderedScope(q)).limit(beyond).as('matching');
    const counting = db.select({ n: count() }).from(matching);
    const statement = counting.toSQL();
    return by.count(`${statement.sql}\u0000${JSON.stringify(statement.params)}`, async () => {
      const [totals] = await counting.prepare('list_count_computed').execute();
      return Number(totals?.n ?? 0);
    });
  };
  // A list sorted in one statement is one the planner expects to count (below the threshold): its
  // count runs beside the page rather than after it, a round trip and a scan less of waiting.
  const countingBeside = counts && !inParts && query.limit > 0 ? countMatches(counts) : undefined;
  const [found, estimate, countedBeside] = await Promise.all([readPage(), estimating, countingBeside]);
  const rows = found.map(toArtifact);
  if (!counts) return { rows };
  if (!query.marker && query.limit > 0 && rows.length < query.limit) return { rows, total: rows.length, totalExact: true };
  if (estimate !== undefined && estimate > q.exactCountUpTo) return { rows, total: Math.max(estimate, beyond), totalExact: false };
  const counted = countedBeside ?? (await countMatches(counts));
  return { rows, total: counted, totalExact: counted <= q.exactCountUpTo };
}

async function estimateRows(db: Conn, where: SQL | undefined): Promise<number> {
  return planRows(await db.execute(sql`explain (format json) select 1 from ${artifacts} where ${where ?? sql`true`}`));
}

/**
 * The rows of a list, for reading them in no order (counting them, tallying their facets). The
 * companion terms hold the type: the type_name equality is left out, which would only tempt the
 * planner to AND in a btree over the whole type. Visibility is checked row by row
 * (visibleRowWhere), not ANDed in from the index of public rows, half the catalog: a facet tally
 * of tag and license matches took 98 ms so, 33 ms of it reading that index.
 */
export function unorderedScope(q: { typeName?: string | undefined; query: Pick<ListQuery, 'filters' | 'anyOf' | 'latest'>; sight: Sight }): SQL | undefined {
  const { query } = q;
  const companion = companionTermsWhere({ typeName: q.typeName, sight: q.sight, filters: query.filters });
  const where = and(
    companion ? undefined : q.typeName ? eq(artifacts.typeName, q.typeName) : undefined,
    visibleRowWhere(q.sight),
    ...query.filters.map((f) => filterWhere(f)),
    query.anyOf?.length ? or(...query.anyOf.map((f) => filterWhere(f))) : undefined,
    companion,
  );
  return query.latest ? latestOnly(where) : where;
}

/** Of the rows `where` keeps, only the newest version of each name. */
function latestOnly(where: SQL | undefined): SQL {
  return sql`${artifacts.id} in (select distinct on (${artifacts.typeName}, ${artifacts.name}) ${artifacts.id} from ${artifacts} where ${where ?? sql`true`} order by ${artifacts.typeName}, ${artifacts.name}, ${artifacts.versionKey} desc)`;
}

const sameWords = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((w, i) => w === b[i]);

/** Up to `limit` rows of one part of a parted order (list-parts.ts), in its order. */
function readPart(db: Conn, part: ListPart, scope: SQL | undefined, limit: number): Promise<ArtifactWithBlobs[]> {
  const where = and(scope, part.where);
  if (!part.join) return db.select(artifactWithBlobsColumns).from(artifacts).where(where).orderBy(...part.orderBy).limit(limit).prepare('list_part').execute();
  const { table, on } = partJoin(part.join);
  return db.select(artifactWithBlobsColumns).from(artifacts).innerJoin(table, on).where(where).orderBy(...part.orderBy).limit(limit).prepare('list_part').execute();
}

/**
 * Whether a list's filters are all plain comparisons (of fields and versions, in no OR group):
 * with a name equality among them, one plan suits every value (`genericallyPlanned`). A tag,
 * metadata or text filter needs its values planned: planned without them, the GIN index of those
 * terms looks as good as the name's, and read a common tag's every row (53 ms where the custom
 * plan took 1.3, on 1M artifacts).
 */
function onlyPlainComparisons(query: ListQuery): boolean {
  return !query.anyOf?.length && query.filters.every((f) => f.kind === 'compare' || f.kind === 'version' || f.kind === 'version_range');
}

/** A name (or id) equality keeps one name's versions at most: few enough to count without asking. */
function boundedByName(query: ListQuery): boolean {
  return query.filters.some((f) => f.kind === 'compare' && (f.field.name === 'name' || f.field.name === 'id') && (f.op === 'eq' || f.op === 'in'));
}

/** The planner's estimate of the rows of an EXPLAIN's plan. */
function planRows(result: unknown): number {
  // postgres.js answers an array of rows, PGlite { rows }; the plan is json, parsed or as text.
  const [row] = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as Array<Record<string, unknown>>;
  const value = row?.['QUERY PLAN'];
  const plan = (typeof value === 'string' ? JSON.parse(value) : value) as Array<{ Plan: { 'Plan Rows': number } }>;
  return plan[0]!.Plan['Plan Rows'];
}

export async function countOwnedArtifacts(db: Conn, owner: string, typeName?: string): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(artifacts)
    .where(and(eq(artifacts.owner, owner), typeName ? eq(artifacts.typeName, typeName) : undefined));
  return Number(row?.n ?? 0);
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
