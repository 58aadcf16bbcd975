/**
 * @module /federation/v1/admin: what a node's admins do about federation: issue enrolment tokens,
 * enrol this node with an upstream, list, suspend, resume and remove upstreams and children,
 * rotate and retire the node's keys. Admin users only (the domain checks).
 */
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import type { PeerPermission } from '../../artifacts/actor.js';
import type { Deps } from '../../deps.js';
import {
  enrolmentTokens,
  enrolWithUpstream,
  issueEnrolmentToken,
  peers,
  PEER_PERMISSIONS,
  removePeer,
  retireNodeKey,
  rotateNodeKeys,
  setPeerState,
  type EnrolmentTokenRecord,
  type PeerRecord,
} from '../../federation/peers.js';
import { opContextOf, type AppEnv } from '../env.js';
import { errorResponses, onInvalidInput } from '../errors.js';
import { ProjectParam, isoOrNull, jsonResponse } from '../params.js';

const Permission = z.enum(PEER_PERMISSIONS as [PeerPermission, ...PeerPermission[]]);
const Relation = z.enum(['upstreams', 'children']).openapi({ param: { name: 'relation', in: 'path' } });
const NodeParam = z.string().min(1).max(255).openapi({ param: { name: 'node', in: 'path' } });
const relationOf = (r: 'upstreams' | 'children') => (r === 'upstreams' ? 'upstream' : 'child');

const TokenRequest = z
  .object({
    permissions: z.array(Permission).min(1),
    /** The project a child's submissions land in, and whose artifacts it sees besides public ones. */
    project: ProjectParam.optional(),
    expires_in_seconds: z.number().int().min(60).max(30 * 86400).optional(),
    note: z.string().max(1024).optional(),
  })
  .strict()
  .openapi('EnrolmentTokenRequest');
const TokenView = z
  .object({
    id: z.string(),
    permissions: z.array(z.string()),
    project: z.string().nullable(),
    note: z.string(),
    created_by: z.string(),
    created_at: z.string(),
    expires_at: z.string(),
    used_at: z.string().nullable(),
    used_by: z.string().nullable(),
  })
  .openapi('EnrolmentToken');
const UpstreamRequest = z
  .object({
    url: z.url({ protocol: /^https?$/ }),
    token: z.string().min(1).max(512),
    /** The SHA-256 JWK thumbprint of a key the upstream must hold (pinned in advance). */
    fingerprint: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'a fingerprint is a base64url SHA-256 JWK thumbprint (43 characters)').optional(),
    timeout_ms: z.number().int().min(10).max(120_000).optional(),
  })
  .strict()
  .openapi('UpstreamEnrolment');
