/**
 * SIGTERM on a real `catalog-node serve` (two worker processes sharing the port): no new
 * connections; idle keep-alive connections closed; a request in flight finishes and is answered
 * with `Connection: close`; a stalled client is cut after the grace period and the node exits 0.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../support/database.js';
import { startNodeProcess, type NodeProcess } from '../support/node-process.js';

const GRACE_S = 3;
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let node: NodeProcess;
const owner = 'X-User-Id: u1\r\nX-Project-Id: p1\r\nX-Roles: member\r\n';

beforeAll(async () => {
  database = await createTestDatabase();
  node = await startNodeProcess(database.url, { server: { shutdown_grace_seconds: GRACE_S, processes: 2 } });
});
afterAll(async () => {
  await node.stop();
  await database.drop();
});

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** A keep-alive connection that reads one response at a time. */
function open(port: number): Promise<{ socket: Socket; next(): Promise<RawResponse>; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    let waiting: ((r: RawResponse) => void) | undefined;
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    const tryParse = () => {
      const end = data.indexOf('\r\n\r\n');
      if (end === -1 || !waiting) return;
      const [statusLine, ...lines] = data.slice(0, end).split('\r\n');
      const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      const length = Number(headers['content-length'] ?? 0);
      if (data.length < end + 4 + length) return;
      const body = data.slice(end + 4, end + 4 + length);
      data = data.slice(end + 4 + length);
      const w = waiting;
      waiting = undefined;
      w({ status: Number(statusLine!.split(' ')[1]), headers, body });
    };
    socket.on('data', (d) => {
      data += d.toString('latin1');
      tryParse();
    });
    socket.on('error', () => {});
    socket.once('connect', () =>
      resolve({
        socket,
        closed,
        next: () =>
          new Promise<RawResponse>((res, rej) => {
            waiting = res;
            socket.once('close', () => rej(new Error('connection closed before a response')));
            tryParse();
          }),
      }),
    );
    socket.once('error', reject);
  });
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });
}

describe('SIGTERM', () => {
  it('stops accepting, closes idle connections, finishes requests in flight with Connection: close, cuts stalled ones after the grace period, exits 0', async () => {
    const setup = await open(node.port);
    const ids: string[] = [];
    for (const name of ['busy', 'stall']) {
      const json = JSON.stringify({ name });
      setup.socket.write(`POST /artifacts/images HTTP/1.1\r\nHost: t\r\n${owner}Content-Type: application/json\r\nContent-Length: ${json.length}\r\n\r\n${json}`);
      const created = await setup.next();
      expect(created.status).toBe(201);
      ids.push((JSON.parse(created.body) as { id: string }).id);
    }
    setup.socket.destroy();

    const idle = await open(node.port);
    idle.socket.write('GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n');
    expect((await idle.next()).status).toBe(200);

    const upload = (id: string, length: number) => `PUT /artifacts/images/${id}/image HTTP/1.1\r\nHost: t\r\n${owner}Content-Type: text/plain\r\nContent-Length: ${length}\r\n\r\n`;
    const busy = await open(node.port);
    busy.socket.write(`${upload(ids[0]!, 10)}12345`);
    const stalled = await open(node.port);
    stalled.socket.write(`${upload(ids[1]!, 1000)}x`);
    await new Promise((r) => setTimeout(r, 300));

    const t0 = Date.now();
    node.child.kill('SIGTERM');

    await idle.closed;
    expect(Date.now() - t0).toBeLessThan(2000);
    let isRefused = false;
    for (let i = 0; i < 40 && !isRefused; i++) {
      isRefused = await refused(node.port);
      if (!isRefused) await new Promise((r) => setTimeout(r, 50));
    }
    expect(isRefused).toBe(true);

    busy.socket.write('67890');
    const answered = await busy.next();
    expect(answered.status).toBe(200);
    expect(answered.headers.connection).toBe('close');
    await busy.closed;

    await stalled.closed;
    const { code } = await node.exited;
    const took = Date.now() - t0;
    expect(code, node.stderr().slice(-2000)).toBe(0);
    expect(took).toBeGreaterThanOrEqual(GRACE_S * 1000 - 500);
    expect(took).toBeLessThan(GRACE_S * 1000 + 5000);
    expect(node.logs.some((l) => l.msg === 'stopped')).toBe(true);
  });
});
