/**
 * @module The one place errors become HTTP: AppError → status and Glare's error body; invalid
 * input (zod) → 400; anything unknown → 500 with only the request id shown.
 */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Logger } from 'pino';
import { z } from 'zod';
import { AppError, BadRequest, type ErrorCode } from '../errors.js';
import type { AppEnv } from './env.js';

const STATUS: Record<ErrorCode, ContentfulStatusCode> = {
  bad_request: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  quota_exceeded: 413,
  unavailable: 503,
  bad_gateway: 502,
  insufficient_storage: 507,
};

const TITLES: Partial<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Request Entity Too Large',
  415: 'Unsupported Media Type',
  416: 'Range Not Satisfiable',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  507: 'Insufficient Storage',
};

/** Glare's fault body: `{title, code, explanation, error: {type, message}}`, plus our request id. */
function errorBody(status: number, type: string, message: string, requestId: string) {
  return {
    title: TITLES[status] ?? 'Error',
    code: status,
    explanation: message,
    error: { type, message },
    request_id: requestId,
  };
}

const ErrorBody = z
  .object({
    title: z.string(),
    code: z.number().int(),
    explanation: z.string(),
    error: z.object({ type: z.string(), message: z.string() }),
    request_id: z.string(),
  })
  .meta({ id: 'Error' });

const errorContent = { 'application/json': { schema: ErrorBody } };
export const errorResponses = {
  400: { description: 'The request is malformed; the message says what is wrong', content: errorContent },
  401: { description: 'Authentication is required or was refused', content: errorContent },
  403: { description: 'The caller may see but not do this', content: errorContent },
  404: { description: 'No such type, or no such artifact visible to the caller', content: errorContent },
} as const;

export function describeZodError(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}`).join('; ');
}

/** zod-openapi's defaultHook: every invalid input becomes the same 400. */
export function onInvalidInput(result: { success: boolean; error?: unknown }, _c: Context<AppEnv>): void {
  if (!result.success && result.error instanceof z.ZodError) throw new BadRequest(describeZodError(result.error));
}

/** Status counted (and logged) for a request whose client went away before it was answered (nginx's 499). */
export const CLIENT_CLOSED_REQUEST = 499;
/** Seconds a client is asked to wait before retrying a 503. */
const RETRY_AFTER_SECONDS = 5;

export interface ErrorHandlerOptions {
  /**
   * Turns an error of a lower layer into the domain error it stands for (a database outage into
   * Unavailable), or undefined. Injected by app.ts so this module knows no driver.
   */
  classify?: (err: unknown) => AppError | undefined;
}

/** app.onError: `rootLog` is used when the error came before the request logger was set. */
export const errorHandler = (rootLog: Logger, options: ErrorHandlerOptions = {}) =>
  function handleError(thrown: Error, c: Context<AppEnv>): Response {
  const requestId = c.get('requestId') ?? 'unknown';
  const log = c.get('log') ?? rootLog;
  // The client hung up (the server aborts the request's signal): whatever failed after that is
  // the consequence, not a fault of the node. Nobody reads this answer; it is counted as 499.
  if (c.req.raw.signal.aborted) {
    log.info({ requestId, error: thrown.message }, 'client closed the connection before the answer');
    return c.body(null, CLIENT_CLOSED_REQUEST as ContentfulStatusCode);
  }
  const err = thrown instanceof AppError ? thrown : (options.classify?.(thrown) ?? thrown);
  if (err instanceof AppError) {
    const status = STATUS[err.code];
    if (status === 401) c.header('WWW-Authenticate', 'Bearer');
    if (status === 503) {
      c.header('Retry-After', String(RETRY_AFTER_SECONDS));
      log.warn({ err: thrown, requestId }, 'unavailable');
    }
    // An error's details (a resolver's conflict chain) travel beside Glare's keys, never replacing them.
    return c.json({ ...(err.details ?? {}), ...errorBody(status, err.name, err.message, requestId) }, status);
  }
  if (err instanceof HTTPException) {
    const status = err.status as ContentfulStatusCode;
    const message = err.message || TITLES[status] || 'request refused';
    return c.json(errorBody(status, 'HTTPException', message, requestId), status);
  }
  log.error({ err, requestId }, 'unhandled error');
  return c.json(errorBody(500, 'InternalError', `internal error; quote request id ${requestId} to the operator`, requestId), 500);
  };
