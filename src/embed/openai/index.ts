/**
 * The OpenAI-compatible `/embeddings` provider.
 *
 * @example
 * ```ts
 * import { createOpenAICompatibleEmbedder } from './embed/openai/index.js';
 * const model = createOpenAICompatibleEmbedder({ baseURL: 'http://127.0.0.1:11434/v1', model: 'nomic-embed-text' });
 * ```
 */
export {
  createOpenAICompatibleEmbedder,
  openAICompatibleEmbedderDefaults,
  type OpenAICompatibleEmbedderOptions,
} from './embedder.js';
