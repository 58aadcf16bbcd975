/**
 * @module Provenance: the chain of nodes a cached copy came through.
 *
 * Whenever a node serves an artifact to a peer that pulls it, it signs one hop: a compact JWS
 * (EdDSA, the node's current key, the public JWK in its protected header) over
 *
 *   { typ, manifest_sha256, node, name, artifact, at, prev }
 *
 * where `manifest_sha256` is the digest of the artifact's canonical manifest (signing/manifest.ts:
 * the same on every node, whatever id the copy has there), `artifact` the id it has on the
 * serving node, `at` when it served it, and `prev` the SHA-256 of the previous hop's JWS (null on
 * the node where the artifact was made). A copy keeps the chain it was served with, oldest first;
 * when it is served on, the serving node appends its own hop. So a leaf two levels down holds
 * [global's hop, vendor's hop]: "published on G, mirrored by V", each link covering the one before
 * (its signer's key included), and the last signed by a key the leaf pins for its upstream.
 * Developer signatures (made by developer K) bind the same manifest, so together they read end to
 * end: made by K, published on G, mirrored by V.
 */
import { createHash } from 'node:crypto';
import { CompactSign, compactVerify, EmbeddedJWK, decodeProtectedHeader, type JWK } from 'jose';
import { z } from 'zod';
import { BadRequest } from '../errors.js';
import { keyFingerprint, NODE_JWT_ALG, type NodeIdentity } from './identity.js';

export const HOP_TYPE = 'catalog-provenance/1';
/** A chain longer than this is no federation tree this protocol builds. */
export const MAX_CHAIN_HOPS = 16;
const MAX_HOP_JWS_LENGTH = 4096;

export const HopClaims = z
  .object({
    typ: z.literal(HOP_TYPE),
    manifest_sha256: z.string().regex(/^[0-9a-f]{64}$/),
    node: z.string().min(1).max(255),
    name: z.string().max(255),
    artifact: z.string().min(1).max(255),
    at: z.iso.datetime(),
    prev: z.string().nullable(),
  })
  .strict();
export type HopClaims = z.infer<typeof HopClaims>;

/** One hop as read back: what it claims, the key that signed it, and the JWS itself. */
export interface ProvenanceHop {
  claims: HopClaims;
  kid: string;
  jwk: JWK;
  jws: string;
}

/** Where a cached copy came from: the upstream, its id there, the manifest digest as served, the chain (oldest first). */
export type { OriginRecord as ArtifactOrigin } from '../db/queries/pulls.js';

/** What one hop's check found. */
export interface HopCheck {
  node: string;
  name: string;
  artifact: string;
  at: string;
  kid: string;
  /** The signature verifies, its key is the one it names, and it links to the hop before. */
  verified: boolean;
  problem?: string;
}

export interface ChainCheck {
  /** Every hop verified, each binds the expected manifest, and the last is the upstream's, by a pinned key. */
  verified: boolean;
  hops: HopCheck[];
  problem?: string;
}

export const hopDigest = (jws: string) => createHash('sha256').update(jws).digest('base64url');

/** This node's hop over `manifestSha256`, appended to the chain the artifact already has here. */
export async function signHop(identity: NodeIdentity, input: { chain: readonly string[]; manifestSha256: string; nodeName: string; artifactId: string; at: Date }): Promise<string[]> {
  const last = input.chain.at(-1);
  const claims: HopClaims = {
    typ: HOP_TYPE,
    manifest_sha256: input.manifestSha256,
    node: identity.nodeId,
    name: input.nodeName,
    artifact: input.artifactId,
    at: input.at.toISOString(),
    prev: last ? hopDigest(last) : null,
  };
  const jwk = identity.published.find((k) => k.kid === identity.signing.kid);
  if (!jwk) throw new Error('the signing key is not among the published keys');
  const publicJwk: JWK = { kty: jwk.kty, crv: jwk.crv, x: jwk.x };
  const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
    .setProtectedHeader({ alg: NODE_JWT_ALG, kid: identity.signing.kid, jwk: publicJwk, typ: 'provenance+jws' })
    .sign(identity.signing.key);
  return [...input.chain, jws];
}

