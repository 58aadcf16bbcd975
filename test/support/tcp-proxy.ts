/**
 * A TCP proxy on 127.0.0.1 in front of a real service (PostgreSQL, Redis), so a test can take the
 * service away and bring it back: `cut()` resets every open connection and from then on swallows
 * new ones (they connect, nothing ever answers: the worst case of a network partition), or with
 * `cut('reset')` resets them (a restarting server); `restore()` forwards again.
 */
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';

export interface TcpProxy {
  port: number;
  /** `postgres://...@127.0.0.1:5432/db` with the proxy's host and port instead. */
  rewrite(url: string): string;
  cut(mode?: 'swallow' | 'reset'): void;
  restore(): void;
  /** Connections currently forwarded. */
  open(): number;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const forwarded = new Set<Socket>();
  const swallowed = new Set<Socket>();
  let up = true;
  let swallow = true;
  const server = createServer((client) => {
    client.on('error', () => {});
    if (!up && !swallow) return void client.resetAndDestroy();
    if (!up) {
      swallowed.add(client);
      client.on('close', () => swallowed.delete(client));
      return;
    }
    const upstream = connect(target.port, target.host);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    client.pipe(upstream).pipe(client);
    forwarded.add(client);
    forwarded.add(upstream);
    const forget = () => {
      forwarded.delete(client);
      forwarded.delete(upstream);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', forget);
    upstream.on('close', forget);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    rewrite(url) {
      const u = new URL(url);
      u.host = `127.0.0.1:${port}`;
      return u.href;
    },
    cut(mode = 'swallow') {
      up = false;
      swallow = mode === 'swallow';
      for (const s of forwarded) s.resetAndDestroy();
      forwarded.clear();
    },
    restore() {
      up = true;
      for (const s of swallowed) s.destroy();
      swallowed.clear();
    },
    open: () => forwarded.size / 2,
    async close() {
      for (const s of [...forwarded, ...swallowed]) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
