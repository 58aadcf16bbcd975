/**
 * @module The one place semver meets storage.
 *
 * Every version is stored with a `version_key`: a string whose byte order (COLLATE "C") is exactly
 * semver precedence, so SQL sorts and range-filters versions with plain comparisons on one
 * indexed column:
 *
 *   number      → a length letter ('A' = 1 digit … 'Z' = 26 digits) then the digits
 *   release     → N(major) N(minor) N(patch) '~'
 *   prerelease  → N(major) N(minor) N(patch) '-' id ('!' id)*
 *   id          → '0' N(numeric id) | '1' alphanumeric id as written
 *
 * '~' sorts after '-', so a release follows its prereleases; '!' sorts before every identifier
 * character, so `alpha` < `alpha.1` < `alpha-x`; numeric ids sort before alphanumeric ones and
 * by value (their length comes first). Build metadata does not take part in precedence.
 *
 * Partial versions: Glare coerces `2.1` to `2.1.0` wherever a version is given (creating,
 * `version=gt:2.1`). A range expression (`>2.1`, `^2.1`, `~3.4`) keeps node-semver's meaning,
 * where `>2.1` is `>=2.2.0` (greater than every 2.1.x). Range expressions also follow
 * node-semver in leaving out prereleases unless a comparator names a prerelease of the same
 * major.minor.patch; the `op:` filters compare every version.
 */
import semver, { type Range, type SemVer } from 'semver';
import { BadRequest } from '../errors.js';

