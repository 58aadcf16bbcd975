/** @module What a request carries through the middleware chain. */
import type { Logger } from 'pino';
import type { Caller } from '../auth/caller.js';

export interface AppEnv {
  Variables: {
    caller: Caller;
    log: Logger;
    requestId: string;
  };
}
