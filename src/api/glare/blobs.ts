/**
 * @module Blob transfer: PUT/GET/DELETE /artifacts/{type}/{id}/{blob}[/{key}]. Bodies stream
 * straight between the socket and the store; no blob passes through a JSON parser or memory.
 */
import type { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { BlobInfo } from '../../artifacts/artifact.js';
import { findBlobForDownload, removeBlob, setExternalBlob, uploadBlob, type BlobTarget, type ExternalLocation } from '../../artifacts/blobs.js';
import { ALL_TYPES, FIELD_NAME } from '../../artifacts/names.js';
import type { ByteRange } from '../../blobs/blob-store.js';
import { isNewDownload } from '../../community/downloads.js';
import type { Deps } from '../../deps.js';
import { BadRequest, Forbidden } from '../../errors.js';
import { opContextOf, type AppEnv } from '../env.js';
import { errorResponses, onInvalidInput } from '../errors.js';
import { readJsonBody } from '../json-body.js';
import { API_SECURITY_HEADERS } from '../security-headers.js';
import { requestBodyStream } from '../request-body.js';
import { isStorableText } from '../text.js';
import { IdParam, TypeParam } from '../params.js';
import { ArtifactView } from './artifacts.js';
import { renderArtifact } from './render.js';

const EXTERNAL_LOCATION_TYPE = 'application/vnd+openstack.glare-custom-location+json';

const FieldParam = z
  .string()
  .regex(FIELD_NAME, 'a blob field name is lower case letters, digits and _')
  .openapi({ param: { name: 'blob', in: 'path' }, example: 'template' });
const KeyParam = z.string().min(1).max(255).refine(isStorableText, 'a blob key may not hold NUL characters or unpaired surrogates').openapi({ param: { name: 'key', in: 'path' }, example: 'nested.yaml' });

const uploadDoc = {
  summary: 'Upload bytes into a blob field (or register an external location)',
  description: [
    'Body: the bytes (any Content-Type but the one below), streamed and hashed (md5, sha1, sha256) on the way to the type’s store.',
    'Optional integrity checks: `Content-MD5` (the MD5 as 32 hex digits, Glare’s form, or base64, HTTP’s) and `X-Expected-SHA256` (hex); a mismatch is refused with 400 and nothing is kept.',
    `With Content-Type \`${EXTERNAL_LOCATION_TYPE}\` the body is \`{"url": "https://...", "md5"?, "sha1"?, "sha256"?, "size"?}\`: an external blob, not uploaded and not served by the node.`,
    'Only drafted artifacts, or mutable blob fields of active ones, take uploads; 409 when the blob is already set or being uploaded; 413 past the field’s size limit or the project’s data quota.',
  ].join(' '),
};
const downloadDoc = {
  summary: 'Download a blob',
  description: 'Streams the bytes with Content-Length, ETag ("<sha256>") and checksum headers (Content-MD5 as 32 hex digits, as Glare sends it); honours Range (206/416) and If-None-Match (304). An external blob answers 301 to its URL; a store configured to redirect answers 302 to a short-lived direct URL.',
};

const responses = {
  upload: { 200: { description: 'The artifact with the blob', content: { 'application/json': { schema: ArtifactView } } }, ...errorResponses, 409: { description: 'Already set or being uploaded' }, 413: { description: 'Too large' }, 507: { description: 'The blob store is full; nothing was kept' } },
  download: { 200: { description: 'The bytes' }, 206: { description: 'The requested range' }, 301: { description: 'External blob' }, 302: { description: 'Direct store URL' }, 304: { description: 'Not modified' }, ...errorResponses },
  remove: { 204: { description: 'Removed' }, ...errorResponses },
};

const routes = (withKey: boolean) => {
  const path = withKey ? '/artifacts/{type}/{id}/{blob}/{key}' : '/artifacts/{type}/{id}/{blob}';
  const params = withKey ? z.object({ type: TypeParam, id: IdParam, blob: FieldParam, key: KeyParam }) : z.object({ type: TypeParam, id: IdParam, blob: FieldParam });
  return {
    upload: createRoute({ method: 'put', path, ...uploadDoc, request: { params }, responses: responses.upload }),
    download: createRoute({ method: 'get', path, ...downloadDoc, request: { params }, responses: responses.download }),
    remove: createRoute({ method: 'delete', path, summary: 'Remove a blob (drafts, or mutable blob fields)', request: { params }, responses: responses.remove }),
  };
};

/** Parses a single `bytes=` range against the blob size; undefined when absent or ignorable. */
function parseRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined; // malformed or multi-range: serve the whole blob (RFC 9110 allows it)
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  // A last position before the first makes the range invalid, and an invalid Range is ignored (RFC 9110 14.1.1).
  if (m[2] !== '' && Number(m[2]) < start) return undefined;
  if (start >= size) return 'unsatisfiable';
  return { start, end: m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1) };
}

