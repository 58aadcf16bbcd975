/**
 * @module Submissions over HTTP (src/federation/submissions.ts).
 *
 * The child's users: `POST /federation/v1/submit` asks to send an artifact upstream (202: the
 * transfer is a job), `GET /federation/v1/submit[/{id}]` reads submissions (one is refreshed from
 * its upstream). The upstream's peer routes, for children enrolled with `submit` (node tokens;
 * bodies streamed, bound by Content-Digest): `POST /federation/v1/submissions/plan` (the bundle's
 * manifest: which blobs are lacking here), `POST /federation/v1/submissions` (the bundle),
 * `GET /federation/v1/submissions/{id}`. The upstream's admins review:
 * `GET /federation/v1/admin/submissions[/{id}]`, `POST .../{id}/accept`, `POST .../{id}/refuse`.
 */
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { Deps } from '../../deps.js';
import { BadRequest, UnsupportedMediaType } from '../../errors.js';
import { digestChecked } from '../../federation/body-digest.js';
import { MAX_MANIFEST_BYTES } from '../../bundles/manifest.js';
import {
  acceptSubmission,
  incomingSubmission,
  incomingSubmissionForChild,
  incomingSubmissions,
  outgoingSubmissions,
  planSubmission,
  receiveSubmission,
  refuseSubmission,
  requestSubmission,
  showOutgoingSubmission,
  SUBMISSION_PLAN_PATH,
  SUBMISSIONS_PATH,
  type IncomingSubmissionRecord,
  type OutgoingSubmissionRecord,
} from '../../federation/submissions.js';
import { opContextOf, type AppEnv } from '../env.js';
import { errorResponses, onInvalidInput } from '../errors.js';
import { IdParam, isoOrNull, jsonResponse, TypeParam } from '../params.js';
import { requestBodyStream } from '../request-body.js';

/** Peer routes whose bodies stream (their node token binds Content-Digest, see src/auth/peer.ts). */
export const FEDERATION_STREAMED_PATHS: ReadonlySet<string> = new Set([SUBMISSIONS_PATH, SUBMISSION_PLAN_PATH]);

const TAR = 'application/x-tar';
const SubmissionId = z.uuid('a submission id is a UUID').openapi({ param: { name: 'id', in: 'path' } });
const Limit = z.coerce.number().int().min(1).max(1000).default(100);

const SubmitRequest = z
  .object({
    upstream: z.string().min(1).max(255).describe('The upstream, by node id or name'),
    type: TypeParam,
    id: IdParam,
    include_private: z.boolean().optional().describe('Admins: let private (and shared) artifacts of the closure go'),
  })
  .strict()
  .openapi('SubmitRequest');
const OutgoingView = z
  .object({
    id: z.string(),
    upstream: z.string(),
    artifact: z.object({ id: z.string(), type_name: z.string(), name: z.string(), version: z.string() }),
    include_private: z.boolean(),
    state: z.enum(['queued', 'sending', 'pending_review', 'accepted', 'refused', 'failed']),
    message: z.string(),
    remote: z.object({ id: z.string(), artifact_id: z.string().nullable() }).nullable(),
    requested_by: z.string(),
    sent_at: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
    refresh: z.string().optional().describe('Why the state could not be refreshed from the upstream (the stored state is shown)'),
  })
  .openapi('OutgoingSubmission');
const Answer = z
  .object({
    id: z.string(),
    state: z.enum(['pending_review', 'accepted', 'refused']),
    reason: z.string(),
    artifact: z.object({ id: z.string(), type_name: z.string(), name: z.string(), version: z.string(), owner: z.string() }),
    created: z.boolean().optional(),
  })
  .openapi('SubmissionAnswer');
