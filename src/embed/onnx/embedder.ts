/**
 * ONNX embeddings through transformers.js (`@huggingface/transformers`, loaded lazily) in a pool of worker threads.
 */
import { availableParallelism } from 'node:os';
import { RalmError } from '../../core/errors.js';
import { checkEmbedArguments, validateEmbeddings, type EmbeddingModel, type EmbedOptions } from '../../models/embedding-model.js';
import { resolvePrefixes } from '../prefixes.js';
import { defaultPooling, localHiddenSize, readLocalPoolingConfig, readRemotePoolingConfig, resolveModelSource, type PoolingConfig } from './config.js';
import { defaultWorkerCount, startRunner, type WorkerIsolation } from './pool.js';
import { loadTransformers } from './runtime.js';

/**
 * Options of {@link createOnnxEmbedder}; unset values come from the model's files, then {@link onnxEmbedderDefaults}.
 *
 * @example
 * ```ts
 * const options: OnnxEmbedderOptions = { model: 'Xenova/bge-small-zh-v1.5', dtype: 'q8', workers: 2 };
 * ```
 */
export interface OnnxEmbedderOptions {
  /**
   * A Hugging Face model id in the transformers.js layout (downloaded when online, through transformers.js's normal
   * remote loading and cache) or a local folder holding config.json, tokenizer.json, tokenizer_config.json and
   * onnx/model.onnx (onnx/model_quantized.onnx for dtype "q8").
   */
  model: string;
  /** Token pooling; default: the sentence-transformers config (modules.json / 1_Pooling), else cls for bge, else mean. */
  pooling?: 'mean' | 'cls';
  /** L2-normalise vectors; default: whether modules.json has a Normalize module, else true. */
  normalize?: boolean;
  /** Texts per ONNX run. */
  batchSize?: number;
  /** Truncation length in tokens; default the tokenizer's `model_max_length` (capped by `max_position_embeddings`). */
  maxTokens?: number;
  /** Prepended to queries; default by model family (see `defaultEmbeddingPrefixes`). */
  queryPrefix?: string;
  /** Prepended to passages; default by model family. */
  passagePrefix?: string;
  /** Weights to load: fp32 (`onnx/model.onnx`) or 8-bit quantised (`onnx/model_quantized.onnx`). */
  dtype?: 'fp32' | 'q8';
  /** Workers (child processes by default); 0 runs in the calling thread. Default min(2, cores). */
  workers?: number;
  /** `'process'` (default) or `'thread'` (worker threads: at most one with onnxruntime-node 1.21; see `WorkerIsolation`). */
  isolation?: WorkerIsolation;
}

/**
 * Defaults of {@link createOnnxEmbedder} and `createOnnxReranker`.
 *
 * @example
 * ```ts
 * onnxEmbedderDefaults.batchSize; // 32
 * ```
 */
export const onnxEmbedderDefaults = {
  batchSize: 32,
  dtype: 'fp32' as 'fp32' | 'q8',
};

/**
 * An ONNX {@link EmbeddingModel} with its resolved settings; `close()` terminates its worker threads.
 *
 * @example
 * ```ts
 * const model: OnnxEmbedder = await createOnnxEmbedder({ model: './models/all-MiniLM-L6-v2' });
 * console.log(model.pooling, model.normalize, model.workers); // 'mean' true 2
 * ```
 */
export interface OnnxEmbedder extends EmbeddingModel {
  readonly provider: 'onnx';
  readonly pooling: 'mean' | 'cls';
  readonly normalize: boolean;
  readonly maxTokens: number;
  readonly queryPrefix: string;
  readonly passagePrefix: string;
  /** Workers in use (0: the calling thread). */
  readonly workers: number;
  close(): Promise<void>;
}

/** Checks an optional positive integer option. */
export function positiveInteger(name: string, value: number | undefined, minimum = 1): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < minimum) throw new RalmError('INVALID_ARGUMENT', `${name} must be an integer ≥ ${minimum}; got ${value}`);
  return value;
}

/** Checks and defaults the `workers` option. */
export function workerCount(value: number | undefined): number {
  const n = positiveInteger('workers', value, 0) ?? defaultWorkerCount();
  const cores = availableParallelism();
  if (n > 4 * cores) throw new RalmError('INVALID_ARGUMENT', `workers must be at most ${4 * cores} (4 × ${cores} cores); got ${n}`);
  return n;
}

/** Checks the `isolation` option. */
export function checkIsolation(value: string | undefined): WorkerIsolation {
  const isolation = value ?? 'process';
  if (isolation !== 'process' && isolation !== 'thread') throw new RalmError('INVALID_ARGUMENT', `isolation must be "process" or "thread"; got ${JSON.stringify(value)}`);
  return isolation;
}

