/**
 * The provider-neutral language-model specification (version `v1`). A provider is a factory that returns a plain
 * object implementing {@link LanguageModel}; everything above it (prompt packing, citations, RAG-Sequence) depends
 * only on this file. Modelled on the idea of vercel/ai's `packages/provider`: a versioned plain interface, separate
 * `generate` and `stream`, errors that are `RalmError`s carrying `statusCode` and `isRetryable`.
 */
import { RalmError } from '../core/errors.js';

/**
 * One chat message.
 *
 * @example
 * ```ts
 * const message: ChatMessage = { role: 'user', content: 'What is BM25?' };
 * ```
 */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/**
 * What to generate from. Every field but `messages` is optional; a provider ignores what its backend cannot do
 * (and documents it) rather than failing.
 *
 * @example
 * ```ts
 * const request: GenerateRequest = { messages: [{ role: 'user', content: 'Hi' }], maxTokens: 64, temperature: 0 };
 * ```
 */
export interface GenerateRequest {
  messages: ChatMessage[];
  /** Most tokens to generate. */
  maxTokens?: number;
  /** Sampling temperature; 0 is (near-)greedy. */
  temperature?: number;
  /** Sequences that end generation. */
  stop?: string[];
  /** Ask for the log-probability of each generated token. */
  logprobs?: boolean;
  /** With `logprobs`, also the `topLogprobs` most likely alternatives at each position (OpenAI allows 0–20). */
  topLogprobs?: number;
}

/**
 * Per-call options that are not part of the request itself.
 *
 * @example
 * ```ts
 * const controller = new AbortController();
 * await model.generate(request, { signal: controller.signal, headers: { 'x-trace': '1' } });
 * ```
 */
export interface CallOptions {
  /** Cancels the call; the provider stops promptly and rejects with a RalmError of code `ABORTED`. */
  signal?: AbortSignal;
  /** Extra HTTP headers for this call (HTTP providers only). */
  headers?: Record<string, string>;
}

/**
 * Why generation ended. `content-filter`: the provider withheld content; `error`: the backend reported an error
 * as the finish reason; `other`: anything else (tool calls, an unknown reason).
 *
 * @example
 * ```ts
 * if (result.finishReason === 'length') console.warn('answer truncated: raise maxTokens');
 * ```
 */
export type FinishReason = 'stop' | 'length' | 'content-filter' | 'error' | 'other';

/**
 * Token counts as the provider reports them (absent when it does not).
 *
 * @example
 * ```ts
 * const usage: Usage = { inputTokens: 812, outputTokens: 64 };
 * ```
 */
export interface Usage {
  inputTokens?: number;
  outputTokens?: number;
}

/**
 * The log-probability (natural log) of one generated token, with the most likely alternatives when asked.
 *
 * @example
 * ```ts
 * const lp: TokenLogprob = { token: ' Paris', logprob: -0.01, top: [{ token: ' Paris', logprob: -0.01 }, { token: ' Lyon', logprob: -5.2 }] };
 * ```
 */
export interface TokenLogprob {
  token: string;
  logprob: number;
  top?: Array<{ token: string; logprob: number }>;
}

/**
 * The outcome of {@link LanguageModel.generate}.
 *
 * @example
 * ```ts
 * const { text, finishReason, usage } = await model.generate({ messages });
 * ```
 */
export interface GenerateResult {
  text: string;
  finishReason: FinishReason;
  usage: Usage;
  /** One entry per generated token, when `logprobs` was asked and the backend provides them. */
  logprobs?: TokenLogprob[];
  /** The provider's raw response (for debugging; its shape is the provider's). */
  raw?: unknown;
}

/**
 * One event of {@link LanguageModel.stream}. A stream is complete only when its last event is `finish`; a failure
 * is reported as one final `error` event (a RalmError) and no `finish` follows. {@link collectStream} turns a stream
 * into a {@link GenerateResult} and throws on either.
 *
 * @example
 * ```ts
 * for await (const event of model.stream({ messages })) {
 *   if (event.type === 'text-delta') process.stdout.write(event.text);
 *   else if (event.type === 'error') throw event.error;
 * }
 * ```
 */
export type StreamEvent =
  | { type: 'text-delta'; text: string }
  | { type: 'logprobs'; logprobs: TokenLogprob[] }
  | { type: 'finish'; finishReason: FinishReason; usage: Usage }
  | { type: 'error'; error: RalmError };

/**
 * Exact log-probability of a fixed assistant continuation given the messages (teacher forcing), for backends that
 * can score a forced continuation.
 *
 * @example
 * ```ts
 * const request: ScoreRequest = { messages: [{ role: 'user', content: 'Capital of France?' }], continuation: 'Paris' };
 * ```
 */
