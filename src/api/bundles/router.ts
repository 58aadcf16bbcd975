/**
 * @module Bundles over HTTP: `GET /artifacts/{type}/{id}/export` streams an artifact and its
 * closure as one tar; `POST /import` takes such a tar (application/x-tar) and recreates it here.
 * Neither body passes through memory whole.
 */
import type { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { ALL_TYPES } from '../../artifacts/names.js';
import { exportBundle, type BundleExport } from '../../bundles/export.js';
import { importBundle, type ImportedArtifact } from '../../bundles/import.js';
import type { Deps } from '../../deps.js';
import { BadRequest, Forbidden, UnsupportedMediaType } from '../../errors.js';
import { opContextOf, type AppEnv } from '../env.js';
import { errorResponses, onInvalidInput } from '../errors.js';
import { IdParam, TypeParam } from '../params.js';
import { requestBodyStream } from '../request-body.js';
import { API_SECURITY_HEADERS } from '../security-headers.js';

const TAR = 'application/x-tar';

const ImportedView = z
  .object({
    source_id: z.string().describe('The id the artifact had on the node that made the bundle'),
    id: z.string(),
    type_name: z.string(),
    name: z.string(),
    version: z.string(),
    owner: z.string(),
    created: z.boolean().describe('false: an identical artifact was already here and is reused'),
    signatures_verified: z.number().int().describe('Developer signatures the bundle carried for it; every one verified'),
    signatures_attached: z.number().int().describe('Of those, attached here: only where the artifact was created with the owner they were made for'),
  })
  .openapi('ImportedArtifact');

const ImportView = z
  .object({
    root: ImportedView,
    artifacts: z.array(ImportedView).describe('Every artifact of the bundle, dependencies before what depends on them'),
  })
  .openapi('ImportResult');

const exportRoute = createRoute({
  method: 'get',
  path: '/artifacts/{type}/{id}/export',
  summary: 'Export an artifact and its dependency closure as one bundle (tar)',
  description: [
    'A tar whose first entry is `manifest.json` (every artifact of the closure: fields, references, blob sizes and digests) followed by one entry per distinct stored blob, `blobs/<sha256>`.',
    'External blobs are not copied: the manifest keeps their URL and declared digests.',
    '409 when the closure does not resolve for the caller or a blob is still being uploaded; deactivated artifacts only for admins (403).',
  ].join(' '),
  request: { params: z.object({ type: TypeParam, id: IdParam }) },
  responses: { 200: { description: 'The bundle', content: { [TAR]: { schema: z.string().openapi({ format: 'binary' }) } } }, ...errorResponses, 409: { description: 'The closure cannot be exported' } },
});

const importRoute = createRoute({
  method: 'post',
  path: '/import',
  summary: 'Import a bundle made by /export',
  description: [
    'Body: the tar (`Content-Type: application/x-tar`). Every blob is verified against the manifest (size, md5, sha1, sha256) as it streams in; links are rewritten to the ids given here.',
    'All or nothing: a bundle that is refused leaves no artifact and no blob bytes behind.',
    'An artifact already here with the same type, owner, name, version and content is reused (importing twice creates nothing: 200); one with other content is a conflict (409) naming it.',
    "Imported artifacts belong to the importer's project; an admin may pass `keep_owner=true` to keep each artifact's owner from the bundle.",
    'They keep their status; a public artifact stays public only when the importer may publish, and is private otherwise.',
  ].join(' '),
  request: {
    query: z.object({
      keep_owner: z
        .enum(['true', 'false'])
        .optional()
        .openapi({ description: "Admins: keep the bundle's owners instead of the importer's project" }),
    }),
    body: { required: true, content: { [TAR]: { schema: z.string().openapi({ format: 'binary' }) } } },
  },
  responses: {
    200: { description: 'Nothing new: every artifact was already here', content: { 'application/json': { schema: ImportView } } },
    201: { description: 'Imported', content: { 'application/json': { schema: ImportView } } },
    ...errorResponses,
    409: { description: 'An artifact of the bundle conflicts with one already here' },
    413: { description: 'Past a quota or a blob size limit' },
    415: { description: 'The body is not application/x-tar' },
  },
});

const view = (a: ImportedArtifact) => ({
  source_id: a.sourceId,
  id: a.id,
  type_name: a.type,
  name: a.name,
  version: a.version,
  owner: a.owner,
  created: a.created,
  signatures_verified: a.signaturesVerified,
  signatures_attached: a.signaturesAttached,
});

/** Sends the bundle as the response: straight into the socket when there is one (as blob downloads do). */
export function sendBundle(c: Context<AppEnv>, bundle: BundleExport, headers: Record<string, string>): Response {
  const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
  if (!outgoing) return new Response(Readable.toWeb(bundle.open()) as ReadableStream, { status: 200, headers });
  outgoing.writeHead(200, { ...headers, ...API_SECURITY_HEADERS, 'X-Request-Id': c.var.requestId });
  bundle.send(outgoing).catch((err: unknown) => {
    outgoing.destroy();
    c.var.log.warn({ err }, 'bundle export ended early');
  });
  return RESPONSE_ALREADY_SENT;
}

export function bundlesRouter(deps: Deps) {
  const router = new OpenAPIHono<AppEnv>({ defaultHook: onInvalidInput });

  router.openapi(exportRoute, async (c) => {
    const { type, id } = c.req.valid('param');
    if (type === ALL_TYPES) throw new Forbidden(`export from the artifact's own type, not "${ALL_TYPES}"`);
    const bundle = await exportBundle(opContextOf(deps, c), { type: deps.types.get(type), id });
    return sendBundle(c, bundle, {
      'Content-Type': TAR,
      'Content-Length': String(bundle.size),
      'Content-Disposition': `attachment; filename="${bundle.filename}"`,
      'Cache-Control': 'private, no-store',
    });
  });

  router.openapi(importRoute, async (c) => {
    const contentType = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (contentType !== TAR) throw new UnsupportedMediaType(`Content-Type must be ${TAR}${contentType ? `, not ${contentType}` : ''}`);
    const keepOwner = c.req.valid('query').keep_owner === 'true';
    if (c.req.header('content-length') === '0') throw new BadRequest('the body is empty: send a bundle made by /export');
    const result = await importBundle(opContextOf(deps, c), { body: requestBodyStream(c), signal: c.req.raw.signal, keepOwner });
    const created = result.artifacts.some((a) => a.created);
    return c.json({ root: view(result.root), artifacts: result.artifacts.map(view) }, created ? 201 : 200);
  });

  return router;
}
