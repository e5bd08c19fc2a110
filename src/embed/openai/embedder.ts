/**
 * The OpenAI-compatible embeddings provider: one implementation for every server that speaks
 * `POST {baseURL}/embeddings` (OpenAI, Ollama, vLLM, llama.cpp's `llama-server --embeddings`, TEI, LM Studio …).
 * Plain `fetch`, no SDK.
 */
import { RalmError } from '../../core/errors.js';
import { checkEmbedArguments, validateEmbeddings, type EmbeddingModel, type EmbedOptions } from '../../models/embedding-model.js';
import { resolvePrefixes } from '../prefixes.js';
import { abortedError, backoffDelay, httpError, Limiter, retryAfterMs, sleep } from '../../models/http.js';

/**
 * Options of {@link createOpenAICompatibleEmbedder}; unset values come from {@link openAICompatibleEmbedderDefaults}.
 *
 * @example
 * ```ts
 * const options: OpenAICompatibleEmbedderOptions = { baseURL: 'http://127.0.0.1:11434/v1', model: 'nomic-embed-text', batchSize: 32 };
 * ```
 */
export interface OpenAICompatibleEmbedderOptions {
  /** The API root including its version, e.g. `https://api.openai.com/v1`. */
  baseURL: string;
  /** Sent as `Authorization: Bearer …`; defaults to `RALM_API_KEY`, else `OPENAI_API_KEY`; none for local servers. */
  apiKey?: string;
  /** The model name the server expects. */
  model: string;
  /**
   * The vector length. Every answer is checked against it; for `text-embedding-3-*` models it is also sent as the
   * `dimensions` request field (shortened embeddings). Unset: known OpenAI models' sizes, else the first answer's.
   */
  dimensions?: number;
  /** Texts per request (OpenAI allows up to 2048). */
  batchSize?: number;
  /** Most requests in flight at once from this model object. */
  concurrency?: number;
  /** Longest wait for one response, in ms. */
  timeoutMs?: number;
  /** Retries after the first attempt on HTTP 429, 5xx and network failures (never on other 4xx, timeouts, aborts). */
  maxRetries?: number;
  /** Backoff before the first retry in ms; doubles per retry (with jitter) up to `maxRetryDelayMs`. */
  retryDelayMs?: number;
  /** Longest backoff in ms, also the cap on a server's `Retry-After`. */
  maxRetryDelayMs?: number;
  /** Extra headers on every request. */
  headers?: Record<string, string>;
  /** A `fetch` implementation (tests, proxies); defaults to the global one. */
  fetch?: typeof globalThis.fetch;
  /** Prepended to queries; default by model family (e5, bge). */
  queryPrefix?: string;
  /** Prepended to passages; default by model family. */
  passagePrefix?: string;
  /** Where API keys are looked up; defaults to `process.env`. */
  env?: Record<string, string | undefined>;
}

/**
 * Defaults of {@link createOpenAICompatibleEmbedder}.
 *
 * @example
 * ```ts
 * openAICompatibleEmbedderDefaults.batchSize; // 64
 * ```
 */
export const openAICompatibleEmbedderDefaults = {
  batchSize: 64,
  concurrency: 2,
  timeoutMs: 60_000,
  maxRetries: 3,
  retryDelayMs: 500,
  maxRetryDelayMs: 30_000,
} as const;

/** Native sizes of OpenAI's embedding models. */
const KNOWN_DIMENSIONS: Record<string, number> = {
  'text-embedding-3-small': 1536,
  'text-embedding-3-large': 3072,
  'text-embedding-ada-002': 1536,
};

function positiveInteger(name: string, value: number, minimum = 1): number {
  if (!Number.isInteger(value) || value < minimum) throw new RalmError('INVALID_ARGUMENT', `${name} must be an integer ≥ ${minimum}; got ${value}`);
  return value;
}

function withAttempts(error: RalmError, attempts: number): RalmError {
  if (attempts <= 1) return error;
  return new RalmError(error.code, `${error.message} (after ${attempts} attempts)`, {
    cause: error.cause,
    ...(error.statusCode !== undefined ? { statusCode: error.statusCode } : {}),
    ...(error.isRetryable !== undefined ? { isRetryable: error.isRetryable } : {}),
  });
}

