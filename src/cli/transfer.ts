/**
 * @module Blob transfers: files of any size stream from disk to the node and back, never held in
 * memory. Uploads declare their md5 and sha256 (the node refuses bytes that do not match);
 * downloads are checked against the sha256 the artifact record holds and resume from a `.part`
 * file with a Range request after an interruption.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream, renameSync, statSync, truncateSync, unlinkSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { NodeClient } from './client.js';
import { CliError, EXIT, usageError } from './exit.js';
import { bytes } from './output.js';
import { createProgress } from './progress.js';

export interface BlobTarget {
  type: string;
  id: string;
  field: string;
  key?: string;
}

export interface WireBlob {
  url: string | null;
  size: number | null;
  md5: string | null;
  sha256: string | null;
  external: boolean;
  status: 'saving' | 'active';
  content_type: string | null;
}

export const blobPath = (t: BlobTarget) => `/artifacts/${encodeURIComponent(t.type)}/${encodeURIComponent(t.id)}/${encodeURIComponent(t.field)}${t.key !== undefined ? `/${encodeURIComponent(t.key)}` : ''}`;

/** `field` or `field/key` (a key of a blob dict, which may itself hold '/'). */
export function parseBlobName(name: string): { field: string; key?: string } {
  const slash = name.indexOf('/');
  if (slash < 0) return { field: name };
  const key = name.slice(slash + 1);
  if (key === '') throw usageError(`"${name}": a blob dict key may not be empty`);
  return { field: name.slice(0, slash), key };
}

/** Counts (and hashes) bytes on their way through. */
function meter(onBytes: (n: number) => void, hashes: Hash[] = []): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      for (const h of hashes) h.update(chunk);
      onBytes(chunk.length);
      done(null, chunk);
    },
  });
}

function regularFile(path: string): number {
  let st;
  try {
    st = statSync(path);
  } catch {
    throw usageError(`cannot read ${path}: no such file`);
  }
  if (!st.isFile()) throw usageError(`${path} is not a regular file`);
  return st.size;
}

export async function hashFile(path: string, label: string, showProgress: boolean, upTo?: number): Promise<{ md5: string; sha256: string; size: number }> {
  const size = upTo ?? regularFile(path);
  const md5 = createHash('md5');
  const sha256 = createHash('sha256');
  const progress = createProgress(label, size, showProgress);
  if (size > 0) await pipeline(createReadStream(path, upTo === undefined ? {} : { end: upTo - 1 }), meter((n) => progress.add(n), [md5, sha256]), devNull());
  progress.done();
  return { md5: md5.digest('hex'), sha256: sha256.digest('hex'), size };
}

function devNull(): Writable {
  return new Writable({ write: (_chunk, _encoding, done) => done() });
}

/** Streams a file as a request body, with a progress bar; resolves to the response's text. */
export async function sendFile(client: NodeClient, method: string, url: string, file: string, opts: { headers: Record<string, string>; label: string; progress: boolean }): Promise<string> {
  const size = regularFile(file);
  const progress = createProgress(opts.label, size, opts.progress);
  const res = await client.stream(method, url, {
    headers: { ...opts.headers, 'content-length': String(size), accept: 'application/json' },
    writeBody: (req) => pipeline(createReadStream(file), meter((n) => progress.add(n)), req),
  });
  progress.done();
  return readText(res);
}

export async function uploadFile(client: NodeClient, target: BlobTarget, file: string, opts: { contentType?: string; progress: boolean }): Promise<Record<string, unknown>> {
  const { md5, sha256 } = await hashFile(file, 'hashing ', opts.progress);
  const text = await sendFile(client, 'PUT', client.url(blobPath(target)), file, {
    headers: { 'content-type': opts.contentType ?? 'application/octet-stream', 'content-md5': md5, 'x-expected-sha256': sha256 },
    label: 'uploading',
    progress: opts.progress,
  });
  const artifact = JSON.parse(text) as Record<string, unknown>;
  const stored = blobOf(artifact, target);
  if (stored?.sha256 && stored.sha256 !== sha256) throw new CliError(`the node stored sha256 ${stored.sha256} but ${file} has ${sha256}`, EXIT.failure);
  return artifact;
}

/**
 * Streams a response into `out` (or stdout for "-") with a progress bar sized by Content-Length;
 * the file appears whole or not at all.
 */
export async function receiveFile(client: NodeClient, url: string, out: string, opts: { label: string; progress: boolean }): Promise<number> {
  const res = await get(client, url, {});
  const length = Number(res.headers['content-length']);
  const progress = createProgress(opts.label, Number.isFinite(length) && length > 0 ? length : undefined, opts.progress);
  let bytes = 0;
  const counted = meter((n) => {
    bytes += n;
    progress.add(n);
  });
  if (out === '-') {
    await pipeline(res, counted, process.stdout, { end: false });
  } else {
    const part = `${out}.part`;
    try {
      await pipeline(res, counted, createWriteStream(part));
    } catch (err) {
      progress.done();
      unlinkSync(part);
      throw new CliError(`transfer interrupted (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); nothing was kept`, EXIT.failure);
    }
    if (Number.isFinite(length) && bytes !== length) {
      unlinkSync(part);
      throw new CliError(`transfer interrupted: ${bytes} of ${length} bytes arrived; nothing was kept`, EXIT.failure);
    }
    renameSync(part, out);
  }
  progress.done();
  return bytes;
}