const PeerView = z
  .object({
    node_id: z.string(),
    relation: z.enum(['upstream', 'child']),
    name: z.string(),
    role: z.string(),
    url: z.string().nullable(),
    permissions: z.array(z.string()),
    project: z.string().nullable(),
    status: z.enum(['active', 'suspended']),
    key_fingerprints: z.array(z.string()),
    timeout_ms: z.number().nullable(),
    circuit: z.enum(['closed', 'open']).optional(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('FederationPeer');
const Delivery = z.object({ node: z.string(), name: z.string(), status: z.enum(['ok', 'error']), message: z.string().optional() });

const issueTokenRoute = createRoute({
  method: 'post',
  path: '/federation/v1/admin/enrolment-tokens',
  summary: 'Issue a one-time enrolment token for a child node (shown once)',
  request: { body: { required: true, content: { 'application/json': { schema: TokenRequest } } } },
  responses: { 201: jsonResponse(TokenView.extend({ token: z.string() }), 'The token and what it grants'), ...errorResponses },
});
const listTokensRoute = createRoute({
  method: 'get',
  path: '/federation/v1/admin/enrolment-tokens',
  summary: 'Enrolment tokens issued (never the tokens themselves)',
  responses: { 200: jsonResponse(z.object({ tokens: z.array(TokenView) }), 'The tokens'), ...errorResponses },
});
const enrolUpstreamRoute = createRoute({
  method: 'post',
  path: '/federation/v1/admin/upstreams',
  summary: 'Enrol this node with an upstream, with the token its admin issued',
  request: { body: { required: true, content: { 'application/json': { schema: UpstreamRequest } } } },
  responses: { 201: jsonResponse(PeerView, 'The upstream, its keys pinned'), ...errorResponses, 503: { description: 'The upstream does not answer' } },
});
const listPeersRoute = createRoute({
  method: 'get',
  path: '/federation/v1/admin/{relation}',
  summary: 'Upstreams or children of this node',
  request: { params: z.object({ relation: Relation }) },
  responses: { 200: jsonResponse(z.object({ nodes: z.array(PeerView) }), 'The nodes'), ...errorResponses },
});
const stateRoute = (action: 'suspend' | 'resume') =>
  createRoute({
    method: 'post',
    path: `/federation/v1/admin/{relation}/{node}/${action}`,
    summary: action === 'suspend' ? 'Suspend a peer: its tokens are refused and it is not asked' : 'Resume a suspended peer',
    request: { params: z.object({ relation: Relation, node: NodeParam }) },
    responses: { 200: jsonResponse(PeerView, 'The peer'), ...errorResponses },
  });
const removeRoute = createRoute({
  method: 'delete',
  path: '/federation/v1/admin/{relation}/{node}',
  summary: 'Remove a peer and its pinned keys (it must enrol again to be trusted)',
  request: { params: z.object({ relation: Relation, node: NodeParam }) },
  responses: { 204: { description: 'Removed' }, ...errorResponses },
});
const rotateRoute = createRoute({
  method: 'post',
  path: '/federation/v1/admin/keys/rotate',
  summary: 'Make a new signing key; the old one stays published for federation.key_overlap_hours; upstreams are told',
  responses: {
    200: jsonResponse(z.object({ kid: z.string(), retiring: z.array(z.string()), retires_at: z.string(), delivered: z.array(Delivery) }), 'The new key'),
    ...errorResponses,
  },
});
const retireRoute = createRoute({
  method: 'post',
  path: '/federation/v1/admin/keys/{kid}/retire',
  summary: 'Stop publishing a retiring key now; upstreams are told',
  request: { params: z.object({ kid: z.string().min(1).max(128).openapi({ param: { name: 'kid', in: 'path' } }) }) },
  responses: { 200: jsonResponse(z.object({ delivered: z.array(Delivery) }), 'Retired'), ...errorResponses },
});

function tokenView(t: EnrolmentTokenRecord): z.infer<typeof TokenView> {
  return {
    id: t.id,
    permissions: t.permissions,
    project: t.projectId,
    note: t.note,
    created_by: t.createdBy,
    created_at: t.createdAt.toISOString(),
    expires_at: t.expiresAt.toISOString(),
    used_at: isoOrNull(t.usedAt),
    used_by: t.usedBy,
  };
}

export function federationAdminRouter(deps: Deps) {
  const router = new OpenAPIHono<AppEnv>({ defaultHook: onInvalidInput });
  const peerView = (p: PeerRecord): z.infer<typeof PeerView> => ({
    node_id: p.nodeId,
    relation: p.relation,
    name: p.name,
    role: p.role,
    url: p.url,
    permissions: p.permissions,
    project: p.projectId,
    status: p.status,
    key_fingerprints: p.keys.map((k) => String(k.kid)),
    timeout_ms: p.timeoutMs,
    ...(p.relation === 'upstream' ? { circuit: deps.federation.breakers.stateOf(p.nodeId) } : {}),
    created_at: p.createdAt.toISOString(),
    updated_at: p.updatedAt.toISOString(),
  });

  router.openapi(issueTokenRoute, async (c) => {
    const input = c.req.valid('json');
    const { token, record } = await issueEnrolmentToken(deps, c.var.actor, {
      permissions: input.permissions,
      ...(input.project ? { projectId: input.project } : {}),
      ...(input.expires_in_seconds ? { ttlSeconds: input.expires_in_seconds } : {}),
      ...(input.note ? { note: input.note } : {}),
    });
    return c.json({ ...tokenView(record), token }, 201);
  });

  router.openapi(listTokensRoute, async (c) => c.json({ tokens: (await enrolmentTokens(deps, c.var.actor)).map(tokenView) }, 200));

  router.openapi(enrolUpstreamRoute, async (c) => {
    const input = c.req.valid('json');
    const upstream = await enrolWithUpstream(deps, opContextOf(deps, c).actor, {
      url: input.url,
      token: input.token,
      ...(input.fingerprint ? { fingerprint: input.fingerprint } : {}),
      ...(input.timeout_ms ? { timeoutMs: input.timeout_ms } : {}),
    });
    return c.json(peerView(upstream), 201);
  });

  router.openapi(listPeersRoute, async (c) => {
    const { relation } = c.req.valid('param');
    return c.json({ nodes: (await peers(deps, c.var.actor, relationOf(relation))).map(peerView) }, 200);
  });

  for (const action of ['suspend', 'resume'] as const) {
    router.openapi(stateRoute(action), async (c) => {
      const { relation, node } = c.req.valid('param');
      return c.json(peerView(await setPeerState(deps, c.var.actor, relationOf(relation), node, action === 'suspend' ? 'suspended' : 'active')), 200);
    });
  }

  router.openapi(removeRoute, async (c) => {
    const { relation, node } = c.req.valid('param');
    await removePeer(deps, c.var.actor, relationOf(relation), node);
    return c.body(null, 204);
  });

  router.openapi(rotateRoute, async (c) => c.json(await rotateNodeKeys(deps, c.var.actor), 200));

  router.openapi(retireRoute, async (c) => c.json(await retireNodeKey(deps, c.var.actor, c.req.valid('param').kid), 200));

  return router;
}
