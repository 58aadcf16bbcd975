/**
 * @module Queries of the dependencies feature: reference rows, requirers, requirement pins, and
 * the candidate versions the resolver chooses among (all of a closure's in one statement).
 */
import { and, eq, inArray, isNull, ne, sql } from 'drizzle-orm';
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

/** Requirement index → the artifact that requirement is pinned to. */
export type RequirementPins = ReadonlyMap<number, string>;

/** Pins `artifactId`'s requirements (by index) to the artifacts given: what an imported copy was resolved to where it was made. */
export async function setRequirementPins(db: Conn, artifactId: string, pins: ReadonlyArray<{ index: number; targetId: string }>): Promise<void> {
  if (pins.length === 0) return;
  await db
    .update(artifacts)
    .set({ requirementPins: Object.fromEntries(pins.map((p) => [String(p.index), p.targetId])) })
    .where(eq(artifacts.id, artifactId));
}

/** One version the resolver may choose (or an artifact a link pins), with what it depends on. */
export interface CandidateRow {
  id: string;
  typeName: string;
  name: string;
  version: string;
  /** Semver precedence as byte order (artifacts/versions.ts). */
  versionKey: string;
  status: string;
  requires: Requirement[];
  /** Requirements pinned to one artifact (an imported copy's: artifacts.requirement_pins); null when none is. */
  pins: RequirementPins | null;
  links: Array<{ field: string; key: string; link: string; target: string | null }>;
}

/**
 * How the candidates of one name travel: one text per name, a record per version, fields apart
 * (PostgreSQL writes JSON with control characters escaped, and the other fields are versions,
 * keys, uuids and project ids, which hold none). A version's requirement pins travel as their
 * JSON object, empty where it has none (most).
 */
const RECORD_TEXT = '\u001e';
const FIELD_TEXT = '\u001f';
const FIELD_CODE = 0x1f;
const ACTIVE_FIELD = `active${FIELD_TEXT}`;
const RECORD = sql.raw(`E'\\x1e'`);
const FIELD = sql.raw(`E'\\x1f'`);

/**
 * Every artifact a resolution may need, in one statement: from the seeds (names to choose a
 * version of, ids a link pins), the visible active versions of every name reached, and every
 * visible artifact a link reaches, following requirements and links of every candidate
 * (not only of those finally chosen) until nothing new is reached. Cycles end by the UNION.
 * Answers each name's candidates newest first, the order the resolver tries them in.
 *
 * What made it cheap (500 names of 100 versions, bench/README.md): the walk expands each
 * distinct `requires` list of a name once, not once per version (1,000 jsonb expansions where
 * there were 50,000, and no reference lookup per version); and a name's versions come back as one
 * text (a record per version, its requirement list only where it differs from the newer
 * version's), where 50,000 rows of nine columns were decoded, and their lists converted to
 * text, one by one.
 */
