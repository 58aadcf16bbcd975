/**
 * @module The peer-facing surface, /federation/v1 (and /.well-known/jwks.json): what a node says
 * about itself (open), enrolment (authorised by the enrolment token, signed by the child's key),
 * key announcements (authorised by the signatures of keys already pinned), and federated search
 * (a user of this node, or a peer enrolled for search, with a node token).
 */
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { ALL_TYPES } from '../../artifacts/names.js';
import { assertPeerMay } from '../../artifacts/policy.js';
import { listArtifactsPage } from '../../artifacts/read.js';
import type { Deps } from '../../deps.js';
import { BadRequest, Unauthenticated } from '../../errors.js';
import { artifactDigest, federatedSearch, SEARCH_CONTROL_PARAMS, SEARCH_PATH, SearchAnswer } from '../../federation/fan-out.js';
import { announceKeys } from '../../federation/identity.js';
import { acceptKeyAnnouncement, describeNode, enrolChild, PEER_PERMISSIONS } from '../../federation/peers.js';
import { CandidatesAnswer, CandidatesRequest, candidatesToWire, gatherTreeCandidates, MAX_CANDIDATE_NAMES } from '../../federation/tree-candidates.js';
import { localCandidates } from '../../dependencies/resolver.js';
import { opContextOf, type AppEnv } from '../env.js';
import { describeZodError, errorResponses, onInvalidInput } from '../errors.js';
import { readJsonBodyBytes } from '../json-body.js';
import { jsonResponse } from '../params.js';
import { parseListQuery } from '../glare/filters.js';
import { renderListed } from '../glare/render.js';

/** Paths that need no caller at all: what a node says about itself, enrolment and key announcements. */
export const FEDERATION_OPEN_PATHS: ReadonlySet<string> = new Set(['/.well-known/jwks.json', '/federation/v1/node', '/federation/v1/keys', '/federation/v1/enrol']);

/**
 * Peer GET routes that start reading while the node token's first use is recorded (src/auth/peer.ts):
 * search reads its own page meanwhile, and asks its upstreams only once the token is cleared.
 */
export const FEDERATION_EARLY_READ_PATHS: ReadonlySet<string> = new Set([SEARCH_PATH]);

const NodeView = z
  .object({ id: z.string(), name: z.string(), role: z.string(), api_version: z.string(), url: z.string().optional() })
  .openapi('FederationNode');
const Jwks = z.object({ keys: z.array(z.record(z.string(), z.unknown())) }).openapi('Jwks');
const PublicJwk = z.record(z.string(), z.unknown());
const NodeId = z.string().min(1).max(255).regex(/^[A-Za-z0-9._:-]+$/, 'a node id is letters, digits and ._:-');

const EnrolBody = z
  .object({
    token: z.string().min(1).max(512),
    node: z.object({ id: NodeId, name: z.string().min(1).max(255), role: z.string().min(1).max(64), url: z.url().optional() }),
    keys: z.array(PublicJwk).min(1).max(10),
  })
  .strict();
const EnrolGrant = z
  .object({ upstream: NodeView, keys: z.array(PublicJwk), permissions: z.array(z.enum(PEER_PERMISSIONS as ['search', 'pull', 'submit'])), project: z.string().optional() })
  .openapi('EnrolmentGrant');

