/**
 * HTTP plumbing of the OpenAI-compatible provider: turning failed responses and thrown fetch errors into RalmErrors,
 * retry delays (exponential backoff with jitter, `Retry-After`), an abortable sleep, a per-attempt idle timer and a
 * concurrency limiter. Internal to the provider.
 */
import { RalmError } from '../core/errors.js';

/** The reason an attempt's own controller is aborted with when its idle timer fires. */
export class AttemptTimeout extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no response within ${timeoutMs} ms`);
    this.name = 'AttemptTimeout';
  }
}

/**
 * One request attempt's signal: aborted by the caller's signal or by an idle timer of `timeoutMs` that `touch()`
 * restarts (called when the response starts and on every stream chunk). `dispose()` clears the timer.
 */
export interface Attempt {
  signal: AbortSignal;
  touch(): void;
  abort(): void;
  dispose(): void;
  timedOut(): boolean;
}

export function startAttempt(timeoutMs: number, callerSignal: AbortSignal | undefined): Attempt {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  const arm = () => {
    if (timer) clearTimeout(timer);
    if (Number.isFinite(timeoutMs) && timeoutMs <= 2_147_483_647) {
      timer = setTimeout(() => {
        timedOut = true;
        controller.abort(new AttemptTimeout(timeoutMs));
      }, timeoutMs);
    }
  };
  arm();
  const signal = callerSignal ? AbortSignal.any([callerSignal, controller.signal]) : controller.signal;
  return {
    signal,
    touch: arm,
    abort: () => controller.abort(),
    dispose: () => {
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
    timedOut: () => timedOut,
  };
}

/** Sleeps `ms`, rejecting with `ABORTED` as soon as `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortedError(signal));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortedError(signal!));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export function abortedError(signal: AbortSignal | undefined, what = 'the request'): RalmError {
  return new RalmError('ABORTED', `${what} was aborted`, { cause: signal?.reason, isRetryable: false });
}

/** Delay before retry number `attempt` (0-based): base·2^attempt capped at `max`, with "equal jitter" (½ to 1×). */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** attempt);
  return ceiling / 2 + (ceiling / 2) * random();
}

/**
 * The delay a response asks for: `retry-after-ms` (OpenAI), else `Retry-After` as seconds or an HTTP date.
 * `undefined` when absent or unreadable.
 */
