/**
 * @module Importing a bundle (see manifest.ts): the closure it holds is recreated in this
 * catalog, all of it or nothing.
 *
 * 1. The manifest (the tar's first entry) is read and checked whole: known types, values the
 *    types accept, references that stay inside the bundle, blob slots and sizes the types allow.
 * 2. Each artifact is matched by identity (type, owning project, name, version): one already here
 *    with the same content is reused (importing twice creates nothing), one with other content is
 *    a conflict, reported by name before any blob is read.
 * 3. Blob entries stream into the store through the upload path's hashing; a size or digest that
 *    differs from the manifest refuses the bundle.
 * 4. One transaction creates every new artifact and its blob rows, links rewritten to the new
 *    ids, and pins each requirement to the artifact it resolved to where the bundle was made
 *    (`resolved_requires`): the copy keeps its dependencies, hence its manifest, signatures and
 *    provenance, whatever other fitting versions this node holds. If anything fails, the bytes
 *    this import stored are released again.
 *
 * Memory holds the manifest and one blob's stream buffers, whatever the bundle's size.
 */
import { Readable } from 'node:stream';
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import tar from 'tar-stream';
import { z } from 'zod';
import { fieldValue, setGenericField, type Artifact, type BlobInfo } from '../artifacts/artifact.js';
import type { ArtifactType } from '../artifacts/artifact-type.js';
import { releaseBytes } from '../artifacts/blobs.js';
import { systemActor } from '../artifacts/actor.js';
import { conn, emit, refFor, withTransaction, type OpContext, type TxContext } from '../artifacts/context.js';
import { assertDictKey, BLOB_KINDS } from '../artifacts/fields.js';
import { GENERIC_FIELD_NAMES } from '../artifacts/generic-fields.js';
import { validateValue } from '../artifacts/input.js';
import { assertActivatable } from '../artifacts/lifecycle.js';
import { PROJECT_ID } from '../artifacts/names.js';
import { parseVersion, versionKey } from '../artifacts/versions.js';
import { hasAdminRights, requireAdmin, writingProject } from '../artifacts/policy.js';
import { assertWithinQuota } from '../artifacts/quotas.js';
import { uploadKey } from '../blobs/blob-store.js';
import { ChecksumMismatch, writeHashed } from '../blobs/digest.js';
import type { NamedStore } from '../blobs/routing.js';
import { findArtifact, insertArtifact, type ArtifactRecord } from '../db/queries/artifacts.js';
import { insertExternalBlob, lockBytes } from '../db/queries/blobs.js';
import { findArtifactIdByIdentity, insertStoredBlob } from '../db/queries/bundles.js';
import { setRequirementPins } from '../db/queries/dependencies.js';
import { AppError, BadRequest, Conflict, Unavailable } from '../errors.js';
import { assertRequirementsResolve } from '../dependencies/closure.js';
import { recordReferences } from '../dependencies/references.js';
import { describeRequirement, requirementKeyTest, type Requirement } from '../dependencies/requirements.js';
import { adoptKey } from '../signing/keys.js';
import { attachSignature } from '../signing/signatures.js';
import {
  BLOB_ENTRY_PREFIX,
  BundleManifest,
  internalLinks,
  MANIFEST_ENTRY,
  MAX_MANIFEST_BYTES,
  type ManifestArtifact,
  type ManifestBlob,
  type StoredManifestBlob,
} from './manifest.js';
import { bundleManifests, verifyBundleSignatures } from './signatures.js';

