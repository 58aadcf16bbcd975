import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, configFrom, loadConfig } from '../../src/config/load.js';

const dir = mkdtempSync(join(tmpdir(), 'catalog-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
function yamlFile(text: string): string {
  const path = join(dir, `${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(path, text);
  return path;
}

describe('loadConfig', () => {
  it('fills defaults for an empty file', () => {
    const config = loadConfig({ path: yamlFile('') });
    expect(config.server).toEqual({ host: '127.0.0.1', port: 9494, json_body_limit_kib: 1024, idle_timeout_seconds: 120, shutdown_grace_seconds: 30, readiness_timeout_ms: 500, processes: 0 });
    expect(config.auth.modes).toEqual(['anonymous', 'jwt']);
    expect(config.database.url).toBeUndefined();
    expect(config.blobs.stores).toEqual({ local: { kind: 'fs', root: 'blobs' } });
  });

  it('applies the environment overrides', () => {
    const config = loadConfig({
      path: yamlFile('server: { port: 1 }'),
      env: {
        HOST: '0.0.0.0',
        PORT: '8080',
        DATABASE_URL: 'postgres://db/catalog',
        REDIS_URL: 'redis://r:6379',
        CATALOG_DATA_DIR: '/var/lib/catalog',
        CATALOG_TYPES_DIR: '/etc/catalog/types',
        CATALOG_AUTH: 'jwt, trusted-headers',
      },
    });
    expect(config.server).toMatchObject({ host: '0.0.0.0', port: 8080 });
    expect(config.database.url).toBe('postgres://db/catalog');
    expect(config.queue.redis_url).toBe('redis://r:6379');
    expect(config.data_dir).toBe('/var/lib/catalog');
    expect(config.types_dir).toBe('/etc/catalog/types');
    expect(config.auth.modes).toEqual(['jwt', 'trusted-headers']);
  });

  it('reads the file CATALOG_CONFIG names', () => {
    const path = yamlFile('node: { name: from-env }');
    expect(loadConfig({ path: 'missing.yaml', env: { CATALOG_CONFIG: path } }).node.name).toBe('from-env');
  });

  it('lists every problem at once, each naming its key', () => {
    const path = yamlFile('server: { port: "eighty" }\nauth: { modes: [sorcery] }\ncolour: red\nblobs: { default_store: nowhere }');
    let error: unknown;
    try {
      loadConfig({ path });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain(path);
    expect(message).toMatch(/server\.port/);
    expect(message).toMatch(/auth\.modes\.0/);
    expect(message).toMatch(/colour/);
    expect(message).toMatch(/blobs\.default_store: names no store/);
  });

  it('refuses a PORT that is not a number, a missing file and bad YAML', () => {
    expect(() => loadConfig({ path: yamlFile(''), env: { PORT: 'http' } })).toThrow(/PORT/);
    expect(() => loadConfig({ path: join(dir, 'none.yaml') })).toThrow(/cannot read the file/);
    expect(() => loadConfig({ path: yamlFile('a: [') })).toThrow(/not valid YAML/);
    expect(() => loadConfig({ path: yamlFile('- a\n- b') })).toThrow(/mapping/);
  });

  it('returns a frozen config', () => {
    const config = configFrom({});
    expect(Object.isFrozen(config.server)).toBe(true);
    expect(() => {
      (config.server as { port: number }).port = 1;
    }).toThrow(TypeError);
  });

  it.each(readdirSync('node-config').filter((f) => f.endsWith('.yaml')))('node-config/%s is valid', (file) => {
    expect(() => loadConfig({ path: join('node-config', file) })).not.toThrow();
  });

  it('stops the node with exit code 1 and the key named', () => {
    const path = yamlFile('server: { port: 99999 }');
    const result = spawnSync(process.execPath, ['bin/catalog-node.js', 'serve'], { env: { ...process.env, CATALOG_CONFIG: path }, encoding: 'utf8', timeout: 30_000 });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/server\.port/);
  });
});
