/**
 * @module OpenStack Swift's native API. Small objects are one PUT; an object larger than
 * `smallObjectBytes` is streamed as segments into `<container>_segments` and stitched by a
 * Static Large Object manifest, so memory stays bounded whatever the size. A failed upload
 * deletes the segments it wrote; nothing appears at the locator until the manifest lands.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { BlobMissing, StoreFull, type BlobKey, type BlobStore, type ByteRange, type ListedObject, type StoredObject, type WriteOptions } from './blob-store.js';

export interface SwiftStoreSettings {
  authUrl: string;
  user: string;
  key: string;
  container: string;
  segmentBytes: number;
  /** Objects up to this size are sent in one request (held in memory meanwhile). */
  smallObjectBytes: number;
  tempUrlKey?: string;
}

interface Session {
  token: string;
  storageUrl: string;
}

const SEGMENTS_MARK = '_segments/';

/** Swift answers 507 when its disks are full. */
function putFailed(what: string, status: number, detail = ''): Error {
  if (status === 507) return new StoreFull(`Swift answered 507 to ${what}`);
  return new Error(`Swift ${what} answered ${status}${detail ? `: ${detail.slice(0, 200)}` : ''}`);
}

export class SwiftBlobStore implements BlobStore {
  readonly kind = 'swift' as const;
  private session: Promise<Session> | undefined;
  private containersReady: Promise<void> | undefined;
  private readonly segmentsContainer: string;

  constructor(private readonly settings: SwiftStoreSettings) {
    this.segmentsContainer = `${settings.container}_segments`;
  }

  private authenticate(): Promise<Session> {
    this.session ??= (async () => {
      const res = await fetch(this.settings.authUrl, { headers: { 'X-Auth-User': this.settings.user, 'X-Auth-Key': this.settings.key } });
      await res.body?.cancel();
      const token = res.headers.get('x-auth-token');
      const storageUrl = res.headers.get('x-storage-url');
      if (!res.ok || !token || !storageUrl) throw new Error(`Swift authentication at ${this.settings.authUrl} failed: ${res.status}`);
      return { token, storageUrl };
    })().catch((err: unknown) => {
      this.session = undefined;
      throw err;
    });
    return this.session;
  }

  /** One request with the current token; on 401 (tokens live in memcache only) log in again once. */
  private async request(method: string, path: string, init: { headers?: Record<string, string>; body?: unknown; query?: string; signal?: AbortSignal; retry?: boolean } = {}): Promise<Response> {
    const session = await this.authenticate();
    const url = `${session.storageUrl}/${path}${init.query ? `?${init.query}` : ''}`;
    const res = await fetch(url, {
      method,
      headers: { 'X-Auth-Token': session.token, ...(init.headers ?? {}) },
      body: init.body as never,
      signal: init.signal,
      ...(init.body ? { duplex: 'half' } : {}),
    } as RequestInit);
    if (res.status === 401 && init.retry !== false && !(init.body instanceof Readable)) {
      await res.body?.cancel();
      this.session = undefined;
      return this.request(method, path, { ...init, retry: false });
    }
    return res;
  }

  private ensureContainers(): Promise<void> {
    this.containersReady ??= (async () => {
      for (const container of [this.settings.container, this.segmentsContainer]) {
        const res = await this.request('PUT', encodePath(container));
        await res.body?.cancel();
        if (!res.ok) throw new Error(`cannot create Swift container ${container}: ${res.status}`);
      }
      if (this.settings.tempUrlKey) {
        const res = await this.request('POST', '', { headers: { 'X-Account-Meta-Temp-URL-Key': this.settings.tempUrlKey } });
        await res.body?.cancel();
        if (!res.ok) throw new Error(`cannot set the Swift temp URL key: ${res.status}`);
      }
    })().catch((err: unknown) => {
      this.containersReady = undefined;
      throw err;
    });
    return this.containersReady;
  }