export interface ImportOptions {
  body: Readable;
  signal: AbortSignal;
  /** Admins only: each artifact keeps the owning project the bundle names, instead of the importer's. */
  keepOwner?: boolean;
  /** `drafted`: artifacts the import creates are drafts whatever the bundle says (a submission held for review). */
  landAs?: 'drafted';
  /**
   * Settles once the body has been read whole: rejects when its bytes are not those the sender
   * declared (a streamed node request's Content-Digest). Nothing is committed before it resolves.
   */
  bodyVerified?: Promise<void>;
  /**
   * Runs last inside the import's transaction, every artifact in: what it throws refuses the
   * bundle as a whole (nothing stays, stored bytes are released). Pulls and submissions check and record origins here
   * (the manifest carries what the sending node said of each artifact: its provenance).
   */
  inCommit?: (tx: TxContext, imported: readonly ImportedArtifact[], manifest: BundleManifest) => Promise<void>;
  /**
   * Sees the bytes of a blob this import stores as they go to the store (a download served while
   * the pull runs: federation/pull-through.ts). Asked when the blob's entry begins, with what the
   * manifest declares of it; the function it returns gets each chunk before it is hashed. It must
   * not throw, and the import does not wait for it.
   */
  tap?: BlobTap;
}

export type BlobTap = (blob: StoredManifestBlob, manifest: BundleManifest) => ((chunk: Buffer) => void) | undefined;

export interface ImportedArtifact {
  /** The id the artifact had on the node that made the bundle. */
  sourceId: string;
  id: string;
  type: string;
  name: string;
  version: string;
  owner: string;
  /** False when an identical artifact was already here and was reused. */
  created: boolean;
  /** Signatures the bundle carried for it, all verified. */
  signaturesVerified: number;
  /** Of those, attached here: only to an artifact created with the owner the signatures were made for. */
  signaturesAttached: number;
}

export interface ImportResult {
  root: ImportedArtifact;
  artifacts: ImportedArtifact[];
}

/** One artifact of the bundle as this node will hold it. */
interface PlannedArtifact {
  source: ManifestArtifact;
  type: ArtifactType;
  /** The existing artifact reused, or the id the new one gets. */
  id: string;
  existing: Artifact | undefined;
  record: ArtifactRecord;
  /** The record as the bundle has it: links naming the bundle's ids. */
  exported: ArtifactRecord;
  blobs: ManifestBlob[];
}

/** One entry of the tar as tar-stream hands it over. */
type Entry = tar.ExtractEvents['entry'][1];

const label = (a: { type: string; name: string; version: string }, owner: string) => `${a.type} "${a.name}" ${a.version} (project ${owner})`;

/** Bytes this import put into a store: released again if the import fails. */
interface StoredCopy {
  store: NamedStore;
  locator: string;
  sha256: string;
}

export async function importBundle(ctx: OpContext, opts: ImportOptions): Promise<ImportResult> {
  const importer = writingProject(ctx.actor, 'import bundles');
  if (opts.keepOwner) requireAdmin(ctx.actor, "keep a bundle's owners");

  const extract = tar.extract();
  opts.body.on('error', (err) => extract.destroy(err));
  // A caller that goes away between blob entries stops the import too, not only a running write.
  const onAbort = () => extract.destroy(new Error('the client went away before the bundle was read'));
  opts.signal.addEventListener('abort', onAbort, { once: true });
  opts.body.pipe(extract);
  const entries = extract[Symbol.asyncIterator]();
  const stored = new Map<string, StoredCopy[]>();
  try {
    const manifest = await readManifest(entries);
    const plan = await planImport(ctx, manifest, (a) => (opts.keepOwner ? a.owner : importer), opts.landAs);
    await receiveBlobs(ctx, plan, entries, stored, opts.signal, (blob) => opts.tap?.(blob, manifest));
    await opts.bodyVerified;
    return await commit(ctx, manifest, plan, stored, opts.inCommit);
  } catch (err) {
    extract.destroy();
    opts.body.unpipe(extract);
    opts.body.resume();
    for (const copies of stored.values()) for (const copy of copies) await releaseBytes(ctx.catalog, copy.store, copy);
    throw asImportError(err);
  } finally {
    opts.signal.removeEventListener('abort', onAbort);
  }
}

/** What tar-stream and the stores say when the bytes are not a whole tar, in the domain's terms. */
function asImportError(err: unknown): unknown {
  if (err instanceof AppError) return err;
  if (err instanceof ChecksumMismatch) return new BadRequest(`a blob of the bundle does not match its manifest: ${err.message}`);
  const message = err instanceof Error ? err.message : String(err);
  if (/unexpected end of data|invalid tar header|invalid header/i.test(message)) return new BadRequest(`the body is not a whole bundle (a tar): ${message}`);
  return err;
}

