/**
 * Pull-through downloads between real nodes on loopback ports, over HTTP: a leaf enrolled for pull
 * with its upstream through a proxy that can hold a bundle half way, lie or drop connections. A
 * blob of an upstream artifact not cached yet is sent as it arrives and leaves a cached copy
 * behind; the next download asks the upstream nothing; a lie cuts the download short and leaves
 * nothing; concurrent downloads, and a pull job in another process, share or survive one copy.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { count, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifactOrigins, artifacts } from '../../src/db/schema/index.js';
import { openPostgres } from '../../src/db/client.js';
import { databaseUrl } from '../support/database.js';
import { createTestNode, type TestNode } from '../support/node.js';
import type { Body } from '../support/json.js';
import { download, KITS, marked, proxyTo, publishKit, rowsOf, sha256, waitForJob, type LyingProxy } from './pull-support.js';
import { enrol, serveNode, until, type ServedNode } from './tree.js';

let upstream: ServedNode;
let leaf: ServedNode;
let proxy: LyingProxy;
const MiB = 1024 * 1024;

const user = () => leaf.node.as({ project: 'anyone' });
const throughPath = (kitId: unknown, blob = 'payload') => `/federation/v1/upstreams/${upstream.id}/artifacts/${String(kitId)}/${blob}`;
const fetchThrough = (path: string, headers: Record<string, string> = user()) => fetch(new URL(path, leaf.url), { headers });
const bundlesOf = (kit: Body) => upstream.requests.filter((r) => r === `GET /federation/v1/artifacts/${kit.id}/bundle`).length;
const publish = (name: string, blobs: Record<string, Uint8Array>) => publishKit(upstream, upstream.node.as({ project: 'dev' }), { name, version: '1.0.0' }, blobs);

/** The leaf's cached copy of upstream artifact `id`, if it has one. */
async function copyOf(id: unknown): Promise<string | undefined> {
  const [origin] = await leaf.node.deps.db.select().from(artifactOrigins).where(eq(artifactOrigins.upstreamArtifactId, String(id)));
  return origin?.artifactId;
}

