/** @module A request's body as a Node stream, for routes that stream it (blob uploads, bundle imports). */
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import type { Context } from 'hono';
import type { AppEnv } from './env.js';

/**
 * The request's bytes as a Node stream. Served by @hono/node-server, that is the socket's own
 * IncomingMessage: going through the Web ReadableStream hono would build and back costs a
 * round of promises per chunk and ran uploads at a third of the speed the hashing allows.
 */
export function requestBodyStream(c: Context<AppEnv>): Readable {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  if (incoming && !incoming.readableDidRead) return incoming;
  return c.req.raw.body ? Readable.fromWeb(c.req.raw.body) : Readable.from([]);
}
