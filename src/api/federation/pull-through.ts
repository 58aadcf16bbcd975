/**
 * @module Pull-through downloads over HTTP: `GET /federation/v1/upstreams/{node}/artifacts/{id}/{blob}[/{key}]`,
 * a blob of an upstream artifact, from the cached copy or pulled while it is sent
 * (federation/pull-through.ts).
 */
import { pipeline } from 'node:stream/promises';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { findBlobForDownload } from '../../artifacts/blobs.js';
import { ARTIFACT_ID, FIELD_NAME } from '../../artifacts/names.js';
import type { Deps } from '../../deps.js';
import { pullThrough, type LiveReceiver, type PullThroughTarget } from '../../federation/pull-through.js';
import { opContextOf, type AppEnv } from '../env.js';
import { errorResponses, onInvalidInput } from '../errors.js';
import { blobHeaders, downloadBlob, outgoingOf } from '../glare/blobs.js';
import { API_SECURITY_HEADERS } from '../security-headers.js';
import { isStorableText } from '../text.js';

const NodeParam = z
  .string()
  .min(1)
  .max(255)
  .openapi({ param: { name: 'node', in: 'path' }, description: "The upstream's node id" });
const UpstreamIdParam = z
  .string()
  .regex(ARTIFACT_ID, 'an artifact id is a UUID')
  .transform((s) => s.toLowerCase())
  .openapi({ param: { name: 'id', in: 'path' }, description: "The artifact's id on the upstream" });
const FieldParam = z
  .string()
  .regex(FIELD_NAME, 'a blob field name is lower case letters, digits and _')
  .openapi({ param: { name: 'blob', in: 'path' }, example: 'payload' });
const KeyParam = z.string().min(1).max(255).refine(isStorableText, 'a blob key may not hold NUL characters or unpaired surrogates').openapi({ param: { name: 'key', in: 'path' } });

const description = [
  'A blob of an artifact of upstream `node` (the upstream\'s id of it), for any signed-in user, when the upstream grants this node pull.',
  'Served from this node\'s cached copy when it has one, without asking the upstream.',
  'Otherwise the artifact is pulled here with its closure (as `POST /federation/v1/pull` would; concurrent requests share one transfer) and the blob\'s bytes are sent as they arrive and are verified and stored,',
  'with Content-Length and the digests the upstream\'s bundle declares; the last byte follows once the copy is committed. A transfer that breaks or does not verify cuts the connection: the body stays short.',
  'Afterwards the copy is an ordinary read-only cached copy. Errors: 401 anonymous; 403 the upstream does not grant this node pull; 404 no such upstream, artifact or blob field; 502 the upstream sent what this node refuses; 503 the upstream is down.',
].join(' ');

const responses = { 200: { description: 'The bytes' }, 206: { description: 'The requested range (cached copies)' }, 301: { description: 'External blob' }, 302: { description: 'Direct store URL' }, 304: { description: 'Not modified' }, ...errorResponses };

const routes = [false, true].map((withKey) =>
  createRoute({
    method: 'get',
    path: withKey ? '/federation/v1/upstreams/{node}/artifacts/{id}/{blob}/{key}' : '/federation/v1/upstreams/{node}/artifacts/{id}/{blob}',
    summary: 'Download a blob of an upstream artifact, pulled through this node (extension)',
    description,
    request: { params: withKey ? z.object({ node: NodeParam, id: UpstreamIdParam, blob: FieldParam, key: KeyParam }) : z.object({ node: NodeParam, id: UpstreamIdParam, blob: FieldParam }) },
    responses,
  }),
);

export function pullThroughRouter(deps: Deps) {
  const router = new OpenAPIHono<AppEnv>({ defaultHook: onInvalidInput });

  async function download(c: Context<AppEnv>, p: { node: string; id: string; blob: string; key?: string }) {
    const target: PullThroughTarget = { upstream: p.node, id: p.id, field: p.blob, ...(p.key !== undefined ? { key: p.key } : {}) };
    const outgoing = c.req.method === 'GET' ? outgoingOf(c) : undefined;
    let started = false;
    const live: LiveReceiver | undefined = outgoing
      ? (blob) => {
          try {
            const headers = blobHeaders({ field: blob.field, key: blob.key, size: blob.size, sha256: blob.sha256, md5: blob.md5, sha1: blob.sha1, contentType: blob.content_type });
            outgoing.writeHead(200, { ...headers, ...API_SECURITY_HEADERS, 'X-Request-Id': c.var.requestId });
            started = true;
            return outgoing;
          } catch (err) {
            c.var.log.warn({ err }, 'pull-through: the blob is served once stored');
            return undefined;
          }
        }
      : undefined;
    try {
      const pulled = await pullThrough(deps, c.var.actor, target, live);
      const local = { type: pulled.artifact.type, id: pulled.artifact.id, field: p.blob, ...(p.key !== undefined ? { key: p.key } : {}) };
      if (!pulled.live || !outgoing) return await downloadBlob(deps, c, local);
      // The rest, from the byte the client reached, out of the copy now committed.
      const source = await findBlobForDownload(opContextOf(deps, c), local);
      if (source.kind !== 'stored' || source.blob.sha256 !== pulled.live.blob.sha256) throw new Error(`the copy's blob is not the one whose bytes were sent`);
      deps.downloads.count(pulled.artifact.id);
      const rest = await source.store.store.read(source.blob.locator, { range: { start: pulled.live.sent, end: source.blob.size - 1 } });
      await pipeline(rest, outgoing);
      return RESPONSE_ALREADY_SENT;
    } catch (err) {
      if (!started) throw err;
      // Headers and some bytes are out: only a cut connection tells the client the body is not whole.
      outgoing!.destroy();
      c.var.log.warn({ err, upstream: target.upstream, artifact: target.id }, 'pull-through download cut off');
      return RESPONSE_ALREADY_SENT;
    }
  }

  router.openapi(routes[0]!, (c) => download(c, c.req.valid('param')));
  router.openapi(routes[1]!, (c) => download(c, c.req.valid('param')));
  return router;
}
