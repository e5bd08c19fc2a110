/**
 * The OpenAI-compatible chat-completions provider: one implementation for every server that speaks
 * `POST {baseURL}/chat/completions` (OpenAI, Ollama, vLLM, llama.cpp's `llama-server`, LM Studio …). Plain `fetch`,
 * no SDK.
 */
import { RalmError } from '../../../core/errors.js';
import type {
  CallOptions,
  ChatMessage,
  FinishReason,
  GenerateRequest,
  GenerateResult,
  LanguageModel,
  StreamEvent,
  TokenLogprob,
  Usage,
} from '../../../models/language-model.js';
import { abortedError, backoffDelay, fetchError, httpError, Limiter, retryAfterMs, sleep, startAttempt, type Attempt } from '../../../models/http.js';
import { readSseEvents } from './sse.js';

/**
 * Options of {@link createOpenAICompatible}; unset values come from {@link openAICompatibleDefaults}.
 *
 * @example
 * ```ts
 * const options: OpenAICompatibleOptions = { baseURL: 'http://127.0.0.1:8080/v1', model: 'qwen2.5-7b-instruct', timeoutMs: 120_000 };
 * ```
 */
export interface OpenAICompatibleOptions {
  /** The API root including its version, e.g. `https://api.openai.com/v1` or `http://127.0.0.1:11434/v1`. */
  baseURL: string;
  /** Sent as `Authorization: Bearer …`; defaults to `RALM_API_KEY`, else `OPENAI_API_KEY`; none for local servers. */
  apiKey?: string;
  /** The model name the server expects. */
  model: string;
  /** Extra headers on every request. */
  headers?: Record<string, string>;
  /** A `fetch` implementation (tests, proxies); defaults to the global one. */
  fetch?: typeof globalThis.fetch;
  /** Longest wait for the server, in ms: for the response to start and between two stream chunks. */
  timeoutMs?: number;
  /** Retries after the first attempt on HTTP 429, 5xx and network failures (never on other 4xx, timeouts, aborts). */
  maxRetries?: number;
  /** Most requests in flight at once from this model object. */
  concurrency?: number;
  /** Backoff before the first retry in ms; doubles per retry (with jitter) up to `maxRetryDelayMs`. */
  retryDelayMs?: number;
  /** Longest backoff in ms, also the cap on a server's `Retry-After`. */
  maxRetryDelayMs?: number;
  /** The model's context window in tokens, when known (used for prompt budgets). */
  contextLength?: number;
  /** Where API keys are looked up; defaults to `process.env`. */
  env?: Record<string, string | undefined>;
}

/**
 * Defaults of {@link createOpenAICompatible}.
 *
 * @example
 * ```ts
 * openAICompatibleDefaults.timeoutMs; // 60000
 * ```
 */
export const openAICompatibleDefaults = {
  timeoutMs: 60_000,
  maxRetries: 3,
  concurrency: Infinity,
  retryDelayMs: 500,
  maxRetryDelayMs: 30_000,
} as const;

/** The wire form of a request body (the fields ralm sends). */
interface ChatCompletionBody {
  model: string;
  messages: ChatMessage[];
  max_tokens?: number;
  temperature?: number;
  stop?: string[];
  logprobs?: boolean;
  top_logprobs?: number;
  stream?: boolean;
  stream_options?: { include_usage: boolean };
}

/**
 * Creates a {@link LanguageModel} that talks to an OpenAI-compatible `/chat/completions` endpoint. `generate` sends a
 * plain JSON request; `stream` sends `stream: true` with `stream_options.include_usage` and reads the SSE chunks.
 * Requests are retried with exponential backoff and jitter on 429, 5xx and network failures (honouring
 * `Retry-After` / `retry-after-ms`), never on other 4xx; a stream is retried only before its body starts.
 *
 * @example
 * ```ts
 * const model = createOpenAICompatible({ baseURL: 'https://api.openai.com/v1', model: 'gpt-4o-mini' }); // key from RALM_API_KEY / OPENAI_API_KEY
 * const { text, usage } = await model.generate({ messages: [{ role: 'user', content: 'Say hi' }], maxTokens: 16 });
 * for await (const event of model.stream({ messages: [{ role: 'user', content: 'Count to 3' }] })) {
 *   if (event.type === 'text-delta') process.stdout.write(event.text);
 * }
 * ```
 */
