/**
 * @module Queries of the dependencies feature: reference rows, requirers, and the candidate
 * versions the resolver chooses among (all of a closure's in one statement).
 */
import { and, eq, inArray, isNull, ne, sql, type SQL } from 'drizzle-orm';
import type { Requirement } from '../../dependencies/requirements.js';
import type { Sight } from '../../artifacts/policy.js';
import type { Db, Tx } from '../client.js';
import type { BROKEN_REASONS } from '../schema/index.js';
import { artifactReferences, artifacts } from '../schema/index.js';
import { textArray, visibleWhere } from './predicates.js';

type Conn = Db | Tx;
export type BrokenReason = (typeof BROKEN_REASONS)[number];

export interface ReferenceRecord {
  fromId: string;
  field: string;
  key: string;
  link: string;
  targetId: string | null;
  broken: BrokenReason | null;
  /** The target's reference when the link was made; null for external links. */
  target: { origin: string | null; type: string; owner: string; name: string; version: string } | null;
}

/** Identity of the artifacts with these ids, whoever may see them: what a reference row records of its target. */
export async function artifactIdentities(db: Conn, ids: readonly string[]): Promise<Array<{ id: string; typeName: string; owner: string; name: string; version: string }>> {
  if (ids.length === 0) return [];
  return db
    .select({ id: artifacts.id, typeName: artifacts.typeName, owner: artifacts.owner, name: artifacts.name, version: artifacts.version })
    .from(artifacts)
    .where(inArray(artifacts.id, [...new Set(ids)]));
}

/** The artifact's reference rows become exactly `rows`. */
export async function replaceReferences(db: Conn, fromId: string, rows: ReadonlyArray<Omit<ReferenceRecord, 'fromId' | 'broken'>>): Promise<void> {
  await db.delete(artifactReferences).where(eq(artifactReferences.fromId, fromId));
  if (rows.length === 0) return;
  await db.insert(artifactReferences).values(
    rows.map((r) => ({
      fromId,
      field: r.field,
      key: r.key,
      link: r.link,
      targetId: r.targetId,
      targetOrigin: r.target?.origin ?? null,
      targetType: r.target?.type ?? null,
      targetOwner: r.target?.owner ?? null,
      targetName: r.target?.name ?? null,
      targetVersion: r.target?.version ?? null,
    })),
  );
}

function toReference(row: typeof artifactReferences.$inferSelect): ReferenceRecord {
  return {
    fromId: row.fromId,
    field: row.field,
    key: row.key,
    link: row.link,
    targetId: row.targetId,
    broken: row.broken,
    target:
      row.targetType !== null && row.targetOwner !== null && row.targetName !== null && row.targetVersion !== null
        ? { origin: row.targetOrigin, type: row.targetType, owner: row.targetOwner, name: row.targetName, version: row.targetVersion }
        : null,
  };
}

/** Reference rows that point at `targetId` from other artifacts (self-links are no dependants). */
export async function referencesTo(db: Conn, targetId: string): Promise<ReferenceRecord[]> {
  const rows = await db
    .select()
    .from(artifactReferences)
    .where(and(eq(artifactReferences.targetId, targetId), ne(artifactReferences.fromId, targetId)))
    .orderBy(artifactReferences.fromId, artifactReferences.field, artifactReferences.key);
  return rows.map(toReference);
}

/** Reference rows held by these artifacts. */
export async function referencesFrom(db: Conn, fromIds: readonly string[]): Promise<ReferenceRecord[]> {
  if (fromIds.length === 0) return [];
  const rows = await db.select().from(artifactReferences).where(inArray(artifactReferences.fromId, [...new Set(fromIds)]));
  return rows.map(toReference);
}

/** Marks (or, with null, clears) the references to `targetId`; `only` limits a clearing to one reason. */
export async function markReferencesBroken(db: Conn, targetId: string, reason: BrokenReason | null, only?: BrokenReason): Promise<void> {
  await db
    .update(artifactReferences)
    .set({ broken: reason })
    .where(and(eq(artifactReferences.targetId, targetId), only ? eq(artifactReferences.broken, only) : reason === null ? undefined : isNull(artifactReferences.broken)));
}

