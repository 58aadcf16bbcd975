/**
 * @module Field values on the command line: `name=value` sets a string, `name:=<json>` any JSON
 * value (numbers, lists, objects, null), `metadata.key=value` one key of a dict field.
 */
import { usageError } from './exit.js';

export interface Assignment {
  field: string;
  /** A key inside a dict field (`metadata.key=value`). */
  key?: string;
  value: unknown;
}

export function parseAssignment(text: string): Assignment {
  const m = /^([A-Za-z_][\w]*)(?:\.([^=:]+))?(:?=)([\s\S]*)$/.exec(text);
  if (!m) throw usageError(`"${text}" is not field=value (or field:=<json>, or dict.key=value)`);
  const [, field, key, op, raw] = m as unknown as [string, string, string | undefined, string, string];
  let value: unknown = raw;
  if (op === ':=') {
    try {
      value = JSON.parse(raw);
    } catch {
      throw usageError(`"${text}": the value after := must be JSON`);
    }
  }
  return { field, ...(key !== undefined ? { key } : {}), value };
}

/** The assignments as an object, dict keys merged into their field. */
export function assignmentsToObject(texts: readonly string[], into: Record<string, unknown> = {}): Record<string, unknown> {
  for (const a of texts.map(parseAssignment)) {
    if (a.key === undefined) into[a.field] = a.value;
    else {
      const dict = (into[a.field] ??= {});
      if (typeof dict !== 'object' || dict === null || Array.isArray(dict)) throw usageError(`${a.field} is set as a whole and by key at once`);
      (dict as Record<string, unknown>)[a.key] = a.value;
    }
  }
  return into;
}

/** JSON pointer escaping (RFC 6901) for a dict key in a patch path. */
export const pointerKey = (key: string) => key.replace(/~/g, '~0').replace(/\//g, '~1');

/** Glare JSON-patch operations for the assignments: whole fields replaced, dict keys added. */
export function assignmentsToPatch(texts: readonly string[]): Array<{ op: string; path: string; value: unknown }> {
  return texts.map(parseAssignment).map((a) =>
    a.key === undefined ? { op: 'replace', path: `/${a.field}`, value: a.value } : { op: 'add', path: `/${a.field}/${pointerKey(a.key)}`, value: a.value },
  );
}

/** `field=[op:]value` list filters, passed to the node as they are (its filter grammar decides). */
export function parseFilters(terms: readonly string[]): Array<[string, string]> {
  return terms.map((t) => {
    const eq = t.indexOf('=');
    if (eq <= 0) throw usageError(`"${t}" is not a filter: write field=[op:]value, e.g. name=cirros or version=gte:1.0`);
    return [t.slice(0, eq), t.slice(eq + 1)];
  });
}
