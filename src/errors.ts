/**
 * @module The domain's error hierarchy. No HTTP here: api/errors.ts alone maps these to status codes.
 */

export type ErrorCode =
  | 'bad_request'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'quota_exceeded'
  | 'unavailable'
  | 'bad_gateway'
  | 'insufficient_storage';

export abstract class AppError extends Error {
  abstract readonly code: ErrorCode;
  constructor(
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class BadRequest extends AppError {
  readonly code = 'bad_request';
}
export class Unauthenticated extends AppError {
  readonly code = 'unauthenticated';
}
export class Forbidden extends AppError {
  readonly code = 'forbidden';
}
export class NotFound extends AppError {
  readonly code = 'not_found';
}
export class Conflict extends AppError {
  readonly code = 'conflict';
}
export class PayloadTooLarge extends AppError {
  readonly code = 'payload_too_large';
}
export class UnsupportedMediaType extends AppError {
  readonly code = 'unsupported_media_type';
}
export class QuotaExceeded extends AppError {
  readonly code = 'quota_exceeded';
}
export class Unavailable extends AppError {
  readonly code = 'unavailable';
}
/** Another node this one relies on answered with something this node refuses (a tampered blob, a form it does not read). */
export class BadGateway extends AppError {
  readonly code = 'bad_gateway';
}
/** The node has no room left to store what the request sends (a blob store is full). */
export class InsufficientStorage extends AppError {
  readonly code = 'insufficient_storage';
}
