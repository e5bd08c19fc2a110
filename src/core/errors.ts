/**
 * The one error hierarchy of ralm. Every error a user can cause carries a stable `code`,
 * a message that names the bad value (file, line, option) and the fix or the valid choices,
 * and optionally the underlying `cause`.
 *
 * @example
 * ```ts
 * try { await openCollection({ path: 'missing' }); }
 * catch (e) { if (e instanceof RalmError && e.code === 'NOT_FOUND') console.error(e.message); }
 * ```
 */
export type RalmErrorCode =
  | 'INVALID_ARGUMENT' // a bad option or argument value
  | 'NOT_FOUND' // a file, folder, collection or document that does not exist
  | 'ALREADY_EXISTS'
  | 'PARSE' // malformed input data (JSON, JSONL, TSV, run file …); names file and line
  | 'UNSUPPORTED' // an unknown file type, format or feature
  | 'FORMAT' // a persisted structure that is not what it claims to be
  | 'FORMAT_VERSION' // a persisted structure of a version this build cannot read
  | 'CHECKSUM' // a persisted structure whose checksum does not match
  | 'ANALYZER_MISMATCH' // an index used with an analyzer other than the one it was built with
  | 'EMPTY_QUERY' // a query with no searchable term after analysis
  | 'LOCKED' // a collection held by another writer
  | 'READ_ONLY' // a write on a collection opened read-only
  | 'CLOSED' // use after close()
  | 'IO'
  | 'PROVIDER' // a model provider's HTTP/API failure; see `statusCode` and `isRetryable`
  | 'TIMEOUT' // a model provider that did not answer within its time limit
  | 'ABORTED' // an operation cancelled through its AbortSignal
  | 'CONTEXT_OVERFLOW' // a prompt longer than the model's context window
  | 'AUTH'; // a provider that refused the credentials (HTTP 401/403)

export interface RalmErrorOptions {
  cause?: unknown;
  /** The file the error is about, when there is one. */
  file?: string;
  /** 1-based line number inside `file`, when there is one. */
  line?: number;
  /** HTTP status of a failed provider request, when there is one. */
  statusCode?: number;
  /** Whether repeating the same request may succeed (rate limits, server errors, network failures). */
  isRetryable?: boolean;
}

export class RalmError extends Error {
  readonly code: RalmErrorCode;
  readonly file?: string;
  readonly line?: number;
  readonly statusCode?: number;
  readonly isRetryable?: boolean;

  constructor(code: RalmErrorCode, message: string, options: RalmErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RalmError';
    this.code = code;
    if (options.file !== undefined) this.file = options.file;
    if (options.line !== undefined) this.line = options.line;
    if (options.statusCode !== undefined) this.statusCode = options.statusCode;
    if (options.isRetryable !== undefined) this.isRetryable = options.isRetryable;
  }

  /** True for any value that is a RalmError (also across module copies). */
  static is(value: unknown): value is RalmError {
    return value instanceof RalmError || (value instanceof Error && value.name === 'RalmError' && 'code' in value);
  }
}
