/**
 * @module Reads a node's YAML file, applies the environment overrides DESIGN.md lists, validates
 * once and returns a deep-frozen Config. The only module that reads `process.env` is main.ts,
 * which passes it in here.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { ConfigSchema, type Config } from './schema.js';

const DEFAULT_CONFIG_PATH = 'node-config/default.yaml';

export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`invalid configuration in ${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export interface LoadConfigInput {
  /** The YAML file; CATALOG_CONFIG in env wins over it, then node-config/default.yaml. */
  path?: string;
  env?: Record<string, string | undefined>;
  /** Extra values merged over the file (tests use this). */
  overrides?: Record<string, unknown>;
}

export function loadConfig(input: LoadConfigInput = {}): Config {
  const env = input.env ?? {};
  const path = env.CATALOG_CONFIG ?? input.path ?? DEFAULT_CONFIG_PATH;
  const raw = readYaml(path);
  const merged = deepMerge(deepMerge(raw, input.overrides ?? {}), envOverrides(env, path));
  const parsed = ConfigSchema.safeParse(merged);
  if (!parsed.success) throw new ConfigError(path, describeIssues(parsed.error));
  return deepFreeze(parsed.data);
}

/** Validates an in-memory object the same way (tests and embedded use). */
export function configFrom(values: Record<string, unknown>): Config {
  const parsed = ConfigSchema.safeParse(values);
  if (!parsed.success) throw new ConfigError('the given values', describeIssues(parsed.error));
  return deepFreeze(parsed.data);
}

function readYaml(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(path, [`cannot read the file: ${(err as Error).message}`]);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ConfigError(path, [`not valid YAML: ${(err as Error).message}`]);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigError(path, ['the top level must be a mapping']);
  return doc as Record<string, unknown>;
}

function envOverrides(env: Record<string, string | undefined>, path: string): Record<string, unknown> {
  const out: Record<string, Record<string, unknown> | unknown> = {};
  const set = (section: string, key: string, value: unknown) => {
    out[section] = { ...((out[section] as Record<string, unknown>) ?? {}), [key]: value };
  };
  if (env.HOST) set('server', 'host', env.HOST);
  if (env.PORT) {
    const port = Number(env.PORT);
    if (!Number.isInteger(port)) throw new ConfigError(path, [`PORT: expected a whole number, got "${env.PORT}"`]);
    set('server', 'port', port);
  }
  if (env.DATABASE_URL) set('database', 'url', env.DATABASE_URL);
  if (env.REDIS_URL) set('queue', 'redis_url', env.REDIS_URL);
  if (env.CATALOG_DATA_DIR) out.data_dir = env.CATALOG_DATA_DIR;
  if (env.CATALOG_TYPES_DIR) out.types_dir = env.CATALOG_TYPES_DIR;
  if (env.CATALOG_AUTH) set('auth', 'modes', env.CATALOG_AUTH.split(',').map((m) => m.trim()).filter(Boolean));
  return out;
}

function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${issue.path.join('.') || '(top level)'}: ${issue.message}`);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    out[key] = isPlainObject(value) && isPlainObject(out[key]) ? deepMerge(out[key] as Record<string, unknown>, value) : value;
  }
  return out;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
