/**
 * Provider-neutral model interfaces. Only the language model so far; embedding and rerank models follow.
 *
 * @example
 * ```ts
 * import { collectStream, estimateTokens, type LanguageModel } from './models/index.js';
 * ```
 */
export {
  collectStream,
  estimateTokens,
  type CallOptions,
  type ChatMessage,
  type ContinuationScore,
  type FinishReason,
  type GenerateRequest,
  type GenerateResult,
  type LanguageModel,
  type ScoreRequest,
  type StreamEvent,
  type TokenLogprob,
  type Usage,
} from './language-model.js';