const IncomingView = z
  .object({
    id: z.string(),
    child: z.string(),
    project: z.string(),
    artifact: z.object({ id: z.string(), type_name: z.string(), name: z.string(), version: z.string(), source_id: z.string() }),
    created_artifacts: z.array(z.string()),
    state: z.enum(['pending_review', 'accepted', 'refused']),
    reason: z.string(),
    reviewed_by: z.string().nullable(),
    reviewed_at: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('IncomingSubmission');

const submitRoute = createRoute({
  method: 'post',
  path: '/federation/v1/submit',
  summary: 'Submit a local active artifact (and what the upstream lacks of its closure) to an upstream',
  description: [
    'The upstream must have granted this node `submit`. The artifact and every artifact of its closure must be active, of a type',
    '`federation.submissions.types` allows, and public, unless an admin sets `include_private`. Admins, or users of the owning',
    'project, may submit. Answers 202 with the submission; a job sends it. Submitting the same artifact to the same upstream again',
    'sends it again under the same submission (the upstream creates nothing it holds).',
  ].join(' '),
  request: { body: { required: true, content: { 'application/json': { schema: SubmitRequest } } } },
  responses: { 202: jsonResponse(OutgoingView, 'Queued'), ...errorResponses },
});
const listOutgoingRoute = createRoute({
  method: 'get',
  path: '/federation/v1/submit',
  summary: 'Submissions this node sent (admins: all; others: their project’s)',
  request: { query: z.object({ limit: Limit.optional() }) },
  responses: { 200: jsonResponse(z.object({ submissions: z.array(OutgoingView) }), 'Newest first'), ...errorResponses },
});
const showOutgoingRoute = createRoute({
  method: 'get',
  path: '/federation/v1/submit/{id}',
  summary: 'A submission this node sent, its state refreshed from the upstream',
  request: { params: z.object({ id: SubmissionId }) },
  responses: { 200: jsonResponse(OutgoingView, 'The submission'), ...errorResponses },
});
const planRoute = createRoute({
  method: 'post',
  path: SUBMISSION_PLAN_PATH,
  summary: 'Child nodes: which blobs of a bundle this node lacks (body: the bundle’s manifest; Content-Digest bound by the node token)',
  request: { body: { required: true, content: { 'application/json': { schema: { type: 'object' } } } } },
  responses: { 200: jsonResponse(z.object({ needed_blobs: z.array(z.string()), present: z.array(z.string()) }), 'The plan'), ...errorResponses },
});
const receiveRoute = createRoute({
  method: 'post',
  path: SUBMISSIONS_PATH,
  summary: 'Child nodes: submit a bundle (streamed tar; Content-Digest bound by the node token)',
  description: [
    'Imported as the child’s enrolment project, private, drafted for review or active as `federation.submissions.land_as` says.',
    'All or nothing: a body whose SHA-256 is not the declared one, a blob that does not match the manifest, a signature that does not',
    'verify leave nothing behind. 201 when something was created, 200 when the submission was here whole already.',
  ].join(' '),
  request: { body: { required: true, content: { [TAR]: { schema: z.string().openapi({ format: 'binary' }) } } } },
  responses: { 200: jsonResponse(Answer, 'Nothing new'), 201: jsonResponse(Answer, 'Received'), ...errorResponses },
});
const childReadRoute = createRoute({
  method: 'get',
  path: `${SUBMISSIONS_PATH}/{id}`,
  summary: 'Child nodes: the state of a submission they made',
  request: { params: z.object({ id: SubmissionId }) },
  responses: { 200: jsonResponse(Answer, 'The submission'), ...errorResponses },
});
const listIncomingRoute = createRoute({
  method: 'get',
  path: '/federation/v1/admin/submissions',
  summary: 'Submissions children made here (admins)',
  request: { query: z.object({ state: z.enum(['pending_review', 'accepted', 'refused']).optional(), limit: Limit.optional() }) },
  responses: { 200: jsonResponse(z.object({ submissions: z.array(IncomingView) }), 'Newest first'), ...errorResponses },
});
const showIncomingRoute = createRoute({
  method: 'get',
  path: '/federation/v1/admin/submissions/{id}',
  summary: 'One submission a child made here (admins)',
  request: { params: z.object({ id: SubmissionId }) },
  responses: { 200: jsonResponse(IncomingView, 'The submission'), ...errorResponses },
});
const acceptRoute = createRoute({
  method: 'post',
  path: '/federation/v1/admin/submissions/{id}/accept',
  summary: 'Accept a submission pending review: every draft it created is activated (dependencies first), all or nothing; with publish, made public too',
  request: {
    params: z.object({ id: SubmissionId }),
    body: { required: false, content: { 'application/json': { schema: z.object({ publish: z.boolean().optional() }).strict() } } },
  },
  responses: { 200: jsonResponse(IncomingView, 'Accepted'), ...errorResponses },
});
const refuseRoute = createRoute({
  method: 'post',
  path: '/federation/v1/admin/submissions/{id}/refuse',
  summary: 'Refuse a submission pending review: the drafts it created are deleted; the child sees the reason',
  request: { params: z.object({ id: SubmissionId }), body: { required: true, content: { 'application/json': { schema: z.object({ reason: z.string().min(1).max(2000) }).strict() } } } },
  responses: { 200: jsonResponse(IncomingView, 'Refused'), ...errorResponses },
});

function outgoingView(r: OutgoingSubmissionRecord, refresh?: string): z.infer<typeof OutgoingView> {
  return {
    id: r.id,
    upstream: r.upstreamNodeId,
    artifact: { id: r.artifactId, type_name: r.typeName, name: r.name, version: r.version },
    include_private: r.includePrivate,
    state: r.state,
    message: r.message,
    remote: r.remoteId ? { id: r.remoteId, artifact_id: r.remoteArtifactId } : null,
    requested_by: r.requestedBy,
    sent_at: isoOrNull(r.sentAt),
    created_at: r.createdAt.toISOString(),
    updated_at: r.updatedAt.toISOString(),
    ...(refresh ? { refresh } : {}),
  };
}

function incomingView(r: IncomingSubmissionRecord): z.infer<typeof IncomingView> {
  return {
    id: r.id,
    child: r.childNodeId,
    project: r.projectId,
    artifact: { id: r.artifactId, type_name: r.typeName, name: r.name, version: r.version, source_id: r.sourceId },
    created_artifacts: r.createdArtifactIds,
    state: r.state,
    reason: r.reason,
    reviewed_by: r.reviewedBy,
    reviewed_at: isoOrNull(r.reviewedAt),
    created_at: r.createdAt.toISOString(),
    updated_at: r.updatedAt.toISOString(),
  };
}

/** The request's body, failing at its end unless its bytes are those its node token bound. */
function verifiedBody(c: Context<AppEnv>) {
  const declared = c.var.declaredBodyDigest;
  if (declared === undefined) throw new BadRequest('this route takes a body from a child node, signed with a node token and Content-Digest');
  return digestChecked(requestBodyStream(c), declared);
}

function requireContentType(c: Context<AppEnv>, expected: string): void {
  const contentType = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (contentType !== expected) throw new UnsupportedMediaType(`Content-Type must be ${expected}${contentType ? `, not ${contentType}` : ''}`);
}

export function federationSubmissionsRouter(deps: Deps) {
  const router = new OpenAPIHono<AppEnv>({ defaultHook: onInvalidInput });

  router.openapi(submitRoute, async (c) => {
    const input = c.req.valid('json');
    const record = await requestSubmission(deps, deps.queue, opContextOf(deps, c), { upstream: input.upstream, typeName: input.type, id: input.id, includePrivate: input.include_private ?? false });
    return c.json(outgoingView(record), 202);
  });

  router.openapi(listOutgoingRoute, async (c) => {
    const { limit } = c.req.valid('query');
    return c.json({ submissions: (await outgoingSubmissions(deps, c.var.actor, limit ?? 100)).map((r) => outgoingView(r)) }, 200);
  });

  router.openapi(showOutgoingRoute, async (c) => {
    const { record, refresh } = await showOutgoingSubmission(deps, c.var.actor, c.req.valid('param').id);
    return c.json(outgoingView(record, refresh), 200);
  });

  router.openapi(planRoute, async (c) => {
    requireContentType(c, 'application/json');
    const { stream, verified } = verifiedBody(c);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_MANIFEST_BYTES) throw new BadRequest(`a bundle manifest may be at most ${MAX_MANIFEST_BYTES} bytes`);
      chunks.push(chunk);
    }
    await verified;
    let manifest: unknown;
    try {
      manifest = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch (err) {
      throw new BadRequest(`the manifest is not JSON: ${(err as Error).message}`);
    }
    return c.json(await planSubmission(opContextOf(deps, c), manifest), 200);
  });

  router.openapi(receiveRoute, async (c) => {
    requireContentType(c, TAR);
    const { stream, verified } = verifiedBody(c);
    const answer = await receiveSubmission(opContextOf(deps, c), { body: stream, bodyVerified: verified, signal: c.req.raw.signal });
    return c.json(answer, answer.created ? 201 : 200);
  });

  router.openapi(childReadRoute, async (c) => c.json(await incomingSubmissionForChild(opContextOf(deps, c), c.req.valid('param').id), 200));

  router.openapi(listIncomingRoute, async (c) => {
    const { state, limit } = c.req.valid('query');
    const list = await incomingSubmissions(opContextOf(deps, c), { ...(state ? { state } : {}), limit: limit ?? 100 });
    return c.json({ submissions: list.map(incomingView) }, 200);
  });

  router.openapi(showIncomingRoute, async (c) => c.json(incomingView(await incomingSubmission(opContextOf(deps, c), c.req.valid('param').id)), 200));

  router.openapi(acceptRoute, async (c) => {
    const body = c.req.header('content-length') === '0' || !c.req.header('content-type') ? {} : c.req.valid('json');
    return c.json(incomingView(await acceptSubmission(opContextOf(deps, c), c.req.valid('param').id, { publish: body.publish ?? false })), 200);
  });

  router.openapi(refuseRoute, async (c) => {
    const { reason } = c.req.valid('json');
    return c.json(incomingView(await refuseSubmission(opContextOf(deps, c), c.req.valid('param').id, reason)), 200);
  });

  return router;
}