/** Reads one hop (no signature check): what it claims and which key it names. */
export function readHop(jws: string): ProvenanceHop {
  if (jws.length > MAX_HOP_JWS_LENGTH) throw new BadRequest(`a provenance hop is longer than ${MAX_HOP_JWS_LENGTH} characters`);
  try {
    const header = decodeProtectedHeader(jws);
    const payload = JSON.parse(Buffer.from(jws.split('.')[1] ?? '', 'base64url').toString('utf8')) as unknown;
    const claims = HopClaims.parse(payload);
    if (typeof header.kid !== 'string' || !header.jwk) throw new Error('the header names no kid and jwk');
    return { claims, kid: header.kid, jwk: header.jwk, jws };
  } catch (err) {
    throw new BadRequest(`a provenance hop is not one this protocol makes: ${(err as Error).message.slice(0, 200)}`);
  }
}

/**
 * Checks a chain: every hop's signature verifies with the key in its header, that key's
 * thumbprint is the kid it names, each hop links to the one before, each binds
 * `manifestSha256`, and the last hop is `upstream`'s, signed by one of `pinned` (the keys this
 * node pins for it). The hops before the last are vouched for by it: its `prev` covers them.
 */
export async function checkChain(chain: readonly string[], expect: { manifestSha256: string; upstreamNodeId: string; pinned: readonly JWK[] }): Promise<ChainCheck> {
  if (chain.length === 0) return { verified: false, hops: [], problem: 'the chain has no hop' };
  if (chain.length > MAX_CHAIN_HOPS) return { verified: false, hops: [], problem: `the chain has more than ${MAX_CHAIN_HOPS} hops` };
  const hops: HopCheck[] = [];
  let prev: string | null = null;
  let problem: string | undefined;
  for (const [i, jws] of chain.entries()) {
    let hop: ProvenanceHop;
    try {
      hop = readHop(jws);
    } catch (err) {
      problem ??= `hop ${i + 1}: ${(err as Error).message}`;
      hops.push({ node: '?', name: '?', artifact: '?', at: '?', kid: '?', verified: false, problem: (err as Error).message });
      prev = hopDigest(jws);
      continue;
    }
    const why = await hopProblem(hop, { manifestSha256: expect.manifestSha256, prev });
    const last = i === chain.length - 1;
    const lastWhy =
      !why && last
        ? hop.claims.node !== expect.upstreamNodeId
          ? `the last hop is by node ${hop.claims.node}, not the upstream ${expect.upstreamNodeId}`
          : !expect.pinned.some((k) => k.x === hop.jwk.x)
            ? `the last hop is signed by key ${hop.kid}, which this node does not pin for the upstream`
            : undefined
        : undefined;
    const hopWhy = why ?? lastWhy;
    if (hopWhy) problem ??= `hop ${i + 1} (${hop.claims.name || hop.claims.node}): ${hopWhy}`;
    hops.push({ node: hop.claims.node, name: hop.claims.name, artifact: hop.claims.artifact, at: hop.claims.at, kid: hop.kid, verified: !hopWhy, ...(hopWhy ? { problem: hopWhy } : {}) });
    prev = hopDigest(jws);
  }
  return { verified: problem === undefined, hops, ...(problem ? { problem } : {}) };
}

async function hopProblem(hop: ProvenanceHop, expect: { manifestSha256: string; prev: string | null }): Promise<string | undefined> {
  if (hop.jwk.kty !== 'OKP' || hop.jwk.crv !== 'Ed25519' || typeof hop.jwk.x !== 'string') return 'its key is not an Ed25519 public key';
  if ((await keyFingerprint({ kty: 'OKP', crv: 'Ed25519', x: hop.jwk.x })) !== hop.kid) return 'its key is not the one its kid names';
  try {
    await compactVerify(hop.jws, EmbeddedJWK, { algorithms: [NODE_JWT_ALG] });
  } catch (err) {
    return `its signature does not verify (${(err as Error).message})`;
  }
  if (hop.claims.manifest_sha256 !== expect.manifestSha256) return `it binds manifest ${hop.claims.manifest_sha256}, not this artifact's ${expect.manifestSha256}`;
  if (hop.claims.prev !== expect.prev) return expect.prev === null ? 'it names a hop before it, but it is the first' : 'it does not link to the hop before it';
  return undefined;
}
