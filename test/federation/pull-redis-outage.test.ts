/**
 * A pull asked while the child's job queue (Redis) is away: 503 with Retry-After in bounded time,
 * never 500 and never a hang; asked again once Redis is back, the same job runs and the copy lands.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BullmqWorker } from '../../src/jobs/bullmq-runner.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { askPull, KITS, marked, publishKit, waitForJob } from './pull-support.js';
import { enrol, REDIS_URL, serveNode, type ServedNode } from './tree.js';

let upstream: ServedNode;
let child: ServedNode;
let redisProxy: TcpProxy;
let worker: BullmqWorker | undefined;

beforeAll(async () => {
  const redis = new URL(REDIS_URL);
  redisProxy = await startTcpProxy({ host: redis.hostname, port: Number(redis.port || 6379) });
  [upstream, child] = await Promise.all([
    serveNode('upstream', 'global', KITS),
    serveNode('child', 'vendor', { ...KITS, queue: { redis_url: redisProxy.rewrite(REDIS_URL), prefix: `fedtest_redis_outage_${process.pid}` } }),
  ]);
  await enrol(child, upstream, { permissions: ['pull'] });
  // The worker reaches Redis directly: only the API process's producer is cut off.
  worker = child.startWorker();
});
afterAll(async () => {
  redisProxy?.restore();
  await worker?.close();
  await Promise.all([upstream?.close(), child?.close()]);
  await redisProxy?.close();
});

describe('POST /federation/v1/pull while Redis is away', () => {
  it('answers 503 with Retry-After in bounded time, and the same pull runs once Redis is back', async () => {
    const kit = await publishKit(upstream, upstream.node.as({ project: 'dev' }), { name: 'queued-later', version: '1.0.0' }, { payload: marked(64 * 1024) });

    for (const mode of ['reset', 'swallow'] as const) {
      redisProxy.cut(mode);
      const t0 = performance.now();
      const refused = await askPull(child, { id: kit.id });
      const ms = performance.now() - t0;
      const body = await refused.text();
      expect(refused.status, `${mode}: ${body}`).toBe(503);
      expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(JSON.parse(body).error.message).toMatch(/job queue \(Redis\) does not answer/);
      // The producer's command timeout (5 s) and room for a loaded machine.
      expect(ms).toBeLessThan(8_000);
      redisProxy.restore();
    }

    // Redis back: asked again, the pull (the same job id, its row kept queued) is enqueued and runs.
    let accepted: Response | undefined;
    for (let i = 0; i < 50 && accepted?.status !== 202; i++) {
      accepted = await askPull(child, { id: kit.id });
      if (accepted.status !== 202) await new Promise((r) => setTimeout(r, 100));
    }
    expect(accepted?.status).toBe(202);
    const finished = await waitForJob(child, ((await accepted!.json()) as { id: string }).id);
    expect(finished).toMatchObject({ status: 'succeeded', transfers: 1 });
  });
});
