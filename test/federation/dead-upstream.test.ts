/**
 * An upstream that is black-holed (a socket that accepts and never answers) or stopped: the search
 * still answers within the upstream's timeout (or the node's deadline), marked partial, with what
 * the other sources found; the upstream's circuit opens, so the next searches skip it at once,
 * until a probe finds it back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Body } from '../support/json.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { enrol, publishImage, serveNode, type ServedNode } from './tree.js';

let global: ServedNode;
let vendor: ServedNode;
let leaf: ServedNode;
let proxy: TcpProxy;
const UPSTREAM_TIMEOUT_MS = 300;
/** What a loaded two-core test machine may add to a bound. */
const SLACK_MS = 400;

async function timedSearch(node: ServedNode): Promise<{ ms: number; answer: Body }> {
  const t0 = performance.now();
  const res = await node.node.request('GET', '/federation/v1/search?type=images', { as: node.node.as({ project: 'p' }) });
  const ms = performance.now() - t0;
  expect(res.status).toBe(200);
  return { ms, answer: await res.json() };
}

const statusOf = (answer: Body, name: string) => answer.sources.find((s: Body) => s.path.at(-1).name === name && s.path.length === 2);

async function circuitOf(node: ServedNode, upstreamId: string): Promise<string> {
  const res = await node.node.request('GET', '/federation/v1/admin/upstreams', { as: node.node.admin });
  return ((await res.json()) as Body).nodes.find((n: Body) => n.node_id === upstreamId).circuit;
}

beforeAll(async () => {
  [global, vendor, leaf] = await Promise.all([
    serveNode('global', 'global'),
    serveNode('vendor', 'vendor'),
    serveNode('leaf', 'enterprise', { federation: { breaker: { probe_every_ms: 100, probe_timeout_ms: 200 } } }),
  ]);
  await publishImage(global, 'from-global', '1.0.0');
  await publishImage(vendor, 'from-vendor', '1.0.0');
  proxy = await startTcpProxy({ host: '127.0.0.1', port: Number(new URL(vendor.url).port) });
  await enrol(leaf, vendor, { permissions: ['search'] }, { url: proxy.rewrite(vendor.url), timeout_ms: UPSTREAM_TIMEOUT_MS });
  await enrol(leaf, global, { permissions: ['search'] }, { timeout_ms: UPSTREAM_TIMEOUT_MS });
  // A node's first list is slow (modules, statements, connections): warm every node before timing.
  for (const n of [global, vendor, leaf]) await timedSearch(n);
  await untilClosed(leaf, vendor.id);
  await untilClosed(leaf, global.id);
});

async function untilClosed(node: ServedNode, upstreamId: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while ((await circuitOf(node, upstreamId)) === 'open' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  expect(await circuitOf(node, upstreamId)).toBe('closed');
}
afterAll(async () => {
  await proxy?.close();
  await Promise.all([global?.close(), vendor?.close(), leaf?.close()]);
});

describe('a black-holed upstream', () => {
  it('costs one search its timeout, then its circuit opens and it is skipped at once', async () => {
    const healthy = await timedSearch(leaf);
    expect(healthy.answer.partial).toBe(false);
    expect(healthy.answer.results.map((r: Body) => r.name).sort()).toEqual(['from-global', 'from-vendor']);

    proxy.cut('swallow');
    const first = await timedSearch(leaf);
    expect(first.ms).toBeGreaterThanOrEqual(UPSTREAM_TIMEOUT_MS - 5);
    expect(first.ms).toBeLessThan(UPSTREAM_TIMEOUT_MS + SLACK_MS);
    expect(first.answer.partial).toBe(true);
    expect(statusOf(first.answer, 'vendor')).toMatchObject({ status: 'timeout' });
    expect(statusOf(first.answer, 'global')).toMatchObject({ status: 'ok' });
    expect(first.answer.results.map((r: Body) => r.name)).toEqual(['from-global']);
    expect(await circuitOf(leaf, vendor.id)).toBe('open');

    const second = await timedSearch(leaf);
    expect(statusOf(second.answer, 'vendor')).toMatchObject({ status: 'skipped', ms: 0, message: expect.stringContaining('circuit open') });
    expect(second.ms).toBeLessThan(UPSTREAM_TIMEOUT_MS);
    expect(second.answer.partial).toBe(true);
  });

  it('is asked again once a probe finds it back', async () => {
    proxy.restore();
    await untilClosed(leaf, vendor.id);
    const back = await timedSearch(leaf);
    expect(back.answer.partial).toBe(false);
    expect(back.answer.results.map((r: Body) => r.name).sort()).toEqual(['from-global', 'from-vendor']);
  });
});

describe('a stopped upstream', () => {
  it('is an error at once, and its circuit opens', async () => {
    const stopped = await serveNode('stopped', 'vendor');
    try {
      await enrol(leaf, stopped, { permissions: ['search'] });
      await stopped.stop();
      const { ms, answer } = await timedSearch(leaf);
      expect(statusOf(answer, 'stopped')).toMatchObject({ status: 'error' });
      expect(ms).toBeLessThan(UPSTREAM_TIMEOUT_MS + SLACK_MS);
      expect(answer.results.map((r: Body) => r.name).sort()).toEqual(['from-global', 'from-vendor']);
      expect(await circuitOf(leaf, stopped.id)).toBe('open');
    } finally {
      await leaf.node.request('DELETE', `/federation/v1/admin/upstreams/${stopped.id}`, { as: leaf.node.admin });
      await stopped.close();
    }
  });
});

describe('the overall deadline', () => {
  it('answers within it even when an upstream’s own timeout is longer', async () => {
    const hurried = await serveNode('hurried', 'enterprise', { federation: { search: { deadline_ms: 400, timeout_ms: 10_000 } } });
    const hole = await startTcpProxy({ host: '127.0.0.1', port: Number(new URL(vendor.url).port) });
    try {
      await enrol(hurried, vendor, { permissions: ['search'] }, { url: hole.rewrite(vendor.url) });
      hole.cut('swallow');
      const { ms, answer } = await timedSearch(hurried);
      expect(ms).toBeGreaterThanOrEqual(395);
      expect(ms).toBeLessThan(400 + SLACK_MS);
      expect(statusOf(answer, 'vendor')).toMatchObject({ status: 'timeout' });
      expect(answer.partial).toBe(true);
    } finally {
      await hole.close();
      await hurried.close();
    }
  });
});