  async write(body: Readable, opts: WriteOptions): Promise<StoredObject> {
    await this.ensureContainers();
    const key = String(opts.key);
    const source = body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    const head = await takeBytes(source, this.settings.smallObjectBytes + 1);
    if (head.done && head.bytes.length <= this.settings.smallObjectBytes) {
      await opts.sha256; // bytes verified before they become visible
      const res = await this.request('PUT', objectPath(this.settings.container, key), {
        body: head.bytes,
        headers: { 'Content-Type': opts.contentType ?? 'application/octet-stream' },
        signal: opts.signal,
      });
      await res.body?.cancel();
      if (res.status !== 201) throw putFailed(`PUT ${key}`, res.status);
      return { locator: key, bytes: head.bytes.length };
    }
    return this.writeSegmented(key, head.bytes, source, opts);
  }

  private async writeSegmented(key: string, first: Buffer, source: AsyncIterator<Buffer>, opts: WriteOptions): Promise<StoredObject> {
    const prefix = `${key}/${randomUUID()}`;
    const segments: Array<{ path: string; etag: string | null; size_bytes: number }> = [];
    let pending: Buffer | undefined = first.length > 0 ? first : undefined;
    let exhausted = false;
    let total = 0;
    try {
      while (!exhausted) {
        const name = `${prefix}/${String(segments.length).padStart(8, '0')}`;
        let size = 0;
        const limit = this.settings.segmentBytes;
        // A segment's body: the carried-over bytes, then the source, cut at `limit`.
        async function* segmentBody(): AsyncGenerator<Buffer> {
          while (size < limit) {
            let chunk: Buffer;
            if (pending) {
              chunk = pending;
              pending = undefined;
            } else {
              const next = await source.next();
              if (next.done) {
                exhausted = true;
                return;
              }
              chunk = next.value;
            }
            if (size + chunk.length > limit) {
              pending = chunk.subarray(limit - size);
              chunk = chunk.subarray(0, limit - size);
            }
            size += chunk.length;
            yield chunk;
          }
        }
        const res = await this.request('PUT', objectPath(this.segmentsContainer, name), { body: Readable.from(segmentBody()), signal: opts.signal, retry: false });
        await res.body?.cancel();
        if (res.status !== 201) throw putFailed(`PUT segment ${name}`, res.status);
        if (size === 0) {
          await this.request('DELETE', objectPath(this.segmentsContainer, name)).then((r) => r.body?.cancel());
          break;
        }
        segments.push({ path: `/${this.segmentsContainer}/${name}`, etag: res.headers.get('etag')?.replace(/"/g, '') ?? null, size_bytes: size });
        total += size;
        if (!exhausted && pending === undefined) {
          const peek = await source.next();
          if (peek.done) exhausted = true;
          else pending = peek.value;
        }
      }
      await opts.sha256;
      const manifest = await this.request('PUT', objectPath(this.settings.container, key), {
        query: 'multipart-manifest=put',
        body: JSON.stringify(segments),
        headers: { 'Content-Type': opts.contentType ?? 'application/octet-stream' },
        signal: opts.signal,
      });
      const detail = await manifest.text();
      if (manifest.status !== 201) throw putFailed(`manifest PUT ${key}`, manifest.status, detail);
      return { locator: key, bytes: total };
    } catch (err) {
      await this.removeSegments(prefix).catch(() => {});
      throw err;
    }
  }

  async read(locator: string, opts: { range?: ByteRange; signal?: AbortSignal } = {}): Promise<Readable> {
    const res = await this.request('GET', objectPath(this.settings.container, locator), {
      headers: opts.range ? { Range: `bytes=${opts.range.start}-${opts.range.end}` } : {},
      signal: opts.signal,
    });
    if (res.status === 404) {
      await res.body?.cancel();
      throw new BlobMissing(locator);
    }
    if (!res.ok || !res.body) throw new Error(`Swift GET ${locator} answered ${res.status}`);
    return Readable.fromWeb(res.body);
  }

  async stat(locator: string): Promise<{ bytes: number } | undefined> {
    const res = await this.request('HEAD', objectPath(this.settings.container, locator));
    if (res.status === 404) return undefined;
    if (!res.ok) throw new Error(`Swift HEAD ${locator} answered ${res.status}`);
    return { bytes: Number(res.headers.get('content-length') ?? 0) };
  }

  async remove(locator: string): Promise<void> {
    if (locator.startsWith(SEGMENTS_MARK)) return this.removeSegments(locator.slice(SEGMENTS_MARK.length));
    const head = await this.request('HEAD', objectPath(this.settings.container, locator));
    await head.body?.cancel();
    if (head.status === 404) return;
    // Swift deletes a manifest's segments only when asked, and refuses that ask for plain objects.
    const isManifest = head.headers.get('x-static-large-object')?.toLowerCase() === 'true';
    const res = await this.request('DELETE', objectPath(this.settings.container, locator), isManifest ? { query: 'multipart-manifest=delete' } : {});
    const detail = await res.text();
    if (!res.ok && res.status !== 404) throw new Error(`Swift DELETE ${locator} answered ${res.status}: ${detail.slice(0, 200)}`);
  }

  private async removeSegments(prefix: string): Promise<void> {
    for await (const o of this.listContainer(this.segmentsContainer, `${prefix}/`)) {
      const res = await this.request('DELETE', objectPath(this.segmentsContainer, o.name));
      await res.body?.cancel();
    }
  }

  private async *listContainer(container: string, prefix?: string): AsyncIterable<{ name: string; bytes: number; last_modified: string }> {
    let marker = '';
    for (;;) {
      const query = new URLSearchParams({ format: 'json', limit: '1000', ...(marker ? { marker } : {}), ...(prefix ? { prefix } : {}) });
      const res = await this.request('GET', encodePath(container), { query: query.toString() });
      if (res.status === 404) return;
      if (!res.ok) throw new Error(`Swift list ${container} answered ${res.status}`);
      const page = (await res.json()) as Array<{ name: string; bytes: number; last_modified: string }>;
      if (page.length === 0) return;
      yield* page;
      marker = page.at(-1)!.name;
    }
  }

  /** Objects, and segment sets left by uploads that never wrote their manifest (as `_segments/<prefix>`). */
  async *list(): AsyncIterable<ListedObject> {
    await this.ensureContainers();
    const objects = new Set<string>();
    for await (const o of this.listContainer(this.settings.container)) {
      objects.add(o.name);
      yield { locator: o.name, bytes: o.bytes, modifiedAt: new Date(`${o.last_modified}Z`) };
    }
    const orphans = new Map<string, ListedObject>();
    for await (const s of this.listContainer(this.segmentsContainer)) {
      const prefix = s.name.slice(0, s.name.lastIndexOf('/'));
      const manifestKey = prefix.slice(0, prefix.lastIndexOf('/'));
      if (objects.has(manifestKey)) continue;
      const seen = orphans.get(prefix);
      const modifiedAt = new Date(`${s.last_modified}Z`);
      orphans.set(prefix, {
        locator: `${SEGMENTS_MARK}${prefix}`,
        writer: manifestKey as BlobKey,
        bytes: (seen?.bytes ?? 0) + s.bytes,
        modifiedAt: seen && seen.modifiedAt > modifiedAt ? seen.modifiedAt : modifiedAt,
      });
    }
    yield* orphans.values();
  }

  async directUrl(locator: string, ttlSeconds: number): Promise<URL> {
    if (!this.settings.tempUrlKey) throw new Error('temp_url_key is not configured for this Swift store');
    await this.ensureContainers();
    const { storageUrl } = await this.authenticate();
    const url = new URL(`${storageUrl}/${objectPath(this.settings.container, locator)}`);
    const expires = Math.floor(Date.now() / 1000) + ttlSeconds;
    const signature = createHmac('sha256', this.settings.tempUrlKey).update(`GET\n${expires}\n${url.pathname}`).digest('hex');
    url.searchParams.set('temp_url_sig', signature);
    url.searchParams.set('temp_url_expires', String(expires));
    return url;
  }
}

function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

function objectPath(container: string, name: string): string {
  return `${encodePath(container)}/${encodePath(name)}`;
}

/** Reads up to `max` bytes from `source`; `done` says the source ended within them. */
async function takeBytes(source: AsyncIterator<Buffer>, max: number): Promise<{ bytes: Buffer; done: boolean; rest?: Buffer }> {
  const chunks: Buffer[] = [];
  let size = 0;
  while (size < max) {
    const next = await source.next();
    if (next.done) return { bytes: Buffer.concat(chunks), done: true };
    chunks.push(next.value);
    size += next.value.length;
  }
  return { bytes: Buffer.concat(chunks), done: false };
}
