/** @module The artifacts table: generic fields as columns, type-specific values in `fields`. */
import { getTableColumns, sql } from 'drizzle-orm';
import { bigint, index, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { STATUSES, VISIBILITIES } from '../../artifacts/artifact.js';
import type { Requirement } from '../../dependencies/requirements.js';
import { byteOrderedText, lifecycleDates, tsvector } from './columns.js';

export const PUBLIC_TWIN_INDEX = 'artifacts_public_type_name_version_unique';

export const artifacts = pgTable(
  'artifacts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    typeName: text('type_name').notNull(),
    typeVersion: text('type_version').notNull(),
    name: text('name').notNull(),
    version: text('version').notNull(),
    versionMajor: bigint('version_major', { mode: 'number' }).notNull(),
    versionMinor: bigint('version_minor', { mode: 'number' }).notNull(),
    versionPatch: bigint('version_patch', { mode: 'number' }).notNull(),
    versionPrerelease: text('version_prerelease'),
    /** Semver precedence as byte order: see artifacts/versions.ts. */
    versionKey: byteOrderedText('version_key').notNull(),
    description: text('description').notNull().default(''),
    tags: text('tags').array().notNull().default(sql`'{}'::text[]`),
    metadata: jsonb('metadata').$type<Record<string, string>>().notNull().default({}),
    /** What the artifact requires (dependencies/requirements.ts), a JSON list. */
    requires: jsonb('requires').$type<Requirement[]>().notNull().default([]),
    /**
     * An imported copy keeps the resolution it was made with: requirement index → the artifact it
     * resolved to where the bundle was made (`{"0": "<id>"}`), taken while that artifact is here,
     * active and visible. Null for most artifacts. A column, not a table: the resolver's candidate
     * statement reads it with each version, where a join per candidate cost it measurably.
     */
    requirementPins: jsonb('requirement_pins').$type<Record<string, string>>(),
    owner: text('owner').notNull(),
    visibility: text('visibility', { enum: VISIBILITIES }).notNull().default('private'),
    status: text('status', { enum: STATUSES }).notNull().default('drafted'),
    providedBy: jsonb('provided_by').$type<Record<string, string>>(),
    supportedBy: jsonb('supported_by').$type<Record<string, string>>(),
    license: text('license'),
    licenseUrl: text('license_url'),
    release: text('release').array().notNull().default(sql`'{}'::text[]`),
    /** Type-specific, non-blob field values by field name. */
    fields: jsonb('fields').$type<Record<string, unknown>>().notNull().default({}),
    ...lifecycleDates,
    activatedAt: timestamp('activated_at', { withTimezone: true, mode: 'date' }),
    /**
     * Exact search terms over type, visibility, status, tags and metadata, kept by PostgreSQL
     * (the function is in migration 0001; the TypeScript side of the encoding is filterTerm in
     * db/queries/predicates.ts). Lists filter through its GIN index.
     */
    filterTerms: text('filter_terms')
      .array()
      .generatedAlwaysAs(sql`artifact_filter_terms(type_name, visibility, status, tags, metadata)`),
    /**
     * The full-text document lists search with `q=` (the function, and its weights, are in the
     * search migration): name and display name weigh most, then tags and keywords, then the
     * provider, then the description.
     */
    searchVector: tsvector('search_vector').generatedAlwaysAs(sql`artifact_search_vector(name, description, tags, metadata, provided_by)`),
  },
  (t) => [
    uniqueIndex('artifacts_owner_name_version_unique').on(t.typeName, t.owner, t.name, t.version),
    /** At most one public artifact per type, name and version, whoever publishes at once. */
    uniqueIndex(PUBLIC_TWIN_INDEX).on(t.typeName, t.name, t.version).where(sql`visibility = 'public'`),
    index('artifacts_type_name_version_idx').on(t.typeName, t.name, t.versionKey),
    index('artifacts_type_created_idx').on(t.typeName, t.createdAt, t.id),
    // Newest first among one type's public artifacts: what an anonymous caller (or a visibility=public
    // filter) lists reads only public rows in order, half the rows the type's index hands over, before
    // tags and metadata filter them (bench/README.md, issue 13).
    index('artifacts_type_visibility_created_idx').on(t.typeName, t.visibility, t.createdAt, t.id),
    /** Which type versions are in use, read at start (types/compatibility.ts) by skipping through it. */
    index('artifacts_type_version_idx').on(t.typeName, t.typeVersion),
    /** Newest first across every type: /artifacts/all and the web catalog's browse page (a full sort without it). */
    index('artifacts_created_idx').on(t.createdAt, t.id),
    index('artifacts_name_version_idx').on(t.name, t.versionKey),
    index('artifacts_owner_idx').on(t.owner),
    index('artifacts_metadata_idx').using('gin', t.metadata),
    /** "What requires this name": `requires @> '[{"type": .., "name": ..}]'`. */
    index('artifacts_requires_idx').using('gin', sql`${t.requires} jsonb_path_ops`),
    index('artifacts_filter_terms_idx').using('gin', t.filterTerms),
    index('artifacts_search_vector_idx').using('gin', t.searchVector),
    /** Relevance tiers (db/queries/predicates.ts SEARCH_TIERS): the name's words; with tags and keywords; with the provider. */
    index('artifacts_search_name_idx').using('gin', sql`artifact_search_tier(search_vector, '{a}'::"char"[])`),
    index('artifacts_search_name_tags_idx').using('gin', sql`artifact_search_tier(search_vector, '{a,b}'::"char"[])`),
    index('artifacts_search_name_tags_provider_idx').using('gin', sql`artifact_search_tier(search_vector, '{a,b,c}'::"char"[])`),
  ],
);

/** Projects an owner has shared an active artifact with; they see it as if it were public. */
export const artifactShares = pgTable(
  'artifact_shares',
  {
    artifactId: uuid('artifact_id')
      .notNull()
      .references(() => artifacts.id, { onDelete: 'cascade' }),
    project: text('project').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.artifactId, t.project] }), index('artifact_shares_project_idx').on(t.project, t.artifactId)],
);

/** Every column but filter_terms and search_vector, which only lists' SQL reads. */
const { filterTerms: _filterTerms, searchVector: _searchVector, ...artifactColumnsWithoutTerms } = getTableColumns(artifacts);
export const artifactColumns = artifactColumnsWithoutTerms;

export type ArtifactRow = Omit<typeof artifacts.$inferSelect, 'filterTerms' | 'searchVector'>;
export type NewArtifactRow = typeof artifacts.$inferInsert;
