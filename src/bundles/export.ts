/**
 * @module Exporting an artifact with its closure as one bundle (see manifest.ts for the format).
 * Everything the bundle will hold is checked before the first byte is sent (the closure resolves
 * for the caller, no blob is still uploading, deactivated artifacts only for admins), so a
 * refusal is an error answer, not a cut-off tar. Blob bytes stream from their store into the tar
 * one entry at a time: memory does not grow with the bundle.
 */
import { PassThrough, type Readable, type Writable } from 'node:stream';
import type { Artifact } from '../artifacts/artifact.js';
import type { ArtifactType } from '../artifacts/artifact-type.js';
import type { OpContext } from '../artifacts/context.js';
import { assertCanDownload } from '../artifacts/policy.js';
import { showArtifact } from '../artifacts/read.js';
import { drained } from '../blobs/blob-store.js';
import type { NamedStore } from '../blobs/routing.js';
import { dependencyClosure, dependencyGraph } from '../dependencies/closure.js';
import { Conflict } from '../errors.js';
import { signaturesToCarry } from './signatures.js';
import { blobEntryName, BUNDLE_FORMAT, internalLinks, manifestArtifact, MANIFEST_ENTRY, type BundleManifest } from './manifest.js';
import { END_OF_ARCHIVE, fileHeader, padding, paddedSize, TAR_BLOCK } from './tar.js';

export interface BundleExport {
  manifest: BundleManifest;
  /** A file name for the bundle: `<type>-<name>-<version>.tar`, made safe. */
  filename: string;
  /** Total bytes of the tar, known before it is written. */
  size: number;
  /**
   * Writes the tar into a socket's own writable (a ServerResponse) and ends it: blob bytes go
   * from their store into it directly (the filesystem store through its reused buffers). Rejects
   * if the store fails or the reader goes away. Call this or `open`, once.
   */
  send(out: Writable): Promise<void>;
  /** The tar as a stream, for a reader that is not a socket; each call makes a new stream of the same bytes. */
  open(): Readable;
  /**
   * The tar holding only the blob entries named (by sha256): for a receiver that has the rest
   * (a submission's upstream). The same bytes on every call.
   */
  openWith(blobs: ReadonlySet<string>): { size: number; open(): Readable };
}

/** Blob bytes to send, one entry per distinct sha256, with the store that holds them. */
interface BlobEntry {
  sha256: string;
  size: number;
  store: NamedStore;
  locator: string;
}

