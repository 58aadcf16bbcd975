/**
 * @module Profiles: which node to talk to and as whom. Kept in `$XDG_CONFIG_HOME/catalog/config.json`
 * (mode 0600, as it holds tokens). `--profile` picks a stored profile; without it `CATALOG_URL` and
 * `CATALOG_TOKEN` override the current profile's URL and token.
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { usageError } from './exit.js';

export interface Profile {
  url: string;
  /** A JWT (sent as a bearer token) or Glare's `user:project:roles` noauth token (sent as X-Auth-Token). */
  token?: string;
  /** Identity headers a trusted auth proxy would set (X-User-Id, X-Project-Id, X-Roles...). */
  headers?: Record<string, string>;
}

export interface ConfigFile {
  current?: string;
  profiles: Record<string, Profile>;
}

export interface Connection extends Profile {
  profile: string;
}

type Env = Record<string, string | undefined>;

export function configPath(env: Env): string {
  const base = env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME.startsWith('/') ? env.XDG_CONFIG_HOME : join(env.HOME ?? homedir(), '.config');
  return join(base, 'catalog', 'config.json');
}

export function readConfig(path: string): ConfigFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { profiles: {} };
    throw err;
  }
  try {
    const parsed = JSON.parse(text) as ConfigFile;
    if (typeof parsed !== 'object' || parsed === null || typeof parsed.profiles !== 'object') throw new Error('no "profiles" object');
    return parsed;
  } catch (err) {
    throw usageError(`${path} is not a catalog config file (${(err as Error).message}); fix or remove it`);
  }
}

/** Written whole and renamed into place, never readable by others, even for an instant. */
export function writeConfig(path: string, config: ConfigFile): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

export function resolveConnection(options: { profile?: string }, env: Env): Connection {
  const config = readConfig(configPath(env));
  const explicit = options.profile ?? env.CATALOG_PROFILE;
  const name = explicit ?? config.current ?? 'default';
  const stored = config.profiles[name];
  if (explicit && !stored) throw usageError(`no profile "${name}": run \`catalog login <url> --profile ${name}\``);
  const url = (!options.profile && env.CATALOG_URL) || stored?.url;
  if (!url) throw usageError('no node to talk to: run `catalog login <url>` or set CATALOG_URL');
  const token = (!options.profile && env.CATALOG_TOKEN) || stored?.token;
  return { profile: name, url: normaliseUrl(url), ...(token ? { token } : {}), ...(stored?.headers ? { headers: stored.headers } : {}) };
}

export function normaliseUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw usageError(`"${url}" is not a URL (e.g. http://127.0.0.1:9494)`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw usageError(`"${url}" is not an http(s) URL`);
  return parsed.href.replace(/\/+$/, '');
}
