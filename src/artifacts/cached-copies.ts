/**
 * @module Cached copies (artifacts pulled from an upstream node, federation/pull.ts) are read-only
 * here: their values, blobs and signatures are what the node they come from holds, and their
 * provenance binds exactly that. Only the node itself (a pull, an upgrade job) writes them; an
 * admin may still delete one (evicting it from the cache).
 */
import { findOrigin } from '../db/queries/pulls.js';
import { Forbidden } from '../errors.js';
import type { Artifact } from './artifact.js';
import { conn, type OpContext } from './context.js';

export async function assertNotCachedCopy(ctx: OpContext, artifact: Pick<Artifact, 'id' | 'typeName' | 'name' | 'version'>, action: string): Promise<void> {
  if (ctx.actor.kind === 'system') return;
  const origin = await findOrigin(conn(ctx), artifact.id);
  if (!origin) return;
  throw new Forbidden(
    `${artifact.typeName} "${artifact.name}" ${artifact.version} is a read-only cached copy pulled from upstream node ${origin.upstreamNodeId}: no one may ${action} here; change it on the node it comes from and pull it again`,
  );
}