/** Content a browser would run or render as a page: served as a download, never inline. */
const ACTIVE_CONTENT = /^(text\/html|application\/xhtml\+xml|image\/svg\+xml|text\/xml|application\/xml|text\/xsl|application\/[\w.+-]*\+xml|[\w.+-]+\/[\w.+-]*(javascript|ecmascript)|multipart\/x-mixed-replace)$/;

const HEX = (n: number) => new RegExp(`^[0-9a-f]{${n}}$`);

// Glare's store schemes that never name an internal location (common/store_api.py).
const RESTRICTED_SCHEMES = new Set(['file', 'filesystem', 'swift+config', 'sql']);

/**
 * Glare let admins point a blob at an object already in its own store (location_type
 * "internal"), except through schemes that reach the server's files or database (403). This node
 * addresses its stores by content, never by a client's URL, so it knows no such scheme (400, as
 * Glare answers an unknown scheme).
 */
function refuseInternalLocation(url: unknown): never {
  const scheme = typeof url === 'string' ? /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase() : undefined;
  if (scheme && RESTRICTED_SCHEMES.has(scheme)) throw new Forbidden(`internal locations with scheme "${scheme}" are forbidden`);
  throw new BadRequest(`unknown scheme "${(scheme ?? '').slice(0, 20)}": this node keeps no internal store locations`);
}

/** The body of a custom-location upload. */
function parseExternalLocation(body: unknown): ExternalLocation {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new BadRequest('an external location is a JSON object with "url"');
  const b = body as Record<string, unknown>;
  const allowed = new Set(['url', 'md5', 'sha1', 'sha256', 'size', 'location_type']);
  for (const k of Object.keys(b)) if (!allowed.has(k)) throw new BadRequest(`unknown key "${k.slice(0, 40)}" in the external location`);
  if (b.location_type === 'internal') refuseInternalLocation(b.url);
  if (b.location_type !== undefined && b.location_type !== 'external') throw new BadRequest('location_type must be "external" or "internal"');
  if (typeof b.url !== 'string' || !/^https?:\/\/[^\s]+$/i.test(b.url) || b.url.length > 2048) throw new BadRequest('url must be an http(s) URL of at most 2048 characters');
  // Glare stores whatever checksum text the client declares for an external blob (its blob schema
  // asks only for a string or null); it is echoed in headers, so it must be header-safe text.
  const digest = (name: string, len: number) => {
    const v = b[name];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'string' || !/^[\x21-\x7e]{1,255}$/.test(v)) throw new BadRequest(`${name} must be 1-255 visible ASCII characters (usually ${len} hex digits)`);
    return HEX(len).test(v.toLowerCase()) ? v.toLowerCase() : v;
  };
  const size = b.size;
  if (size !== undefined && size !== null && (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0)) throw new BadRequest('size must be a whole number of bytes');
  return { url: b.url, md5: digest('md5', 32), sha1: digest('sha1', 40), sha256: digest('sha256', 64), size: typeof size === 'number' ? size : null };
}

