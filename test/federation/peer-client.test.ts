/**
 * The peer client's whole-answer calls (fan-out: search, tree candidates) read an answer into
 * memory, so they refuse one past MAX_EXCHANGE_ANSWER_BYTES instead of buffering whatever a
 * broken or hostile peer sends; a normal answer still arrives whole.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_EXCHANGE_ANSWER_BYTES } from '../../src/federation/peer-client.js';
import { createTestNode, type TestNode } from '../support/node.js';

let node: TestNode;
let peer: Server;
let peerUrl: string;
let sentBeforeCut = 0;

beforeAll(async () => {
  node = await createTestNode();
  peer = createServer((req, res) => {
    if (req.url === '/small') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: true }));
      return;
    }
    // Endless: 1 MiB chunks until the client goes away.
    res.writeHead(200, { 'content-type': 'application/json' });
    const chunk = Buffer.alloc(1024 * 1024, 0x20);
    const more = () => {
      while (!res.destroyed && res.write(chunk)) sentBeforeCut += chunk.length;
      if (!res.destroyed) res.once('drain', more);
    };
    res.on('close', () => res.removeAllListeners('drain'));
    more();
  });
  await new Promise<void>((r) => peer.listen(0, '127.0.0.1', () => r()));
  peerUrl = `http://127.0.0.1:${(peer.address() as AddressInfo).port}/`;
});
afterAll(async () => {
  peer?.closeAllConnections();
  await new Promise((r) => peer?.close(r));
  await node?.close();
});

describe('PeerClient.exchange', () => {
  it('reads a normal answer whole', async () => {
    const answer = await node.deps.federation.client.exchange({ nodeId: 'peer', url: peerUrl }, { method: 'GET', path: '/small', timeoutMs: 5000 });
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ ok: true });
  });

  it(`refuses an answer larger than ${MAX_EXCHANGE_ANSWER_BYTES / (1024 * 1024)} MiB, and stops reading it`, async () => {
    const refused = node.deps.federation.client.exchange({ nodeId: 'peer', url: peerUrl }, { method: 'GET', path: '/endless', timeoutMs: 60_000 });
    await expect(refused).rejects.toThrow(/larger than 64 MiB/);
    // The connection was cut: the peer could not push far past the limit (socket buffers aside).
    await new Promise((r) => setTimeout(r, 200));
    expect(sentBeforeCut).toBeLessThan(MAX_EXCHANGE_ANSWER_BYTES + 32 * 1024 * 1024);
  });
});