export function createOpenAICompatible(options: OpenAICompatibleOptions): LanguageModel {
  if (!options || typeof options.baseURL !== 'string' || options.baseURL.trim() === '') {
    throw new RalmError('INVALID_ARGUMENT', 'createOpenAICompatible needs baseURL, e.g. "https://api.openai.com/v1" or "http://127.0.0.1:11434/v1"');
  }
  let base: URL;
  try {
    base = new URL(options.baseURL);
  } catch (cause) {
    throw new RalmError('INVALID_ARGUMENT', `baseURL "${options.baseURL}" is not a URL; use e.g. "http://127.0.0.1:8080/v1"`, { cause });
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') {
    throw new RalmError('INVALID_ARGUMENT', `baseURL "${options.baseURL}" must be http:// or https://`);
  }
  if (typeof options.model !== 'string' || options.model === '') {
    throw new RalmError('INVALID_ARGUMENT', 'createOpenAICompatible needs model, the model name the server expects (e.g. "gpt-4o-mini", "llama3.2")');
  }
  const url = `${options.baseURL.replace(/\/+$/, '')}/chat/completions`;
  const env = options.env ?? process.env;
  const apiKey = options.apiKey ?? (env.RALM_API_KEY || undefined) ?? (env.OPENAI_API_KEY || undefined);
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const timeoutMs = positive('timeoutMs', options.timeoutMs ?? openAICompatibleDefaults.timeoutMs);
  const maxRetries = nonNegativeInteger('maxRetries', options.maxRetries ?? openAICompatibleDefaults.maxRetries);
  const concurrency = positive('concurrency', options.concurrency ?? openAICompatibleDefaults.concurrency);
  const retryDelayMs = nonNegative('retryDelayMs', options.retryDelayMs ?? openAICompatibleDefaults.retryDelayMs);
  const maxRetryDelayMs = nonNegative('maxRetryDelayMs', options.maxRetryDelayMs ?? openAICompatibleDefaults.maxRetryDelayMs);
  const limiter = new Limiter(concurrency);

  const body = (request: GenerateRequest, stream: boolean): ChatCompletionBody => {
    if (!request || !Array.isArray(request.messages) || request.messages.length === 0) {
      throw new RalmError('INVALID_ARGUMENT', 'a generate request needs at least one message ({ role, content })');
    }
    const b: ChatCompletionBody = { model: options.model, messages: request.messages.map((m) => ({ role: m.role, content: m.content })) };
    if (request.maxTokens !== undefined) b.max_tokens = request.maxTokens;
    if (request.temperature !== undefined) b.temperature = request.temperature;
    if (request.stop !== undefined && request.stop.length > 0) b.stop = request.stop;
    if (request.logprobs) {
      b.logprobs = true;
      if (request.topLogprobs !== undefined && request.topLogprobs > 0) b.top_logprobs = request.topLogprobs;
    }
    if (stream) {
      b.stream = true;
      b.stream_options = { include_usage: true };
    }
    return b;
  };

  /** Sends the request with retries; resolves with a 2xx response whose attempt is still live (the caller disposes it). */
  const send = async (payload: ChatCompletionBody, call: CallOptions): Promise<{ response: Response; attempt: Attempt }> => {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: payload.stream ? 'text/event-stream' : 'application/json',
      ...options.headers,
      ...call.headers,
    };
    if (apiKey) headers.authorization = `Bearer ${apiKey}`;
    const json = JSON.stringify(payload);
    for (let retry = 0; ; retry++) {
      if (call.signal?.aborted) throw abortedError(call.signal, `POST ${url}`);
      const attempt = startAttempt(timeoutMs, call.signal);
      let failure: RalmError;
      let delay: number | undefined;
      try {
        const response = await fetchImpl(url, { method: 'POST', headers, body: json, signal: attempt.signal });
        attempt.touch();
        if (response.ok) return { response, attempt };
        const text = await response.text().catch(() => '');
        failure = httpError(url, response.status, response.statusText, text);
        delay = retryAfterMs(response.headers);
      } catch (error) {
        failure = fetchError(url, error, attempt, call.signal, 'connect');
      }
      attempt.dispose();
      if (!failure.isRetryable || retry >= maxRetries) throw withAttempts(failure, retry + 1);
      await sleep(delay !== undefined ? Math.min(delay, maxRetryDelayMs) : backoffDelay(retry, retryDelayMs, maxRetryDelayMs), call.signal);
    }
  };

  const generate = async (request: GenerateRequest, call: CallOptions = {}): Promise<GenerateResult> => {
    const payload = body(request, false);
    const release = await limiter.acquire(call.signal);
    try {
      const { response, attempt } = await send(payload, call);
      let text: string;
      try {
        text = await response.text();
      } catch (error) {
        throw fetchError(url, error, attempt, call.signal, 'read');
      } finally {
        attempt.dispose();
      }
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (cause) {
        throw new RalmError('PARSE', `POST ${url} returned invalid JSON: ${text.slice(0, 200)}`, { cause });
      }
      return parseCompletion(url, json);
    } finally {
      release();
    }
  };

  async function* streamEvents(request: GenerateRequest, call: CallOptions): AsyncGenerator<StreamEvent> {
    const payload = body(request, true);
    const release = await limiter.acquire(call.signal);
    let attempt: Attempt | undefined;
    try {
      const sent = await send(payload, call);
      attempt = sent.attempt;
      const live = attempt;
      if (!sent.response.body) throw new RalmError('PROVIDER', `POST ${url} returned an empty body for a streaming request`, { isRetryable: true });
      let finishReason: FinishReason | undefined;
      let done = false;
      let characters = 0;
      const usage: Usage = {};
      try {
        for await (const event of readSseEvents(sent.response.body, () => live.touch())) {
          if (event.data.trim() === '[DONE]') {
            done = true;
            break;
          }
          let chunk: ChatCompletionChunk;
          try {
            chunk = JSON.parse(event.data) as ChatCompletionChunk;
          } catch (cause) {
            throw new RalmError('PARSE', `malformed JSON in the stream from ${url} at line ${event.line}: ${clip(event.data)}`, {
              cause,
              line: event.line,
              isRetryable: false,
            });
          }
          if (chunk && typeof chunk === 'object' && 'error' in chunk && chunk.error) {
            const { message, statusCode } = streamErrorOf(chunk.error);
            throw new RalmError('PROVIDER', `the stream from ${url} reported an error at line ${event.line}: ${message}`, {
              line: event.line,
              ...(statusCode !== undefined ? { statusCode } : {}),
              isRetryable: false,
            });
          }
          if (chunk.usage) Object.assign(usage, usageOf(chunk.usage));
          const choice = chunk.choices?.[0];
          if (!choice) continue;
          const content = choice.delta?.content;
          if (typeof content === 'string' && content !== '') {
            characters += content.length;
            yield { type: 'text-delta', text: content };
          }
          const logprobs = logprobsOf(choice.logprobs);
          if (logprobs && logprobs.length > 0) yield { type: 'logprobs', logprobs };
          if (choice.finish_reason) finishReason = finishReasonOf(choice.finish_reason);
        }
      } catch (error) {
        throw fetchError(url, error, live, call.signal, 'read');
      }
      if (call.signal?.aborted) throw abortedError(call.signal, `POST ${url}`);
      if (!done && finishReason === undefined) {
        throw new RalmError(
          'PROVIDER',
          `the stream from ${url} ended without a finish reason or [DONE] after ${characters} characters; the answer is incomplete`,
          { isRetryable: true },
        );
      }
      yield { type: 'finish', finishReason: finishReason ?? 'other', usage };
    } finally {
      attempt?.abort(); // closes the connection when the consumer stops early
      attempt?.dispose();
      release();
    }
  }

  const stream = (request: GenerateRequest, call: CallOptions = {}): AsyncIterable<StreamEvent> => ({
    async *[Symbol.asyncIterator]() {
      try {
        yield* streamEvents(request, call);
      } catch (error) {
        yield { type: 'error', error: RalmError.is(error) ? error : new RalmError('PROVIDER', String(error), { cause: error }) };
      }
    },
  });

  const model: LanguageModel = {
    specificationVersion: 'v1',
    provider: 'openai-compatible',
    modelId: options.model,
    generate,
    stream,
  };
  if (options.contextLength !== undefined) (model as { contextLength?: number }).contextLength = options.contextLength;
  return model;
}