const jwksRoute = createRoute({
  method: 'get',
  path: '/.well-known/jwks.json',
  summary: 'This node’s public keys (every published key: the signing one and those retiring)',
  responses: { 200: jsonResponse(Jwks, 'JWK set') },
});
const nodeRoute = createRoute({
  method: 'get',
  path: '/federation/v1/node',
  summary: 'This node: id, name, role, federation API version',
  responses: { 200: jsonResponse(NodeView, 'The node') },
});
const keysRoute = createRoute({
  method: 'get',
  path: '/federation/v1/keys',
  summary: 'Key announcement: the published keys, signed by each of them (General JWS JSON)',
  responses: { 200: jsonResponse(z.record(z.string(), z.unknown()), 'The announcement') },
});
const acceptKeysRoute = createRoute({
  method: 'put',
  path: '/federation/v1/keys',
  summary: 'A peer tells its new key set (its announcement, signed by a key this node pins for it)',
  // Plain schemas: these bodies are read (and their bytes digested or verified) by the handlers.
  request: { body: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['payload', 'signatures'] } } } } },
  responses: { 200: jsonResponse(z.object({ node: z.string(), keys: z.array(z.string()) }), 'The keys now pinned for the peer'), ...errorResponses },
});
const enrolRoute = createRoute({
  method: 'post',
  path: '/federation/v1/enrol',
  summary: 'A child enrols with an enrolment token (signed with a node token by one of the keys it presents)',
  request: { body: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['token', 'node', 'keys'], description: 'token; node {id, name, role, url?}; keys: the child’s public JWKs' } } } } },
  responses: { 201: jsonResponse(EnrolGrant, 'Enrolled: the upstream, its keys to pin, what it grants'), ...errorResponses, 409: { description: 'The node is enrolled already' } },
});
const searchRoute = createRoute({
  method: 'get',
  path: '/federation/v1/search',
  summary: 'Federated search: this catalog and its upstreams',
  description: [
    'Takes the list filters of GET /artifacts/{type} (`type` names the type, default `all`; name, version, tags, metadata.*, sort, limit).',
    'Asks this node and every upstream enrolled for search in parallel, each within its timeout and all within the node’s deadline;',
    'results are merged and de-duplicated by type, name, version and digest, each with the node paths it was found through; conflicts',
    '(same coordinates, different digests) are flagged; `sources` gives every source’s status (ok, timeout, error, skipped) and time.',
    '`limit` applies per source; follow `next_cursor` (as `cursor`) for more. `hops`, `via` and `budget_ms` are set by nodes asking upstream.',
  ].join(' '),
  request: {
    query: z.looseObject({
      type: z.string().optional().openapi({ example: 'heat_templates' }),
      cursor: z.string().max(16_384).optional(),
      hops: z.string().optional(),
      via: z.string().optional(),
      budget_ms: z.string().optional(),
    }),
  },
  responses: { 200: jsonResponse(SearchAnswer.openapi('FederatedSearchAnswer'), 'Merged results and every source’s status'), ...errorResponses },
});

const candidatesRoute = createRoute({
  method: 'post',
  path: '/federation/v1/candidates',
  summary: 'Tree resolution’s candidates: every version of the names asked and of everything they require, here and upstream',
  description: [
    `Body {names: [{type, name}] (at most ${MAX_CANDIDATE_NAMES}), hops?, via?, budget_ms?}. Answers the closure reached from the names:`,
    'every visible active version of every name reached (and every artifact a link pins), with its requirements and links, from this',
    'node’s catalog and from its upstreams (asked with the hops left and the nodes already asked, as search asks them), each with',
    'the path of nodes it came through and its id on the node holding it; `sources` and `partial` as in search. Ranges are not',
    'sent: backtracking may need any version of a name. For this node’s users and for peers enrolled for search or pull.',
  ].join(' '),
  request: { body: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['names'] } } } } },
  responses: { 200: jsonResponse(CandidatesAnswer.openapi('TreeCandidates'), 'Candidates and every source’s status'), ...errorResponses },
});

const Control = z.object({
  cursor: z.string().max(16_384).optional(),
  hops: z.coerce.number().int().min(0).max(64).optional(),
  via: z
    .string()
    .max(8192)
    .transform((s) => s.split(',').filter(Boolean))
    .pipe(z.array(NodeId).max(64))
    .optional(),
  budget_ms: z.coerce.number().int().min(1).max(3_600_000).optional(),
});

