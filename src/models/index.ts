/**
 * Provider-neutral model interfaces: language models, embedding models and rerank models.
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
export {
  validateEmbeddings,
  checkEmbedArguments,
  type EmbeddingKind,
  type EmbedOptions,
  type EmbeddingModel,
  type ValidateEmbeddingsOptions,
} from './embedding-model.js';
export { type RerankModel, type RerankOptions } from './rerank-model.js';
