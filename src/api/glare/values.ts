/** @module Field values as Glare clients send them, turned into the values the domain checks. */
import type { FieldDef } from '../../artifacts/fields.js';

/**
 * Glare clients send versions as JSON numbers at times (`"version": 1.0`); the domain takes
 * version text. Every other value goes to the domain's validators as sent: a value of the wrong
 * kind is refused there, never coerced.
 */
export function fromWire(def: FieldDef, value: unknown): unknown {
  if (def.name === 'version' && typeof value === 'number') return String(value);
  return value;
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