interface WireLogprobs {
  content?: Array<{ token?: unknown; logprob?: unknown; top_logprobs?: Array<{ token?: unknown; logprob?: unknown }> | null }> | null;
}

interface ChatCompletionChunk {
  choices?: Array<{ delta?: { content?: string | null }; logprobs?: WireLogprobs | null; finish_reason?: string | null }>;
  usage?: { prompt_tokens?: number; completion_tokens?: number } | null;
  error?: unknown;
}

interface ChatCompletion {
  choices?: Array<{ message?: { content?: string | null; refusal?: string | null }; logprobs?: WireLogprobs | null; finish_reason?: string | null }>;
  usage?: { prompt_tokens?: number; completion_tokens?: number } | null;
}

function parseCompletion(url: string, json: unknown): GenerateResult {
  const completion = json as ChatCompletion & { error?: unknown };
  if (!completion || typeof completion !== 'object') throw new RalmError('PARSE', `POST ${url} returned ${clip(JSON.stringify(json))}, not a chat completion`);
  if (completion.error) throw new RalmError('PROVIDER', `POST ${url} returned an error: ${streamErrorOf(completion.error).message}`, { isRetryable: false });
  const choice = completion.choices?.[0];
  if (!choice) throw new RalmError('PARSE', `POST ${url} returned a chat completion without choices: ${clip(JSON.stringify(json))}`);
  const result: GenerateResult = {
    text: choice.message?.content ?? '',
    finishReason: finishReasonOf(choice.finish_reason ?? undefined),
    usage: completion.usage ? usageOf(completion.usage) : {},
    raw: json,
  };
  const logprobs = logprobsOf(choice.logprobs);
  if (logprobs) result.logprobs = logprobs;
  return result;
}

