/**
 * A blob transfer has no whole-request time limit (Node's default cuts every request at five
 * minutes); a connection on which nothing moves for `server.idle_timeout_seconds` is closed.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpServer, type RunningHttpServer } from '../../src/http-server.js';
import { createTestNode, type TestNode } from '../support/node.js';

let node: TestNode;
let http: RunningHttpServer;
const IDLE_S = 1;

beforeAll(async () => {
  node = await createTestNode();
  http = await startHttpServer({ fetch: node.app.fetch, host: '127.0.0.1', port: 0, idleTimeoutSeconds: IDLE_S });
});
afterAll(async () => {
  await http.shutdown(0);
  await node.close();
});

/** Sends `chunks` of an upload `gapMs` apart; resolves with the status line, or 'closed'. */
function trickle(id: string, chunks: string[], gapMs: number): Promise<string> {
  return new Promise((resolve) => {
    const body = chunks.join('');
    const socket = connect(http.address.port, '127.0.0.1');
    let answer = '';
    socket.on('data', (d) => (answer += d.toString()));
    socket.on('error', () => {});
    socket.on('close', () => resolve(answer ? answer.split('\r\n')[0]! : 'closed'));
    socket.on('connect', async () => {
      socket.write(
        `PUT /artifacts/images/${id}/image HTTP/1.1\r\nHost: t\r\nX-User-Id: u\r\nX-Project-Id: p1\r\nX-Roles: member\r\n` +
          `Content-Type: text/plain\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
      );
      for (const chunk of chunks) {
        if (socket.destroyed) return;
        socket.write(chunk);
        await new Promise((r) => setTimeout(r, gapMs));
      }
    });
  });
}

describe('HTTP timeouts', () => {
  it('sets no whole-request limit', () => {
    expect(http.server.requestTimeout).toBe(0);
  });

  it('lets a slow upload run longer than the idle timeout while bytes keep moving', async () => {
    const a = await node.seed('images', { name: 'slow' }, { as: node.as({ project: 'p1' }) });
    const status = await trickle(a.id, Array.from({ length: 8 }, (_, i) => `chunk ${i}\n`), 400);
    expect(status).toBe('HTTP/1.1 200 OK');
  });

  it('closes a connection on which nothing moves for the idle timeout', async () => {
    const a = await node.seed('images', { name: 'stalled' }, { as: node.as({ project: 'p1' }) });
    const t0 = Date.now();
    const status = await trickle(a.id, ['first part\n', 'never sent\n'], 3_000);
    expect(status).toBe('closed');
    expect(Date.now() - t0).toBeLessThan(IDLE_S * 1000 + 2000);
  });
});