export function federationPeerRouter(deps: Deps) {
  const router = new OpenAPIHono<AppEnv>({ defaultHook: onInvalidInput });
  const limitBytes = deps.config.server.json_body_limit_kib * 1024;

  router.openapi(jwksRoute, async (c) => {
    const identity = await deps.federation.identity();
    c.header('Cache-Control', 'max-age=60');
    return c.json({ keys: [...identity.published] }, 200);
  });

  router.openapi(nodeRoute, async (c) => c.json(await describeNode(deps), 200));

  router.openapi(keysRoute, async (c) => {
    const announcement = await announceKeys(await deps.federation.identity(), deps.clock());
    return c.json(announcement as unknown as Record<string, unknown>, 200);
  });

  router.openapi(acceptKeysRoute, async (c) => {
    const { body } = await readJsonBodyBytes(c, { accept: ['application/json'], limitBytes });
    return c.json(await acceptKeyAnnouncement(deps, body), 200);
  });

  router.openapi(enrolRoute, async (c) => {
    const { body, bytes } = await readJsonBodyBytes(c, { accept: ['application/json'], limitBytes });
    const parsed = EnrolBody.safeParse(body);
    if (!parsed.success) throw new BadRequest(describeZodError(parsed.error));
    const authorization = c.req.header('authorization');
    const url = new URL(c.req.url);
    const grant = await enrolChild(deps, parsed.data, {
      token: authorization?.startsWith('Bearer ') ? authorization.slice(7).trim() : undefined,
      binding: { method: c.req.method, path: `${url.pathname}${url.search}`, body: bytes },
    });
    return c.json(grant, 201);
  });

  router.openapi(searchRoute, async (c) => {
    // Nodes with a node token and this node's users; an anonymous caller could be a node that lost its credential.
    if (c.var.actor.kind === 'anonymous') throw new Unauthenticated('federated search needs a node token or a user credential');
    assertPeerMay(c.var.actor, 'search');
    const params = [...new URL(c.req.url).searchParams.entries()];
    const controlParsed = Control.safeParse(Object.fromEntries(params.filter(([k]) => SEARCH_CONTROL_PARAMS.has(k))));
    if (!controlParsed.success) throw new BadRequest(describeZodError(controlParsed.error));
    const control = controlParsed.data;
    const forward = params.filter(([k]) => !SEARCH_CONTROL_PARAMS.has(k));
    const typeNames = forward.filter(([k]) => k === 'type').map(([, v]) => v);
    if (typeNames.length > 1) throw new BadRequest('give one type (or none, for every type)');
    const typeName = typeNames[0] ?? ALL_TYPES;
    const listParams = forward.filter(([k]) => k !== 'type');
    // Every source pages in the same order, so pages of different sources line up.
    if (!listParams.some(([k]) => k === 'sort')) {
      listParams.push(['sort', 'name:asc,version:desc']);
      forward.push(['sort', 'name:asc,version:desc']);
    }
    // An upstream may know a type this node does not: then only this node's own part fails.
    const type = typeName === ALL_TYPES || !deps.types.has(typeName) ? undefined : deps.types.get(typeName);
    const query =
      typeName === ALL_TYPES || type
        ? parseListQuery(type, listParams, { defaultLimit: deps.config.api.default_limit, maxLimit: deps.config.api.max_limit, types: deps.types.list() })
        : undefined;
    const ctx = opContextOf(deps, c);
    const answer = await federatedSearch(deps, {
      forward,
      via: control.via ?? [],
      ...(c.var.nodeTokenFirstUse ? { callerCleared: c.var.nodeTokenFirstUse } : {}),
      ...(control.hops !== undefined ? { hops: control.hops } : {}),
      ...(control.cursor ? { cursor: control.cursor } : {}),
      ...(control.budget_ms !== undefined ? { budgetMs: control.budget_ms } : {}),
      async local(marker) {
        if (!query) throw new BadRequest(`this node has no artifact type "${typeName}"`);
        // The answer carries no total: the page alone is read.
        const page = await listArtifactsPage(ctx, { type, query: marker ? { ...query, marker } : query, exactCountUpTo: deps.config.api.list_count_exact_up_to });
        return {
          hits: page.artifacts.map((a) => ({
            id: a.id,
            type_name: a.typeName,
            name: a.name,
            version: a.version,
            digest: artifactDigest(a),
            artifact: renderListed(deps.types, type, a),
          })),
          ...(page.nextMarker ? { nextMarker: page.nextMarker } : {}),
        };
      },
    });
    return c.json(answer, 200);
  });

  router.openapi(candidatesRoute, async (c) => {
    const actor = c.var.actor;
    if (actor.kind === 'anonymous') throw new Unauthenticated('tree resolution needs a node token or a user credential');
    if (!(actor.kind === 'peer' && actor.permissions.includes('pull'))) assertPeerMay(actor, 'search');
    const { body } = await readJsonBodyBytes(c, { accept: ['application/json'], limitBytes });
    const parsed = CandidatesRequest.safeParse(body);
    if (!parsed.success) throw new BadRequest(describeZodError(parsed.error));
    const input = parsed.data;
    const gathered = await gatherTreeCandidates(deps, {
      names: input.names,
      ids: [],
      local: localCandidates(opContextOf(deps, c)),
      via: input.via ?? [],
      ...(input.hops !== undefined ? { hops: input.hops } : {}),
      ...(input.budget_ms !== undefined ? { budgetMs: input.budget_ms } : {}),
    });
    return c.json(candidatesToWire(gathered), 200);
  });

  return router;
}
