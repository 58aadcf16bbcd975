/**
 * @module /developer-keys: the public keys a project signs its artifacts with (extension).
 * A member registers, lists and revokes its own project's keys; an admin names any project with
 * `?project_id=`.
 */
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import type { Deps } from '../../deps.js';
import { BadRequest } from '../../errors.js';
import { listKeys, registerKey, revokeKey, showKey, type DeveloperKey } from '../../signing/keys.js';
import { opContextOf, type AppEnv } from '../env.js';
import { describeZodError, errorResponses, onInvalidInput } from '../errors.js';
import { readJsonBody } from '../json-body.js';
import { ProjectQuery, jsonResponse } from '../params.js';

export const DeveloperKeyView = z
  .object({
    kid: z.string().openapi({ description: 'RFC 7638 JWK thumbprint (SHA-256, base64url): the `kid` a signature names the key by' }),
    project: z.string(),
    name: z.string(),
    alg: z.enum(['EdDSA', 'ES256']),
    jwk: z.record(z.string(), z.string()).openapi({ description: 'The public JWK (kty, crv, x[, y])' }),
    created_at: z.string(),
    created_by: z.string(),
    revoked: z.boolean(),
    revoked_at: z.string().nullable(),
    revocation_reason: z.string().nullable(),
    revoked_by: z.string().nullable(),
  })
  .openapi('DeveloperKey');

export function renderKey(k: DeveloperKey): z.infer<typeof DeveloperKeyView> {
  return {
    kid: k.kid,
    project: k.project,
    name: k.name,
    alg: k.alg,
    jwk: k.jwk,
    created_at: k.createdAt.toISOString(),
    created_by: k.createdBy,
    revoked: k.revokedAt !== null,
    revoked_at: k.revokedAt?.toISOString() ?? null,
    revocation_reason: k.revocationReason,
    revoked_by: k.revokedBy,
  };
}

const RegisterBody = z
  .object({
    jwk: z.unknown().refine((v) => v !== undefined, 'jwk is required: the public key as a JWK object'),
    name: z.string().max(255).optional(),
  })
  .strict();

const RevokeBody = z
  .object({
    reason: z.string().trim().min(1, 'say why the key is revoked').max(1024),
    revoked_at: z.iso.datetime({ offset: true }).optional().openapi({ description: 'From when the key no longer counts (default now; earlier when it was compromised earlier)' }),
  })
  .strict();

const KidParam = z.string().max(255).openapi({ param: { name: 'kid', in: 'path' }, example: 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs' });
const projectQuery = z.object({ project_id: ProjectQuery.optional() });

const registerRoute = createRoute({
  method: 'post',
  path: '/developer-keys',
  summary: 'Register a developer public key for the caller’s project (extension)',
  description: 'Body: `{"jwk": {"kty": "OKP", "crv": "Ed25519", "x": "..."}, "name": "alice laptop"}` or a P-256 key (`"kty": "EC", "crv": "P-256", "x", "y"`). A JWK with a private part ("d") is refused.',
  request: {
    query: projectQuery,
    body: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['jwk'], properties: { jwk: { type: 'object' }, name: { type: 'string' } } } } } },
  },
  responses: { 201: jsonResponse(DeveloperKeyView, 'The registered key'), ...errorResponses, 409: { description: 'The project already registered this key' } },
});

const listRoute = createRoute({
  method: 'get',
  path: '/developer-keys',
  summary: 'The developer keys of the caller’s project, revoked ones included (extension)',
  request: { query: projectQuery },
  responses: { 200: jsonResponse(z.object({ keys: z.array(DeveloperKeyView) }).openapi('DeveloperKeyList'), 'The keys'), ...errorResponses },
});

const showRoute = createRoute({
  method: 'get',
  path: '/developer-keys/{kid}',
  summary: 'One developer key (extension)',
  request: { params: z.object({ kid: KidParam }), query: projectQuery },
  responses: { 200: jsonResponse(DeveloperKeyView, 'The key'), ...errorResponses },
});

const revokeRoute = createRoute({
  method: 'post',
  path: '/developer-keys/{kid}/revoke',
  summary: 'Revoke a developer key, with a reason (extension)',
  description: 'Signatures made (attached) at or after `revoked_at` no longer hold; earlier ones still do. A revocation is final.',
  request: {
    params: z.object({ kid: KidParam }),
    query: projectQuery,
    body: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['reason'], properties: { reason: { type: 'string' }, revoked_at: { type: 'string', format: 'date-time' } } } } } },
  },
  responses: { 200: jsonResponse(DeveloperKeyView, 'The revoked key'), ...errorResponses, 409: { description: 'Already revoked' } },
});

export function developerKeysRouter(deps: Deps) {
  const router = new OpenAPIHono<AppEnv>({ defaultHook: onInvalidInput });
  const limitBytes = deps.config.server.json_body_limit_kib * 1024;
  const parse = async <T extends z.ZodType>(c: Parameters<typeof readJsonBody>[0], schema: T, what: string): Promise<z.infer<T>> => {
    const parsed = schema.safeParse(await readJsonBody(c, { accept: ['application/json'], limitBytes }));
    if (!parsed.success) throw new BadRequest(`${what}: ${describeZodError(parsed.error)}`);
    return parsed.data;
  };

  router.openapi(registerRoute, async (c) => {
    const body = await parse(c, RegisterBody, 'developer key');
    const key = await registerKey(opContextOf(deps, c), { project: c.req.valid('query').project_id, jwk: body.jwk, name: body.name });
    c.header('Location', `/developer-keys/${key.kid}`);
    return c.json(renderKey(key), 201);
  });

  router.openapi(listRoute, async (c) => c.json({ keys: (await listKeys(opContextOf(deps, c), c.req.valid('query').project_id)).map(renderKey) }, 200));

  router.openapi(showRoute, async (c) =>
    c.json(renderKey(await showKey(opContextOf(deps, c), { kid: c.req.valid('param').kid, project: c.req.valid('query').project_id })), 200),
  );

  router.openapi(revokeRoute, async (c) => {
    const body = await parse(c, RevokeBody, 'revocation');
    const key = await revokeKey(opContextOf(deps, c), {
      kid: c.req.valid('param').kid,
      project: c.req.valid('query').project_id,
      reason: body.reason,
      ...(body.revoked_at ? { revokedAt: new Date(body.revoked_at) } : {}),
    });
    return c.json(renderKey(key), 200);
  });

  return router;
}
