/**
 * Pull when things go wrong, between real nodes on loopback ports: the child enrolled with its
 * upstream through a proxy that can lie (a tampered blob, a forged manifest digest), fail once, or
 * trickle the bundle. A lie is refused with nothing left behind; a failure is retried with backoff;
 * a worker stopped mid-pull hands the job back and a new worker finishes it, the copy whole.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BullmqWorker } from '../../src/jobs/bullmq-runner.js';
import type { Body } from '../support/json.js';
import { askPull, download, KITS, marked, proxyTo, publishKit, rowsOf, sha256, waitForJob, type LyingProxy } from './pull-support.js';
import { enrol, serveNode, type ServedNode } from './tree.js';

let upstream: ServedNode;
let child: ServedNode;
let proxy: LyingProxy;
let worker: BullmqWorker | undefined;
/** Refused once (tampered on the way), pulled again later. */
let tamperedKit: Body;

beforeAll(async () => {
  [upstream, child] = await Promise.all([serveNode('upstream', 'global', KITS), serveNode('child', 'vendor', { ...KITS, federation: { pull: { progress_every_ms: 20 } } })]);
  proxy = await proxyTo(upstream.url);
  await enrol(child, upstream, { permissions: ['pull'] }, { url: proxy.url });
  worker = child.startWorker();
});
afterAll(async () => {
  await worker?.close();
  await proxy?.close();
  await Promise.all([upstream?.close(), child?.close()]);
});

describe('a pull from a lying or failing upstream', () => {
  it('refuses a tampered blob at once, leaving no artifact, origin or byte behind', async () => {
    const kit = await publishKit(upstream, upstream.node.as({ project: 'dev' }), { name: 'tampered', version: '1.0.0' }, { payload: marked(256 * 1024) });
    tamperedKit = kit;
    proxy.state.mode = 'tamper-blob';
    const res = await askPull(child, { id: kit.id });
    expect(res.status).toBe(202);
    const failed = await waitForJob(child, (await res.json()).id);
    expect(failed).toMatchObject({ status: 'failed', attempts: 1, transfers: 1 });
    expect(failed.error).toMatch(/a blob of the bundle does not match its manifest: (md5|sha256) is/);
    expect(await rowsOf(child)).toEqual({ artifacts: 0, origins: 0, stored: 0 });
    // A refusal is not retried: the upstream was asked for the bundle once.
    expect(upstream.requests.filter((r) => r === `GET /federation/v1/artifacts/${kit.id}/bundle`)).toHaveLength(1);
  });

  it('refuses a manifest digest its provenance does not sign before asking for any blob', async () => {
    const kit = await publishKit(upstream, upstream.node.as({ project: 'dev' }), { name: 'forged', version: '1.0.0' }, { payload: marked(1024) });
    proxy.state.mode = 'forge-digest';
    const failed = await waitForJob(child, (await (await askPull(child, { id: kit.id })).json()).id);
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(/provenance .* does not verify: hop 1 \(upstream\): it binds manifest [0-9a-f]{64}, not this artifact's f{64}/);
    expect(upstream.requests.filter((r) => r.endsWith(`${kit.id}/bundle`))).toHaveLength(0);
    expect(await rowsOf(child)).toEqual({ artifacts: 0, origins: 0, stored: 0 });
  });

  it('retries a failure that may pass, with backoff, and then succeeds; asking again after a refusal pulls anew', async () => {
    const kit = await publishKit(upstream, upstream.node.as({ project: 'dev' }), { name: 'flaky', version: '1.0.0' }, { payload: marked(1024) });
    proxy.state.mode = 'fail-once';
    const finished = await waitForJob(child, (await (await askPull(child, { id: kit.id })).json()).id);
    expect(finished).toMatchObject({ status: 'succeeded', attempts: 2, transfers: 2 });
    // Each attempt had the closure described; the first bundle request never got past the proxy.
    expect(upstream.requests.filter((r) => r.endsWith(`${kit.id}/closure`))).toHaveLength(2);
    expect(upstream.requests.filter((r) => r.endsWith(`${kit.id}/bundle`))).toHaveLength(1);

    // The tampered pull failed; with an honest upstream, asking again pulls it whole.
    proxy.state.mode = 'honest';
    const again = await askPull(child, { id: tamperedKit.id });
    expect(again.status).toBe(202);
    expect(await waitForJob(child, (await again.json()).id)).toMatchObject({ status: 'succeeded', attempts: 2 });
  });

  it('hands a pull back when its worker stops mid-transfer; a new worker finishes it, the copy whole', async () => {
    const payload = marked(12 * 1024 * 1024);
    const kit = await publishKit(upstream, upstream.node.as({ project: 'dev' }), { name: 'big', version: '1.0.0' }, { payload });
    proxy.state.mode = 'trickle';
    const id = (await (await askPull(child, { id: kit.id })).json()).id;
    const running = await waitForJob(child, id, (j) => j.status === 'running' && j.progress.bytes_done > 1024 * 1024);
    expect(running.progress.bytes_done).toBeLessThan(payload.length);
    await worker!.close();
    worker = undefined;
    const handedBack: Body = await waitForJob(child, id, (j) => j.status !== 'running', 5000);
    expect(handedBack).toMatchObject({ status: 'queued' });
    expect(handedBack.error).toMatch(/worker stopped/);

    proxy.state.mode = 'honest';
    worker = child.startWorker();
    const finished = await waitForJob(child, id);
    expect(finished).toMatchObject({ status: 'succeeded', transfers: 2 });
    const [copy] = finished.result.roots;
    expect(sha256(await download(child, `/artifacts/kits/${copy}/payload`))).toBe(sha256(payload));
    // Nothing of the interrupted transfer stays: one stored object per blob of the catalog.
    const rows = await rowsOf(child);
    expect(rows.stored).toBe(rows.artifacts);
  });
});
