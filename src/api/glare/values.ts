/** @module Field values as Glare clients send them, turned into the values the domain checks. */
import { elementKind, isDict, isList, type FieldDef, type FieldKind } from '../../artifacts/fields.js';

// oslo.versionedobjects' coercions, which Glare's fields use: int(text), float(text) and
// strutils.bool_from_string. python-glareclient sends every `-p key=value` (and every list and
// dict element) as text, so `min_ram=1024` arrives as "1024".
const INTEGER_TEXT = /^[+-]?\d{1,15}$/;
const FLOAT_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const TRUE_TEXT = new Set(['1', 't', 'true', 'on', 'y', 'yes']);
const FALSE_TEXT = new Set(['0', 'f', 'false', 'off', 'n', 'no']);

/** A text that spells a value of `kind` as Glare reads it; any other value is left as sent. */
function fromText(kind: FieldKind, value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const text = value.trim();
  switch (kind) {
    case 'integer':
      return INTEGER_TEXT.test(text) ? Number(text) : value;
    case 'float':
      return FLOAT_TEXT.test(text) ? Number(text) : value;
    case 'boolean': {
      const lower = text.toLowerCase();
      return TRUE_TEXT.has(lower) ? true : FALSE_TEXT.has(lower) ? false : value;
    }
    default:
      return value;
  }
}

/**
 * Versions sent as JSON numbers (`"version": 1.0`) become version text; numbers and booleans
 * spelled as text (as Glare's CLI sends them) become numbers and booleans. Everything else goes
 * to the domain's validators as sent: a value of the wrong kind (1.1 for an integer, "1.5" for an
 * integer, "maybe" for a boolean) is refused there, never truncated or guessed.
 */
export function fromWire(def: FieldDef, value: unknown): unknown {
  if (def.name === 'version' && typeof value === 'number') return String(value);
  const element = elementKind(def.kind);
  if (isList(def.kind) && Array.isArray(value)) return value.map((item) => fromText(element, item));
  if (isDict(def.kind) && value !== null && typeof value === 'object' && !Array.isArray(value)) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, fromText(element, item)]));
  }
  return fromText(def.kind, value);
}

/** Every value of a create body, by field name. */
export function valuesFromWire(fields: ReadonlyMap<string, FieldDef>, body: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(body)) {
    const def = fields.get(name);
    out[name] = def ? fromWire(def, value) : value;
  }
  return out;
}
