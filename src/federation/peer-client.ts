/**
 * @module Requests to other nodes: every one signed with a node JWT bound to its method, path and
 * body, with its own timeout. Pull and submit add their calls on top of `request`.
 */
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import { contentDigestHeader } from './body-digest.js';
import type { NodeIdentity } from './identity.js';
import { signNodeJwt, type RequestBinding } from './node-jwt.js';

export interface PeerTarget {
  nodeId: string;
  /** Base URL of the peer's API. */
  url: string;
}

export interface PeerRequest {
  method: string;
  /** Path and query, e.g. `/federation/v1/search?type=all`. */
  path: string;
  /** A stream is sent as it is read: give its `bodyDigest` (and `contentLength` when known). */
  body?: Uint8Array | Readable;
  /**
   * The body's base64url SHA-256, declared in Content-Digest and bound by the token, for routes
   * that take a streamed body (the receiver checks the bytes as the stream ends).
   */
  bodyDigest?: string;
  contentLength?: number;
  contentType?: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface PeerClient {
  /** A signed request; rejects with a TimeoutError (DOMException) after `timeoutMs`. */
  request(peer: PeerTarget, req: PeerRequest): Promise<Response>;
  /**
   * A signed GET whose body arrives as a Node stream, for large transfers (bundles): no web-stream
   * layer per chunk, and no overall timeout (the caller watches for a stall and aborts `signal`).
   */
  stream(peer: PeerTarget, req: { path: string; signal: AbortSignal }): Promise<{ status: number; headers: IncomingHttpHeaders; body: Readable }>;
  /**
   * A signed request whose answer is read whole, for the node-to-node calls of a fan-out
   * (search, candidates): over node:http's keep-alive connections, without fetch's WHATWG
   * layers, which cost a hop more CPU than the rest of the call (bench/README.md). Rejects with
   * a TimeoutError after `timeoutMs`; a redirect is answered as its status, never followed.
   */
  exchange(peer: PeerTarget, req: { method: string; path: string; body?: Uint8Array; timeoutMs: number }): Promise<PeerAnswer>;
  /** An unsigned GET of an open path (node description, keys), for enrolment and probes. */
  get(url: string, timeoutMs: number): Promise<Response>;
}

/** A peer's answer read whole: what callers read of a fetch Response. */
export interface PeerAnswer {
  ok: boolean;
  status: number;
  statusText: string;
  text(): Promise<string>;
  json(): Promise<unknown>;
}

/**
 * The most a fan-out answer may hold (a search page per source, a batch of tree candidates): far
 * above what a node sends, low enough that a broken or hostile peer cannot fill this node's memory.
 */
export const MAX_EXCHANGE_ANSWER_BYTES = 64 * 1024 * 1024;

export function createPeerClient(opts: { identity: () => Promise<NodeIdentity>; tokenLifetimeSeconds: number; clock: () => Date }): PeerClient {
  /** The Authorization header of a request to `peer`: a node token bound to its method, path and query as sent, and its body. */
  const authorization = async (peer: PeerTarget, binding: RequestBinding) =>
    `Bearer ${await signNodeJwt(await opts.identity(), peer.nodeId, binding, opts.clock(), opts.tokenLifetimeSeconds)}`;
  const pathOf = (url: URL) => `${url.pathname}${url.search}`;
  const transportFor = (url: URL) => (url.protocol === 'https:' ? httpsRequest : httpRequest);
  const signalFor = (timeoutMs: number, outer?: AbortSignal) => {
    const timeout = AbortSignal.timeout(Math.max(1, Math.ceil(timeoutMs)));
    return outer ? AbortSignal.any([outer, timeout]) : timeout;
  };
  return {
    async request(peer, req) {
      // Signed as the URL will be sent, so the receiver sees exactly the path and query signed.
      const url = new URL(req.path, peer.url);
      const body = req.body;
      if (body && !(body instanceof Uint8Array) && req.bodyDigest === undefined) throw new Error('a streamed peer request needs its bodyDigest');
      const binding = {
        method: req.method,
        path: pathOf(url),
        ...(req.bodyDigest !== undefined ? { bodyDigest: req.bodyDigest } : body instanceof Uint8Array ? { body } : {}),
      };
      const headers: Record<string, string> = { authorization: await authorization(peer, binding), accept: 'application/json' };
      if (body) headers['content-type'] = req.contentType ?? 'application/json';
      if (req.bodyDigest !== undefined) headers['content-digest'] = contentDigestHeader(req.bodyDigest);
      if (req.contentLength !== undefined) headers['content-length'] = String(req.contentLength);
      const init: RequestInit & { duplex?: 'half' } = { method: req.method, headers, body: (body ?? null) as RequestInit['body'], signal: signalFor(req.timeoutMs, req.signal) };
      if (body && !(body instanceof Uint8Array)) init.duplex = 'half';
      // A redirect would take the request (and its token) away from the peer's registered URL.
      return fetch(url, { ...init, redirect: 'error' });
    },
    async stream(peer, req) {
      const url = new URL(req.path, peer.url);
      const headers = { authorization: await authorization(peer, { method: 'GET', path: pathOf(url) }), accept: '*/*' };
      const send = transportFor(url);
      return new Promise((resolve, reject) => {
        // A redirect is not followed: it answers with its own status, which the caller refuses.
        const outgoing = send(url, { method: 'GET', headers, signal: req.signal }, (res: IncomingMessage) =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res }),
        );
        outgoing.on('error', reject);
        outgoing.end();
      });
    },
    async exchange(peer, req) {
      const url = new URL(req.path, peer.url);
      const send = transportFor(url);
      const attempt = async (retryOnReset: boolean): Promise<PeerAnswer> => {
        const binding = { method: req.method, path: pathOf(url), ...(req.body ? { body: req.body } : {}) };
        const headers: Record<string, string> = { authorization: await authorization(peer, binding), accept: 'application/json' };
        if (req.body) {
          headers['content-type'] = 'application/json';
          headers['content-length'] = String(req.body.byteLength);
        }
        return new Promise((resolve, reject) => {
          // node:http's global agent keeps connections alive (and retires them before the peer's keep-alive hint runs out).
          const outgoing = send(url, { method: req.method, headers }, (res: IncomingMessage) => {
            const chunks: Buffer[] = [];
            let received = 0;
            res.on('data', (chunk: Buffer) => {
              received += chunk.length;
              // Read whole into memory, so bounded: an upstream that sends more is refused, not buffered.
              if (received > MAX_EXCHANGE_ANSWER_BYTES) res.destroy(new Error(`the peer's answer is larger than ${MAX_EXCHANGE_ANSWER_BYTES / (1024 * 1024)} MiB`));
              else chunks.push(chunk);
            });
            res.on('end', () => {
              clearTimeout(timer);
              const text = Buffer.concat(chunks).toString('utf8');
              const status = res.statusCode ?? 0;
              resolve({ ok: status >= 200 && status < 300, status, statusText: res.statusMessage ?? '', text: async () => text, json: async () => JSON.parse(text) as unknown });
            });
            res.on('error', fail);
            res.on('close', () => res.complete || fail(new Error('the peer closed the connection before its answer was complete')));
          });
          const timer = setTimeout(() => outgoing.destroy(new DOMException(`no answer within ${req.timeoutMs} ms`, 'TimeoutError')), Math.max(1, Math.ceil(req.timeoutMs)));
          function fail(err: Error) {
            clearTimeout(timer);
            // A kept-alive connection the peer closed as this request went out: once more on a
            // fresh connection, with a fresh token (in case the first one's jti was spent).
            if (retryOnReset && outgoing.reusedSocket && (err as NodeJS.ErrnoException).code === 'ECONNRESET') resolve(attempt(false));
            else reject(err);
          }
          outgoing.on('error', fail);
          outgoing.end(req.body);
        });
      };
      return attempt(true);
    },
    get(url, timeoutMs) {
      return fetch(url, { headers: { accept: 'application/json' }, signal: signalFor(timeoutMs) });
    },
  };
}

/** The error message a peer's Glare-style error body carries, or the status line. */
export async function peerErrorMessage(res: Pick<Response, 'status' | 'statusText' | 'text'>): Promise<string> {
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { error?: { message?: unknown } };
    if (typeof body.error?.message === 'string') return `${res.status}: ${body.error.message}`;
  } catch {
    // not JSON
  }
  return `${res.status} ${res.statusText}${text ? `: ${text.slice(0, 200)}` : ''}`;
}
