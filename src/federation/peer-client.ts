/**
 * @module Requests to other nodes: every one signed with a node JWT bound to its method, path and
 * body, with its own timeout. Pull and submit add their calls on top of `request`.
 */
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import type { NodeIdentity } from './identity.js';
import { signNodeJwt } from './node-jwt.js';

export interface PeerTarget {
  nodeId: string;
  /** Base URL of the peer's API. */
  url: string;
}

export interface PeerRequest {
  method: string;
  /** Path and query, e.g. `/federation/v1/search?type=all`. */
  path: string;
  body?: Uint8Array;
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
  /** An unsigned GET of an open path (node description, keys), for enrolment and probes. */
  get(url: string, timeoutMs: number): Promise<Response>;
}

export function createPeerClient(opts: { identity: () => Promise<NodeIdentity>; tokenLifetimeSeconds: number; clock: () => Date }): PeerClient {
  const signalFor = (timeoutMs: number, outer?: AbortSignal) => {
    const timeout = AbortSignal.timeout(Math.max(1, Math.ceil(timeoutMs)));
    return outer ? AbortSignal.any([outer, timeout]) : timeout;
  };
  return {
    async request(peer, req) {
      // Signed as the URL will be sent, so the receiver sees exactly the path and query signed.
      const url = new URL(req.path, peer.url);
      const binding = { method: req.method, path: `${url.pathname}${url.search}`, ...(req.body ? { body: req.body } : {}) };
      const token = await signNodeJwt(await opts.identity(), peer.nodeId, binding, opts.clock(), opts.tokenLifetimeSeconds);
      const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json' };
      if (req.body) headers['content-type'] = req.contentType ?? 'application/json';
      // A redirect would take the request (and its token) away from the peer's registered URL.
      return fetch(url, { method: req.method, headers, body: req.body ?? null, redirect: 'error', signal: signalFor(req.timeoutMs, req.signal) });
    },
    async stream(peer, req) {
      const url = new URL(req.path, peer.url);
      const token = await signNodeJwt(await opts.identity(), peer.nodeId, { method: 'GET', path: `${url.pathname}${url.search}` }, opts.clock(), opts.tokenLifetimeSeconds);
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
      return new Promise((resolve, reject) => {
        // A redirect is not followed: it answers with its own status, which the caller refuses.
        const outgoing = send(url, { method: 'GET', headers: { authorization: `Bearer ${token}`, accept: '*/*' }, signal: req.signal }, (res: IncomingMessage) =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res }),
        );
        outgoing.on('error', reject);
        outgoing.end();
      });
    },
    get(url, timeoutMs) {
      return fetch(url, { headers: { accept: 'application/json' }, signal: signalFor(timeoutMs) });
    },
  };
}

/** The error message a peer's Glare-style error body carries, or the status line. */
export async function peerErrorMessage(res: Response): Promise<string> {
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { error?: { message?: unknown } };
    if (typeof body.error?.message === 'string') return `${res.status}: ${body.error.message}`;
  } catch {
    // not JSON
  }
  return `${res.status} ${res.statusText}${text ? `: ${text.slice(0, 200)}` : ''}`;
}
