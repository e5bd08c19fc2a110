/**
 * HTTP plumbing of the OpenAI-compatible embedder: retry delays (exponential backoff with jitter, `Retry-After`),
 * an abortable sleep, error mapping and a concurrency limiter. It mirrors the chat provider's `http.ts`
 * (`generate/providers/openai/`), which `embed/` may not import; the third user of the same logic should move it
 * under `models/`.
 */
import { RalmError } from '../../core/errors.js';

/** An ABORTED RalmError for `what`. */
export function abortedError(signal: AbortSignal | undefined, what = 'the request'): RalmError {
  return new RalmError('ABORTED', `${what} was aborted`, { cause: signal?.reason, isRetryable: false });
}

/** Sleeps `ms`, rejecting with `ABORTED` as soon as `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortedError(signal));
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortedError(signal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Delay before retry number `attempt` (0-based): base·2^attempt capped at `max`, with "equal jitter" (½ to 1×). */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** attempt);
  return ceiling / 2 + (ceiling / 2) * random();
}

/** The delay a response asks for: `retry-after-ms`, else `Retry-After` as seconds or an HTTP date; undefined if absent. */
export function retryAfterMs(headers: Headers, now: number = Date.now()): number | undefined {
  const ms = headers.get('retry-after-ms');
  if (ms !== null && ms.trim() !== '' && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const value = headers.get('retry-after');
  if (value === null || value.trim() === '') return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(value)) return Math.max(0, Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The server's error message from an OpenAI-shaped (`{error:{message}}`), Ollama (`{error:"…"}`) or plain body. */
function errorMessage(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: unknown; message?: unknown; detail?: unknown };
    if (typeof body?.error === 'string') return body.error;
    if (body?.error && typeof body.error === 'object' && typeof (body.error as { message?: unknown }).message === 'string') {
      return (body.error as { message: string }).message;
    }
    if (typeof body?.message === 'string') return body.message;
    if (typeof body?.detail === 'string') return body.detail;
  } catch {
    // not JSON
  }
  const trimmed = text.trim();
  return trimmed === '' ? '(no error message)' : trimmed.length > 300 ? `${trimmed.slice(0, 300)}…` : trimmed;
}

/** The RalmError for a non-2xx response: `AUTH` for 401/403, else `PROVIDER`, with `statusCode` and `isRetryable`. */
export function httpError(url: string, status: number, statusText: string, bodyText: string): RalmError {
  const head = `POST ${url} failed with HTTP ${status}${statusText ? ` ${statusText}` : ''}: ${errorMessage(bodyText)}`;
  if (status === 401 || status === 403) {
    return new RalmError('AUTH', `${head}; check the API key (apiKey option, RALM_API_KEY or OPENAI_API_KEY)`, { statusCode: status, isRetryable: false });
  }
  return new RalmError('PROVIDER', head, { statusCode: status, isRetryable: status === 429 || status >= 500 });
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
      const grant = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        const i = this.waiting.indexOf(grant);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(abortedError(signal));
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
      if (next) next();
      else this.active--;
    };
  }
}
