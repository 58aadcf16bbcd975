/**
 * @module Pull-through: a download of a blob of an upstream artifact, served from the cached copy
 * when this node has one, and otherwise by pulling the artifact (its closure, as a pull job
 * would: pull.ts copyClosure) within the request while the blob's bytes are handed on as they
 * arrive.
 *
 * The bytes the client gets are those the import hashes and stores, chunk for chunk, with two
 * holds that keep a client from ever holding a whole blob this node did not accept:
 * - the blob's last byte is not handed on live: it follows, read from the stored copy, once the
 *   import has committed (every blob of the closure verified, provenance bound, origins recorded);
 * - a client that falls behind (more than LIVE_LAG_BYTES waiting in its response) stops being fed
 *   live: the import never waits for a client (the transfer may be a job's, or shared by several
 *   downloads), and no client costs more memory than that. It gets the rest from the stored copy
 *   after the commit, from the byte it had reached.
 * So a transfer that breaks or does not verify leaves the client with a short body: the route
 * then destroys the connection.
 *
 * Only a blob the copy will serve to every signed-in user (an active, public artifact) is handed
 * on live; any other waits for the copy and is then served by this node's own rules.
 */
import type { Writable } from 'node:stream';
import type { Actor } from '../artifacts/actor.js';
import type { ArtifactType } from '../artifacts/artifact-type.js';
import { blobSlot } from '../artifacts/blobs.js';
import type { BlobTap } from '../bundles/import.js';
import type { StoredManifestBlob } from '../bundles/manifest.js';
import { findArtifact } from '../db/queries/artifacts.js';
import { findOriginsByUpstream } from '../db/queries/pulls.js';
import { BadGateway, BadRequest, NotFound } from '../errors.js';
import { assertMayPull, copyClosure, describeClosure, pullingUpstream, type PullDeps } from './pull.js';

export interface PullThroughTarget {
  /** The upstream's node id. */
  upstream: string;
  /** The artifact's id on the upstream. */
  id: string;
  field: string;
  /** The key, for a blob dict. */
  key?: string;
}

/** What the bundle's manifest declares of the blob, known before its first byte arrives. */
export type DeclaredBlob = Pick<StoredManifestBlob, 'field' | 'key' | 'size' | 'sha256' | 'md5' | 'sha1' | 'content_type'>;

/**
 * Where the blob's bytes go while they arrive: called once, as they begin; answers the writable
 * to feed (its headers sent), or undefined to be served the stored copy afterwards. Must not throw.
 */
export type LiveReceiver = (blob: DeclaredBlob) => Writable | undefined;

export interface PullThroughResult {
  /** The cached copy of the upstream artifact, here. */
  artifact: { id: string; type: ArtifactType };
  /** Set when bytes went to the live receiver: all before `sent` did; the rest is the stored copy's to send. */
  live?: { blob: DeclaredBlob; sent: number };
}

/**
 * How far a client may fall behind the transfer, in bytes waiting in its response, before it
 * stops being fed live (it gets the rest from the stored copy): what one client costs in memory.
 */
const LIVE_LAG_BYTES = 4 * 1024 * 1024;

/** Feeds a writable the blob's bytes as they arrive, all but the last, for as long as it keeps up. */
class LiveFeed {
  sent = 0;
  private fed = true;

  constructor(
    private readonly out: Writable,
    private readonly size: number,
  ) {}

  push(chunk: Buffer): void {
    if (!this.fed) return;
    if (this.out.destroyed || this.out.writableLength > LIVE_LAG_BYTES) {
      this.fed = false;
      return;
    }
    const room = this.size - 1 - this.sent;
    const part = chunk.length <= room ? chunk : chunk.subarray(0, room);
    this.sent += part.length;
    if (part.length > 0) this.out.write(part);
    if (this.sent === this.size - 1) this.fed = false;
  }
}

/** Whether the copy-to-be is served to every signed-in user: then its bytes may go out before the commit. */
const servedToAll = (a: { status: string; visibility: string }) => a.status === 'active' && a.visibility === 'public';

/** The blob field and key of `type` the target names, as a 404 when there is none. */
function slotOf(type: ArtifactType, target: PullThroughTarget): { field: string; key: string } {
  try {
    const { def, key } = blobSlot(type, target.field, target.key);
    return { field: def.name, key };
  } catch (err) {
    if (err instanceof BadRequest) throw new NotFound(`upstream artifact ${target.id}: ${err.message}`);
    throw err;
  }
}

/** What the upstream did wrong, as this node's answer: a bundle or description this node refuses is a bad gateway, not a bad request. */
const asGatewayError = (err: unknown) => (err instanceof BadRequest ? new BadGateway(err.message) : err);

export async function pullThrough(deps: PullDeps, actor: Actor, target: PullThroughTarget, live?: LiveReceiver): Promise<PullThroughResult> {
  assertMayPull(actor);
  const upstream = await pullingUpstream(deps, target.upstream);
  const [origin] = await findOriginsByUpstream(deps.db, upstream.nodeId, [target.id]);
  if (origin) {
    // No question to the upstream: the copy is served as any artifact here is.
    const copy = (await findArtifact(deps.db, { id: origin.artifactId, sight: { kind: 'all' } }))!;
    return { artifact: { id: copy.id, type: deps.types.get(copy.typeName) } };
  }

  const signal = new AbortController().signal; // the copy is worth finishing even if this client leaves
  try {
    const described = await describeClosure(deps, upstream, target.id, signal);
    const root = described.served.get(target.id)!;
    if (!deps.types.has(root.type)) throw new NotFound(`upstream artifact ${target.id} is a ${root.type}, a type this node does not serve`);
    const type = deps.types.get(root.type);
    const slot = slotOf(type, target);

    let feed: { blob: DeclaredBlob; bytes: LiveFeed } | undefined;
    const watcher: BlobTap = (blob, manifest) => {
      const entry = manifest.artifacts.find((a) => a.id === target.id);
      const wanted = entry?.blobs.find((b) => b.field === slot.field && b.key === slot.key);
      if (feed || !live || !entry || !servedToAll(entry) || wanted?.external !== false || wanted.sha256 !== blob.sha256 || blob.size === 0) return undefined;
      const declared: DeclaredBlob = { field: wanted.field, key: wanted.key, size: blob.size, sha256: blob.sha256, md5: blob.md5, sha1: blob.sha1, content_type: blob.content_type };
      const out = live(declared);
      if (!out) return undefined;
      const bytes = new LiveFeed(out, blob.size);
      feed = { blob: declared, bytes };
      return (chunk) => bytes.push(chunk);
    };
    const copied = await copyClosure(deps, upstream, target.id, { signal, log: deps.log }, { described, watcher });
    return { artifact: { id: copied.rootId, type }, ...(feed ? { live: { blob: feed.blob, sent: feed.bytes.sent } } : {}) };
  } catch (err) {
    throw asGatewayError(err);
  }
}