async function readEntry(entry: Entry, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of entry as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    if (bytes > limit) throw new BadRequest(`${entry.header.name} is larger than ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

async function readManifest(entries: AsyncIterator<Entry>): Promise<BundleManifest> {
  const first = await entries.next();
  if (first.done) throw new BadRequest('the bundle is empty: it must begin with manifest.json');
  const entry = first.value;
  if (entry.header.name !== MANIFEST_ENTRY) throw new BadRequest(`the bundle's first entry must be ${MANIFEST_ENTRY}, not "${entry.header.name.slice(0, 100)}"`);
  if ((entry.header.size ?? 0) > MAX_MANIFEST_BYTES) throw new BadRequest(`${MANIFEST_ENTRY} may be at most ${MAX_MANIFEST_BYTES} bytes`);
  let json: unknown;
  try {
    json = JSON.parse((await readEntry(entry, MAX_MANIFEST_BYTES)).toString('utf8'));
  } catch (err) {
    if (err instanceof SyntaxError) throw new BadRequest(`${MANIFEST_ENTRY} is not JSON: ${err.message}`);
    throw err;
  }
  return parseManifest(json);
}

function parseManifest(json: unknown): BundleManifest {
  const parsed = BundleManifest.safeParse(json);
  if (!parsed.success) throw new BadRequest(`${MANIFEST_ENTRY} is not a bundle manifest: ${z.prettifyError(parsed.error).slice(0, 2000)}`);
  return parsed.data;
}

/** Generic values of a manifest entry, by field name, as the type validates them. */
function genericValues(a: ManifestArtifact): Record<string, unknown> {
  return {
    name: a.name,
    version: a.version,
    description: a.description,
    tags: a.tags,
    metadata: a.metadata,
    requires: a.requires,
    provided_by: a.provided_by,
    supported_by: a.supported_by,
    license: a.license,
    license_url: a.license_url,
    release: a.release,
  };
}

const isEmpty = (v: unknown) => v === null || v === '' || (Array.isArray(v) && v.length === 0) || (typeof v === 'object' && v !== null && Object.keys(v).length === 0);

/** Validates one manifest entry against its type; the values to store (links not yet rewritten). */
function validateEntry(ctx: OpContext, a: ManifestArtifact, owner: string): { type: ArtifactType; values: Record<string, unknown> } {
  const where = `${a.type} "${a.name.slice(0, 100)}" ${a.version.slice(0, 40)}`;
  if (!ctx.catalog.types.has(a.type)) throw new BadRequest(`the bundle holds ${where}, a type this node does not serve`);
  const type = ctx.catalog.types.get(a.type);
  if (!PROJECT_ID.test(owner)) throw new BadRequest(`${where}: owner "${owner.slice(0, 60)}" is not a project id`);
  const values: Record<string, unknown> = {};
  const check = (name: string, value: unknown) => {
    const def = type.fields.get(name);
    if (!def) {
      if (isEmpty(value)) return;
      throw new BadRequest(`${where}: type ${type.name} has no field "${name.slice(0, 60)}"`);
    }
    try {
      values[name] = validateValue(def, value);
    } catch (err) {
      if (err instanceof BadRequest) throw new BadRequest(`${where}: ${err.message}`);
      throw err;
    }
  };
  for (const [name, value] of Object.entries(genericValues(a))) check(name, value);
  for (const [name, value] of Object.entries(a.fields)) {
    const def = type.fields.get(name);
    if (GENERIC_FIELD_NAMES.has(name) || def?.system || (def && BLOB_KINDS.has(def.kind))) throw new BadRequest(`${where}: "${name.slice(0, 60)}" is not one of the type's own value fields`);
    check(name, value);
  }
  return { type, values };
}

function validateBlobs(type: ArtifactType, a: ManifestArtifact, where: string): void {
  const slots = new Set<string>();
  for (const blob of a.blobs) {
    const def = type.fields.get(blob.field);
    const slot = `${blob.field}${blob.key ? `/${blob.key}` : ''}`;
    if (!def || !BLOB_KINDS.has(def.kind)) throw new BadRequest(`${where}: "${blob.field.slice(0, 60)}" is not a blob field of ${type.name}`);
    if (def.kind === 'blob' && blob.key !== '') throw new BadRequest(`${where}: "${blob.field}" is a single blob: it has no keys`);
    if (def.kind === 'blob_dict') {
      try {
        assertDictKey(def, blob.key);
      } catch (err) {
        if (err instanceof BadRequest) throw new BadRequest(`${where}: ${err.message}`);
        throw err;
      }
    }
    if (slots.has(slot)) throw new BadRequest(`${where}: blob ${slot} appears twice`);
    slots.add(slot);
    if (!blob.external && blob.size > def.maxBlobSize!) throw new BadRequest(`${where}: blob ${slot} is ${blob.size} bytes; this node takes at most ${def.maxBlobSize} there`);
    if (blob.external && !/^https?:\/\/[^\s]+$/i.test(blob.url)) throw new BadRequest(`${where}: external blob ${slot} needs an http(s) URL`);
  }
}

/** `record` as an artifact with id `id` and no blobs: what link discovery reads. */
const asArtifact = (record: ArtifactRecord, id: string): Artifact => ({ ...record, id, blobs: [] });

/** The declared references must be exactly the internal links the values hold, each inside the bundle. */
function validateReferences(type: ArtifactType, a: ManifestArtifact, record: ArtifactRecord, inBundle: Map<string, ManifestArtifact>, where: string): void {
  const actual = internalLinks(type, asArtifact(record, a.id));
  const key = (r: { field: string; key: string; target: string }) => `${r.field}\u0000${r.key}\u0000${r.target}`;
  const declared = new Set(a.references.map(key));
  const found = new Set(actual.map((l) => key({ field: l.field, key: l.key, target: l.target.id })));
  if (declared.size !== found.size || [...found].some((k) => !declared.has(k))) throw new BadRequest(`${where}: its references do not match the links in its fields`);
  for (const link of actual) {
    const target = inBundle.get(link.target.id);
    if (!target || target.type !== link.target.type) throw new BadRequest(`${where}: field ${link.field} links to ${link.link}, which the bundle does not hold`);
  }
}

/** A copy of `record` whose internal links name the ids this node gives the bundle's artifacts. */
function rewriteLinks(type: ArtifactType, record: ArtifactRecord, sourceId: string, idOf: (sourceId: string) => string): ArtifactRecord {
  const out = { ...asArtifact(record, sourceId), fields: structuredClone(record.fields) as Record<string, unknown> };
  for (const link of internalLinks(type, asArtifact(record, sourceId))) {
    const to = `/artifacts/${link.target.type}/${idOf(link.target.id)}`;
    const held = fieldValue(type, out, link.field);
    if (typeof held === 'string') {
      if (!setGenericField(out, link.field, to)) out.fields[link.field] = to;
    } else if (Array.isArray(held)) held[Number(link.key)] = to;
    else (held as Record<string, unknown>)[link.key] = to;
  }
  const { id: _id, blobs: _blobs, ...rewritten } = out;
  return rewritten;
}

/** What identifies content for "is it the same artifact?": everything but ids, status, visibility and dates. */
function contentOf(record: Pick<ArtifactRecord, 'description' | 'tags' | 'metadata' | 'requires' | 'providedBy' | 'supportedBy' | 'license' | 'licenseUrl' | 'release' | 'fields'>, blobs: ReadonlyArray<Pick<BlobInfo, 'field' | 'key' | 'external' | 'url' | 'size' | 'sha256'>>) {
  return {
    description: record.description,
    tags: [...record.tags].sort(),
    metadata: record.metadata,
    requires: record.requires,
    providedBy: record.providedBy,
    supportedBy: record.supportedBy,
    license: record.license,
    licenseUrl: record.licenseUrl,
    release: record.release,
    fields: record.fields,
    blobs: Object.fromEntries(blobs.map((b) => [`${b.field}/${b.key}`, b.external ? { url: b.url, sha256: b.sha256, size: b.size } : { sha256: b.sha256, size: b.size }])),
  };
}

/**
 * What importing a bundle with this manifest would do, checked as the import checks it (types,
 * values, references, signatures, conflicts) without reading a blob: the sha256 of every blob the
 * bundle must carry (those of artifacts not already here), and which artifacts are here already.
 */
export async function planBundleImport(ctx: OpContext, manifestJson: unknown): Promise<{ neededBlobs: string[]; present: string[]; manifests: Record<string, string> }> {
  const importer = writingProject(ctx.actor, 'import bundles');
  const manifest = parseManifest(manifestJson);
  const plan = await planImport(ctx, manifest, () => importer);
  // What each artifact's canonical manifest will be here (owned by the importer), by its id in the bundle.
  const manifestOf = bundleManifests(plan.map((p) => ({ source: p.source, type: p.type, record: p.exported })), (e) => e.record.owner);
  return {
    neededBlobs: [...neededBlobs(ctx, plan).keys()],
    present: plan.filter((p) => p.existing).map((p) => p.source.id),
    manifests: Object.fromEntries(plan.map((p) => [p.source.id, manifestOf(p.source.id).sha256])),
  };
}

async function planImport(ctx: OpContext, manifest: BundleManifest, ownerOf: (a: ManifestArtifact) => string, landAs?: 'drafted'): Promise<PlannedArtifact[]> {
  const inBundle = new Map<string, ManifestArtifact>();
  for (const a of manifest.artifacts) {
    if (inBundle.has(a.id)) throw new BadRequest(`the manifest lists artifact ${a.id} twice`);
    inBundle.set(a.id, a);
  }
  if (!inBundle.has(manifest.root)) throw new BadRequest(`the manifest's root ${manifest.root} is none of its artifacts`);
  const mayPublish = hasAdminRights(ctx.actor) || ctx.catalog.config.policy.owners_may_publish;
  const now = ctx.now();

  const checked = [];
  const identities = new Set<string>();
  for (const a of manifest.artifacts) {
    const owner = ownerOf(a);
    const { type, values } = validateEntry(ctx, a, owner);
    const where = label(a, owner);
    const record: ArtifactRecord = {
      typeName: type.name,
      typeVersion: type.version,
      name: values.name as string,
      version: values.version as string,
      description: (values.description as string | null) ?? '',
      tags: (values.tags as string[] | null) ?? [],
      metadata: (values.metadata as Record<string, string> | null) ?? {},
      requires: (values.requires as Requirement[] | null | undefined) ?? [],
      owner,
      visibility: a.visibility === 'public' && mayPublish ? 'public' : 'private',
      status: landAs ?? a.status,
      createdAt: now,
      updatedAt: now,
      activatedAt: (landAs ?? a.status) === 'drafted' ? null : a.activated_at ? new Date(a.activated_at) : now,
      providedBy: (values.provided_by as Record<string, string> | null | undefined) ?? null,
      supportedBy: (values.supported_by as Record<string, string> | null | undefined) ?? null,
      license: (values.license as string | null | undefined) ?? null,
      licenseUrl: (values.license_url as string | null | undefined) ?? null,
      release: (values.release as string[] | null | undefined) ?? [],
      fields: Object.fromEntries(Object.entries(values).filter(([n]) => !GENERIC_FIELD_NAMES.has(n))),
    };
    validateBlobs(type, a, where);
    validateReferences(type, a, record, inBundle, where);
    for (const r of a.resolved_requires) {
      if (r.index >= record.requires.length || !inBundle.has(r.target)) throw new BadRequest(`${where}: a resolved requirement names no requirement of it, or an artifact the bundle does not hold`);
      const requirement = record.requires[r.index]!;
      const target = inBundle.get(r.target)!;
      if (target.type !== requirement.type || target.name !== requirement.name || !requirementKeyTest(requirement).test(versionKey(parseVersion(target.version)))) {
        throw new BadRequest(`${where}: its requirement ${describeRequirement(requirement)} is said to resolve to ${target.type} "${target.name.slice(0, 100)}" ${target.version.slice(0, 40)}, which does not satisfy it`);
      }
    }
    const identity = `${type.name}\u0000${owner}\u0000${record.name}\u0000${record.version}`;
    if (identities.has(identity)) throw new BadRequest(`the manifest lists ${where} twice`);
    identities.add(identity);
    const existingId = await findArtifactIdByIdentity(conn(ctx), { typeName: type.name, owner, name: record.name, version: record.version });
    const existing = existingId ? await findArtifact(conn(ctx), { id: existingId, sight: { kind: 'all' } }) : undefined;
    checked.push({ a, type, owner, existing, record });
  }

  await verifyBundleSignatures(ctx, checked.map((c) => ({ source: c.a, type: c.type, record: c.record })));

  // Ids first, so links can be rewritten whatever order (or cycle) they form.
  const idOf = new Map(checked.map((c) => [c.a.id, c.existing?.id ?? randomUUID()]));
  const conflicts: string[] = [];
  const plan: PlannedArtifact[] = checked.map(({ a, type, owner, existing, record: asExported }) => {
    const record = rewriteLinks(type, asExported, a.id, (id) => idOf.get(id)!);
    const blobs = a.blobs;
    const incoming = contentOf(record, blobs.map((b) => ({ ...b, url: b.external ? b.url : null })));
    if (existing) {
      const live = existing.blobs.filter((b) => b.status === 'active');
      if (!isDeepStrictEqual(contentOf(existing, live), incoming)) conflicts.push(label(a, owner));
    } else if (record.status !== 'drafted') {
      const withBlobs: Artifact = { ...record, id: idOf.get(a.id)!, blobs: blobs.map((b) => ({ ...blobInfo(b), id: '', status: 'active', store: null, locator: null, createdAt: now, updatedAt: now })) };
      try {
        assertActivatable(type, withBlobs);
      } catch (err) {
        if (err instanceof AppError) throw new BadRequest(`${label(a, owner)} is ${record.status} in the bundle, but ${err.message}`);
        throw err;
      }
    }
    return { source: a, type, id: idOf.get(a.id)!, existing, record, exported: asExported, blobs };
  });
  if (conflicts.length > 0) {
    throw new Conflict(`the bundle conflicts with artifacts already here (same type, owner, name and version, other content): ${conflicts.join('; ')}`, { conflicts });
  }
  return plan;
}

function blobInfo(b: ManifestBlob): Pick<BlobInfo, 'field' | 'key' | 'external' | 'url' | 'size' | 'md5' | 'sha1' | 'sha256' | 'contentType'> {
  return { field: b.field, key: b.key, external: b.external, url: b.external ? b.url : null, size: b.size, md5: b.md5, sha1: b.sha1, sha256: b.sha256, contentType: b.content_type };
}

/** The stored blobs new artifacts need, by sha256, and the stores they go to. */
function neededBlobs(ctx: OpContext, plan: readonly PlannedArtifact[]): Map<string, { blob: StoredManifestBlob; stores: Map<string, NamedStore>; owner: PlannedArtifact }> {
  const needed = new Map<string, { blob: StoredManifestBlob; stores: Map<string, NamedStore>; owner: PlannedArtifact }>();
  for (const p of plan) {
    if (p.existing) continue;
    const store = ctx.catalog.blobs.forType(p.type.name);
    for (const blob of p.blobs) {
      if (blob.external) continue;
      const entry = needed.get(blob.sha256) ?? { blob, stores: new Map<string, NamedStore>(), owner: p };
      if (entry.blob.size !== blob.size) throw new BadRequest(`the manifest gives blob ${blob.sha256} two sizes`);
      entry.stores.set(store.name, store);
      needed.set(blob.sha256, entry);
    }
  }
  return needed;
}

/** An entry's bytes, each shown to `sink` on its way. */
async function* tapped(entry: Entry, sink: (chunk: Buffer) => void): AsyncGenerator<Buffer> {
  for await (const chunk of entry as AsyncIterable<Buffer>) {
    sink(chunk);
    yield chunk;
  }
}

async function receiveBlobs(
  ctx: OpContext,
  plan: readonly PlannedArtifact[],
  entries: AsyncIterator<Entry>,
  stored: Map<string, StoredCopy[]>,
  signal: AbortSignal,
  tap: (blob: StoredManifestBlob) => ((chunk: Buffer) => void) | undefined,
): Promise<void> {
  const declared = new Map<string, StoredManifestBlob>();
  for (const p of plan) for (const b of p.blobs) if (!b.external) declared.set(b.sha256, b);
  const needed = neededBlobs(ctx, plan);
  const seen = new Set<string>();
  for (let next = await entries.next(); !next.done; next = await entries.next()) {
    const entry = next.value;
    const name = entry.header.name;
    const sha256 = name.startsWith(BLOB_ENTRY_PREFIX) ? name.slice(BLOB_ENTRY_PREFIX.length) : '';
    const blob = declared.get(sha256);
    if (!blob) throw new BadRequest(`the bundle holds "${name.slice(0, 100)}", which its manifest does not list`);
    if (seen.has(sha256)) throw new BadRequest(`the bundle holds blob ${sha256} twice`);
    seen.add(sha256);
    if (entry.header.size !== blob.size) throw new BadRequest(`blob ${sha256} is ${entry.header.size} bytes in the bundle; its manifest says ${blob.size}`);
    const target = needed.get(sha256);
    if (!target) {
      for await (const _ of entry); // already here: its bytes are not needed
      continue;
    }
    const [first, ...others] = [...target.stores.values()];
    const key = uploadKey(target.owner.type.name, target.owner.id, randomUUID());
    const expected = { md5Base64: Buffer.from(blob.md5, 'hex').toString('base64'), sha256Hex: blob.sha256 };
    const sink = tap(blob);
    const bytes = Readable.from(sink ? tapped(entry, sink) : entry, { objectMode: false });
    const copy = await writeHashed(first!.store, bytes, { key, signal, maxBytes: blob.size, expected, expectedSize: blob.size, contentType: blob.content_type ?? undefined });
    const copies = [{ store: first!, locator: copy.locator, sha256 }];
    stored.set(sha256, copies);
    if (copy.sha1 !== blob.sha1) throw new BadRequest(`blob ${sha256} does not match its manifest: sha1 is ${copy.sha1}, the manifest says ${blob.sha1}`);
    // Types kept in other stores get their own copy, read back from the first.
    for (const other of others) {
      const again = await writeHashed(other.store, await first!.store.read(copy.locator), { key, signal, maxBytes: blob.size, expected, expectedSize: blob.size });
      copies.push({ store: other, locator: again.locator, sha256 });
    }
  }
  for (const [sha256, { owner }] of needed) {
    if (!seen.has(sha256)) throw new BadRequest(`the bundle lacks blob ${sha256} of ${label(owner.source, owner.record.owner)}`);
  }
}

async function commit(
  ctx: OpContext,
  manifest: BundleManifest,
  plan: readonly PlannedArtifact[],
  stored: Map<string, StoredCopy[]>,
  inCommit: ImportOptions['inCommit'],
): Promise<ImportResult> {
  const created = plan.filter((p) => !p.existing);
  const attached = new Map<string, number>();
  const imported = () =>
    plan.map((p) => ({
      sourceId: p.source.id,
      id: p.id,
      type: p.type.name,
      name: p.record.name,
      version: p.record.version,
      owner: p.record.owner,
      created: !p.existing,
      signaturesVerified: p.source.signatures.length,
      signaturesAttached: attached.get(p.id) ?? 0,
    }));
  await withTransaction(ctx, async (tx) => {
    const added = new Map<string, { owner: string; typeName: string; artifacts: number; bytes: number }>();
    for (const p of created) {
      const k = `${p.record.owner}\u0000${p.type.name}`;
      const sum = added.get(k) ?? { owner: p.record.owner, typeName: p.type.name, artifacts: 0, bytes: 0 };
      sum.artifacts += 1;
      sum.bytes += p.blobs.reduce((n, b) => n + (b.external ? 0 : b.size), 0);
      added.set(k, sum);
    }
    for (const sum of added.values()) {
      await assertWithinQuota(tx, { owner: sum.owner, typeName: sum.typeName, quotaName: 'max_artifact_number', adding: sum.artifacts });
      await assertWithinQuota(tx, { owner: sum.owner, typeName: sum.typeName, quotaName: 'max_uploaded_data', adding: sum.bytes });
    }
    for (const p of created) {
      const artifact = await insertArtifact(conn(tx), { ...p.record, id: p.id });
      for (const b of p.blobs) {
        const slot = { artifactId: p.id, field: b.field, key: b.key };
        if (b.external) {
          await insertExternalBlob(conn(tx), slot, { url: b.url, md5: b.md5, sha1: b.sha1, sha256: b.sha256, size: b.size, contentType: b.content_type, now: tx.now() });
          continue;
        }
        const store = ctx.catalog.blobs.forType(p.type.name);
        const copy = stored.get(b.sha256)?.find((c) => c.store.name === store.name);
        if (!copy) throw new Error(`import: blob ${b.sha256} was not stored in ${store.name}`);
        // Held until commit: a removal of the same bytes waits, and then sees this row.
        await lockBytes(tx.tx, store.name, b.sha256, copy.locator);
        if (!(await store.store.stat(copy.locator))) throw new Unavailable(`the bytes of blob ${b.sha256} were removed while the bundle was imported; import it again`);
        await insertStoredBlob(conn(tx), { ...slot, store: store.name, locator: copy.locator, size: b.size, md5: b.md5, sha1: b.sha1, sha256: b.sha256, contentType: b.content_type, now: tx.now() });
      }
      emit(tx, { kind: 'artifact.created', id: artifact.id, ref: refFor(tx, artifact) });
    }
    // Once every artifact is in, so each target is known: requirements pinned to what they
    // resolved to where the bundle was made, references as rows, and the rule activation
    // applies, requirements that resolve here (as pinned).
    const idOf = new Map(plan.map((p) => [p.source.id, p.id]));
    for (const p of created) {
      if (p.record.status === 'drafted') continue; // its requirements may still change
      await setRequirementPins(conn(tx), p.id, p.source.resolved_requires.map((r) => ({ index: r.index, targetId: idOf.get(r.target)! })));
    }
    for (const p of created) {
      const artifact = (await findArtifact(conn(tx), { id: p.id, sight: { kind: 'all' } }))!;
      await recordReferences(tx, p.type, artifact);
      if (p.record.status !== 'drafted') await assertRequirementsResolve(tx, artifact);
    }
    // Once every artifact and blob is in: a signature's manifest pins the dependencies too.
    const asNode: TxContext = { ...tx, actor: systemActor('bundle import') };
    for (const p of created) {
      if (p.record.owner !== p.source.owner) continue; // a signature binds the owner it was made for
      for (const s of p.source.signatures) {
        await adoptKey(asNode, { project: p.record.owner, jwk: s.key.jwk, name: s.key.name, revokedAt: s.key.revoked_at ? new Date(s.key.revoked_at) : null, revocationReason: s.key.revocation_reason });
        await attachSignature(asNode, { type: p.type, id: p.id, jws: s.jws, signedAt: new Date(s.signed_at) });
        attached.set(p.id, (attached.get(p.id) ?? 0) + 1);
      }
    }
    // What activating them would have checked (a policy requiring signatures): an import is no way around it.
    for (const p of created) {
      if (p.record.status === 'drafted') continue;
      const artifact = (await findArtifact(conn(tx), { id: p.id, sight: { kind: 'all' } }))!;
      for (const guard of tx.catalog.activationGuards) await guard(tx, p.type, artifact);
    }
    await inCommit?.(tx, imported(), manifest);
  });
  const artifacts = imported();
  return { root: artifacts.find((a) => a.sourceId === manifest.root)!, artifacts };
}
