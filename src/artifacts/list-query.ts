/**
 * @module A list request in the domain's terms: typed filters, sort keys and paging. Dialects
 * parse their query grammar into this (src/api/glare/filters.ts for Glare's); the SQL form of
 * each filter is in db/queries/predicates.ts.
 */
import type { FieldDef, FilterOp } from './fields.js';
import type { KeyRangeSet } from './versions.js';

export type ScalarValue = string | number | boolean;

export type Filter =
  | { kind: 'compare'; field: FieldDef; op: FilterOp; values: ScalarValue[] }
  /** Compares version keys (see versions.ts), so the order is semver precedence. */
  | { kind: 'version'; op: FilterOp; keys: string[] }
  | { kind: 'version_range'; sets: KeyRangeSet[] }
  /** A list holds the value, or a dict has the key. */
  | { kind: 'member'; field: FieldDef; op: 'eq' | 'neq' | 'in'; values: ScalarValue[] }
  | { kind: 'dict_value'; field: FieldDef; key: string; op: FilterOp; values: ScalarValue[] }
  | { kind: 'tags'; match: 'all' | 'any'; values: string[] }
  /**
   * Full-text search (`q=`) over name, display name, description, tags, provider and keywords:
   * every word must match as a prefix of a word (type-ahead: `kube` finds Kubernetes). Words are letters and
   * digits only, so no query syntax reaches the database.
   */
  | { kind: 'search'; words: string[] };

/** Orders computed from data beside the artifact, not from one of its fields. */
export type ComputedSort =
  /** How well the artifact matches the list's search words (only with a `search` filter). */
  | { by: 'relevance'; words: string[] }
  /** Downloads of this artifact (this version), counted by the community feature. */
  | { by: 'downloads' }
  /** Average rating of the artifact's name. */
  | { by: 'rating' };

export type SortKey = ({ field: FieldDef } | { computed: ComputedSort }) & { direction: 'asc' | 'desc' };

export interface ListQuery {
  /** Every one of these holds. */
  filters: Filter[];
  /** And, when there are any, at least one of these (one OR group). */
  anyOf?: Filter[];
  /** Keep only the newest version of each name among what the filters keep. */
  latest: boolean;
  sort: SortKey[];
  limit: number;
  /** Id of the last artifact of the previous page. */
  marker?: string;
}

export interface ListPage<T> {
  artifacts: T[];
  /** Exact when `totalExact`; otherwise the list holds more than this many (the count stopped there). */
  total: number;
  totalExact: boolean;
  /** Set when the page is full: the marker of the next page. */
  nextMarker?: string;
}