const MAX_VERSION_LENGTH = 255;
const MAX_ID_DIGITS = 26;
const PARTIAL =
  /^v?(0|[1-9]\d*)(?:\.(0|[1-9]\d*))?(?:\.(0|[1-9]\d*))?(-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;

/** The columns a version is stored as. */
export interface StoredVersion {
  version: string;
  versionMajor: number;
  versionMinor: number;
  versionPatch: number;
  versionPrerelease: string | null;
  versionKey: string;
}

/** True when `input` looks like a (possibly partial) version rather than a range. */
export function isVersionLike(input: string): boolean {
  return PARTIAL.test(input.trim());
}

/** Parses a full or partial version (`2`, `2.1`, `2.1.0-rc.1+b5`); partial ones are padded with zeros. */
export function parseVersion(input: string): SemVer {
  const text = input.trim();
  const m = text.length <= MAX_VERSION_LENGTH ? PARTIAL.exec(text) : null;
  if (!m) {
    throw new BadRequest(`"${truncate(input)}" is not a semantic version (expected MAJOR[.MINOR[.PATCH]][-PRERELEASE][+BUILD])`);
  }
  const full = `${m[1]}.${m[2] ?? '0'}.${m[3] ?? '0'}${m[4] ?? ''}${m[5] ?? ''}`;
  const parsed = semver.parse(full);
  if (!parsed) throw new BadRequest(`"${truncate(input)}" is not a semantic version: a number is too large`);
  for (const id of parsed.prerelease) {
    if (typeof id === 'number' && String(id).length > MAX_ID_DIGITS) {
      throw new BadRequest(`"${truncate(input)}": numeric prerelease identifiers may have at most ${MAX_ID_DIGITS} digits`);
    }
    if (typeof id === 'string' && /^\d+$/.test(id) && id.length > MAX_ID_DIGITS) {
      throw new BadRequest(`"${truncate(input)}": numeric prerelease identifiers may have at most ${MAX_ID_DIGITS} digits`);
    }
  }
  return parsed;
}

export function toStoredVersion(v: SemVer): StoredVersion {
  return {
    version: v.build.length > 0 ? `${v.version}+${v.build.join('.')}` : v.version,
    versionMajor: v.major,
    versionMinor: v.minor,
    versionPatch: v.patch,
    versionPrerelease: v.prerelease.length > 0 ? v.prerelease.join('.') : null,
    versionKey: versionKey(v),
  };
}

export function versionKey(v: SemVer): string {
  const core = encodeNumber(String(v.major)) + encodeNumber(String(v.minor)) + encodeNumber(String(v.patch));
  if (v.prerelease.length === 0) return `${core}~`;
  return `${core}-${v.prerelease.map(encodeIdentifier).join('!')}`;
}

/** Every prerelease of major.minor.patch has a key strictly between these two. */
function prereleaseKeyBounds(v: SemVer): { above: string; below: string } {
  const core = encodeNumber(String(v.major)) + encodeNumber(String(v.minor)) + encodeNumber(String(v.patch));
  return { above: `${core}-`, below: `${core}-~` };
}

function encodeNumber(digits: string): string {
  return String.fromCharCode(64 + digits.length) + digits;
}

function encodeIdentifier(id: string | number): string {
  const text = String(id);
  return /^\d+$/.test(text) ? `0${encodeNumber(text)}` : `1${text}`;
}

export type KeyOp = '<' | '<=' | '>' | '>=' | '=';

/** A semver range as the SQL layer needs it: OR of sets, each an AND of key comparisons. */
export interface KeyRangeSet {
  comparisons: Array<{ op: KeyOp; key: string }>;
  /** Prereleases are admitted only inside these key intervals (node-semver's rule). */
  prereleaseWindows: Array<{ above: string; below: string }>;
}

/** Parses a node-semver range expression; BadRequest when it is not one. */
export function parseRange(input: string): Range {
  const text = input.trim();
  if (text.length === 0 || text.length > MAX_VERSION_LENGTH) throw new BadRequest('a version range must have 1 to 255 characters');
  let range: Range;
  try {
    range = new semver.Range(text);
  } catch {
    throw new BadRequest(`"${truncate(input)}" is neither a version, an op:version filter, "latest", nor a semver range`);
  }
  return range;
}

export function rangeToKeySets(range: Range): KeyRangeSet[] {
  return range.set.map((comparators) => {
    const set: KeyRangeSet = { comparisons: [], prereleaseWindows: [] };
    for (const c of comparators) {
      if (c.value === '') continue; // the "any version" comparator
      const op: KeyOp = c.operator === '' ? '=' : (c.operator as KeyOp);
      set.comparisons.push({ op, key: versionKey(c.semver) });
      if (c.semver.prerelease.length > 0) set.prereleaseWindows.push(prereleaseKeyBounds(c.semver));
    }
    return set;
  });
}

/**
 * The range as a test of version keys: for every stored version, `test(v.versionKey)` answers
 * what `range.test(v)` does (the same sets, comparisons and prerelease rule the SQL filters
 * use), with no version parsed. The resolver tests tens of thousands of candidates this way.
 */
export function rangeKeyTest(range: Range): (key: string) => boolean {
  const sets = rangeToKeySets(range);
  const within = (key: string, set: KeyRangeSet) => {
    for (const c of set.comparisons) {
      const holds = c.op === '<' ? key < c.key : c.op === '<=' ? key <= c.key : c.op === '>' ? key > c.key : c.op === '>=' ? key >= c.key : key === c.key;
      if (!holds) return false;
    }
    // A release's key ends in '~'; a prerelease is admitted only inside a window of its set.
    return key.endsWith('~') || set.prereleaseWindows.some((w) => key > w.above && key < w.below);
  };
  return (key) => sets.some((set) => within(key, set));
}

/**
 * The lowest version key the range can admit, or null when nothing bounds it from below: every key
 * below it fails `rangeKeyTest(range)`, so a newest-first scan of a name's versions stops there.
 */
export function rangeKeyFloor(range: Range): string | null {
  let floor: string | null = null;
  for (const set of rangeToKeySets(range)) {
    let setFloor: string | null = null;
    for (const c of set.comparisons) {
      if ((c.op === '>' || c.op === '>=' || c.op === '=') && (setFloor === null || c.key > setFloor)) setFloor = c.key;
    }
    if (setFloor === null) return null; // this alternative is unbounded below
    if (floor === null || setFloor < floor) floor = setFloor;
  }
  return floor;
}

function truncate(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
