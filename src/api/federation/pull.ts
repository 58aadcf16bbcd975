/**
 * @module Pull over HTTP.
 *
 * This node's users: `POST /federation/v1/pull` (copy upstream artifacts here, a job),
 * `GET /federation/v1/jobs/{id}` (its status and progress), `GET /artifacts/{type}/{id}/provenance`
 * (where an artifact comes from, checked).
 *
 * Peer nodes enrolled for pull (node token): `GET /federation/v1/artifacts/resolve`,
 * `GET /federation/v1/artifacts/{id}/closure` and `GET /federation/v1/artifacts/{id}/bundle`.
 */
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { ALL_TYPES, ARTIFACT_ID } from '../../artifacts/names.js';
import type { Deps } from '../../deps.js';
import { BadRequest, Forbidden } from '../../errors.js';
import { showProvenance, type ProvenanceView } from '../../federation/origins.js';
import { MAX_PULL_ARTIFACTS, requestPull, showPull, type PullRecord, type PullTarget } from '../../federation/pull.js';
import { bundleForPeer, describeForPeer, resolveForPeer, ServedClosure } from '../../federation/serve.js';
import { sendBundle } from '../bundles/router.js';
import { opContextOf, type AppEnv } from '../env.js';
import { describeZodError, errorResponses, onInvalidInput } from '../errors.js';
import { readJsonBody } from '../json-body.js';
import { IdParam, isoOrNull, jsonResponse, TypeParam } from '../params.js';

const TAR = 'application/x-tar';
const Uuid = z
  .string()
  .regex(ARTIFACT_ID, 'an artifact id is a UUID')
  .transform((s) => s.toLowerCase());
const NodeId = z.string().min(1).max(255);

const PullBody = z
  .object({
    upstream: NodeId.optional(),
    id: Uuid.optional(),
    ids: z.array(Uuid).min(1).max(MAX_PULL_ARTIFACTS).optional(),
    type: z.string().min(1).max(255).optional(),
    name: z.string().min(1).max(255).optional(),
    version: z.string().min(1).max(255).optional(),
  })
  .strict();

const JobView = z
  .object({
    id: z.string(),
    kind: z.literal('pull'),
    status: z.enum(['queued', 'running', 'succeeded', 'failed']),
    upstream: z.string(),
    artifact_ids: z.array(z.string()).describe("The upstream's ids of the artifacts asked for"),
    attempts: z.number().int(),
    transfers: z.number().int().describe('Bundles fetched from the upstream (0: everything was cached already)'),
    progress: z.object({ bytes_done: z.number().int(), bytes_total: z.number().int().nullable() }),
    result: z.record(z.string(), z.unknown()).nullable().describe('Once succeeded: roots (the local ids of the asked artifacts) and every artifact copied'),
    error: z.string().nullable(),
    created_at: z.string(),
    started_at: z.string().nullable(),
    finished_at: z.string().nullable(),
  })
  .openapi('FederationJob');

const HopView = z.object({ node: z.string(), name: z.string(), artifact: z.string(), at: z.string(), kid: z.string(), verified: z.boolean(), problem: z.string().optional() });
const ProvenanceResponse = z
  .object({
    artifact: z.object({ id: z.string(), type_name: z.string(), name: z.string(), version: z.string(), owner: z.string() }),
    manifest_sha256: z.string().nullable(),
    node: z.object({ id: z.string(), name: z.string() }),
    cached: z.boolean(),
    origin: z
      .object({ upstream: z.string(), upstream_name: z.string().nullable(), upstream_artifact_id: z.string(), pulled_at: z.string(), manifest_sha256: z.string() })
      .optional(),
    developer_signatures: z.array(z.object({ kid: z.string(), key_name: z.string().nullable(), signed_at: z.string(), holds: z.boolean(), reason: z.string().nullable() })),
    hops: z.array(HopView).describe('Oldest first: the node it was published on, then each node that mirrored it'),
    verified: z.boolean(),
    problem: z.string().optional(),
    summary: z.string(),
  })
  .openapi('Provenance');

const pullRoute = createRoute({
  method: 'post',
  path: '/federation/v1/pull',
  summary: 'Copy an upstream artifact and its dependency closure here, as read-only cached copies (a job)',
  description: [
    'Body: `{"id": "<upstream artifact id>"}`, `{"ids": [...]}` (one job for them all), or `{"type", "name", "version"}` (a version or semver range, or `latest`, resolved by the upstream);',
    '`upstream` names the upstream node (optional when only one grants this node pull).',
    'Answers the job (202; 200 when the artifacts are cached here already). Every request for the same artifacts gets the same job.',
  ].join(' '),
  request: { body: { required: true, content: { 'application/json': { schema: { type: 'object' } } } } },
  responses: { 200: jsonResponse(JobView, 'Pulled already'), 202: jsonResponse(JobView, 'The pull job, queued or running'), ...errorResponses },
});

const jobRoute = createRoute({
  method: 'get',
  path: '/federation/v1/jobs/{id}',
  summary: 'A federation job: its status, progress and result',
  request: { params: z.object({ id: z.string().max(128).openapi({ param: { name: 'id', in: 'path' } }) }) },
  responses: { 200: jsonResponse(JobView, 'The job'), ...errorResponses },
});

const provenanceRoute = createRoute({
  method: 'get',
  path: '/artifacts/{type}/{id}/provenance',
  summary: 'Where the artifact comes from: developer signatures and the signed chain of nodes it came through, verified (extension)',
  request: { params: z.object({ type: TypeParam, id: IdParam }) },
  responses: { 200: jsonResponse(ProvenanceResponse, 'The provenance, checked now'), ...errorResponses },
});