/** Artifacts visible to `sight` with a requirement on this type and name (whatever its range), with their requirements. */
export async function requirersOf(db: Conn, q: { typeName: string; name: string; sight: Sight }): Promise<Array<{ id: string; requires: Requirement[] }>> {
  const wanted = JSON.stringify([{ type: q.typeName, name: q.name }]);
  return db
    .select({ id: artifacts.id, requires: artifacts.requires })
    .from(artifacts)
    .where(and(sql`${artifacts.requires} @> ${wanted}::jsonb`, visibleWhere(q.sight)));
}

/** One version the resolver may choose (or an artifact a link pins), with what it depends on. */
export interface CandidateRow {
  id: string;
  typeName: string;
  name: string;
  version: string;
  /** Semver precedence as byte order (artifacts/versions.ts). */
  versionKey: string;
  owner: string;
  status: string;
  requires: Requirement[];
  links: Array<{ field: string; key: string; link: string; target: string | null }>;
}

/**
 * Every artifact a resolution may need, in one statement: from the seeds (names to choose a
 * version of, ids a link pins), the visible active versions of every name reached, and every
 * visible artifact a link reaches, following requirements and links of every candidate
 * (not only of those finally chosen) until nothing new is reached. Cycles end by the UNION.
 */
export async function resolutionCandidates(db: Conn, q: { names: ReadonlyArray<{ type: string; name: string }>; ids: readonly string[]; sight: Sight }): Promise<CandidateRow[]> {
  const visible = visibleWhere(q.sight) ?? sql`true`;
  const candidatesOf = (columns: SQL) => sql`(
      select ${columns} from ${artifacts}
      where reach.kind = 'name' and ${artifacts.typeName} = reach.type_name and ${artifacts.name} = reach.name and ${artifacts.status} = 'active' and ${visible}
      union all
      select ${columns} from ${artifacts}
      where reach.kind = 'id' and ${artifacts.id} = reach.id and ${visible}
    )`;
  const statement = sql`
    with recursive reach(kind, type_name, name, id) as (
      select * from (
        select 'name'::text, s.t, s.n, null::uuid from unnest(${textArray(q.names.map((n) => n.type))}, ${textArray(q.names.map((n) => n.name))}) as s(t, n)
        union all
        select 'id'::text, null::text, null::text, s.i from unnest(${textArray(q.ids)}::uuid[]) as s(i)
      ) seeds
      union
      select d.kind, d.type_name, d.name, d.id
      from reach
      cross join lateral ${candidatesOf(sql`${artifacts.id}, ${artifacts.requires}`)} c(id, requires)
      cross join lateral (
        select 'name'::text, r ->> 'type', r ->> 'name', null::uuid from jsonb_array_elements(c.requires) r
        union all
        select 'id'::text, null::text, null::text, ref.target_id from ${artifactReferences} ref where ref.from_id = c.id and ref.target_id is not null
      ) d(kind, type_name, name, id)
    )
    select u.id, u.type_name, u.name, u.version, u.version_key, u.owner, u.status, u.requires,
      (select coalesce(json_agg(json_build_object('field', ref.field, 'key', ref.key, 'link', ref.link, 'target', ref.target_id)), '[]'::json)
       from ${artifactReferences} ref where ref.from_id = u.id) as links
    from (
      select distinct on (c.id) c.*
      from reach
      cross join lateral ${candidatesOf(sql`${artifacts.id}, ${artifacts.typeName}, ${artifacts.name}, ${artifacts.version}, ${artifacts.versionKey}, ${artifacts.owner}, ${artifacts.status}, ${artifacts.requires}`)} c(id, type_name, name, version, version_key, owner, status, requires)
    ) u`;
  const result: unknown = await db.execute(statement);
  // postgres.js answers an array of rows, PGlite { rows }; json may come parsed or as text.
  const rows = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as Array<Record<string, unknown>>;
  const json = <T>(v: unknown): T => (typeof v === 'string' ? JSON.parse(v) : v) as T;
  return rows.map((r) => ({
    id: String(r.id),
    typeName: String(r.type_name),
    name: String(r.name),
    version: String(r.version),
    versionKey: String(r.version_key),
    owner: String(r.owner),
    status: String(r.status),
    requires: json<Requirement[]>(r.requires),
    links: json<CandidateRow['links']>(r.links),
  }));
}
