/**
 * @module The node's HTTP server: @hono/node-server on node:http, with the timeouts a blob
 * catalog needs and a graceful shutdown.
 *
 * - No whole-request time limit (Node's default `requestTimeout` cuts every request at five
 *   minutes, which ends a large upload half-way); instead a connection on which no byte moves for
 *   `idleTimeoutSeconds` is closed.
 * - `shutdown(graceMs)`: stop accepting connections, close idle keep-alive connections, answer
 *   every request still in flight (or arriving on an open connection) with `Connection: close`,
 *   wait up to `graceMs` for them, then cut what is left.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';

export interface HttpServerOptions {
  fetch: (request: Request, env: { incoming: IncomingMessage; outgoing: ServerResponse }) => Response | Promise<Response>;
  host: string;
  port: number;
  idleTimeoutSeconds: number;
}

export interface RunningHttpServer {
  server: Server;
  address: AddressInfo;
  /** Requests whose answer has not been fully sent. */
  inFlight(): number;
  /** Resolves once every request has finished (or was cut after `graceMs`) and the server is closed. */
  shutdown(graceMs: number): Promise<{ cut: number }>;
}

export async function startHttpServer(opts: HttpServerOptions): Promise<RunningHttpServer> {
  const active = new Set<ServerResponse>();
  let closing = false;

  const track = (res: ServerResponse) => {
    active.add(res);
    if (closing) res.setHeader('Connection', 'close');
    res.once('close', () => {
      active.delete(res);
      // The connection this response held is idle now: while closing, let it go.
      if (closing) setImmediate(() => server.closeIdleConnections());
    });
  };

  const server = createAdaptorServer({
    fetch: opts.fetch as never,
    hostname: opts.host,
    // requestTimeout 0: no limit on a whole request; headers must still arrive within a minute.
    serverOptions: { requestTimeout: 0, headersTimeout: 60_000, keepAliveTimeout: 5_000 },
    createServer: ((serverOptions: object, listener: (req: IncomingMessage, res: ServerResponse) => void) =>
      createServer(serverOptions, (req, res) => {
        track(res);
        listener(req, res);
      })) as never,
  }) as Server;
  // Without a 'timeout' listener Node destroys a socket idle this long, in either direction.
  server.setTimeout(opts.idleTimeoutSeconds * 1000);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });

  return {
    server,
    address: server.address() as AddressInfo,
    inFlight: () => active.size,
    async shutdown(graceMs) {
      closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      for (const res of active) if (!res.headersSent) res.setHeader('Connection', 'close');
      const deadline = Date.now() + graceMs;
      while (active.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, Math.min(50, Math.max(1, deadline - Date.now()))));
      const cut = active.size;
      server.closeAllConnections();
      await closed;
      return { cut };
    },
  };
}