const resolveRoute = createRoute({
  method: 'get',
  path: '/federation/v1/artifacts/resolve',
  summary: 'Peers enrolled for pull: the newest active artifact of a type and name within a version range',
  request: { query: z.object({ type: z.string().min(1).max(255), name: z.string().min(1).max(255), version: z.string().min(1).max(255) }) },
  responses: { 200: jsonResponse(z.object({ id: z.string(), type: z.string(), name: z.string(), version: z.string() }), 'The artifact'), ...errorResponses },
});

const closureRoute = createRoute({
  method: 'get',
  path: '/federation/v1/artifacts/{id}/closure',
  summary: 'Peers enrolled for pull: what pulling the artifact copies, with manifest digests and provenance signed by this node',
  request: { params: z.object({ id: IdParam }) },
  responses: { 200: jsonResponse(ServedClosure, 'The closure, dependencies first'), ...errorResponses },
});

const bundleRoute = createRoute({
  method: 'get',
  path: '/federation/v1/artifacts/{id}/bundle',
  summary: 'Peers enrolled for pull: the artifact and its closure as a bundle (tar)',
  request: { params: z.object({ id: IdParam }) },
  responses: { 200: { description: 'The bundle', content: { [TAR]: { schema: z.string().openapi({ format: 'binary' }) } } }, ...errorResponses },
});

function jobView(pull: PullRecord): z.infer<typeof JobView> {
  return {
    id: pull.id,
    kind: 'pull',
    status: pull.status,
    upstream: pull.upstreamNodeId,
    artifact_ids: pull.artifactIds,
    attempts: pull.attempts,
    transfers: pull.transfers,
    progress: { bytes_done: pull.bytesDone, bytes_total: pull.bytesTotal },
    result: pull.result,
    error: pull.error,
    created_at: pull.createdAt.toISOString(),
    started_at: isoOrNull(pull.startedAt),
    finished_at: isoOrNull(pull.finishedAt),
  };
}

function provenanceView(p: ProvenanceView): z.infer<typeof ProvenanceResponse> {
  return {
    artifact: { id: p.artifact.id, type_name: p.artifact.type, name: p.artifact.name, version: p.artifact.version, owner: p.artifact.owner },
    manifest_sha256: p.manifestSha256,
    node: p.node,
    cached: p.origin !== undefined,
    ...(p.origin
      ? {
          origin: {
            upstream: p.origin.upstreamNodeId,
            upstream_name: p.origin.upstreamName,
            upstream_artifact_id: p.origin.upstreamArtifactId,
            pulled_at: p.origin.pulledAt.toISOString(),
            manifest_sha256: p.origin.manifestSha256,
          },
        }
      : {}),
    developer_signatures: p.developerSignatures.map((s) => ({ kid: s.kid, key_name: s.keyName, signed_at: s.signedAt.toISOString(), holds: s.holds, reason: s.reason })),
    hops: p.hops,
    verified: p.verified,
    ...(p.problem ? { problem: p.problem } : {}),
    summary: p.summary,
  };
}

function pullTarget(body: z.infer<typeof PullBody>): PullTarget {
  const byName = body.type !== undefined || body.name !== undefined || body.version !== undefined;
  const given = [body.id !== undefined, body.ids !== undefined, byName].filter(Boolean).length;
  if (given !== 1) throw new BadRequest('name what to pull in one way: id, ids, or type with name and version');
  if (body.id) return { ids: [body.id] };
  if (body.ids) return { ids: body.ids };
  if (!body.type || !body.name || !body.version) throw new BadRequest('a pull by name needs type, name and version (a version, a semver range, or latest)');
  return { type: body.type, name: body.name, version: body.version };
}

export function federationPullRouter(deps: Deps) {
  const router = new OpenAPIHono<AppEnv>({ defaultHook: onInvalidInput });
  const limitBytes = deps.config.server.json_body_limit_kib * 1024;

  router.openapi(pullRoute, async (c) => {
    const parsed = PullBody.safeParse(await readJsonBody(c, { accept: ['application/json'], limitBytes }));
    if (!parsed.success) throw new BadRequest(describeZodError(parsed.error));
    const pull = await requestPull(deps, c.var.actor, { ...(parsed.data.upstream ? { upstream: parsed.data.upstream } : {}), target: pullTarget(parsed.data) });
    c.header('Location', `/federation/v1/jobs/${pull.id}`);
    return c.json(jobView(pull), pull.status === 'succeeded' ? 200 : 202);
  });

  router.openapi(jobRoute, async (c) => c.json(jobView(await showPull(deps, c.var.actor, c.req.valid('param').id)), 200));

  router.openapi(provenanceRoute, async (c) => {
    const { type, id } = c.req.valid('param');
    if (type === ALL_TYPES) throw new Forbidden(`ask the artifact's own type, not "${ALL_TYPES}"`);
    return c.json(provenanceView(await showProvenance(deps, opContextOf(deps, c), { type: deps.types.get(type), id })), 200);
  });

  router.openapi(resolveRoute, async (c) => c.json(await resolveForPeer(opContextOf(deps, c), c.req.valid('query')), 200));

  router.openapi(closureRoute, async (c) => c.json(await describeForPeer(deps, opContextOf(deps, c), c.req.valid('param').id), 200));

  router.openapi(bundleRoute, async (c) => {
    const bundle = await bundleForPeer(opContextOf(deps, c), c.req.valid('param').id);
    return sendBundle(c, bundle, { 'Content-Type': TAR, 'Content-Length': String(bundle.size), 'Cache-Control': 'private, no-store' });
  });

  return router;
}
