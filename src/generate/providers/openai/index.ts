/**
 * The OpenAI-compatible chat-completions provider (OpenAI, Ollama, vLLM, llama.cpp server, LM Studio).
 *
 * @example
 * ```ts
 * import { createOpenAICompatible } from './generate/providers/openai/index.js';
 * const model = createOpenAICompatible({ baseURL: 'http://127.0.0.1:11434/v1', model: 'llama3.2' });
 * ```
 */
export { createOpenAICompatible, openAICompatibleDefaults, type OpenAICompatibleOptions } from './provider.js';