export interface ScoreRequest {
  messages: ChatMessage[];
  continuation: string;
}

/**
 * The answer to a {@link ScoreRequest}: `logprob` = log p(continuation | messages), the sum over its tokens.
 *
 * @example
 * ```ts
 * const { logprob, tokens } = await model.scoreContinuation!(request);
 * ```
 */
export interface ContinuationScore {
  logprob: number;
  tokens: TokenLogprob[];
}

/**
 * A language model, version `v1` of the specification. Implementations are plain objects made by a provider
 * factory (e.g. `createOpenAICompatible`); methods must not rely on `this` being bound.
 *
 * @example
 * ```ts
 * const model: LanguageModel = createOpenAICompatible({ baseURL: 'http://127.0.0.1:11434/v1', model: 'llama3.2' });
 * const { text } = await model.generate({ messages: [{ role: 'user', content: 'Say hi' }], maxTokens: 16 });
 * ```
 */
export interface LanguageModel {
  readonly specificationVersion: 'v1';
  /** Provider name, e.g. `openai-compatible`, `llama.cpp`, `extractive`. */
  readonly provider: string;
  /** The model as the provider names it, e.g. `gpt-4o-mini` or a GGUF file name. */
  readonly modelId: string;
  /** Context window in tokens, when known. */
  readonly contextLength?: number;
  /** Generates a whole answer. Rejects with a RalmError (codes `PROVIDER`, `AUTH`, `TIMEOUT`, `ABORTED`, `CONTEXT_OVERFLOW` …). */
  generate(request: GenerateRequest, options?: CallOptions): Promise<GenerateResult>;
  /** Streams an answer as events; see {@link StreamEvent} for how completion and failure are signalled. */
  stream(request: GenerateRequest, options?: CallOptions): AsyncIterable<StreamEvent>;
  /** Exact token count of `text` with the model's own tokenizer, where the provider has one. */
  countTokens?(text: string): number;
  /** Exact log p(continuation | messages) by teacher forcing, where the backend can score a forced continuation. */
  scoreContinuation?(request: ScoreRequest, options?: CallOptions): Promise<ContinuationScore>;
}

/**
 * Reads a stream to its end and returns what `generate` would have: concatenated text, finish reason, usage and
 * logprobs. Throws the stream's `error` event, and throws `PROVIDER` when the stream ends without a `finish` event
 * (a truncated answer is never presented as complete).
 *
 * @example
 * ```ts
 * const result = await collectStream(model.stream({ messages }));
 * console.log(result.text, result.finishReason);
 * ```
 */
export async function collectStream(events: AsyncIterable<StreamEvent>): Promise<GenerateResult> {
  let text = '';
  let logprobs: TokenLogprob[] | undefined;
  for await (const event of events) {
    switch (event.type) {
      case 'text-delta':
        text += event.text;
        break;
      case 'logprobs':
        (logprobs ??= []).push(...event.logprobs);
        break;
      case 'error':
        throw event.error;
      case 'finish': {
        const result: GenerateResult = { text, finishReason: event.finishReason, usage: event.usage };
        if (logprobs) result.logprobs = logprobs;
        return result;
      }
    }
  }
  throw new RalmError('PROVIDER', `the stream ended without a finish event after ${text.length} characters; the answer is incomplete`, {
    isRetryable: true,
  });
}

/** Han, Hiragana, Katakana, Hangul and CJK punctuation/full-width forms: roughly one token each. */
const CJK = /[\u1100-\u11ff\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff\u3100-\u312f\u3130-\u318f\u31a0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]|[\ud840-\ud87f][\udc00-\udfff]/g;

/**
 * A tokenizer-free estimate of a text's token count for budgets: one token per CJK character (Han, kana, Hangul,
 * CJK punctuation) plus one per 4 other characters, rounded up. Real BPE tokenizers give roughly 3.5–4.5 characters
 * per token on English prose; use the model's `countTokens` when it has one.
 *
 * @example
 * ```ts
 * estimateTokens('hello world!'); // 3 (12 characters / 4)
 * estimateTokens('检索增强生成');     // 6
 * ```
 */
export function estimateTokens(text: string): number {
  if (text.length === 0) return 0;
  let cjk = 0;
  let cjkUnits = 0;
  for (const m of text.matchAll(CJK)) {
    cjk++;
    cjkUnits += m[0].length;
  }
  return cjk + Math.ceil((text.length - cjkUnits) / 4);
}