/** Checks the `dtype` option. */
export function checkDtype(value: string | undefined): 'fp32' | 'q8' {
  const dtype = value ?? onnxEmbedderDefaults.dtype;
  if (dtype !== 'fp32' && dtype !== 'q8') throw new RalmError('INVALID_ARGUMENT', `dtype must be "fp32" or "q8"; got ${JSON.stringify(value)}`);
  return dtype;
}

/**
 * Creates an {@link EmbeddingModel} that runs a transformers.js ONNX model (BERT-like: `last_hidden_state` pooled
 * by masked mean or [CLS], optionally L2-normalised) in `workers` worker processes (or threads, see `isolation`): texts are split into batches of
 * `batchSize`, dispatched round-robin, and returned in input order. Query/passage prefixes are added inside.
 * Rejects with `UNSUPPORTED` when `@huggingface/transformers` is not installed, `NOT_FOUND` listing the missing
 * files of a local folder, `PROVIDER` when the model cannot be loaded.
 *
 * @example
 * ```ts
 * const model = await createOnnxEmbedder({ model: 'Xenova/all-MiniLM-L6-v2', dtype: 'q8' });
 * const vectors = await model.embed(['BM25 is a ranking function.'], { kind: 'passage' });
 * vectors[0].length; // 384
 * await model.close();
 * ```
 */
export async function createOnnxEmbedder(options: OnnxEmbedderOptions): Promise<OnnxEmbedder> {
  if (!options || typeof options !== 'object') throw new RalmError('INVALID_ARGUMENT', 'createOnnxEmbedder needs options: { model }');
  const dtype = checkDtype(options.dtype);
  const batchSize = positiveInteger('batchSize', options.batchSize) ?? onnxEmbedderDefaults.batchSize;
  const maxTokens = positiveInteger('maxTokens', options.maxTokens);
  const workers = workerCount(options.workers);
  if (options.pooling !== undefined && options.pooling !== 'mean' && options.pooling !== 'cls') {
    throw new RalmError('INVALID_ARGUMENT', `pooling must be "mean" or "cls"; got ${JSON.stringify(options.pooling)}`);
  }
  const source = resolveModelSource(options.model, dtype);
  const transformers = await loadTransformers();

  let found: PoolingConfig = {};
  if (options.pooling === undefined || options.normalize === undefined) {
    if (source.local) found = readLocalPoolingConfig(source.model);
    else if (transformers.env.allowRemoteModels) {
      const base = `${transformers.env.remoteHost.replace(/\/?$/, '/')}${transformers.env.remotePathTemplate.replaceAll('{model}', source.model).replaceAll('{revision}', 'main')}`;
      found = await readRemotePoolingConfig(base.replace(/\/?$/, '/'));
    }
  }
  const fallback = defaultPooling(source.name);
  const pooling = options.pooling ?? found.pooling ?? fallback.pooling;
  const normalize = options.normalize ?? found.normalize ?? fallback.normalize;
  const { queryPrefix, passagePrefix } = resolvePrefixes(source.name, options);

  const runner = await startRunner({ model: source.model, local: source.local, task: 'embed', dtype, pooling, normalize, ...(maxTokens ? { maxTokens } : {}) }, workers, checkIsolation(options.isolation));
  let dimensions = runner.info.hiddenSize || (source.local ? localHiddenSize(source.model) : 0);
  const modelId = options.model;
  const label = `ONNX model ${modelId}`;
  let closed = false;

  const embed = async (texts: readonly string[], call: EmbedOptions): Promise<Float32Array[]> => {
    checkEmbedArguments(texts, call);
    if (closed) throw new RalmError('CLOSED', `${label} was closed`);
    if (call.signal?.aborted) throw new RalmError('ABORTED', 'the embedding call was aborted', { cause: call.signal.reason });
    if (texts.length === 0) return [];
    const prefix = call.kind === 'query' ? queryPrefix : passagePrefix;
    const prefixed = prefix ? texts.map((t) => prefix + t) : [...texts];
    const batches: Promise<{ data: Float32Array; dimensions: number }>[] = [];
    for (let start = 0; start < prefixed.length; start += batchSize) batches.push(runner.embed(prefixed.slice(start, start + batchSize), call.signal));
    const results = await Promise.all(batches);
    if (dimensions === 0) dimensions = results[0]!.dimensions;
    const vectors: Float32Array[] = [];
    for (const { data, dimensions: d } of results) {
      for (let offset = 0; offset < data.length; offset += d) vectors.push(data.slice(offset, offset + d));
    }
    return validateEmbeddings(vectors, { count: texts.length, dimensions, source: label });
  };

  return {
    specificationVersion: 'v1',
    provider: 'onnx',
    modelId,
    get dimensions() {
      return dimensions;
    },
    maxTokens: runner.info.maxTokens,
    queryPrefix,
    passagePrefix,
    pooling,
    normalize,
    workers: runner.workers,
    embed,
    async close() {
      closed = true;
      await runner.close();
    },
  };
}
