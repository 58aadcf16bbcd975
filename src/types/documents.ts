/**
 * @module Structured documents in uploaded blobs (Heat and TOSCA templates, environments,
 * Murano manifests): read within a bound, parsed as YAML (which JSON is a subset of), and
 * refused with the parser's line when they do not parse.
 */
import { parse as parseYaml, YAMLError } from 'yaml';
import type { BlobInfo } from '../artifacts/artifact.js';
import type { HookContext } from '../artifacts/artifact-type.js';
import { readBounded } from './bounded-read.js';

export type Mapping = Record<string, unknown>;

export function isMapping(value: unknown): value is Mapping {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The text of a stored blob of at most `maxBytes` (the field's own limit bounds it already). */
export async function readBlobText(ctx: HookContext, blob: BlobInfo, maxBytes: number, what: string): Promise<string> {
  if ((blob.size ?? 0) > maxBytes) ctx.refuse(`${what} is ${blob.size} bytes; at most ${maxBytes} are read`);
  const bytes = await readBounded(await ctx.openBlob(blob), maxBytes);
  if (!bytes) ctx.refuse(`${what} is larger than ${maxBytes} bytes`);
  return bytes.toString('utf8');
}

/** `text` parsed as a YAML or JSON mapping; refused naming the line where it is not one. */
export function parseMapping(ctx: HookContext, text: string, what: string): Mapping {
  let doc: unknown;
  try {
    doc = parseYaml(text, { maxAliasCount: 100 });
  } catch (err) {
    if (!(err instanceof YAMLError)) throw err;
    const line = err.linePos?.[0]?.line;
    const reason = err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    ctx.refuse(`${what} is not valid YAML or JSON${line !== undefined ? ` at line ${line}` : ''}: ${reason}`);
  }
  if (!isMapping(doc)) ctx.refuse(`${what} must be a mapping of keys to values`);
  return doc;
}

/** The keys of a mapping section, or refused when the section is there but is not a mapping. */
export function sectionKeys(ctx: HookContext, doc: Mapping, section: string, what: string): string[] {
  const value = doc[section];
  if (value === undefined || value === null) return [];
  if (!isMapping(value)) ctx.refuse(`${what}: "${section}" must be a mapping`);
  return Object.keys(value);
}
