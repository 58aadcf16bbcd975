/**
 * @module Developer signatures on artifacts (extension): the canonical manifest a developer
 * signs, attaching a detached JWS over it, and verifying what is attached.
 */
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import type { Deps } from '../../deps.js';
import { BadRequest } from '../../errors.js';
import { attachSignature, removeSignature, showManifest, verifyArtifact, type SignatureCheck } from '../../signing/signatures.js';
import { opContextOf, type AppEnv } from '../env.js';
import { describeZodError, errorResponses, onInvalidInput } from '../errors.js';
import { readJsonBody } from '../json-body.js';
import { IdParam, TypeParam, jsonResponse } from '../params.js';

const SignatureView = z
  .object({
    id: z.string(),
    kid: z.string(),
    jws: z.string().openapi({ description: 'The detached JWS, to check again over GET .../manifest' }),
    key_project: z.string(),
    key_name: z.string().nullable(),
    alg: z.string().nullable(),
    signed_at: z.string().openapi({ description: 'When a node first recorded the signature; revocation is judged against it' }),
    attached_by: z.string(),
    holds: z.boolean(),
    reason: z.string().nullable().openapi({ description: 'Why it does not hold, naming the key, blob or dependency at fault' }),
    key_revoked_at: z.string().nullable(),
    key_revocation_reason: z.string().nullable(),
  })
  .openapi('Signature');

const VerificationView = z
  .object({
    id: z.string(),
    type_name: z.string(),
    name: z.string(),
    version: z.string(),
    owner: z.string(),
    manifest_sha256: z.string().nullable().openapi({ description: 'null when the dependencies no longer resolve' }),
    verified: z.boolean().openapi({ description: 'At least one attached signature holds' }),
    signatures: z.array(SignatureView),
  })
  .openapi('Verification');

function renderSignature(s: SignatureCheck): z.infer<typeof SignatureView> {
  return {
    id: s.id,
    kid: s.kid,
    jws: s.jws,
    key_project: s.project,
    key_name: s.key?.name ?? null,
    alg: s.key?.alg ?? null,
    signed_at: s.signedAt.toISOString(),
    attached_by: s.attachedBy,
    holds: s.holds,
    reason: s.reason,
    key_revoked_at: s.key?.revokedAt?.toISOString() ?? null,
    key_revocation_reason: s.key?.revocationReason ?? null,
  };
}

const AttachBody = z.object({ jws: z.string().min(1).max(4096) }).strict();
const target = z.object({ type: TypeParam, id: IdParam });

const manifestRoute = createRoute({
  method: 'get',
  path: '/artifacts/{type}/{id}/manifest',
  summary: 'The canonical manifest a developer signs (extension)',
  description: [
    'The exact bytes to sign: the RFC 8785 (JSON Canonicalization Scheme) form of `{format, type, owner, name, version, fields, blobs, dependencies}`, UTF-8.',
    '`fields` holds every immutable field but name and version; `blobs` each blob’s field, key, sha256 and size (and url when external), sorted;',
    '`dependencies` each artifact the dependencies resolve to, as `{ref: {type, owner, name, version}, manifest_sha256}`, the sha256 of its own canonical manifest.',
    'Sign it as a JWS (EdDSA or ES256, protected header with `kid` = the key’s JWK thumbprint) and send the compact form with the payload left out: `<header>..<signature>`.',
    'The ETag is the sha256 of these bytes.',
  ].join(' '),
  request: { params: target },
  responses: { 200: { description: 'The canonical manifest', content: { 'application/json': { schema: { type: 'object' } } } }, ...errorResponses, 409: { description: 'The dependencies do not resolve' } },
});

const attachRoute = createRoute({
  method: 'post',
  path: '/artifacts/{type}/{id}/signatures',
  summary: 'Attach a developer signature (extension)',
  description: 'Body: `{"jws": "<protected header>..<signature>"}`, a detached JWS over the bytes of GET .../manifest. A signature that does not hold now (unknown or revoked key, manifest changed) is refused with the reason.',
  request: { params: target, body: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['jws'], properties: { jws: { type: 'string' } } } } } } },
  responses: { 201: jsonResponse(SignatureView, 'The attached signature'), ...errorResponses, 409: { description: 'Already attached' } },
});

const verifyRoute = createRoute({
  method: 'get',
  path: '/artifacts/{type}/{id}/verify',
  summary: 'Who signed the artifact, with which key, and whether each signature still holds (extension)',
  request: { params: target },
  responses: { 200: jsonResponse(VerificationView, 'The signatures, checked now'), ...errorResponses },
});

const removeRoute = createRoute({
  method: 'delete',
  path: '/artifacts/{type}/{id}/signatures/{signature_id}',
  summary: 'Remove a signature: the owner while the artifact is a draft, an admin at any time (extension)',
  request: { params: target.extend({ signature_id: z.string().max(255).openapi({ param: { name: 'signature_id', in: 'path' } }) }) },
  responses: { 204: { description: 'Removed' }, ...errorResponses },
});

export function signaturesRouter(deps: Deps) {
  const router = new OpenAPIHono<AppEnv>({ defaultHook: onInvalidInput });
  const limitBytes = deps.config.server.json_body_limit_kib * 1024;

  router.openapi(manifestRoute, async (c) => {
    const { type, id } = c.req.valid('param');
    const computed = await showManifest(opContextOf(deps, c), { type: deps.types.get(type), id });
    c.header('ETag', `"${computed.sha256}"`);
    c.header('Content-Type', 'application/json');
    return c.body(new Uint8Array(computed.bytes), 200);
  });

  router.openapi(attachRoute, async (c) => {
    const parsed = AttachBody.safeParse(await readJsonBody(c, { accept: ['application/json'], limitBytes }));
    if (!parsed.success) throw new BadRequest(`signature: ${describeZodError(parsed.error)}`);
    const { type, id } = c.req.valid('param');
    const attached = await attachSignature(opContextOf(deps, c), { type: deps.types.get(type), id, jws: parsed.data.jws });
    return c.json(renderSignature(attached), 201);
  });

  router.openapi(verifyRoute, async (c) => {
    const { type, id } = c.req.valid('param');
    const v = await verifyArtifact(opContextOf(deps, c), { type: deps.types.get(type), id });
    return c.json(
      {
        id: v.artifact.id,
        type_name: v.artifact.typeName,
        name: v.artifact.name,
        version: v.artifact.version,
        owner: v.artifact.owner,
        manifest_sha256: v.manifestSha256,
        verified: v.verified,
        signatures: v.signatures.map(renderSignature),
      },
      200,
    );
  });

  router.openapi(removeRoute, async (c) => {
    const { type, id, signature_id } = c.req.valid('param');
    await removeSignature(opContextOf(deps, c), { type: deps.types.get(type), id, signatureId: signature_id });
    return c.body(null, 204);
  });

  return router;
}
