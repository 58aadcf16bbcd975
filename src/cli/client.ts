/**
 * @module The node as `catalog` sees it: HTTP requests with the profile's credentials, the node's
 * error message turned into a CliError with the matching exit code. JSON goes through fetch;
 * blob bytes go through node:http, which streams both ways with backpressure.
 */
import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { CliError, EXIT, exitCodeForStatus } from './exit.js';
import type { Connection } from './profiles.js';

/** A compact JWS: three base64url parts. Anything else is Glare's `user:project:roles` token. */
const COMPACT_JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

export type Query = Array<[string, string]>;

export interface RequestOptions {
  query?: Query;
  json?: unknown;
  patch?: unknown;
  headers?: Record<string, string>;
}

export class NodeClient {
  constructor(readonly connection: Connection) {}

  url(path: string, query: Query = []): string {
    const qs = new URLSearchParams(query).toString();
    return `${this.connection.url}${path}${qs ? `?${qs}` : ''}`;
  }

  authHeaders(): Record<string, string> {
    const { token, headers } = this.connection;
    if (token) return COMPACT_JWT.test(token) ? { authorization: `Bearer ${token}` } : { 'x-auth-token': token };
    return { ...headers };
  }

  async send(method: string, path: string, opts: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json', ...this.authHeaders(), ...opts.headers };
    let body: string | undefined;
    if (opts.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(opts.json);
    } else if (opts.patch !== undefined) {
      headers['content-type'] = 'application/json-patch+json';
      body = JSON.stringify(opts.patch);
    }
    const url = this.url(path, opts.query);
    let res: Response;
    try {
      res = await fetch(url, { method, headers, body, redirect: 'manual' });
    } catch (err) {
      throw unreachable(url, err);
    }
    if (res.status >= 400) throw await errorFrom(res.status, await res.text(), `${method} ${path}`);
    return res;
  }

  async json<T = Record<string, unknown>>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const res = await this.send(method, path, opts);
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new CliError(`${method} ${path}: the node answered ${res.status} with something other than JSON`, EXIT.failure, res.status);
    }
  }

  /**
   * A request whose body (if any) is written by `writeBody` and whose answer is returned as a
   * stream, for bytes that must never be held whole in memory. 4xx/5xx become CliErrors.
   */
  stream(method: string, url: string, opts: { headers?: OutgoingHttpHeaders; auth?: boolean; writeBody?: (req: NodeJS.WritableStream) => Promise<void> } = {}): Promise<IncomingMessage> {
    const target = new URL(url);
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const headers = { ...(opts.auth === false ? {} : this.authHeaders()), ...opts.headers };
    return new Promise((resolve, reject) => {
      const req = send(target, { method, headers }, (res) => {
        if ((res.statusCode ?? 500) < 400) return resolve(res);
        readAll(res)
          .then(async (text) => reject(await errorFrom(res.statusCode ?? 500, text, `${method} ${target.pathname}`)))
          .catch(reject);
      });
      req.on('error', (err) => reject(unreachable(url, err)));
      if (!opts.writeBody) return void req.end();
      opts.writeBody(req).catch((err: unknown) => {
        req.destroy();
        reject(err instanceof CliError ? err : unreachable(url, err));
      });
    });
  }
}

export async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** The node's own message, as it wrote it (Glare's error body, else the text). */
export async function errorFrom(status: number, text: string, what: string): Promise<CliError> {
  let message = text.trim();
  try {
    const body = JSON.parse(text) as { error?: { message?: unknown }; explanation?: unknown; message?: unknown };
    const m = body.error?.message ?? body.explanation ?? body.message;
    if (typeof m === 'string') message = m;
  } catch {
    // not JSON: the text is the message
  }
  return new CliError(`${message || what} (HTTP ${status})`, exitCodeForStatus(status), status);
}

function unreachable(url: string, err: unknown): CliError {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  const detail = cause?.code ?? (err as NodeJS.ErrnoException).code ?? cause?.message ?? (err as Error).message;
  return new CliError(`cannot reach ${new URL(url).origin}: ${detail}`, EXIT.failure);
}