/** Content-MD5 of an upload, as HTTP defines it (base64) or as Glare sends it (hex). */
function expectedMd5Base64(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (/^[A-Za-z0-9+/]{22}==$/.test(header)) return header;
  if (HEX(32).test(header.toLowerCase())) return Buffer.from(header, 'hex').toString('base64');
  throw new BadRequest('Content-MD5 must be the MD5 digest as 32 hex digits or as base64');
}

function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((t) => {
    const tag = t.trim().replace(/^W\//, '');
    return tag === '*' || tag === etag;
  });
}

/** What a download of a stored blob says of it, whoever serves it: digests, ETag, type, length, and a download (never inline) for active content. */
export function blobHeaders(b: Pick<BlobInfo, 'field' | 'key' | 'md5' | 'sha1' | 'contentType'> & { size: number; sha256: string }, range?: ByteRange): Record<string, string> {
  const contentType = b.contentType ?? 'application/octet-stream';
  return {
    ETag: `"${b.sha256}"`,
    'Accept-Ranges': 'bytes',
    'Cache-Control': 'private, no-cache',
    ...(range ? {} : blobDigests(b)),
    ...(ACTIVE_CONTENT.test(contentType) ? { 'Content-Disposition': `attachment; filename="${(b.key || b.field).replace(/[^\w.-]/g, '_')}"` } : {}),
    'Content-Type': contentType,
    'Content-Length': String(range ? range.end - range.start + 1 : b.size),
    ...(range ? { 'Content-Range': `bytes ${range.start}-${range.end}/${b.size}` } : {}),
  };
}

/** The blob's checksums as Glare sends them: Content-MD5 as 32 hex digits, which python-glareclient compares with its own hexdigest(). */
function blobDigests(b: Pick<BlobInfo, 'md5' | 'sha1' | 'sha256'>): Record<string, string> {
  const digests: Record<string, string> = {};
  if (b.md5) digests['Content-MD5'] = b.md5;
  if (b.sha1) digests['X-Openstack-Glare-Content-SHA1'] = b.sha1;
  if (b.sha256) digests['X-Openstack-Glare-Content-SHA256'] = b.sha256;
  return digests;
}

