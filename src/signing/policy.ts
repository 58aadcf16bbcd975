/**
 * @module The node's signature policy: when the node (`signing.require_signatures`) or the
 * artifact's type (`signing.types.<type>.require_signatures`) requires it, a draft becomes
 * active only when a developer signature attached to it holds.
 */
import type { Artifact } from '../artifacts/artifact.js';
import type { ArtifactType } from '../artifacts/artifact-type.js';
import type { ActivationGuard, OpContext } from '../artifacts/context.js';
import type { Config } from '../config/schema.js';
import { Forbidden } from '../errors.js';
import { verifyArtifactSignatures } from './signatures.js';

/** Which policy requires `typeName`'s artifacts to be signed, if any. */
export function signatureRequirement(config: Pick<Config, 'signing'>, typeName: string): string | undefined {
  if (config.signing.types[typeName]?.require_signatures) return `the policy of type ${typeName}`;
  if (config.signing.require_signatures) return 'the node\'s policy';
  return undefined;
}

export async function assertSignedForActivation(ctx: OpContext, type: ArtifactType, artifact: Artifact): Promise<void> {
  const requiredBy = signatureRequirement(ctx.catalog.config, type.name);
  if (!requiredBy) return;
  const verification = await verifyArtifactSignatures(ctx, artifact);
  if (verification.verified) return;
  const what = `${type.name} ${artifact.name} ${artifact.version}`;
  const why =
    verification.signatures.length === 0
      ? `${what} has no signature`
      : `no signature of ${what} holds: ${verification.signatures.map((s) => s.reason).join('; ')}`;
  throw new Forbidden(`cannot activate: ${requiredBy} requires a developer signature that holds, and ${why}`);
}

/** The activation guard deps.ts installs. */
export const signaturePolicyGuard: ActivationGuard = (ctx, type, artifact) => assertSignedForActivation(ctx, type, artifact);
