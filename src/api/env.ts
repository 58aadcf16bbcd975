/** @module What a request carries through the middleware chain, and the domain context it acts in. */
import type { Context } from 'hono';
import type { Logger } from 'pino';
import type { Actor } from '../artifacts/actor.js';
import { opContext, type Catalog, type OpContext } from '../artifacts/context.js';

export interface AppEnv {
  Variables: {
    actor: Actor;
    log: Logger;
    requestId: string;
    /** The body a node token's digest was checked against (peer requests with a body). */
    verifiedBody?: Uint8Array;
    /** A streamed peer request's Content-Digest (base64url SHA-256), bound by its node token; the route checks the bytes. */
    declaredBodyDigest?: string;
    /** A node token's first use being recorded, on the routes that read meanwhile (src/auth/peer.ts earlyReadPaths). */
    nodeTokenFirstUse?: Promise<void>;
  };
}

/** The domain context of this request: its actor, acting on `catalog`. */
export function opContextOf(catalog: Catalog, c: Context<AppEnv>): OpContext {
  return opContext({ ...catalog, log: c.var.log }, c.var.actor);
}
