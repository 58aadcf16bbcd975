/**
 * @module The node's configuration: one zod schema, snake_case as in the YAML files.
 */
import { z } from 'zod';

export const AuthMode = z.enum(['anonymous', 'trusted-headers', 'jwt']);
export type AuthMode = z.infer<typeof AuthMode>;

const JwtSettings = z
  .object({
    /** Expected `iss`; tokens from any other issuer are refused. */
    issuer: z.string().min(1).optional(),
    /** Expected `aud`, when set. */
    audience: z.string().min(1).optional(),
    /** Where the issuer publishes its signing keys. */
    jwks_url: z.url({ protocol: /^https?$/ }).optional(),
    /** Public keys given inline: PEM (SPKI) text or JWK objects. */
    public_keys: z.array(z.union([z.string().min(1), z.record(z.string(), z.unknown())])).default([]),
    algorithms: z.array(z.string().min(1)).min(1).default(['RS256', 'ES256', 'EdDSA']),
    claims: z
      .object({
        user: z.string().min(1).default('sub'),
        project: z.string().min(1).default('project_id'),
        roles: z.string().min(1).default('roles'),
      })
      .strict()
      .default({ user: 'sub', project: 'project_id', roles: 'roles' }),
    clock_tolerance_seconds: z.number().int().min(0).max(300).default(30),
  })
  .strict();

export const ConfigSchema = z
  .object({
    node: z
      .object({
        name: z.string().min(1).max(255).default('catalog'),
        role: z.enum(['standalone', 'global', 'vendor', 'enterprise']).default('standalone'),
      })
      .strict()
      .default({ name: 'catalog', role: 'standalone' }),
    server: z
      .object({
        host: z.string().min(1).default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(9494),
        /** Largest JSON request body accepted, in KiB. */
        json_body_limit_kib: z.number().int().min(1).max(65536).default(1024),
      })
      .strict()
      .default({ host: '127.0.0.1', port: 9494, json_body_limit_kib: 1024 }),
    database: z
      .object({
        url: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').optional(),
        pool_size: z.number().int().min(1).max(200).default(10),
      })
      .strict()
      .default({ pool_size: 10 }),
    queue: z
      .object({
        redis_url: z.string().regex(/^rediss?:\/\//, 'must be a redis:// URL').optional(),
        prefix: z.string().min(1).default('catalog'),
      })
      .strict()
      .default({ prefix: 'catalog' }),
    data_dir: z.string().min(1).default('./data'),
    types_dir: z.string().min(1).default('node-config/types'),
    auth: z
      .object({
        modes: z.array(AuthMode).min(1).default(['anonymous', 'jwt']),
        admin_role: z.string().min(1).default('admin'),
        jwt: JwtSettings.default(JwtSettings.parse({})),
      })
      .strict()
      .default({ modes: ['anonymous', 'jwt'], admin_role: 'admin', jwt: JwtSettings.parse({}) }),
    api: z
      .object({
        default_limit: z.number().int().min(1).max(1000).default(25),
        max_limit: z.number().int().min(1).max(1000).default(1000),
      })
      .strict()
      .default({ default_limit: 25, max_limit: 1000 }),
    quotas: z
      .object({
        /** Default per-project limits; -1 means unlimited. Admins override them per project over the API. */
        max_artifact_number: z.number().int().min(-1).default(-1),
        max_uploaded_data: z.number().int().min(-1).default(-1),
      })
      .strict()
      .default({ max_artifact_number: -1, max_uploaded_data: -1 }),
    log: z
      .object({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') })
      .strict()
      .default({ level: 'info' }),
  })
  .strict();

export type Config = z.infer<typeof ConfigSchema>;