/**
 * Creates an {@link EmbeddingModel} that talks to an OpenAI-compatible `/embeddings` endpoint. Texts are sent in
 * batches of `batchSize` (at most `concurrency` requests in flight), each retried with exponential backoff and jitter
 * on 429, 5xx and network failures (honouring `Retry-After` / `retry-after-ms`). Every answer is validated: one
 * embedding per input, indexes 0…n−1, the expected dimension, no NaN; a body that is not JSON is a `PARSE` error
 * naming the URL.
 *
 * @example
 * ```ts
 * const model = createOpenAICompatibleEmbedder({ baseURL: 'https://api.openai.com/v1', model: 'text-embedding-3-small', dimensions: 512 });
 * const vectors = await model.embed(['BM25 is a ranking function.'], { kind: 'passage' });
 * vectors[0].length; // 512
 * ```
 */
export function createOpenAICompatibleEmbedder(options: OpenAICompatibleEmbedderOptions): EmbeddingModel {
  if (!options || typeof options.baseURL !== 'string' || options.baseURL.trim() === '') {
    throw new RalmError('INVALID_ARGUMENT', 'createOpenAICompatibleEmbedder needs baseURL, e.g. "https://api.openai.com/v1" or "http://127.0.0.1:11434/v1"');
  }
  let base: URL;
  try {
    base = new URL(options.baseURL);
  } catch (cause) {
    throw new RalmError('INVALID_ARGUMENT', `baseURL "${options.baseURL}" is not a URL; use e.g. "http://127.0.0.1:8080/v1"`, { cause });
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new RalmError('INVALID_ARGUMENT', `baseURL "${options.baseURL}" must be http:// or https://`);
  if (typeof options.model !== 'string' || options.model === '') {
    throw new RalmError('INVALID_ARGUMENT', 'createOpenAICompatibleEmbedder needs model, the model name the server expects (e.g. "text-embedding-3-small")');
  }
  const d = openAICompatibleEmbedderDefaults;
  const url = `${options.baseURL.replace(/\/+$/, '')}/embeddings`;
  const env = options.env ?? process.env;
  const apiKey = options.apiKey ?? (env.RALM_API_KEY || undefined) ?? (env.OPENAI_API_KEY || undefined);
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const batchSize = positiveInteger('batchSize', options.batchSize ?? d.batchSize);
  const concurrency = positiveInteger('concurrency', options.concurrency ?? d.concurrency);
  const timeoutMs = positiveInteger('timeoutMs', options.timeoutMs ?? d.timeoutMs);
  const maxRetries = positiveInteger('maxRetries', options.maxRetries ?? d.maxRetries, 0);
  const retryDelayMs = positiveInteger('retryDelayMs', options.retryDelayMs ?? d.retryDelayMs, 0);
  const maxRetryDelayMs = positiveInteger('maxRetryDelayMs', options.maxRetryDelayMs ?? d.maxRetryDelayMs, 0);
  if (options.dimensions !== undefined) positiveInteger('dimensions', options.dimensions);
  const sendDimensions = options.dimensions !== undefined && /^text-embedding-3/.test(options.model);
  let dimensions = options.dimensions ?? KNOWN_DIMENSIONS[options.model] ?? 0;
  const { queryPrefix, passagePrefix } = resolvePrefixes(options.model, options);
  const limiter = new Limiter(concurrency);

  /** One request with retries; resolves with the parsed JSON body. */
  const post = async (input: string[], signal: AbortSignal | undefined): Promise<unknown> => {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json', ...options.headers };
    if (apiKey) headers.authorization = `Bearer ${apiKey}`;
    const body = JSON.stringify({ model: options.model, input, encoding_format: 'float', ...(sendDimensions ? { dimensions: options.dimensions } : {}) });
    for (let retry = 0; ; retry++) {
      if (signal?.aborted) throw abortedError(signal, `POST ${url}`);
      const timeout = AbortSignal.timeout(timeoutMs);
      const attemptSignal = signal ? AbortSignal.any([signal, timeout]) : timeout;
      let failure: RalmError;
      let delay: number | undefined;
      try {
        const response = await fetchImpl(url, { method: 'POST', headers, body, signal: attemptSignal });
        const text = await response.text();
        if (response.ok) {
          try {
            return JSON.parse(text) as unknown;
          } catch (cause) {
            throw new RalmError('PARSE', `POST ${url} returned invalid JSON: ${text.length > 200 ? `${text.slice(0, 200)}…` : text}`, { cause });
          }
        }
        failure = httpError(url, response.status, response.statusText, text);
        delay = retryAfterMs(response.headers);
      } catch (error) {
        if (RalmError.is(error)) throw error;
        if (signal?.aborted) throw abortedError(signal, `POST ${url}`);
        if (timeout.aborted) {
          throw withAttempts(new RalmError('TIMEOUT', `POST ${url} timed out: no response within ${timeoutMs} ms (raise timeoutMs)`, { cause: error, isRetryable: false }), retry + 1);
        }
        const reason = (error as { cause?: { code?: string } })?.cause?.code ?? (error instanceof Error ? error.message : String(error));
        failure = new RalmError('PROVIDER', `cannot reach ${url}: ${reason}`, { cause: error, isRetryable: true });
      }
      if (!failure.isRetryable || retry >= maxRetries) throw withAttempts(failure, retry + 1);
      await sleep(delay !== undefined ? Math.min(delay, maxRetryDelayMs) : backoffDelay(retry, retryDelayMs, maxRetryDelayMs), signal);
    }
  };

  /** Reads `data[]` of an embeddings answer into vectors in input order. */
  const parse = (json: unknown, count: number): Float32Array[] => {
    const data = (json as { data?: unknown })?.data;
    if (!Array.isArray(data)) throw new RalmError('PROVIDER', `POST ${url} returned no data array (not an embeddings response)`, { isRetryable: false });
    if (data.length !== count) throw new RalmError('PROVIDER', `POST ${url} returned ${data.length} embeddings for ${count} inputs`, { isRetryable: false });
    const vectors = new Array<Float32Array | undefined>(count);
    data.forEach((item: unknown, position) => {
      const { index, embedding } = (item ?? {}) as { index?: unknown; embedding?: unknown };
      const i = index === undefined ? position : index;
      if (typeof i !== 'number' || !Number.isInteger(i) || i < 0 || i >= count || vectors[i] !== undefined) {
        throw new RalmError('PROVIDER', `POST ${url} returned an embedding with index ${JSON.stringify(index)} at position ${position}; expected each of 0…${count - 1} once`, { isRetryable: false });
      }
      if (!Array.isArray(embedding)) {
        throw new RalmError('PROVIDER', `POST ${url} returned an invalid embedding at index ${i}: expected an array of numbers (encoding_format "float")`, { isRetryable: false });
      }
      // null (JSON's rendering of NaN by some servers) becomes NaN and is reported by validateEmbeddings
      vectors[i] = Float32Array.from(embedding, (x: unknown) => (typeof x === 'number' ? x : NaN));
    });
    return vectors as Float32Array[];
  };

  const embed = async (texts: readonly string[], call: EmbedOptions): Promise<Float32Array[]> => {
    checkEmbedArguments(texts, call);
    if (call.signal?.aborted) throw abortedError(call.signal, 'the embedding call');
    if (texts.length === 0) return [];
    const prefix = call.kind === 'query' ? queryPrefix : passagePrefix;
    const batches: Promise<Float32Array[]>[] = [];
    for (let start = 0; start < texts.length; start += batchSize) {
      const input = texts.slice(start, start + batchSize).map((t) => prefix + t);
      batches.push(
        (async () => {
          const release = await limiter.acquire(call.signal);
          try {
            const vectors = parse(await post(input, call.signal), input.length);
            return validateEmbeddings(vectors, { count: input.length, dimensions: dimensions || vectors[0]!.length, source: `POST ${url}` });
          } finally {
            release();
          }
        })(),
      );
    }
    const results = (await Promise.all(batches)).flat();
    if (dimensions === 0) dimensions = results[0]!.length;
    return validateEmbeddings(results, { count: texts.length, dimensions, source: `POST ${url}` });
  };

  return {
    specificationVersion: 'v1',
    provider: 'openai-compatible',
    modelId: options.model,
    get dimensions() {
      return dimensions;
    },
    queryPrefix,
    passagePrefix,
    embed,
  };
}