/** Maps OpenAI's `finish_reason` to the spec's. */
function finishReasonOf(reason: string | undefined): FinishReason {
  switch (reason) {
    case 'stop':
    case 'eos': // some servers
      return 'stop';
    case 'length':
      return 'length';
    case 'content_filter':
      return 'content-filter';
    case 'error':
      return 'error';
    default:
      return 'other';
  }
}

function usageOf(usage: { prompt_tokens?: number; completion_tokens?: number }): Usage {
  const u: Usage = {};
  if (typeof usage.prompt_tokens === 'number') u.inputTokens = usage.prompt_tokens;
  if (typeof usage.completion_tokens === 'number') u.outputTokens = usage.completion_tokens;
  return u;
}

function logprobsOf(logprobs: WireLogprobs | null | undefined): TokenLogprob[] | undefined {
  if (!logprobs || !Array.isArray(logprobs.content)) return undefined;
  return logprobs.content.map((entry) => {
    const item: TokenLogprob = { token: String(entry.token ?? ''), logprob: Number(entry.logprob) };
    if (Array.isArray(entry.top_logprobs) && entry.top_logprobs.length > 0) {
      item.top = entry.top_logprobs.map((t) => ({ token: String(t.token ?? ''), logprob: Number(t.logprob) }));
    }
    return item;
  });
}

function streamErrorOf(error: unknown): { message: string; statusCode?: number } {
  if (typeof error === 'string') return { message: error };
  if (error && typeof error === 'object') {
    const e = error as { message?: unknown; code?: unknown; type?: unknown };
    const message = typeof e.message === 'string' ? e.message : JSON.stringify(error);
    const statusCode = typeof e.code === 'number' ? e.code : undefined;
    return statusCode !== undefined ? { message, statusCode } : { message };
  }
  return { message: String(error) };
}

function withAttempts(error: RalmError, attempts: number): RalmError {
  if (attempts <= 1) return error;
  return new RalmError(error.code, `${error.message} (after ${attempts} attempts)`, {
    cause: error.cause,
    ...(error.statusCode !== undefined ? { statusCode: error.statusCode } : {}),
    ...(error.isRetryable !== undefined ? { isRetryable: error.isRetryable } : {}),
  });
}

function clip(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

function positive(name: string, value: number): number {
  if (typeof value !== 'number' || !(value > 0)) throw new RalmError('INVALID_ARGUMENT', `${name} must be a positive number, got ${String(value)}`);
  return value;
}

function nonNegative(name: string, value: number): number {
  if (typeof value !== 'number' || !(value >= 0)) throw new RalmError('INVALID_ARGUMENT', `${name} must be a number ≥ 0, got ${String(value)}`);
  return value;
}

function nonNegativeInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0) throw new RalmError('INVALID_ARGUMENT', `${name} must be an integer ≥ 0, got ${String(value)}`);
  return value;
}
