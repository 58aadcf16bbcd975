/**
 * A worker's /metrics asks the primary to sum every process's registry (src/cluster.ts). When that
 * fails (a process did not answer within prom-client's 5 s, or the channel is closing) the scrape
 * is refused with 503 and Retry-After, a try-again for Prometheus, not an internal error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricsFromPrimary, type MetricsMessage, type PrimaryChannel } from '../../src/cluster.js';
import { Unavailable } from '../../src/errors.js';
import { createTestNode, type TestNode } from '../support/node.js';

/** A primary on the other end of a fake IPC channel, answering each request as `answer` says. */
function fakePrimary(answer: (request: MetricsMessage) => Partial<MetricsMessage> | Error): PrimaryChannel {
  let receive: (message: unknown) => void = () => undefined;
  return {
    onMessage: (r) => {
      receive = r;
    },
    send(message, sent) {
      const reply = answer(message);
      if (reply instanceof Error) return setImmediate(() => sent(reply));
      sent(null);
      setImmediate(() => receive({ catalogMetrics: 'reply', id: message.id, ...reply }));
    },
  };
}

describe('metrics summed by the primary', () => {
  it('answers each request with its own reply, whatever order the replies come in', async () => {
    let receive: (message: unknown) => void = () => undefined;
    const sent: MetricsMessage[] = [];
    const scrape = metricsFromPrimary({ onMessage: (r) => (receive = r), send: (m, done) => (sent.push(m), done(null)) });
    const first = scrape();
    const second = scrape();
    receive({ catalogMetrics: 'reply', id: sent[1]!.id, text: 'second' });
    receive({ catalogMetrics: 'reply', id: sent[0]!.id, text: 'first' });
    expect(await first).toBe('first');
    expect(await second).toBe('second');
  });

  it('refuses as Unavailable when a process did not answer the primary, or the channel is closing', async () => {
    const timedOut = metricsFromPrimary(fakePrimary(() => ({ error: 'Operation timed out.' })));
    await expect(timedOut()).rejects.toThrow(Unavailable);
    await expect(timedOut()).rejects.toThrow("collecting the node's metrics failed: Operation timed out.");
    const closing = metricsFromPrimary(fakePrimary(() => new Error('channel closed')));
    await expect(closing()).rejects.toThrow(Unavailable);
  });
});

describe('GET /metrics when the primary cannot sum them', () => {
  let node: TestNode;
  beforeAll(async () => {
    node = await createTestNode();
  });
  afterAll(() => node.close());

  it('answers 503 with Retry-After and says why', async () => {
    (node.deps as { metricsText: () => Promise<string> }).metricsText = metricsFromPrimary(fakePrimary(() => ({ error: 'Operation timed out.' })));
    const res = await node.request('GET', '/metrics');
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain('Operation timed out.');
  });
});
