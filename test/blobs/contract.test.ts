/**
 * One contract, three backends: the filesystem, S3 (Swift's s3api) and Swift's native API, the
 * latter two against a real Swift on 127.0.0.1:8080 (.ci/services/swift/start.sh).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BlobKey, BlobStore, ListedObject } from '../../src/blobs/blob-store.js';
import { BlobMissing } from '../../src/blobs/blob-store.js';
import { BlobTooLarge, ChecksumMismatch, writeHashed } from '../../src/blobs/digest.js';
import { FsBlobStore } from '../../src/blobs/fs.js';
import { S3BlobStore } from '../../src/blobs/s3.js';
import { SwiftBlobStore } from '../../src/blobs/swift.js';

const SWIFT = 'http://127.0.0.1:8080';
const MiB = 1024 * 1024;
const run = randomBytes(4).toString('hex');

/** Deterministic bytes, generated as they are read: no large buffers in the test either. */
function pattern(size: number, seed = 1, chunk = 64 * 1024): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= size) return void this.push(null);
      const n = Math.min(chunk, size - sent);
      const buf = Buffer.alloc(n);
      for (let i = 0; i < n; i++) buf[i] = (sent + i) * 31 + seed & 0xff;
      sent += n;
      this.push(buf);
    },
  });
}

async function digestOf(stream: Readable): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

function failingAfter(size: number): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= size) return void this.destroy(new Error('client went away'));
      sent += 64 * 1024;
      this.push(Buffer.alloc(64 * 1024, 1));
    },
  });
}

async function listed(store: BlobStore): Promise<string[]> {
  const out: string[] = [];
  for await (const o of store.list()) out.push(o.locator);
  return out;
}

const key = (name: string) => `contract/${run}/${name}` as BlobKey;
const signal = () => new AbortController().signal;

interface Backend {
  name: string;
  make(): BlobStore;
  cleanup?(): void;
  /** Exercises the backend's own large-object path. */
  largeSize: number;
  /** Served by the Swift on 127.0.0.1:8080. */
  onSwift?: boolean;
}

let fsRoot: string;
const backends: Backend[] = [
  {
    name: 'fs',
    make: () => new FsBlobStore((fsRoot = mkdtempSync(join(tmpdir(), 'blob-contract-')))),
    cleanup: () => rmSync(fsRoot, { recursive: true, force: true }),
    largeSize: 12 * MiB + 7,
  },
  {
    name: 's3',
    make: () =>
      new S3BlobStore({
        endpoint: SWIFT,
        region: 'us-east-1',
        bucket: `contract-${run}`,
        accessKeyId: 'test:tester',
        secretAccessKey: 'testing',
        forcePathStyle: true,
        prefix: 'p/',
        partSizeBytes: 5 * MiB,
      }),
    largeSize: 12 * MiB + 7, // three multipart parts
    onSwift: true,
  },
  {
    name: 'swift',
    make: () =>
      new SwiftBlobStore({
        authUrl: `${SWIFT}/auth/v1.0`,
        user: 'test2:tester2',
        key: 'testing2',
        container: `contract-${run}`,
        segmentBytes: 1 * MiB,
        smallObjectBytes: 256 * 1024,
        tempUrlKey: `contract-temp-url-key-${run}`,
      }),
    largeSize: 3.5 * MiB, // four segments and a manifest
    onSwift: true,
  },
];

