/**
 * A keep-alive HTTP/1.1 client for the load generator, over plain sockets: it shares the node's two
 * cores, so every µs it spends is taken from the node it measures. node:http's client cost about
 * 160 µs of CPU per request here (more than the raw-SQL baseline's whole driver); writing a
 * request line and reading a status line, the framing headers and the body costs a fraction.
 * GET only; bodies framed by Content-Length or chunked; one request at a time per connection.
 */
import { connect, type Socket } from 'node:net';

export interface HttpClient {
  /** GETs `path`; resolves once the whole body is read, rejects on a non-200 answer or a timeout. */
  get(path: string, headers: Record<string, string>): Promise<void>;
  /** GETs `path` as `get` does and resolves with the body (a benchmark that checks what it was answered). */
  read(path: string, headers: Record<string, string>): Promise<Buffer>;
  close(): void;
}

const HEAD_END = Buffer.from('\r\n\r\n');

interface Exchange {
  path: string;
  /** Where the body's bytes go when the caller wants them. */
  body?: Buffer[];
  resolve(): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/** One connection: sends a request, reads its answer, then is free for the next. */
class Connection {
  private buffered: Buffer = Buffer.alloc(0);
  private current: Exchange | undefined;
  /** Once the head is read: the status and what is left of the body (bytes, or chunked). */
  private answer: { status: number; remaining: number; chunked: boolean; close: boolean; snippet: string } | undefined;
  closed = false;

  constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (data: Buffer) => this.receive(data));
    const fail = (err: Error) => {
      this.closed = true;
      this.finish(err);
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('the connection closed')));
  }

  send(exchange: Exchange, request: string): void {
    this.current = exchange;
    this.socket.write(request);
  }

  destroy(): void {
    this.closed = true;
    this.socket.destroy();
  }

  private receive(data: Buffer): void {
    this.buffered = this.buffered.length === 0 ? data : Buffer.concat([this.buffered, data]);
    if (!this.answer) {
      const end = this.buffered.indexOf(HEAD_END);
      if (end < 0) return;
      const head = this.buffered.subarray(0, end).toString('latin1');
      this.buffered = this.buffered.subarray(end + HEAD_END.length);
      const status = Number(head.slice(9, 12));
      const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
      this.answer = { status, remaining: length ? Number(length[1]) : 0, chunked: /\r\ntransfer-encoding:\s*chunked/i.test(head), close: /\r\nconnection:\s*close/i.test(head), snippet: '' };
    }
    const answer = this.answer;
    if (answer.status !== 200 && answer.snippet.length < 300) answer.snippet += this.buffered.subarray(0, 300).toString('utf8');
    if (answer.chunked ? !this.readChunks() : !this.readLength()) return;
    this.answer = undefined;
    if (answer.close) this.destroy();
    this.finish(answer.status === 200 ? undefined : new Error(`HTTP ${answer.status} for ${this.current?.path}: ${answer.snippet.slice(0, 300)}`));
  }

  /** Whether the body framed by Content-Length is whole. */
  private readLength(): boolean {
    const answer = this.answer!;
    const taken = Math.min(answer.remaining, this.buffered.length);
    this.current?.body?.push(this.buffered.subarray(0, taken));
    answer.remaining -= taken;
    this.buffered = this.buffered.subarray(taken);
    return answer.remaining === 0;
  }

  /** Whether the chunked body is whole (its last, empty chunk read). */
  private readChunks(): boolean {
    for (;;) {
      const lineEnd = this.buffered.indexOf('\r\n');
      if (lineEnd < 0) return false;
      const size = parseInt(this.buffered.subarray(0, lineEnd).toString('latin1'), 16);
      // The chunk, then its CRLF (the last chunk: the empty trailer's CRLF).
      if (this.buffered.length < lineEnd + 2 + size + 2) return false;
      if (size > 0) this.current?.body?.push(this.buffered.subarray(lineEnd + 2, lineEnd + 2 + size));
      this.buffered = this.buffered.subarray(lineEnd + 2 + size + 2);
      if (size === 0) return true;
    }
  }

  private finish(err?: Error): void {
    const exchange = this.current;
    if (!exchange) return;
    this.current = undefined;
    clearTimeout(exchange.timer);
    if (err) exchange.reject(err);
    else exchange.resolve();
  }
}

export function createHttpClient(opts: { port: number; concurrency: number; timeoutMs: number }): HttpClient {
  const idle: Connection[] = [];
  const all = new Set<Connection>();
  const open = () =>
    new Promise<Connection>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port: opts.port }, () => {
        socket.off('error', reject);
        const c = new Connection(socket);
        all.add(c);
        resolve(c);
      });
      socket.once('error', reject);
    });
  const exchange = async (path: string, headers: Record<string, string>, body?: Buffer[]): Promise<void> => {
    let c = idle.pop();
    while (c?.closed) c = idle.pop();
    c ??= await open();
    const connection = c;
    let request = `GET ${path} HTTP/1.1\r\nhost: 127.0.0.1:${opts.port}\r\n`;
    for (const [name, value] of Object.entries(headers)) request += `${name}: ${value}\r\n`;
    request += '\r\n';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        connection.destroy();
        reject(new Error(`timed out after ${opts.timeoutMs} ms: ${path}`));
      }, opts.timeoutMs);
      connection.send({ path, ...(body ? { body } : {}), resolve, reject, timer }, request);
    }).finally(() => {
      if (connection.closed) all.delete(connection);
      else if (idle.length < opts.concurrency) idle.push(connection);
      else {
        all.delete(connection);
        connection.destroy();
      }
    });
  };
  return {
    get: (path, headers) => exchange(path, headers),
    async read(path, headers) {
      const body: Buffer[] = [];
      await exchange(path, headers, body);
      return Buffer.concat(body);
    },
    close() {
      for (const c of all) c.destroy();
      all.clear();
      idle.length = 0;
    },
  };
}
