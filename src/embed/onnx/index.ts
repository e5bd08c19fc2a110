/**
 * ONNX embedders and rerankers through transformers.js, in worker processes (or threads).
 *
 * @example
 * ```ts
 * import { createOnnxEmbedder, createOnnxReranker } from './embed/onnx/index.js';
 * const embedder = await createOnnxEmbedder({ model: 'Xenova/all-MiniLM-L6-v2' });
 * ```
 */
export { createOnnxEmbedder, onnxEmbedderDefaults, type OnnxEmbedder, type OnnxEmbedderOptions } from './embedder.js';
export { createOnnxReranker, type OnnxReranker, type OnnxRerankerOptions } from './reranker.js';
export { poolHiddenStates, onnxSessionOptions } from './runtime.js';
export { defaultPooling, poolingFromSentenceTransformers, type PoolingConfig } from './config.js';
export { type WorkerIsolation } from './pool.js';