/** A GET whose body is not read until asked: the response as it arrives, and what reading it whole gives. */
function openThrough(path: string): Promise<{ res: IncomingMessage; read(): Promise<Buffer> }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(new URL(path, leaf.url), { headers: user() }, (res) => {
      res.pause();
      resolve({
        res,
        read: async () => {
          const chunks: Buffer[] = [];
          for await (const c of res) chunks.push(c as Buffer);
          if (!res.complete) throw new Error('the body was cut short');
          return Buffer.concat(chunks);
        },
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** Reads from a paused response until at least `bytes` have come. */
async function readAtLeast(res: IncomingMessage, bytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let got = 0;
  while (got < bytes) {
    const chunk = res.read() as Buffer | null;
    if (chunk === null) {
      await new Promise((resolve) => res.once('readable', resolve));
      continue;
    }
    chunks.push(chunk);
    got += chunk.length;
  }
  return Buffer.concat(chunks);
}

beforeAll(async () => {
  [upstream, leaf] = await Promise.all([serveNode('upstream', 'global', KITS), serveNode('leaf', 'enterprise', KITS)]);
  proxy = await proxyTo(upstream.url);
  await enrol(leaf, upstream, { permissions: ['pull'] }, { url: proxy.url });
});
afterAll(async () => {
  await proxy?.close();
  await Promise.all([upstream?.close(), leaf?.close()]);
});

describe('GET /federation/v1/upstreams/{node}/artifacts/{id}/{blob}', () => {
  let big: Body;
  const payload = marked(6 * MiB);

  it('sends a blob not cached yet as it arrives, byte for byte, and leaves a cached copy', async () => {
    big = await publish('big', { payload });
    proxy.state.held = 0;
    proxy.state.mode = 'hold';
    const { res, read } = await openThrough(throughPath(big.id));
    expect(res.statusCode).toBe(200);
    expect(res.headers).toMatchObject({ 'content-length': String(payload.length), etag: `"${sha256(payload)}"`, 'x-openstack-glare-content-sha256': sha256(payload), 'x-content-type-options': 'nosniff' });
    // Only half the bundle has left the upstream, and the copy is not committed: MiBs of the blob are here already.
    const first = await readAtLeast(res, 2 * MiB);
    expect(proxy.state.held).toBe(1);
    expect(await copyOf(big.id)).toBeUndefined();
    proxy.state.release();
    proxy.state.mode = 'honest';
    const rest = await read();
    expect(sha256(Buffer.concat([first, rest]))).toBe(sha256(payload));

    const copy = await copyOf(big.id);
    expect(copy).toBeDefined();
    const provenance = JSON.parse((await download(leaf, `/artifacts/kits/${copy}/provenance`, user())).toString());
    expect(provenance).toMatchObject({ cached: true, verified: true, origin: { upstream: upstream.id, upstream_artifact_id: big.id } });
    const patched = await leaf.node.request('PATCH', `/artifacts/kits/${copy}`, { as: leaf.node.admin, patch: [{ op: 'replace', path: '/description', value: 'mine' }] });
    expect(patched.status).toBe(403);
  });

  it('serves the cached copy next time, asking the upstream nothing', async () => {
    const before = upstream.requests.length;
    const res = await fetchThrough(throughPath(big.id));
    expect(res.status).toBe(200);
    expect(sha256(Buffer.from(await res.arrayBuffer()))).toBe(sha256(payload));
    // As a download of the copy, it honours Range.
    const ranged = await fetchThrough(throughPath(big.id), { ...user(), range: 'bytes=10-19' });
    expect(ranged.status).toBe(206);
    expect(Buffer.from(await ranged.arrayBuffer()).equals(payload.subarray(10, 20))).toBe(true);
    expect(upstream.requests.length).toBe(before);
  });

  it('serves a blob dict entry by its key', async () => {
    const readme = Buffer.from('# read me\n'.repeat(1000));
    const kit = await publish('with-files', { 'files/readme.md': readme });
    const res = await fetchThrough(`${throughPath(kit.id, 'files')}/readme.md`);
    expect(res.status, await res.clone().text()).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(readme)).toBe(true);
    expect(await copyOf(kit.id)).toBeDefined();
  });

  it('does not wait for a client that does not read: the pull finishes, and the client gets the rest from the copy', async () => {
    const bytes = marked(32 * MiB);
    const kit = await publish('slow-reader', { payload: bytes });
    const { res, read } = await openThrough(throughPath(kit.id));
    expect(res.statusCode).toBe(200);
    // Nothing read yet, far more than any socket holds sent: the copy is committed all the same.
    await until('the copy', () => copyOf(kit.id), (id) => id !== undefined);
    expect(sha256(await read())).toBe(sha256(bytes));
  });

  it('makes one transfer for five concurrent downloads of the same artifact', async () => {
    const bytes = marked(3 * MiB);
    const kit = await publish('popular', { payload: bytes });
    proxy.state.held = 0;
    proxy.state.mode = 'hold';
    const answers = Array.from({ length: 5 }, () => fetchThrough(throughPath(kit.id)).then(async (r) => ({ status: r.status, sha: sha256(Buffer.from(await r.arrayBuffer())) })));
    await until('five descriptions and a held bundle', async () => ({ held: proxy.state.held, described: upstream.requests.filter((r) => r.endsWith(`${kit.id}/closure`)).length }), (s) => s.held === 1 && s.described === 5);
    proxy.state.release();
    proxy.state.mode = 'honest';
    expect(await Promise.all(answers)).toEqual(Array.from({ length: 5 }, () => ({ status: 200, sha: sha256(bytes) })));
    expect(bundlesOf(kit)).toBe(1);
    expect(await leaf.node.deps.db.select({ n: count() }).from(artifactOrigins).where(eq(artifactOrigins.upstreamArtifactId, String(kit.id)))).toEqual([{ n: 1 }]);
  });

  it.each([
    ['small enough to be sent in one write', 8 * 1024],
    ['of several MiB', 2 * MiB],
  ])('cuts the download short when a blob %s does not verify, and keeps nothing', async (_, size) => {
    const kit = await publish(`tampered-${size}`, { payload: marked(size) });
    const before = await rowsOf(leaf);
    proxy.state.mode = 'tamper-blob';
    try {
      const res = await fetchThrough(throughPath(kit.id));
      expect(res.status).toBe(200);
      expect(res.headers.get('content-length')).toBe(String(size + 'GOOD-BYTES'.length));
      await expect(res.arrayBuffer()).rejects.toThrow();
    } finally {
      proxy.state.mode = 'honest';
    }
    expect(await copyOf(kit.id)).toBeUndefined();
    expect(await rowsOf(leaf)).toEqual(before);
  });

  it('answers who may not, and what is not there, with a clear 4xx', async () => {
    const anonymous = await fetchThrough(throughPath(big.id), {});
    expect(anonymous.status).toBe(401);
    const unknownUpstream = await fetchThrough(`/federation/v1/upstreams/no-such-node/artifacts/${String(big.id)}/payload`);
    expect(unknownUpstream.status).toBe(404);
    expect(((await unknownUpstream.json()) as Body).explanation).toMatch(/this node has no upstream no-such-node/);
    const unknownArtifact = await fetchThrough(throughPath('00000000-0000-4000-8000-000000000000'));
    expect(unknownArtifact.status).toBe(404);
    expect(((await unknownArtifact.json()) as Body).explanation).toMatch(/upstream upstream refused to describe/);
    const kit = await publish('fields', { payload: marked(16) });
    const unknownField = await fetchThrough(throughPath(kit.id, 'nothing_here'));
    expect(unknownField.status).toBe(404);
    expect(((await unknownField.json()) as Body).explanation).toMatch(/has no blob field "nothing_here"/);
    const notAnId = await fetchThrough(throughPath('not-an-id'));
    expect(notAnId.status).toBe(400);
    // A blob slot the artifact has not filled: the copy is made, the blob is not there.
    const empty = await fetchThrough(`${throughPath(kit.id, 'files')}/missing.txt`);
    expect(empty.status).toBe(404);
  });

  it('answers 502 when the upstream vouches for other content than it serves, before any byte', async () => {
    const kit = await publish('forged', { payload: marked(16) });
    proxy.state.mode = 'forge-digest';
    try {
      const res = await fetchThrough(throughPath(kit.id));
      expect(res.status).toBe(502);
      expect(((await res.json()) as Body).explanation).toMatch(/the provenance upstream upstream gives for kits "forged" 1.0.0 does not verify/);
    } finally {
      proxy.state.mode = 'honest';
    }
    expect(bundlesOf(kit)).toBe(0);
    expect(await copyOf(kit.id)).toBeUndefined();
  });

  it('answers 503 naming the upstream when it is down', async () => {
    const kit = await publish('unreachable', { payload: marked(16) });
    proxy.state.mode = 'down';
    try {
      const res = await fetchThrough(throughPath(kit.id));
      expect(res.status).toBe(503);
      expect(((await res.json()) as Body).explanation).toMatch(/^upstream upstream did not answer to describe the closure of artifact/);
    } finally {
      proxy.state.mode = 'honest';
    }
  });
});

describe('a pull-through racing a pull job in another process', () => {
  let twin: TestNode;

  beforeAll(async () => {
    // The leaf's database and blob directory, with its own process state: a worker beside the API.
    const [row] = (await leaf.node.deps.db.execute(sql`select current_database() as name`)) as unknown as Array<{ name: string }>;
    twin = await createTestNode({ ...KITS, node: { name: 'leaf', role: 'enterprise' }, data_dir: leaf.node.dataDir }, openPostgres(databaseUrl(row!.name), { poolSize: 4 }));
  });
  afterAll(async () => {
    await twin?.close();
  });

  it('ends with one copy, both succeeding', async () => {
    const bytes = marked(2 * MiB);
    const kit = await publish('raced', { payload: bytes });
    proxy.state.held = 0;
    proxy.state.mode = 'hold';
    const asked = await twin.request('POST', '/federation/v1/pull', { as: twin.admin, json: { id: kit.id } });
    expect(asked.status, await asked.clone().text()).toBe(202);
    const jobId = String((await asked.json()).id);
    const downloaded = fetchThrough(throughPath(kit.id)).then(async (r) => ({ status: r.status, sha: sha256(Buffer.from(await r.arrayBuffer())) }));
    // Both transfers under way, each past its manifest, before either may finish.
    await until('two held bundles', async () => proxy.state.held, (held) => held === 2);
    proxy.state.release();
    proxy.state.mode = 'honest';
    expect(await downloaded).toEqual({ status: 200, sha: sha256(bytes) });
    const finished = await waitForJob(leaf, jobId);
    expect(finished.status, finished.error).toBe('succeeded');
    expect(bundlesOf(kit)).toBe(2);
    const copies = await leaf.node.deps.db.select({ id: artifacts.id }).from(artifacts).where(eq(artifacts.name, 'raced'));
    expect(copies).toEqual([{ id: finished.result.roots[0] }]);
    expect(await copyOf(kit.id)).toBe(finished.result.roots[0]);
  });
});
