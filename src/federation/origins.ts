/**
 * @module GET /artifacts/{type}/{id}/provenance: where an artifact comes from, checked end to end.
 * Its developer signatures (who made it), then the chain of nodes that served it down to this one
 * (published on G, mirrored by V), each hop's signature verified, each binding the manifest this
 * node computes for its copy now, the last by a key this node pins for its upstream.
 */
import type { ArtifactType } from '../artifacts/artifact-type.js';
import { conn, type OpContext } from '../artifacts/context.js';
import { showArtifact } from '../artifacts/read.js';
import { findPeerRelations } from '../db/queries/federation.js';
import { findOrigin } from '../db/queries/pulls.js';
import { verifyArtifactSignatures } from '../signing/signatures.js';
import type { FederationDeps } from './federation.js';
import { checkChain, type HopCheck } from './provenance.js';

export interface ProvenanceView {
  artifact: { id: string; type: string; name: string; version: string; owner: string };
  /** The digest of its canonical manifest here, now (null: its dependencies do not resolve). */
  manifestSha256: string | null;
  /** This node. */
  node: { id: string; name: string };
  /** Present for a cached copy: the upstream it was pulled from. */
  origin?: { upstreamNodeId: string; upstreamName: string | null; upstreamArtifactId: string; pulledAt: Date; manifestSha256: string };
  developerSignatures: Array<{ kid: string; keyName: string | null; signedAt: Date; holds: boolean; reason: string | null }>;
  /** Oldest first: the node it was published on, then every node that mirrored it. Empty for an artifact made here. */
  hops: HopCheck[];
  /** The chain verifies and binds this copy (always true for an artifact made here). */
  verified: boolean;
  problem?: string;
  /** "made by developer …, published on …, mirrored by …". */
  summary: string;
}

export async function showProvenance(fd: FederationDeps, ctx: OpContext, target: { type: ArtifactType; id: string }): Promise<ProvenanceView> {
  const artifact = await showArtifact(ctx, target);
  const identity = await fd.federation.identity();
  const signatures = await verifyArtifactSignatures(ctx, artifact);
  const origin = await findOrigin(conn(ctx), artifact.id);
  const developerSignatures = signatures.signatures.map((s) => ({ kid: s.kid, keyName: s.key?.name || null, signedAt: s.signedAt, holds: s.holds, reason: s.reason }));
  const made = developerSignatures.filter((s) => s.holds).map((s) => `made by developer key ${s.keyName ? `"${s.keyName}" ` : ''}${s.kid} of ${artifact.owner}`);
  const base = {
    artifact: { id: artifact.id, type: artifact.typeName, name: artifact.name, version: artifact.version, owner: artifact.owner },
    manifestSha256: signatures.manifestSha256,
    node: { id: identity.nodeId, name: fd.config.node.name },
    developerSignatures,
  };
  if (!origin) {
    return { ...base, hops: [], verified: true, summary: [...made, `published on ${fd.config.node.name}`].join(', ') };
  }
  // The node a copy came from: the upstream it was pulled from, or the child that submitted it.
  const relations = await findPeerRelations(fd.db, origin.upstreamNodeId);
  const upstream = relations.find((r) => r.relation === 'upstream');
  const submittedBy = upstream ? undefined : relations.find((r) => r.relation === 'child');
  const pinned = relations.flatMap((r) => r.keys);
  const check =
    signatures.manifestSha256 === null
      ? { verified: false, hops: [], problem: 'the copy has no manifest now: its dependencies do not resolve here' }
      : await checkChain(origin.chain, { manifestSha256: signatures.manifestSha256, upstreamNodeId: origin.upstreamNodeId, pinned });
  const [first, ...mirrors] = check.hops;
  const summary = [
    ...made,
    ...(first ? [`published on ${first.name || first.node}`] : []),
    ...mirrors.map((h) => `mirrored by ${h.name || h.node}`),
    submittedBy ? `submitted to ${fd.config.node.name}` : `cached on ${fd.config.node.name}`,
  ].join(', ');
  return {
    ...base,
    origin: {
      upstreamNodeId: origin.upstreamNodeId,
      upstreamName: (upstream ?? submittedBy)?.name ?? null,
      upstreamArtifactId: origin.upstreamArtifactId,
      pulledAt: origin.pulledAt,
      manifestSha256: origin.manifestSha256,
    },
    hops: check.hops,
    verified: check.verified,
    ...(check.problem ? { problem: check.problem } : {}),
    summary,
  };
}
