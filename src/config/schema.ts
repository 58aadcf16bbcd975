/**
 * @module The node's configuration: one zod schema, snake_case as in the YAML files.
 */
import { z } from 'zod';
import { BlobStoreOptions } from '../blobs/options.js';

/**
 * anonymous: no identity; jwt: a JWT in `Authorization: Bearer` or `X-Auth-Token`; trusted-headers:
 * X-User-Id/X-Project-Id/X-Roles from a proxy; noauth-token: Glare's unverified `X-Auth-Token:
 * user:tenant:roles`. The last two believe whatever the caller says, so no default enables them.
 */
export const AuthMode = z.enum(['anonymous', 'trusted-headers', 'jwt', 'noauth-token']);
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

/** Node-to-node trust and federated search (src/federation/). */
const FederationSettings = z
  .object({
    /** The URL children reach this node at; told to them at enrolment (informational). */
    public_url: z.url({ protocol: /^https?$/ }).optional(),
    /** Lifetime of the JWT on each node-to-node request; receivers refuse more than 120 s. */
    token_lifetime_seconds: z.number().int().min(5).max(120).default(60),
    /** Clock skew allowed between nodes when checking a node token's times. */
    clock_tolerance_seconds: z.number().int().min(0).max(60).default(5),
    /** After a key rotation the old key stays published (and accepted) this long. */
    key_overlap_hours: z.number().min(0).max(24 * 90).default(24),
    /** How long an enrolment token is valid when the admin does not say. */
    enrolment_token_hours: z.number().min(0.01).max(24 * 30).default(24),
    search: z
      .object({
        /** How long one upstream may take to answer a search (an upstream's own setting wins). */
        timeout_ms: z.number().int().min(10).max(120_000).default(2000),
        /** The whole federated search answers within this, whatever its upstreams do. */
        deadline_ms: z.number().int().min(10).max(300_000).default(5000),
        /** How many levels of upstreams a search may climb from the node first asked. */
        max_hops: z.number().int().min(0).max(16).default(4),
      })
      .strict()
      .default({ timeout_ms: 2000, deadline_ms: 5000, max_hops: 4 }),
    resolve: z
      .object({
        /** How long one upstream may take to answer a tree resolution's candidates (an upstream's own setting wins). */
        timeout_ms: z.number().int().min(10).max(120_000).default(10_000),
        /** A tree resolution has its candidates within this, whatever its upstreams do. */
        deadline_ms: z.number().int().min(10).max(300_000).default(20_000),
      })
      .strict()
      .default({ timeout_ms: 10_000, deadline_ms: 20_000 }),
    subscriptions: z
      .object({
        /** How often a subscription syncs when it does not say. */
        every_minutes: z.number().int().min(1).max(7 * 24 * 60).default(60),
        /** Matches one sync takes at most (it says `partial` past them; the next sync goes on). */
        max_results: z.number().int().min(1).max(1_000_000).default(10_000),
      })
      .strict()
      .default({ every_minutes: 60, max_results: 10_000 }),
    breaker: z
      .object({
        /** While an upstream's circuit is open it is probed this often; the first success closes it. */
        probe_every_ms: z.number().int().min(10).max(600_000).default(5000),
        probe_timeout_ms: z.number().int().min(10).max(60_000).default(1000),
      })
      .strict()
      .default({ probe_every_ms: 5000, probe_timeout_ms: 1000 }),
    submissions: z
      .object({
        /** What a child's submission becomes here: a draft an admin reviews (accept or refuse), or active at once. */
        land_as: z.enum(['drafted', 'active']).default('drafted'),
        /** Types this node's artifacts may be submitted upstream as (empty: every type). */
        types: z.array(z.string().min(1)).default([]),
        /** How long sending one submission to an upstream may take. */
        transfer_timeout_seconds: z.number().int().min(10).max(7 * 86400).default(3600),
      })
      .strict()
      .default({ land_as: 'drafted', types: [], transfer_timeout_seconds: 3600 }),
    pull: z
      .object({
        /** How long an upstream may take to describe what a pull will copy (the closure and its provenance). */
        timeout_ms: z.number().int().min(10).max(300_000).default(10_000),
        /** A bundle transfer in which no byte arrives for this long is abandoned (and retried). */
        idle_timeout_ms: z.number().int().min(100).max(3_600_000).default(60_000),
        /** How often a running pull writes its progress (bytes so far) for GET /federation/v1/jobs/{id}. */
        progress_every_ms: z.number().int().min(10).max(60_000).default(500),
      })
      .strict()
      .default({ timeout_ms: 10_000, idle_timeout_ms: 60_000, progress_every_ms: 500 }),
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
        /**
         * A connection on which nothing moves (no byte read or written) this long is closed.
         * There is no whole-request time limit: a large blob may take hours to transfer.
         */
        idle_timeout_seconds: z.number().int().min(1).max(86400).default(120),
        /** After SIGTERM, requests in flight get this long to finish before their connections are cut. */
        shutdown_grace_seconds: z.number().min(0).max(3600).default(30),
        /** How long /readyz waits for the database before answering 503. */
        readiness_timeout_ms: z.number().int().min(10).max(60_000).default(500),
        /**
         * HTTP worker processes sharing the port (node:cluster), with PostgreSQL only (PGlite is
         * one process's). 0: one per CPU core.
         */
        processes: z.number().int().min(0).max(256).default(0),
      })
      .strict()
      .default({ host: '127.0.0.1', port: 9494, json_body_limit_kib: 1024, idle_timeout_seconds: 120, shutdown_grace_seconds: 30, readiness_timeout_ms: 500, processes: 0 }),
    database: z
      .object({
        url: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').optional(),
        pool_size: z.number().int().min(1).max(200).default(10),
        /**
         * Hot reads as named prepared statements: one round trip instead of two, always planned for
         * their actual parameters. Turn off behind a pooler in transaction mode (PgBouncer).
         */
        prepared_statements: z.boolean().default(true),
        /** Opening a connection that takes longer fails the query waiting for it (then 503). */
        connect_timeout_seconds: z.number().int().min(1).max(300).default(5),
        /** PostgreSQL's statement_timeout: a statement running longer is cancelled (then 503). 0: none. */
        statement_timeout_seconds: z.number().min(0).max(86400).default(30),
        /** Most statement texts one connection names (an LRU); others run unnamed. Bounds memory on both sides. */
        prepared_statement_limit: z.number().int().min(1).max(10_000).default(100),
      })
      .strict()
      .default({ pool_size: 10, prepared_statements: true, connect_timeout_seconds: 5, statement_timeout_seconds: 30, prepared_statement_limit: 100 }),
    queue: z
      .object({
        redis_url: z.string().regex(/^rediss?:\/\//, 'must be a redis:// URL').optional(),
        prefix: z.string().min(1).default('catalog'),
        /** After SIGTERM, a worker's running jobs get this long to finish; the rest go back to the queue. */
        shutdown_grace_seconds: z.number().min(0).max(3600).default(30),
      })
      .strict()
      .default({ prefix: 'catalog', shutdown_grace_seconds: 30 }),
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
        /** How long a list's total_count is remembered (artifacts/list-counts.ts); 0: count every time. */
        list_count_ttl_seconds: z.number().min(0).max(3600).default(10),
        list_count_entries: z.number().int().min(1).max(1_000_000).default(10_000),
        /** A list's total_count is exact up to this many; past it, this many with total_count_exact false. */
        list_count_exact_up_to: z.number().int().min(1).max(1_000_000).default(1000),
      })
      .strict()
      .default({ default_limit: 25, max_limit: 1000, list_count_ttl_seconds: 10, list_count_entries: 10_000, list_count_exact_up_to: 1000 }),
    quotas: z
      .object({
        /** Default per-project limits; -1 means unlimited. Admins override them per project over the API. */
        max_artifact_number: z.number().int().min(-1).default(-1),
        max_uploaded_data: z.number().int().min(-1).default(-1),
        /** Default per-project limits for one type (Glare's [artifact_type:<type>] max_*). */
        types: z
          .record(
            z.string(),
            z
              .object({ max_artifact_number: z.number().int().min(-1).default(-1), max_uploaded_data: z.number().int().min(-1).default(-1) })
              .strict(),
          )
          .default({}),
      })
      .strict()
      .default({ max_artifact_number: -1, max_uploaded_data: -1, types: {} }),
    blobs: z
      .object({
        /** Named stores; each artifact type's blobs go to one of them. */
        stores: z.record(z.string().regex(/^[a-z][a-z0-9_-]{0,63}$/, 'store names are lower case letters, digits, _ and -'), BlobStoreOptions).default({ local: { kind: 'fs', root: 'blobs' } }),
        default_store: z.string().min(1).default('local'),
        /** Type name → store name, for types whose blobs belong elsewhere (images on S3...). */
        type_stores: z.record(z.string(), z.string()).default({}),
        /** How long a redirect to a store's direct URL stays valid. */
        direct_url_ttl_seconds: z.number().int().min(10).max(86400).default(300),
        /** An upload no live process has renewed for this long is abandoned (its node died); renewed every quarter of it. */
        upload_lease_seconds: z.number().int().min(2).max(3600).default(20),
        scrub: z
          .object({
            every_minutes: z.number().int().min(1).default(60),
            /** Bytes younger than this are never scrubbed: an upload may be about to record them. */
            grace_minutes: z.number().int().min(1).default(60),
            /** A `saving` upload older than this died with its node. */
            stale_upload_hours: z.number().int().min(1).default(24),
          })
          .strict()
          .default({ every_minutes: 60, grace_minutes: 60, stale_upload_hours: 24 }),
      })
      .strict()
      .superRefine((b, ctx) => {
        const names = Object.keys(b.stores);
        if (!names.includes(b.default_store)) ctx.addIssue({ code: 'custom', path: ['default_store'], message: `names no store; stores: ${names.join(', ')}` });
        for (const [type, store] of Object.entries(b.type_stores)) {
          if (!names.includes(store)) ctx.addIssue({ code: 'custom', path: ['type_stores', type], message: `names no store; stores: ${names.join(', ')}` });
        }
      })
      .default({
        stores: { local: { kind: 'fs', root: 'blobs' } },
        default_store: 'local',
        type_stores: {},
        direct_url_ttl_seconds: 300,
        upload_lease_seconds: 20,
        scrub: { every_minutes: 60, grace_minutes: 60, stale_upload_hours: 24 },
      }),
    policy: z
      .object({
        /** Glare lets only admins publish (visibility → public); true lets owners publish their own. */
        owners_may_publish: z.boolean().default(false),
      })
      .strict()
      .default({ owners_may_publish: false }),
    dependencies: z
      .object({
        /**
         * Deleting or deactivating an artifact other artifacts link to: `refuse` answers 409
         * naming the dependants; `mark_broken` goes ahead and marks their references broken.
         */
        on_depended_removal: z.enum(['refuse', 'mark_broken']).default('refuse'),
        /** How many dependency steps GET .../dependencies follows when the caller names no depth. */
        default_depth: z.number().int().min(1).max(1000).default(50),
      })
      .strict()
      .default({ on_depended_removal: 'refuse', default_depth: 50 }),
    signing: z
      .object({
        /** Every artifact needs a developer signature that holds before it may be activated. */
        require_signatures: z.boolean().default(false),
        /** Per artifact type: require signatures for this type even when the node does not. */
        types: z.record(z.string(), z.object({ require_signatures: z.boolean().default(false) }).strict()).default({}),
      })
      .strict()
      .default({ require_signatures: false, types: {} }),
    federation: FederationSettings.default(FederationSettings.parse({})),
    community: z
      .object({
        /** How often download counts gathered in memory are added to the database (downloads never wait for it). */
        download_flush_ms: z.number().int().min(50).max(60_000).default(1000),
        /** false: downloads are not counted at all (statistics stay as they are). */
        count_downloads: z.boolean().default(true),
        /** The longest comment, in characters. */
        comment_max_chars: z.number().int().min(1).max(100_000).default(4000),
      })
      .strict()
      .default({ download_flush_ms: 1000, count_downloads: true, comment_max_chars: 4000 }),
    log: z
      .object({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') })
      .strict()
      .default({ level: 'info' }),
  })
  .strict();

export type Config = z.infer<typeof ConfigSchema>;
