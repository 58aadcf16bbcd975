/**
 * @module The upstream's side of a pull: what a child enrolled for `pull` may ask of this node.
 *
 * - resolve: which artifact a type, name and version range names (the newest active version the
 *   child sees that satisfies it);
 * - describe: the closure of an artifact (every artifact the pull will copy) with, for each, the
 *   digest of its canonical manifest and its provenance chain with this node's hop appended;
 * - bundle: the closure as an export bundle (bundles/export.ts): manifest first, then every
 *   blob, streamed from the store.
 *
 * The child sees what a peer sees (policy.ts: active public artifacts, and its project's).
 */
import semver from 'semver';
import { z } from 'zod';
import type { Artifact } from '../artifacts/artifact.js';
import { conn, type OpContext } from '../artifacts/context.js';
import { ARTIFACT_ID } from '../artifacts/names.js';
import { sightOf } from '../artifacts/policy.js';
import { parseRange } from '../artifacts/versions.js';
import { exportBundle, type BundleExport } from '../bundles/export.js';
import { findArtifact } from '../db/queries/artifacts.js';
import { activeVersionsOf, findOrigin } from '../db/queries/pulls.js';
import { dependencyClosure } from '../dependencies/closure.js';
import { BadRequest, Forbidden, NotFound } from '../errors.js';
import { manifestOf } from '../signing/signatures.js';
import type { FederationDeps } from './federation.js';
import { MAX_CHAIN_HOPS, signHop } from './provenance.js';

export const PULL_PEER_PREFIX = '/federation/v1/artifacts';

const Uuid = z.string().regex(ARTIFACT_ID).transform((s) => s.toLowerCase());

/** One artifact a pull will copy, as the upstream describes it. */
export const ServedArtifact = z
  .object({
    id: Uuid,
    type: z.string().min(1).max(255),
    name: z.string().min(1).max(255),
    version: z.string().min(1).max(255),
    owner: z.string().min(1).max(255),
    manifest_sha256: z.string().regex(/^[0-9a-f]{64}$/),
    /** Provenance hops, oldest first; the last is the serving node's. */
    chain: z.array(z.string().max(4096)).min(1).max(MAX_CHAIN_HOPS),
  })
  .strict();
export type ServedArtifact = z.infer<typeof ServedArtifact>;

/** What GET /federation/v1/artifacts/{id}/closure answers. */
export const ServedClosure = z
  .object({
    root: Uuid,
    /** Dependencies first, the root last. */
    artifacts: z.array(ServedArtifact).min(1).max(100_000),
  })
  .strict();
export type ServedClosure = z.infer<typeof ServedClosure>;

export const ResolvedArtifact = z.object({ id: Uuid, type: z.string(), name: z.string(), version: z.string() }).strict();
export type ResolvedArtifact = z.infer<typeof ResolvedArtifact>;

/** Only a peer node enrolled for pull is served: these routes sign provenance in this node's name. */
function assertPullingPeer(ctx: OpContext): void {
  const actor = ctx.actor;
  if (actor.kind !== 'peer') throw new Forbidden('these routes serve peer nodes pulling from this node (a node token is required)');
  if (!actor.permissions.includes('pull')) throw new Forbidden(`peer node ${actor.nodeId} is not enrolled for pull`);
}

async function visibleArtifact(ctx: OpContext, id: string): Promise<Artifact> {
  const artifact = await findArtifact(conn(ctx), { id, sight: sightOf(ctx.actor) });
  if (!artifact) throw new NotFound(`no artifact with id ${id} that node ${ctx.actor.kind === 'peer' ? ctx.actor.nodeId : ''} may pull`);
  if (artifact.status !== 'active') throw new Forbidden(`artifact ${id} is ${artifact.status}: only active artifacts are pulled`);
  return artifact;
}

export async function resolveForPeer(ctx: OpContext, spec: { type: string; name: string; version: string }): Promise<ResolvedArtifact> {
  assertPullingPeer(ctx);
  if (!ctx.catalog.types.has(spec.type)) throw new NotFound(`this node has no artifact type "${spec.type}"`);
  const range = parseRange(spec.version === 'latest' ? '*' : spec.version);
  const versions = await activeVersionsOf(conn(ctx), { typeName: spec.type, name: spec.name, sight: sightOf(ctx.actor) });
  const chosen = semver.maxSatisfying(
    versions.map((v) => v.version),
    range,
    { includePrerelease: false },
  );
  const found = chosen === null ? undefined : versions.find((v) => v.version === chosen);
  if (!found) throw new NotFound(`no active ${spec.type} "${spec.name}" satisfies ${spec.version} here`);
  return { id: found.id, type: spec.type, name: spec.name, version: found.version };
}

export async function describeForPeer(fd: FederationDeps, ctx: OpContext, id: string): Promise<ServedClosure> {
  assertPullingPeer(ctx);
  const root = await visibleArtifact(ctx, id);
  const members = [...(await dependencyClosure(ctx, root)), root];
  const identity = await fd.federation.identity();
  const at = ctx.now();
  const artifacts: ServedArtifact[] = [];
  for (const a of members) {
    const { sha256 } = await manifestOf(ctx, a);
    const origin = await findOrigin(conn(ctx), a.id);
    const prior = origin?.chain ?? [];
    if (prior.length >= MAX_CHAIN_HOPS) throw new BadRequest(`${a.typeName} "${a.name}" ${a.version} came through ${prior.length} nodes already: it cannot be pulled further`);
    const chain = await signHop(identity, { chain: prior, manifestSha256: sha256, nodeName: fd.config.node.name, artifactId: a.id, at });
    artifacts.push({ id: a.id, type: a.typeName, name: a.name, version: a.version, owner: a.owner, manifest_sha256: sha256, chain });
  }
  return { root: root.id, artifacts };
}

export async function bundleForPeer(ctx: OpContext, id: string): Promise<BundleExport> {
  assertPullingPeer(ctx);
  const root = await visibleArtifact(ctx, id);
  return exportBundle(ctx, { type: ctx.catalog.types.forArtifact(root), id: root.id });
}