export function retryAfterMs(headers: Headers, now: number = Date.now()): number | undefined {
  const ms = headers.get('retry-after-ms');
  if (ms !== null && ms.trim() !== '' && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const value = headers.get('retry-after');
  if (value === null || value.trim() === '') return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(value)) return Math.max(0, Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Whether an HTTP status is worth retrying: rate limits and server errors. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

const CONTEXT_MESSAGE = /context (length|window|size)|maximum context|too many tokens|prompt is too long|exceeds? the (available )?context/i;

/** The server's error message, type and code from an OpenAI-shaped (`{error:{message,type,code}}`) or other body. */
export function parseErrorBody(text: string): { message?: string; type?: string; code?: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    const trimmed = text.trim();
    return trimmed ? { message: trimmed.length > 300 ? `${trimmed.slice(0, 300)}…` : trimmed } : {};
  }
  const body = json as { error?: unknown; message?: unknown; detail?: unknown };
  if (body && typeof body === 'object') {
    if (typeof body.error === 'string') return { message: body.error }; // Ollama: {"error":"…"}
    if (body.error && typeof body.error === 'object') {
      const e = body.error as { message?: unknown; type?: unknown; code?: unknown };
      return {
        message: typeof e.message === 'string' ? e.message : undefined,
        type: typeof e.type === 'string' ? e.type : undefined,
        code: typeof e.code === 'string' || typeof e.code === 'number' ? String(e.code) : undefined,
      };
    }
    if (typeof body.message === 'string') return { message: body.message };
    if (typeof body.detail === 'string') return { message: body.detail };
  }
  return { message: text.slice(0, 300) };
}

/**
 * The RalmError for a non-2xx response: `AUTH` for 401/403 (naming the key variables), `CONTEXT_OVERFLOW` for a
 * context-length 400/413, else `PROVIDER`; always with `statusCode`, `isRetryable`, the URL, the status and the
 * server's message.
 */
export function httpError(url: string, status: number, statusText: string, bodyText: string): RalmError {
  const { message, type, code } = parseErrorBody(bodyText);
  const detail = [message ?? '(no error message)', type || code ? `(${[type, code].filter(Boolean).join(', ')})` : '']
    .filter(Boolean)
    .join(' ');
  const head = `POST ${url} failed with HTTP ${status}${statusText ? ` ${statusText}` : ''}: ${detail}`;
  if (status === 401 || status === 403) {
    return new RalmError('AUTH', `${head}; check the API key (RALM_API_KEY / OPENAI_API_KEY)`, { statusCode: status, isRetryable: false });
  }
  if ((status === 400 || status === 413) && (code === 'context_length_exceeded' || CONTEXT_MESSAGE.test(message ?? '') || type === 'exceed_context_size_error')) {
    return new RalmError('CONTEXT_OVERFLOW', `${head}; the prompt is longer than the model's context window: pack fewer passages or lower the answer budget`, {
      statusCode: status,
      isRetryable: false,
    });
  }
  return new RalmError('PROVIDER', head, { statusCode: status, isRetryable: isRetryableStatus(status) });
}

/** The RalmError for an exception thrown by `fetch` or a body read: aborted, timed out, or a network failure. */
export function fetchError(url: string, error: unknown, attempt: Attempt, callerSignal: AbortSignal | undefined, phase: 'connect' | 'read'): RalmError {
  if (RalmError.is(error)) return error;
  if (callerSignal?.aborted) return abortedError(callerSignal, `POST ${url}`);
  if (attempt.timedOut()) {
    const reason = attempt.signal.reason as AttemptTimeout | undefined;
    const ms = reason instanceof AttemptTimeout ? reason.timeoutMs : undefined;
    return new RalmError(
      'TIMEOUT',
      `POST ${url} timed out: no ${phase === 'connect' ? 'response' : 'data'} within ${ms ?? '?'} ms (raise timeoutMs for slow models)`,
      { cause: error, isRetryable: false },
    );
  }
  const reason = networkReason(error);
  if (phase === 'read') {
    return new RalmError('PROVIDER', `the connection to ${url} failed while reading the response: ${reason}`, { cause: error, isRetryable: true });
  }
  return new RalmError('PROVIDER', `cannot reach ${url}: ${reason}`, { cause: error, isRetryable: true });
}

function networkReason(error: unknown): string {
  const seen = new Set<unknown>();
  let e: unknown = error;
  while (e && typeof e === 'object' && !seen.has(e)) {
    seen.add(e);
    const obj = e as { code?: unknown; errors?: unknown[]; cause?: unknown };
    if (typeof obj.code === 'string' && obj.code !== 'UND_ERR_SOCKET' && /^E[A-Z]+/.test(obj.code)) return obj.code;
    if (Array.isArray(obj.errors) && obj.errors.length > 0) {
      const codes = obj.errors.map((x) => (x as { code?: unknown }).code).filter((c): c is string => typeof c === 'string');
      if (codes.length > 0) return [...new Set(codes)].join(', ');
    }
    e = obj.cause;
  }
  return error instanceof Error ? error.message : String(error);
}

/** A counting semaphore: at most `limit` holders; waiting can be aborted. */
export class Limiter {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  async acquire(signal: AbortSignal | undefined): Promise<() => void> {
    if (this.active < this.limit) {
      this.active++;
      return this.releaser();
    }
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        const i = this.waiting.indexOf(grant);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(abortedError(signal));
      };
      const grant = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(grant);
    });
    return this.releaser();
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next(); // the slot passes straight to the next waiter
      else this.active--;
    };
  }
}