/** The socket's own response, when the app is served by @hono/node-server (not under app.request()). */
export const outgoingOf = (c: Context<AppEnv>) => (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;

/** GET (or HEAD) of a blob the caller may download: the bytes, a range of them, or a redirect. */
export async function downloadBlob(deps: Deps, c: Context<AppEnv>, target: BlobTarget): Promise<Response> {
  const source = await findBlobForDownload(opContextOf(deps, c), target);
  // Counted when the answer hands over the blob from its start (community/downloads.ts).
  const counted = () => {
    if (c.req.method === 'GET') deps.downloads.count(target.id);
  };
  if (source.kind === 'external') {
    counted();
    return c.body(null, 301, { ...blobDigests(source.blob), Location: source.blob.url });
  }
  const b = source.blob;

  const etag = `"${b.sha256}"`;
  if (etagMatches(c.req.header('if-none-match'), etag)) return c.body(null, 304, { ETag: etag, 'Accept-Ranges': 'bytes', 'Cache-Control': 'private, no-cache' });
  if (source.store.redirectDownloads && source.store.store.directUrl) {
    const url = await source.store.store.directUrl(b.locator, deps.config.blobs.direct_url_ttl_seconds);
    counted();
    return c.body(null, 302, { Location: url.href, 'Cache-Control': 'no-store' });
  }
  const range = parseRange(c.req.header('range'), b.size);
  if (range === 'unsatisfiable') return c.body(null, 416, { 'Content-Range': `bytes */${b.size}` });
  const headers = blobHeaders(b, range);
  const status = range ? 206 : 200;
  if (isNewDownload(range?.start)) counted();
  if (c.req.method === 'HEAD' || b.size === 0) return c.body(null, status, headers);
  const store = source.store.store;
  const outgoing = outgoingOf(c);
  if (outgoing) {
    // On a real socket, write the bytes straight into the response: going through a web
    // ReadableStream costs several times the throughput on large blobs.
    const send = store.openSender
      ? await store.openSender(b.locator, { range })
      : await store.read(b.locator, { range, signal: c.req.raw.signal }).then((stream) => (out: ServerResponse) => pipeline(stream, out));
    outgoing.writeHead(status, { ...headers, ...API_SECURITY_HEADERS, 'X-Request-Id': c.var.requestId });
    send(outgoing).catch((err: unknown) => {
      outgoing.destroy();
      c.var.log.warn({ err, locator: b.locator }, 'blob download ended early');
    });
    return RESPONSE_ALREADY_SENT;
  }
  const stream = await store.read(b.locator, { range, signal: c.req.raw.signal });
  return new Response(Readable.toWeb(stream) as ReadableStream, { status, headers });
}

export function blobsRouter(deps: Deps) {
  const router = new OpenAPIHono<AppEnv>({ defaultHook: onInvalidInput });
  const limitBytes = deps.config.server.json_body_limit_kib * 1024;
  const typeOf = (name: string) => {
    if (name === ALL_TYPES) throw new Forbidden(`the "${ALL_TYPES}" view is read-only and has no blobs: use the artifact’s own type`);
    return deps.types.get(name);
  };
  type BlobParams = { type: string; id: string; blob: string; key?: string };
  const target = (p: BlobParams) => ({ type: typeOf(p.type), id: p.id, field: p.blob, key: p.key });

  async function upload(c: Context<AppEnv>, p: BlobParams) {
    const t = target(p);
    const ctx = opContextOf(deps, c);
    const contentType = (c.req.header('content-type') ?? 'application/octet-stream').split(';')[0]!.trim().toLowerCase();
    if (contentType === EXTERNAL_LOCATION_TYPE) {
      const location = parseExternalLocation(await readJsonBody(c, { accept: [EXTERNAL_LOCATION_TYPE], limitBytes }));
      const withLocation = await setExternalBlob(ctx, { ...t, location });
      return c.json(renderArtifact(deps.types.forArtifact(withLocation), withLocation), 200);
    }
    const lengthHeader = c.req.header('content-length');
    if (lengthHeader !== undefined && !/^\d+$/.test(lengthHeader)) throw new BadRequest('Content-Length must be a whole number');
    const md5 = expectedMd5Base64(c.req.header('content-md5'));
    const sha256 = c.req.header('x-expected-sha256')?.toLowerCase();
    if (sha256 !== undefined && !HEX(64).test(sha256)) throw new BadRequest('X-Expected-SHA256 must be 64 hex digits');
    const artifact = await uploadBlob(ctx, {
      ...t,
      body: requestBodyStream(c),
      meta: {
        contentType,
        contentLength: lengthHeader === undefined ? undefined : Number(lengthHeader),
        expectedMd5Base64: md5,
        expectedSha256Hex: sha256,
        signal: c.req.raw.signal,
      },
    });
    return c.json(renderArtifact(deps.types.forArtifact(artifact), artifact), 200);
  }

  async function remove(c: Context<AppEnv>, p: BlobParams) {
    await removeBlob(opContextOf(deps, c), target(p));
    return c.body(null, 204);
  }

  for (const withKey of [false, true]) {
    const r = routes(withKey);
    router.openapi(r.upload, (c) => upload(c, c.req.valid('param')));
    router.openapi(r.download, (c) => downloadBlob(deps, c, target(c.req.valid('param'))));
    router.openapi(r.remove, (c) => remove(c, c.req.valid('param')));
  }
  return router;
}
