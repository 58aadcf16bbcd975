/**
 * @module `catalog key gen|register|list|revoke`, `catalog sign`, `catalog verify`: developer
 * signatures. The private key stays on this machine; the node gets the public JWK, and a
 * detached JWS over the canonical manifest it serves.
 */
import { readFileSync } from 'node:fs';
import type { CommandContext } from '../context.js';
import { CliError, EXIT, usageError } from '../exit.js';
import { findKey, listKeys, saveKey, type SigningAlg, type StoredKey } from '../keys.js';
import { cell } from '../output.js';
import { artifactPath } from './artifact.js';

interface DeveloperKey {
  kid: string;
  project: string;
  name: string;
  alg: string;
  revoked: boolean;
  revoked_at: string | null;
  revocation_reason: string | null;
  created_at: string;
}

const keyRows = (keys: DeveloperKey[], local: Set<string>) => ({
  columns: ['KID', 'NAME', 'ALG', 'PROJECT', 'HERE', 'REVOKED'],
  rows: keys.map((k) => [k.kid, k.name, k.alg, k.project, local.has(k.kid) ? 'yes' : '', k.revoked ? `${k.revoked_at} ${cell(k.revocation_reason)}` : '']),
});

export async function gen(ctx: CommandContext, opts: { alg?: string; name?: string; register?: boolean }): Promise<void> {
  const alg = (opts.alg ?? 'EdDSA') as SigningAlg;
  if (alg !== 'EdDSA' && alg !== 'ES256') throw usageError('--alg is EdDSA (Ed25519) or ES256 (P-256)');
  const { generateKeyPair, exportJWK, calculateJwkThumbprint } = await import('jose');
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = (await exportJWK(publicKey)) as Record<string, string>;
  const key: StoredKey = {
    kid: await calculateJwkThumbprint(publicJwk, 'sha256'),
    alg,
    name: opts.name ?? `${process.env.USER ?? 'developer'} key`,
    created_at: new Date().toISOString(),
    private_jwk: (await exportJWK(privateKey)) as Record<string, string>,
    public_jwk: publicJwk,
  };
  const path = saveKey(ctx.env, key);
  ctx.note(`generated ${alg} key ${key.kid}; private key in ${path}`);
  if (opts.register) return register(ctx, key.kid, { name: key.name });
  await ctx.print({ data: { kid: key.kid, alg, name: key.name, public_jwk: publicJwk, path }, table: () => `${key.kid}\n`, quiet: () => [key.kid] });
}

export async function register(ctx: CommandContext, kid: string | undefined, opts: { name?: string; jwk?: string }): Promise<void> {
  let jwk: unknown;
  let name = opts.name;
  if (opts.jwk) {
    try {
      jwk = JSON.parse(readFileSync(opts.jwk === '-' ? 0 : opts.jwk, 'utf8'));
    } catch {
      throw usageError(`${opts.jwk} must hold a public JWK as JSON`);
    }
  } else {
    const key = findKey(ctx.env, kid);
    jwk = key.public_jwk;
    name ??= key.name;
  }
  const k = await ctx.client().json<DeveloperKey>('POST', '/developer-keys', { json: { jwk, ...(name ? { name } : {}) } });
  const local = new Set(listKeys(ctx.env).map((x) => x.kid));
  await ctx.print({ data: k, table: () => keyRows([k], local), quiet: () => [k.kid] });
}

export async function list(ctx: CommandContext, opts: { project?: string }): Promise<void> {
  const { keys } = await ctx.client().json<{ keys: DeveloperKey[] }>('GET', '/developer-keys', { query: opts.project ? [['project_id', opts.project]] : [] });
  const local = new Set(listKeys(ctx.env).map((x) => x.kid));
  await ctx.print({ data: { keys }, table: () => (keys.length === 0 ? 'no developer keys registered\n' : keyRows(keys, local)), quiet: () => keys.map((k) => k.kid) });
}

export async function revoke(ctx: CommandContext, kid: string, opts: { reason: string; at?: string; project?: string }): Promise<void> {
  const k = await ctx.client().json<DeveloperKey>('POST', `/developer-keys/${encodeURIComponent(kid)}/revoke`, {
    json: { reason: opts.reason, ...(opts.at ? { revoked_at: opts.at } : {}) },
    query: opts.project ? [['project_id', opts.project]] : [],
  });
  await ctx.print({ data: k, table: () => keyRows([k], new Set()), quiet: () => [k.kid] });
}

export async function sign(ctx: CommandContext, type: string, id: string, opts: { key?: string }): Promise<void> {
  const key = findKey(ctx.env, opts.key);
  const client = ctx.client();
  // The exact bytes served: a signature covers bytes, not a re-serialisation of them.
  const manifest = new Uint8Array(await (await client.send('GET', `${artifactPath(type, id)}/manifest`)).arrayBuffer());
  const { CompactSign, importJWK } = await import('jose');
  const privateKey = await importJWK(key.private_jwk, key.alg);
  const [protectedHeader, , signature] = (await new CompactSign(manifest).setProtectedHeader({ alg: key.alg, kid: key.kid }).sign(privateKey)).split('.');
  const attached = await client.json<Record<string, unknown>>('POST', `${artifactPath(type, id)}/signatures`, { json: { jws: `${protectedHeader}..${signature}` } });
  await ctx.print({ data: attached, table: () => `signed ${type}/${id} with ${key.kid} (${key.name})\n`, quiet: () => [String(attached.id)] });
}

interface Verification {
  name: string;
  version: string;
  verified: boolean;
  manifest_sha256: string;
  signatures: Array<{ kid: string; key_name: string | null; key_project: string; signed_at: string; holds: boolean; reason: string | null }>;
}

/** Exits 0 when a signature holds, 4 when none does (unsigned, changed, or every key revoked). */
export async function verify(ctx: CommandContext, type: string, id: string): Promise<void> {
  const v = await ctx.client().json<Verification>('GET', `${artifactPath(type, id)}/verify`);
  await ctx.print({
    data: v,
    table: () =>
      v.signatures.length === 0
        ? `${v.name}@${v.version} is not signed\n`
        : { columns: ['KID', 'KEY', 'PROJECT', 'SIGNED', 'HOLDS', 'WHY NOT'], rows: v.signatures.map((s) => [s.kid, cell(s.key_name), s.key_project, s.signed_at, s.holds ? 'yes' : 'no', cell(s.reason)]) },
    quiet: () => v.signatures.filter((s) => s.holds).map((s) => s.kid),
  });
  if (!v.verified) throw new CliError(`${type}/${id}: no signature holds`, EXIT.refused);
}
