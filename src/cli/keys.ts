/**
 * @module Developer key pairs kept on this machine, beside the profiles: one file per key,
 * `keys/<kid>.json` (mode 0600), holding the private JWK the node never sees.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CliError, EXIT, usageError } from './exit.js';
import { configPath } from './profiles.js';

export type SigningAlg = 'EdDSA' | 'ES256';

export interface StoredKey {
  kid: string;
  alg: SigningAlg;
  name: string;
  created_at: string;
  private_jwk: Record<string, string>;
  public_jwk: Record<string, string>;
}

type Env = Record<string, string | undefined>;

export const keysDir = (env: Env) => join(dirname(configPath(env)), 'keys');

export function saveKey(env: Env, key: StoredKey): string {
  const dir = keysDir(env);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, `${key.kid}.json`);
  writeFileSync(path, `${JSON.stringify(key, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  return path;
}

export function listKeys(env: Env): StoredKey[] {
  let files: string[];
  try {
    files = readdirSync(keysDir(env)).filter((f) => f.endsWith('.json'));
  } catch {
    return [];
  }
  return files.map((f) => JSON.parse(readFileSync(join(keysDir(env), f), 'utf8')) as StoredKey);
}

/** The key named by `kid` (or a unique prefix of it), or the only key there is. */
export function findKey(env: Env, kid: string | undefined): StoredKey {
  const keys = listKeys(env);
  if (kid === undefined) {
    if (keys.length === 1) return keys[0]!;
    if (keys.length === 0) throw usageError('no developer key on this machine: run `catalog key gen`');
    throw usageError(`several developer keys on this machine: name one with --key (${keys.map((k) => k.kid).join(', ')})`);
  }
  const matches = keys.filter((k) => k.kid.startsWith(kid));
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0) throw new CliError(`no developer key ${kid} in ${keysDir(env)}`, EXIT.notFound);
  throw usageError(`"${kid}" names several keys: give more of it`);
}
