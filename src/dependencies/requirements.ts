/**
 * @module A requirement: "an artifact of this type and name, with a version in this semver
 * range" (`{"type": "images", "name": "cirros", "range": "^2.1"}`), optionally naming the node
 * it comes from: the node it was first published on, by name or id. Every artifact may hold a list of them in its generic `requires` field.
 */
import type { Range } from 'semver';
import { BadRequest } from '../errors.js';
import { TYPE_NAME } from '../artifacts/names.js';
import { parseRange, rangeKeyFloor, rangeKeyTest } from '../artifacts/versions.js';

export interface Requirement {
  type: string;
  name: string;
  /** A node-semver range: `^2.1`, `>=1.4 <2`, `~3.4.1`, `*`. */
  range: string;
  /** The node the required artifact comes from, when the requirement names one. */
  origin?: string;
}

const KEYS: ReadonlySet<string> = new Set(['type', 'name', 'range', 'origin']);

/** Checks one requirement as given by a user (or read from a package); BadRequest naming `label` and what is wrong. */
export function parseRequirement(value: unknown, label: string): Requirement {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new BadRequest(`field "${label}" must be an object {"type", "name", "range"}`);
  }
  const given = value as Record<string, unknown>;
  const unknown = Object.keys(given).find((k) => !KEYS.has(k));
  if (unknown !== undefined) throw new BadRequest(`field "${label}" has an unknown key "${unknown.slice(0, 60)}"; a requirement has type, name, range and origin`);
  const { type, name, range, origin } = given;
  if (typeof type !== 'string' || !TYPE_NAME.test(type)) throw new BadRequest(`field "${label}.type" must be an artifact type name`);
  if (typeof name !== 'string' || name.trim() === '' || name.length > 255) throw new BadRequest(`field "${label}.name" must be an artifact name (1-255 characters)`);
  const text = range === undefined ? '*' : range;
  if (typeof text !== 'string') throw new BadRequest(`field "${label}.range" must be a semver range such as "^2.1" or ">=1.4 <2"`);
  try {
    parseRange(text);
  } catch (err) {
    if (err instanceof BadRequest) throw new BadRequest(`field "${label}.range": "${text.slice(0, 80)}" is not a semver range (e.g. "^2.1", ">=1.4 <2", "~3.4.1", "*")`);
    throw err;
  }
  if (origin !== undefined && (typeof origin !== 'string' || origin.length === 0 || origin.length > 255)) {
    throw new BadRequest(`field "${label}.origin" must be a node name (1-255 characters)`);
  }
  return { type, name, range: text.trim(), ...(origin !== undefined ? { origin } : {}) };
}

/** The requirement's range, parsed (it was checked when it was set). */
export function requirementRange(requirement: Requirement): Range {
  return parseRange(requirement.range);
}

/** The requirement's range as a test of version keys, and the lowest key it admits (artifacts/versions.ts rangeKeyTest, rangeKeyFloor). */
export function requirementKeyTest(requirement: Requirement): { test: (versionKey: string) => boolean; floor: string | null } {
  const range = parseRange(requirement.range);
  return { test: rangeKeyTest(range), floor: rangeKeyFloor(range) };
}

/** "images cirros ^2.1" ("... from global" with an origin), as explanations name a requirement. */
export function describeRequirement(r: Pick<Requirement, 'type' | 'name' | 'range' | 'origin'>): string {
  return `${r.type} ${r.name} ${r.range}${r.origin !== undefined ? ` from ${r.origin}` : ''}`;
}
