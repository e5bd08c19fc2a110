/**
 * HTTP errors: one JSON shape, `{ error: { code, message } }` on the ralm API and OpenAI's
 * `{ error: { message, type, param, code } }` on `/v1/*`, with a status derived from the RalmError code.
 */
import { RalmError } from '../core/errors.js';

/** An error with an HTTP status and a stable code (snake_case on `/v1`, upper-case elsewhere). */
export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly headers?: Record<string, string>;
  constructor(status: number, code: string, message: string, headers?: Record<string, string>) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.code = code;
    if (headers) this.headers = headers;
  }
}

const STATUS: Record<string, number> = {
  INVALID_ARGUMENT: 400,
  PARSE: 400,
  EMPTY_QUERY: 400,
  ANALYZER_MISMATCH: 400,
  CONTEXT_OVERFLOW: 400,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  LOCKED: 409,
  UNSUPPORTED: 400,
  READ_ONLY: 403,
  CLOSED: 503,
  ABORTED: 499,
  PROVIDER: 502,
  AUTH: 502,
  TIMEOUT: 504,
};

/** Converts anything thrown by a handler into an HttpError (unknown errors are 500 without internals). */
export function toHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  if (RalmError.is(error)) return new HttpError(STATUS[error.code] ?? 500, error.code, error.message);
  return new HttpError(500, 'INTERNAL', 'internal server error');
}

/** The OpenAI `type` of a status. */
export function openAiErrorType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

/** The JSON body of an error, in the ralm or the OpenAI shape. */
export function errorBody(error: HttpError, openAi: boolean): Record<string, unknown> {
  if (openAi) return { error: { message: error.message, type: openAiErrorType(error.status), param: null, code: error.code.toLowerCase() } };
  return { error: { code: error.code, message: error.message } };
}
