/**
 * Local GGUF models through the optional node-llama-cpp package.
 *
 * @example
 * ```ts
 * import { createLlamaCpp } from './generate/providers/llama/index.js';
 * const model = await createLlamaCpp({ modelPath: 'model.gguf' });
 * ```
 */
export { createLlamaCpp, importNodeLlamaCpp, type LlamaCppOptions, type LlamaLanguageModel } from './provider.js';
export { assertGgufFile, ggufMagic } from './gguf.js';