describe.each(backends)('$name store', (backend) => {
  let store: BlobStore;
  beforeAll(async () => {
    // Only the backends on Swift need it: without Swift their tests fail, the others still run.
    if (backend.onSwift) {
      const res = await fetch(`${SWIFT}/healthcheck`).catch(() => undefined);
      if (!res?.ok) throw new Error(`Swift does not answer on ${SWIFT}; start it with: bash .ci/services/swift/start.sh`);
    }
    store = backend.make();
  });
  afterAll(async () => {
    if (!store) return;
    for (const locator of await listed(store)) await store.remove(locator);
    await store.close?.();
    backend.cleanup?.();
  });

  it('round-trips bytes with the right size and digests', async () => {
    const expected = await digestOf(pattern(300_000, 3));
    const out = await writeHashed(store, pattern(300_000, 3), { key: key('small'), signal: signal(), maxBytes: 10 * MiB });
    expect(out).toMatchObject({ bytes: 300_000, sha256: expected.sha256 });
    expect(out.md5).toMatch(/^[0-9a-f]{32}$/);
    expect(await store.stat(out.locator)).toEqual({ bytes: 300_000 });
    expect(await digestOf(await store.read(out.locator))).toEqual(expected);
    expect(await listed(store)).toContain(out.locator);
  });

  it('reads byte ranges', async () => {
    const out = await writeHashed(store, pattern(100_000, 5), { key: key('ranged'), signal: signal(), maxBytes: MiB });
    const whole: Buffer[] = [];
    for await (const c of await store.read(out.locator)) whole.push(c as Buffer);
    const all = Buffer.concat(whole);
    const part: Buffer[] = [];
    for await (const c of await store.read(out.locator, { range: { start: 1000, end: 1999 } })) part.push(c as Buffer);
    expect(Buffer.concat(part)).toEqual(all.subarray(1000, 2000));
  });

  it('streams a large object through its multipart / segmented path', async () => {
    const expected = await digestOf(pattern(backend.largeSize, 9));
    const out = await writeHashed(store, pattern(backend.largeSize, 9), { key: key('large'), signal: signal(), maxBytes: 64 * MiB });
    expect(out.bytes).toBe(backend.largeSize);
    expect(await digestOf(await store.read(out.locator))).toEqual(expected);
    const tail: Buffer[] = [];
    for await (const c of await store.read(out.locator, { range: { start: backend.largeSize - 10, end: backend.largeSize - 1 } })) tail.push(c as Buffer);
    expect(Buffer.concat(tail)).toHaveLength(10);
    await store.remove(out.locator);
    expect(await store.stat(out.locator)).toBeUndefined();
    // parts and segments go with the object
    expect((await listed(store)).filter((l) => l.includes('large'))).toEqual([]);
  });

  it('removes idempotently and reports a missing object', async () => {
    const out = await writeHashed(store, pattern(10, 1), { key: key('gone'), signal: signal(), maxBytes: MiB });
    await store.remove(out.locator);
    await store.remove(out.locator);
    expect(await store.stat(out.locator)).toBeUndefined();
    await expect(store.read(out.locator)).rejects.toBeInstanceOf(BlobMissing);
  });

  it('names the writer of what a running write leaves in the store, and of nothing it completed', async () => {
    let resume!: () => void;
    const gate = new Promise<void>((r) => (resume = r));
    const body = Readable.from(
      (async function* () {
        yield Buffer.alloc(2 * MiB, 1);
        await gate;
        yield Buffer.alloc(MiB, 2);
      })(),
    );
    const writing = writeHashed(store, body, { key: key('running'), signal: signal(), maxBytes: 64 * MiB });
    const leftovers = async () => {
      const out: ListedObject[] = [];
      for await (const o of store.list()) if (o.writer !== undefined) out.push(o);
      return out;
    };
    let partial: ListedObject[] = [];
    // S3 keeps a running multipart upload's parts out of listings: nothing of it shows.
    for (let i = 0; i < 100 && backend.name !== 's3' && partial.length === 0; i++) {
      partial = await leftovers();
      if (partial.length === 0) await new Promise((r) => setTimeout(r, 50));
    }
    if (backend.name !== 's3') expect(partial.map((o) => o.writer)).toEqual([key('running')]);
    resume();
    const { locator } = await writing;
    expect(await leftovers()).toEqual([]);
    expect(await listed(store)).toContain(locator);
  });

  describe('leaves nothing behind when a write fails', () => {
    const cases: Array<[string, () => Promise<unknown>, unknown]> = [
      ['the body errors midway', () => writeHashed(store, failingAfter(2 * MiB), { key: key('broken'), signal: signal(), maxBytes: 64 * MiB }), Error],
      ['the size limit is passed', () => writeHashed(store, pattern(2 * MiB), { key: key('toolarge'), signal: signal(), maxBytes: MiB }), BlobTooLarge],
      [
        'the checksum does not match',
        () => writeHashed(store, pattern(2 * MiB), { key: key('mismatch'), signal: signal(), maxBytes: 64 * MiB, expected: { sha256Hex: '0'.repeat(64) } }),
        ChecksumMismatch,
      ],
      [
        'the request is aborted',
        () => {
          const ac = new AbortController();
          setTimeout(() => ac.abort(), 20);
          const slow = new Readable({ read() { setTimeout(() => this.push(Buffer.alloc(16 * 1024, 2)), 5); } });
          return writeHashed(store, slow, { key: key('aborted'), signal: ac.signal, maxBytes: 64 * MiB });
        },
        Error,
      ],
    ];
    it.each(cases)('%s', async (_label, write, errorClass) => {
      const before = await listed(store);
      await expect(write()).rejects.toBeInstanceOf(errorClass as never);
      expect(await listed(store)).toEqual(before);
      if (backend.name === 'fs') expect(readdirSync(join(fsRoot, 'tmp'))).toEqual([]);
    });
  });

  if (backend.name === 'fs') {
    it('stores identical bytes once', async () => {
      const a = await writeHashed(store, pattern(5000, 11), { key: key('dup-a'), signal: signal(), maxBytes: MiB });
      const b = await writeHashed(store, pattern(5000, 11), { key: key('dup-b'), signal: signal(), maxBytes: MiB });
      expect(a.locator).toBe(b.locator);
      expect((await listed(store)).filter((l) => l === a.locator)).toHaveLength(1);
    });

    it('never lets a locator leave its root', async () => {
      await expect(store.read('../../etc/passwd')).rejects.toThrow(/not a filesystem blob locator/);
      await expect(store.remove('sha256/../../x')).rejects.toThrow(/not a filesystem blob locator/);
    });
  } else {
    it('hands out a direct URL a client can fetch', async () => {
      const out = await writeHashed(store, pattern(4096, 13), { key: key('direct'), signal: signal(), maxBytes: MiB });
      const url = await store.directUrl!(out.locator, 60);
      const res = await fetch(url);
      expect(res.status).toBe(200);
      expect(createHash('sha256').update(Buffer.from(await res.arrayBuffer())).digest('hex')).toBe(out.sha256);
    });
  }
});