export async function resolutionCandidateGroups(db: Conn, q: CandidateSeed): Promise<CandidateGroup[]> {
  // Names asked from an origin come whole: the resolver reads every version's origin.
  const cap = sql`(case when reach.kind = 'origin' then ${ALL_VERSIONS}::int else ${q.newest ?? ALL_VERSIONS}::int end)`;
  const visible = visibleWhere(q.sight) ?? sql`true`;
  const ofName = sql`reach.kind in ('name', 'origin') and ${artifacts.typeName} = reach.type_name and ${artifacts.name} = reach.name and ${artifacts.status} = 'active' and ${visible}`;
  const ofId = sql`reach.kind = 'id' and ${artifacts.id} = reach.id and ${visible}`;
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
      cross join lateral (
        with version as materialized (
          select ${artifacts.id}, ${artifacts.requires} from ${artifacts} where ${ofName}
          union all
          select ${artifacts.id}, ${artifacts.requires} from ${artifacts} where ${ofId}
        )
        -- A name some requirement asks from a given origin is reached as such: its candidates' origins are then needed.
        select case when r ? 'origin' then 'origin' else 'name' end, r ->> 'type', r ->> 'name', null::uuid
        from (select distinct requires from version) c cross join lateral jsonb_array_elements(c.requires) r
        union all
        select 'id'::text, null::text, null::text, ref.target_id from version join ${artifactReferences} ref on ref.from_id = version.id where ref.target_id is not null
      ) d(kind, type_name, name, id)
    )
    select reach.kind, g.type_name, g.name, g.versions, g.more
    from reach
    cross join lateral (
      with found(id, type_name, name, version, version_key, status, requires, pins) as materialized (
        (select ${artifacts.id}, ${artifacts.typeName}, ${artifacts.name}, ${artifacts.version}, ${artifacts.versionKey}, ${artifacts.status}, ${artifacts.requires}, ${artifacts.requirementPins} from ${artifacts} where ${ofName}
         order by ${artifacts.versionKey} desc, ${artifacts.id} limit ${cap} + 1)
        union all
        select ${artifacts.id}, ${artifacts.typeName}, ${artifacts.name}, ${artifacts.version}, ${artifacts.versionKey}, ${artifacts.status}, ${artifacts.requires}, ${artifacts.requirementPins} from ${artifacts} where ${ofId}
      )
      -- One group per reach row: a name's versions, or the one artifact an id reaches. The records
      -- come newest first: aggregated as the sorted subquery hands them on (its order is the
      -- window's, so it costs no second sort; an ORDER BY inside string_agg sorted again).
      -- One more than asked for is read, to say whether there are more.
      select min(v.type_name) as type_name, min(v.name) as name,
        string_agg(concat_ws(${FIELD}, v.id, v.version, v.version_key, v.status, case when v.requires is distinct from v.previous then v.requires::text else '' end, coalesce(v.pins::text, ''), coalesce(v.links::text, '')), ${RECORD}) filter (where v.n <= ${cap}) as versions,
        count(*) > ${cap} as more
      from (
        select found.*, l.links, lag(found.requires) over w as previous, row_number() over w as n
        from found
        left join (
          select ref.from_id, json_agg(json_build_object('field', ref.field, 'key', ref.key, 'link', ref.link, 'target', ref.target_id)) as links
          from ${artifactReferences} ref where ref.from_id in (select id from found) group by ref.from_id
        ) l on l.from_id = found.id
        window w as (order by found.version_key desc, found.id)
        order by found.version_key desc, found.id
      ) v
      having count(*) > 0
    ) g`;
  const result: unknown = await db.execute(statement);
  // postgres.js answers an array of rows, PGlite { rows }.
  const rows = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as Array<{ kind: CandidateGroup['kind']; type_name: string; name: string; versions: string; more: boolean }>;
  const parsed = new Map<string, Requirement[]>();
  const requirements = (text: string): Requirement[] => {
    let list = parsed.get(text);
    if (list === undefined) parsed.set(text, (list = JSON.parse(text) as Requirement[]));
    return list;
  };
  return rows.map((r) => ({ kind: r.kind, typeName: r.type_name, name: r.name, versions: new CandidateVersions(r.versions, r.type_name, r.name, requirements, r.more) }));
}

/** The names to choose versions of, the ids links pin, and whose sight the candidates are seen with. */
export interface CandidateSeed {
  names: ReadonlyArray<{ type: string; name: string }>;
  ids: readonly string[];
  sight: Sight;
  /**
   * Read only this many versions of each name, the newest (but every version of a name a
   * requirement asks from an origin): a group holding more says so, and reading past what came
   * throws MoreCandidates. Unset: every version.
   */
  newest?: number;
}

/** Thrown by a name's versions read past the newest ones the statement was asked for. */
export class MoreCandidates extends Error {
  constructor(what: string) {
    super(`only the newest versions of ${what} were read`);
  }
}

/** "No cap": an int the statement's limit (one more) still fits. */
const ALL_VERSIONS = 2_147_483_646;

/** Every candidate of resolutionCandidateGroups once, decoded: a version reached by its name and by a link is one candidate. */
export async function resolutionCandidates(db: Conn, q: CandidateSeed): Promise<CandidateRow[]> {
  const seen = new Set<string>();
  const candidates: CandidateRow[] = [];
  for (const group of await resolutionCandidateGroups(db, q)) {
    for (const row of group.versions) {
      if (seen.has(row.id)) continue;
      seen.add(row.id);
      candidates.push(row);
    }
  }
  return candidates;
}

/** What one reach of the candidate statement found. */
export interface CandidateGroup {
  /**
   * name: the active versions of a name the requirements reach, as the caller sees them (origin:
   * the same, for a name a requirement asks from a given origin); id: the one artifact a link
   * reaches, whatever its status.
   */
  kind: 'name' | 'origin' | 'id';
  typeName: string;
  name: string;
  versions: CandidateVersions;
}

const NO_REQUIREMENTS: Requirement[] = [];

/** The column's `{"0": "<id>"}` as pins. */
function pinsFrom(stored: Record<string, string>): RequirementPins {
  return new Map(Object.entries(stored).map(([index, target]) => [Number(index), target]));
}
const NO_LINKS: CandidateRow['links'] = [];

/**
 * A name's versions, newest first (then by id), each record decoded the first time it is read:
 * a resolution mostly looks at a name's newest few versions, and decoding all 100 versions of 500
 * names (and collecting the garbage after them) was most of a resolve's CPU. Scanned in place
 * rather than split, so reading a record costs its own fields only.
 */
export class CandidateVersions implements Iterable<CandidateRow> {
  private readonly decoded: CandidateRow[] = [];
  private at = 0;
  /** The list in force: a record carries its requirements only where they differ from the newer version's. */
  private requires: Requirement[] = NO_REQUIREMENTS;

  constructor(
    private readonly text: string,
    private readonly typeName: string,
    private readonly name: string,
    private readonly requirementsOf: (text: string) => Requirement[],
    /** More versions exist than the text holds (the statement was asked for the newest only). */
    private readonly more = false,
  ) {}

  *[Symbol.iterator](): Iterator<CandidateRow> {
    for (let i = 0; ; i++) {
      const row = i < this.decoded.length ? this.decoded[i] : this.decodeNext();
      if (row === undefined) {
        if (this.more) throw new MoreCandidates(`${this.typeName} ${this.name}`);
        return;
      }
      yield row;
    }
  }

  private field(): string {
    const end = this.text.indexOf(FIELD_TEXT, this.at);
    const value = this.text.slice(this.at, end);
    this.at = end + 1;
    return value;
  }

  private decodeNext(): CandidateRow | undefined {
    const text = this.text;
    if (this.at >= text.length) return undefined;
    const id = this.field();
    const version = this.field();
    const versionKey = this.field();
    let status = 'active';
    if (text.startsWith(ACTIVE_FIELD, this.at)) this.at += ACTIVE_FIELD.length;
    else status = this.field();
    if (text.charCodeAt(this.at) === FIELD_CODE) this.at += 1;
    else this.requires = this.requirementsOf(this.field());
    let pins: RequirementPins | null = null;
    if (text.charCodeAt(this.at) === FIELD_CODE) this.at += 1;
    else pins = pinsFrom(JSON.parse(this.field()) as Record<string, string>);
    let end = text.indexOf(RECORD_TEXT, this.at);
    if (end < 0) end = text.length;
    const links = end === this.at ? NO_LINKS : (JSON.parse(text.slice(this.at, end)) as CandidateRow['links']);
    this.at = end + 1;
    const row: CandidateRow = { id, typeName: this.typeName, name: this.name, version, versionKey, status, requires: this.requires, pins, links };
    // The requirement lists and every newest-first scan rely on the order: never read past a break in it.
    const newer = this.decoded.at(-1);
    if (newer && !(newer.versionKey > versionKey || (newer.versionKey === versionKey && newer.id < id))) {
      throw new Error(`the candidates of ${this.typeName} ${this.name} came out of order (${newer.version} before ${version})`);
    }
    this.decoded.push(row);
    return row;
  }
}