/** Dependencies before the artifacts that reference them (cycles are kept in closure order), the root last. */
function referencesFirst(types: (name: string) => ArtifactType, root: Artifact, closure: readonly Artifact[]): Artifact[] {
  const byId = new Map([...closure, root].map((a) => [a.id, a]));
  const ordered: Artifact[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (a: Artifact) => {
    if (state.has(a.id)) return;
    state.set(a.id, 'visiting');
    for (const link of internalLinks(types(a.typeName), a)) {
      const target = byId.get(link.target.id);
      if (target && target !== root) visit(target);
    }
    state.set(a.id, 'done');
    if (a !== root) ordered.push(a);
  };
  for (const a of closure) visit(a);
  return [...ordered, root];
}

/** For each artifact of the closure: which artifact each of its requirements resolved to. */
async function resolvedRequirements(ctx: OpContext, root: Artifact): Promise<(a: Artifact) => Array<{ index: number; target: string }>> {
  const { edges } = await dependencyGraph(ctx, root);
  return (a) =>
    edges.flatMap((e) => {
      if (e.via !== 'requires' || (e.from?.id ?? root.id) !== a.id) return [];
      const index = a.requires.findIndex((r) => r.type === e.requirement.type && r.name === e.requirement.name && r.range === e.requirement.range);
      return index < 0 ? [] : [{ index, target: e.to.id }];
    });
}

export interface ExportOptions {
  /** Provenance hops to carry for each artifact (a submission's: federation/submissions.ts). */
  provenanceOf?: (artifact: Artifact) => Promise<string[]>;
}

export async function exportBundle(ctx: OpContext, target: { type: ArtifactType; id: string }, opts: ExportOptions = {}): Promise<BundleExport> {
  const root = await showArtifact(ctx, target);
  // Refuses (Conflict) when a link leads to an artifact that is missing or the caller does not see.
  const closure = await dependencyClosure(ctx, root);
  const typeOf = (name: string) => ctx.catalog.types.get(name);
  const members = referencesFirst(typeOf, root, closure);

  const blobs = new Map<string, BlobEntry>();
  for (const artifact of members) {
    const label = `${artifact.typeName} "${artifact.name}" ${artifact.version}`;
    assertCanDownload(ctx.actor, artifact);
    for (const blob of artifact.blobs) {
      if (blob.status !== 'active') throw new Conflict(`blob ${blob.field}${blob.key ? `/${blob.key}` : ''} of ${label} is still being uploaded`);
      if (blob.external || blob.sha256 === null || blob.locator === null || blob.store === null || blob.size === null) continue;
      if (!blobs.has(blob.sha256)) blobs.set(blob.sha256, { sha256: blob.sha256, size: blob.size, store: ctx.catalog.blobs.byName(blob.store), locator: blob.locator });
    }
  }

  const manifest: BundleManifest = {
    format: BUNDLE_FORMAT,
    origin: ctx.catalog.config.node.name,
    created_at: ctx.now().toISOString(),
    root: root.id,
    artifacts: [],
  };
  const resolved = await resolvedRequirements(ctx, root);
  for (const a of members) {
    manifest.artifacts.push(
      manifestArtifact(ctx.catalog.types.forArtifact(a), a, {
        signatures: await signaturesToCarry(ctx, a),
        resolvedRequires: resolved(a),
        ...(opts.provenanceOf ? { provenance: await opts.provenanceOf(a) } : {}),
      }),
    );
  }
  const manifestBytes = Buffer.from(JSON.stringify(manifest));
  // Entries dated when the bundle was made, so every stream of it carries the same bytes.
  const mtime = new Date(manifest.created_at);
  const sizeOf = (entries: readonly BlobEntry[]) => {
    // Each entry is a 512-byte header and its data padded to 512; two zero blocks end the tar.
    let size = TAR_BLOCK + paddedSize(manifestBytes.length) + END_OF_ARCHIVE.length;
    for (const b of entries) size += TAR_BLOCK + paddedSize(b.size);
    return size;
  };
  const streamOf = (entries: readonly BlobEntry[]) => {
    const out = new PassThrough({ highWaterMark: 1024 * 1024 });
    writeBundle(mtime, manifestBytes, entries, out, { socket: false }).catch((err: unknown) => {
      ctx.catalog.log.warn({ err }, 'bundle export ended early');
      out.destroy(err as Error);
    });
    return out;
  };

  const entries = [...blobs.values()];
  return {
    manifest,
    filename: `${root.typeName}-${root.name}-${root.version}.tar`.replace(/[^\w.-]/g, '_'),
    size: sizeOf(entries),
    send: (out) => writeBundle(mtime, manifestBytes, entries, out, { socket: true }),
    open: () => streamOf(entries),
    openWith: (only) => {
      const some = entries.filter((b) => only.has(b.sha256));
      return { size: sizeOf(some), open: () => streamOf(some) };
    },
  };
}

/** Writes `chunk`, waiting while `out` has its fill (and failing if it goes away meanwhile). */
async function put(out: Writable, chunk: Buffer): Promise<void> {
  if (out.destroyed) throw new Error('the reader of the bundle went away');
  if (chunk.length > 0 && !out.write(chunk)) await drained(out);
}

/**
 * The tar, entry by entry, into `out`, then ends it. Into a socket, a store that has a sender
 * writes the blob itself (no stream between the file and the socket: tar-stream's pack, a read
 * stream allocating a fresh buffer per read and a PassThrough held the export to a third of tar's
 * rate, bench/README.md); otherwise the store's read stream is copied with backpressure.
 */
async function writeBundle(mtime: Date, manifestBytes: Buffer, blobs: readonly BlobEntry[], out: Writable, opts: { socket: boolean }): Promise<void> {
  await put(out, fileHeader(MANIFEST_ENTRY, manifestBytes.length, mtime));
  await put(out, manifestBytes);
  await put(out, padding(manifestBytes.length));
  for (const blob of blobs) {
    await put(out, fileHeader(blobEntryName(blob.sha256), blob.size, mtime));
    // The tar's framing holds exactly the recorded size: never more bytes, and fewer is an error.
    const range = blob.size > 0 ? { start: 0, end: blob.size - 1 } : undefined;
    const { store } = blob.store;
    if (opts.socket && store.openSender && range) {
      const send = await store.openSender(blob.locator, { range, keepOpen: true });
      await send(out);
    } else if (range) {
      const source = await store.read(blob.locator, { range });
      let sent = 0;
      try {
        for await (const chunk of source as AsyncIterable<Buffer>) {
          sent += chunk.length;
          await put(out, chunk);
        }
      } finally {
        source.destroy();
      }
      if (sent !== blob.size) throw new Error(`blob ${blob.locator} holds ${sent} bytes where ${blob.size} were recorded`);
    }
    await put(out, padding(blob.size));
  }
  await put(out, END_OF_ARCHIVE);
  out.end();
}
