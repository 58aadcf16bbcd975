/**
 * @module `catalog login|logout|profiles`: a node URL and a credential (a token, or the identity
 * headers of a trusted auth proxy) kept per profile. A login is checked against the node first,
 * so a wrong URL or a refused token is never stored.
 */
import { readFileSync } from 'node:fs';
import { NodeClient } from '../client.js';
import type { CommandContext } from '../context.js';
import { usageError } from '../exit.js';
import { configPath, normaliseUrl, readConfig, writeConfig, type Profile } from '../profiles.js';

export interface LoginOptions {
  token?: string;
  tokenStdin?: boolean;
  header?: string[];
}

export async function login(ctx: CommandContext, url: string, opts: LoginOptions): Promise<void> {
  const name = ctx.globals.profile ?? 'default';
  let token = opts.token;
  if (opts.tokenStdin) token = readFileSync(0, 'utf8').trim();
  if (token !== undefined && opts.header?.length) throw usageError('give a token or identity headers, not both');
  const headers: Record<string, string> = {};
  for (const h of opts.header ?? []) {
    const m = /^([A-Za-z0-9-]+)[=:]\s*(.*)$/.exec(h);
    if (!m) throw usageError(`"${h}" is not Header-Name=value (e.g. X-Project-Id=p1)`);
    headers[m[1]!] = m[2]!;
  }
  const profile: Profile = { url: normaliseUrl(url), ...(token ? { token } : {}), ...(Object.keys(headers).length ? { headers } : {}) };
  // Anything that needs a caller: a refused credential answers 401 here, not on first use.
  const who = await new NodeClient({ profile: name, ...profile }).json<{ project_id: string }>('GET', '/project-quotas').catch(async (err: unknown) => {
    if ((err as { status?: number }).status === 403 || (err as { status?: number }).status === 404) return { project_id: '' };
    throw err;
  });
  const path = configPath(ctx.env);
  const config = readConfig(path);
  config.profiles[name] = profile;
  config.current ??= name;
  writeConfig(path, config);
  ctx.note(`logged in to ${profile.url} as profile "${name}"${who.project_id ? ` (project ${who.project_id})` : ''}; saved in ${path}`);
}

export async function logout(ctx: CommandContext): Promise<void> {
  const path = configPath(ctx.env);
  const config = readConfig(path);
  const name = ctx.globals.profile ?? config.current ?? 'default';
  if (!config.profiles[name]) throw usageError(`no profile "${name}" to log out of`);
  delete config.profiles[name];
  if (config.current === name) delete config.current;
  writeConfig(path, config);
  ctx.note(`removed profile "${name}"`);
}

export async function use(ctx: CommandContext, name: string): Promise<void> {
  const path = configPath(ctx.env);
  const config = readConfig(path);
  if (!config.profiles[name]) throw usageError(`no profile "${name}"`);
  config.current = name;
  writeConfig(path, config);
  ctx.note(`profile "${name}" is now the current one`);
}

export async function profiles(ctx: CommandContext): Promise<void> {
  const config = readConfig(configPath(ctx.env));
  const rows = Object.entries(config.profiles).map(([name, p]) => ({
    name,
    current: name === config.current,
    url: p.url,
    credential: p.token ? 'token' : p.headers ? `headers (${Object.keys(p.headers).join(', ')})` : 'none',
  }));
  await ctx.print({
    // Never the token itself: this output ends up in terminals and logs.
    data: { current: config.current ?? null, profiles: rows },
    table: () => (rows.length === 0 ? 'no profiles: run `catalog login <url>`\n' : { columns: ['', 'PROFILE', 'URL', 'CREDENTIAL'], rows: rows.map((r) => [r.current ? '*' : '', r.name, r.url, r.credential]) }),
    quiet: () => rows.map((r) => r.name),
  });
}
