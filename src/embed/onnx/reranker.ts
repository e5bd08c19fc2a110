/**
 * ONNX cross-encoder reranking through transformers.js (loaded lazily), in the same worker pool as the embedder.
 */
import { RalmError } from '../../core/errors.js';
import type { RerankModel, RerankOptions } from '../../models/rerank-model.js';
import { resolveModelSource } from './config.js';
import { checkDtype, checkIsolation, onnxEmbedderDefaults, positiveInteger, workerCount } from './embedder.js';
import { startRunner, type WorkerIsolation } from './pool.js';

/**
 * Options of {@link createOnnxReranker}.
 *
 * @example
 * ```ts
 * const options: OnnxRerankerOptions = { model: 'Xenova/ms-marco-MiniLM-L-6-v2', batchSize: 16, workers: 1 };
 * ```
 */
export interface OnnxRerankerOptions {
  /** A Hugging Face id or a local folder (config.json, tokenizer.json, tokenizer_config.json, onnx/model.onnx). */
  model: string;
  /** (query, passage) pairs per ONNX run. Default 32. */
  batchSize?: number;
  /** Truncation length of a pair in tokens; default the tokenizer's `model_max_length`. */
  maxTokens?: number;
  dtype?: 'fp32' | 'q8';
  /** Workers (child processes by default); 0 runs in the calling thread. Default min(2, cores). */
  workers?: number;
  /** `'process'` (default) or `'thread'` (worker threads: at most one with onnxruntime-node 1.21; see `WorkerIsolation`). */
  isolation?: WorkerIsolation;
}

/**
 * An ONNX {@link RerankModel}; `close()` terminates its worker threads.
 *
 * @example
 * ```ts
 * const reranker: OnnxReranker = await createOnnxReranker({ model: './models/ms-marco-MiniLM-L-6-v2' });
 * await reranker.close();
 * ```
 */
export interface OnnxReranker extends RerankModel {
  readonly provider: 'onnx';
  readonly maxTokens: number;
  readonly workers: number;
  close(): Promise<void>;
}

/**
 * Creates a {@link RerankModel} from a BERT-style cross-encoder (sequence classification): each pair is encoded as
 * `[CLS] query [SEP] passage [SEP]` (token types 0/1), and the score is the model's logit (with several labels,
 * the last label's logit). Batches of `batchSize` pairs are dispatched round-robin to the worker threads; scores
 * come back in passage order.
 *
 * @example
 * ```ts
 * const reranker = await createOnnxReranker({ model: 'Xenova/ms-marco-MiniLM-L-6-v2' });
 * const scores = await reranker.rerank('what is bm25', ['BM25 ranks documents…', 'The Eiffel tower…']);
 * await reranker.close();
 * ```
 */
export async function createOnnxReranker(options: OnnxRerankerOptions): Promise<OnnxReranker> {
  if (!options || typeof options !== 'object') throw new RalmError('INVALID_ARGUMENT', 'createOnnxReranker needs options: { model }');
  const dtype = checkDtype(options.dtype);
  const batchSize = positiveInteger('batchSize', options.batchSize) ?? onnxEmbedderDefaults.batchSize;
  const maxTokens = positiveInteger('maxTokens', options.maxTokens);
  const workers = workerCount(options.workers);
  const source = resolveModelSource(options.model, dtype);
  const runner = await startRunner(
    { model: source.model, local: source.local, task: 'rerank', dtype, pooling: 'cls', normalize: false, ...(maxTokens ? { maxTokens } : {}) },
    workers,
    checkIsolation(options.isolation),
  );
  let closed = false;
  const label = `ONNX reranker ${options.model}`;

  const rerank = async (query: string, passages: readonly string[], call: RerankOptions = {}): Promise<number[]> => {
    if (typeof query !== 'string') throw new RalmError('INVALID_ARGUMENT', `rerank expects a query string; got ${typeof query}`);
    if (!Array.isArray(passages)) throw new RalmError('INVALID_ARGUMENT', 'rerank expects an array of passages');
    passages.forEach((p, i) => {
      if (typeof p !== 'string') throw new RalmError('INVALID_ARGUMENT', `rerank expects strings; passages[${i}] is ${typeof p}`);
    });
    if (closed) throw new RalmError('CLOSED', `${label} was closed`);
    if (call.signal?.aborted) throw new RalmError('ABORTED', 'the rerank call was aborted', { cause: call.signal.reason });
    const batches: Promise<Float32Array>[] = [];
    for (let start = 0; start < passages.length; start += batchSize) batches.push(runner.score(query, passages.slice(start, start + batchSize), call.signal));
    const scores: number[] = [];
    for (const batch of await Promise.all(batches)) scores.push(...batch);
    scores.forEach((s, i) => {
      if (!Number.isFinite(s)) throw new RalmError('PROVIDER', `${label} returned a non-finite score at index ${i}: ${s}`, { isRetryable: false });
    });
    return scores;
  };

  return {
    specificationVersion: 'v1',
    provider: 'onnx',
    modelId: options.model,
    maxTokens: runner.info.maxTokens,
    workers: runner.workers,
    rerank,
    async close() {
      closed = true;
      await runner.close();
    },
  };
}