async function readText(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export function blobOf(artifact: Record<string, unknown>, t: BlobTarget): WireBlob | null {
  const value = artifact[t.field];
  if (t.key === undefined) return (value as WireBlob | null | undefined) ?? null;
  if (typeof value !== 'object' || value === null) return null;
  return (value as Record<string, WireBlob>)[t.key] ?? null;
}

const MAX_REDIRECTS = 3;

async function get(client: NodeClient, url: string, headers: Record<string, string>): Promise<IncomingMessage> {
  let current = url;
  let auth = true;
  for (let i = 0; i <= MAX_REDIRECTS; i++) {
    const res = await client.stream('GET', current, { headers, auth });
    const location = res.headers.location;
    if (res.statusCode && res.statusCode >= 300 && res.statusCode < 400 && location) {
      res.resume();
      const next = new URL(location, current);
      // A blob elsewhere (an external URL, a store's signed URL) gets no credential of this node's.
      if (next.origin !== new URL(current).origin) auth = false;
      current = next.href;
      continue;
    }
    return res;
  }
  throw new CliError(`more than ${MAX_REDIRECTS} redirects downloading ${url}`, EXIT.failure);
}

export interface DownloadResult {
  path: string;
  size: number;
  sha256: string;
  resumedFrom: number;
  verified: boolean;
}

/**
 * Downloads into `out` (or stdout for "-"). Bytes land in `out.part`, which a later run resumes
 * from, and `out` appears only once the whole blob is there and its sha256 matches the record.
 */
export async function downloadBlob(client: NodeClient, target: BlobTarget, out: string, opts: { progress: boolean; note: (m: string) => void }): Promise<DownloadResult> {
  const artifact = await client.json('GET', `/artifacts/${encodeURIComponent(target.type)}/${encodeURIComponent(target.id)}`);
  const blob = blobOf(artifact, target);
  const name = target.key === undefined ? target.field : `${target.field}/${target.key}`;
  if (!blob) throw new CliError(`artifact ${target.id} has no blob in "${name}"`, EXIT.notFound);
  if (blob.status !== 'active') throw new CliError(`the blob "${name}" is still being uploaded`, EXIT.conflict);
  const expected = blob.sha256;
  const url = client.url(blobPath(target));
  const total = blob.size ?? undefined;

  if (out === '-') {
    const sha = createHash('sha256');
    const progress = createProgress('downloading', total, opts.progress);
    const res = await get(client, url, {});
    await pipeline(res, meter((n) => progress.add(n), [sha]), process.stdout, { end: false });
    progress.done();
    const actual = sha.digest('hex');
    if (expected && actual !== expected) throw new CliError(`sha256 mismatch: the record says ${expected}, the bytes are ${actual}`, EXIT.failure);
    return { path: '-', size: total ?? 0, sha256: actual, resumedFrom: 0, verified: expected !== null };
  }

  const part = `${out}.part`;
  let offset = 0;
  try {
    offset = statSync(part).size;
  } catch {
    // nothing to resume
  }
  if (total !== undefined && offset > total) {
    truncateSync(part, 0);
    offset = 0;
  }
  const sha = createHash('sha256');
  if (offset > 0) {
    opts.note(`resuming ${name} at ${bytes(offset)} (${offset} bytes already in ${part})`);
    await pipeline(createReadStream(part), meter(() => {}, [sha]), devNull());
  }
  const progress = createProgress('downloading', total, opts.progress);
  if (total === undefined || offset < total) {
    const res = await get(client, url, offset > 0 ? { range: `bytes=${offset}-` } : {});
    // A blob replaced since the part was written, or a server that ignored the range: start over.
    const etag = res.headers.etag?.replace(/^W\//, '').replace(/"/g, '');
    if (offset > 0 && (res.statusCode !== 206 || (expected && etag && etag !== expected))) {
      opts.note('the node sent the whole blob again; starting over');
      return restart(client, target, out, opts, res);
    }
    progress.set(offset);
    try {
      await pipeline(res, meter((n) => progress.add(n), [sha]), createWriteStream(part, { flags: offset > 0 ? 'a' : 'w' }));
    } catch (err) {
      progress.done();
      throw interrupted(part, err);
    }
  }
  progress.done();
  const got = statSync(part).size;
  if (total !== undefined && got !== total) throw interrupted(part, new Error(`${bytes(got)} of ${bytes(total)} arrived`));
  const actual = sha.digest('hex');
  if (expected && actual !== expected) {
    unlinkSync(part);
    throw new CliError(`sha256 mismatch: the record says ${expected}, the bytes are ${actual}; ${part} was removed`, EXIT.failure);
  }
  renameSync(part, out);
  return { path: out, size: got, sha256: actual, resumedFrom: offset, verified: expected !== null };
}

async function restart(client: NodeClient, target: BlobTarget, out: string, opts: { progress: boolean; note: (m: string) => void }, res: IncomingMessage): Promise<DownloadResult> {
  res.destroy();
  truncateSync(`${out}.part`, 0);
  return downloadBlob(client, target, out, opts);
}

function interrupted(part: string, err: unknown): CliError {
  const detail = err instanceof CliError ? err.message : ((err as NodeJS.ErrnoException).code ?? (err as Error).message);
  return new CliError(`download interrupted (${detail}); ${part} is kept: run the same command again to resume`, EXIT.failure);
}
