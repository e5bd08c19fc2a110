/**
 * The provider-neutral embedding-model specification (version `v1`). A provider is a factory that returns a plain
 * object implementing {@link EmbeddingModel}; indexing and dense retrieval depend only on this file. Query and
 * passage prefixes (e5's `"query: "`, bge's retrieval instruction …) are the implementation's business: callers say
 * which `kind` of text they embed and never prepend anything themselves.
 */
import { RalmError, type RalmErrorCode } from '../core/errors.js';

/**
 * What a text is, for models that embed queries and passages differently.
 *
 * @example
 * ```ts
 * const kind: EmbeddingKind = 'query';
 * ```
 */
export type EmbeddingKind = 'query' | 'passage';

/**
 * Per-call options of {@link EmbeddingModel.embed}.
 *
 * @example
 * ```ts
 * const options: EmbedOptions = { kind: 'passage', signal: AbortSignal.timeout(30_000) };
 * ```
 */
export interface EmbedOptions {
  /** `'query'` for search queries, `'passage'` for indexed text. */
  kind: EmbeddingKind;
  /** Cancels the call; the model stops promptly and rejects with a RalmError of code `ABORTED`. */
  signal?: AbortSignal;
}

/**
 * An embedding model, version `v1` of the specification. Implementations are plain objects made by a provider
 * factory (`createOnnxEmbedder`, `createOpenAICompatibleEmbedder`, `createLsaEmbedder`); methods must not rely on
 * `this` being bound. `embed` returns one vector per text, in the order of the texts, each of length `dimensions`,
 * finite and (for neural models) non-zero; it rejects with a RalmError (`PROVIDER`, `AUTH`, `TIMEOUT`, `ABORTED`,
 * `INVALID_ARGUMENT` …).
 *
 * @example
 * ```ts
 * const model: EmbeddingModel = await createOnnxEmbedder({ model: 'Xenova/all-MiniLM-L6-v2' });
 * const [query] = await model.embed(['what is bm25?'], { kind: 'query' });
 * const passages = await model.embed(chunks.map((c) => c.text), { kind: 'passage' });
 * await model.close?.();
 * ```
 */
export interface EmbeddingModel {
  readonly specificationVersion: 'v1';
  /** Provider name, e.g. `onnx`, `openai-compatible`, `lsa`. */
  readonly provider: string;
  /** The model as the provider names it (a Hugging Face id, a folder name, an API model name). */
  readonly modelId: string;
  /** Length of every vector. An HTTP model without a configured dimension reports 0 until its first answer. */
  readonly dimensions: number;
  /** Longest input in tokens; longer texts are truncated (local models) or refused (some servers). */
  readonly maxTokens?: number;
  /** The text prepended to queries, when the model uses one (part of a cache key: changing it re-embeds). */
  readonly queryPrefix?: string;
  /** The text prepended to passages, when the model uses one. */
  readonly passagePrefix?: string;
  /** One vector per text, in order. */
  embed(texts: readonly string[], options: EmbedOptions): Promise<Float32Array[]>;
  /** Releases threads, sessions and sockets; idempotent. Models without resources omit it. */
  close?(): Promise<void>;
}

/**
 * Options of {@link validateEmbeddings}.
 *
 * @example
 * ```ts
 * const options: ValidateEmbeddingsOptions = { count: 3, dimensions: 384, source: 'POST http://127.0.0.1:8080/v1/embeddings' };
 * ```
 */
export interface ValidateEmbeddingsOptions {
  /** The number of vectors expected (one per input text). */
  count: number;
  /** The length every vector must have; omitted: the first vector's length, which then all must share. */
  dimensions?: number;
  /** Where the vectors came from, for the message (a URL, a model id). */
  source: string;
  /** Accept all-zero vectors (LSA gives one for a text with no known term). Default false. */
  allowZero?: boolean;
  /** The error code: `PROVIDER` (default) for a model's answer, `INVALID_ARGUMENT` for vectors a caller supplied. */
  code?: Extract<RalmErrorCode, 'PROVIDER' | 'INVALID_ARGUMENT'>;
}

/**
 * Checks a batch of embeddings: the count, every vector's length, no NaN or infinite component, no all-zero vector
 * (unless allowed). Throws a RalmError naming the index of the first bad vector and what is wrong with it; returns
 * the vectors unchanged otherwise.
 *
 * @example
 * ```ts
 * validateEmbeddings([new Float32Array([0.6, 0.8])], { count: 1, dimensions: 2, source: 'my-model' }); // ok
 * validateEmbeddings([new Float32Array([NaN, 1])], { count: 1, source: 'my-model' });
 * // throws PROVIDER: "my-model returned an invalid embedding at index 0: component 0 is NaN"
 * ```
 */
export function validateEmbeddings(vectors: readonly Float32Array[], options: ValidateEmbeddingsOptions): Float32Array[] {
  const code = options.code ?? 'PROVIDER';
  const bad = (index: number, why: string) =>
    new RalmError(code, `${options.source} returned an invalid embedding at index ${index}: ${why}`, code === 'PROVIDER' ? { isRetryable: false } : {});
  if (vectors.length !== options.count) {
    throw new RalmError(code, `${options.source} returned ${vectors.length} embeddings for ${options.count} texts`, code === 'PROVIDER' ? { isRetryable: false } : {});
  }
  const dimensions = options.dimensions ?? vectors[0]?.length;
  for (let i = 0; i < vectors.length; i++) {
    const v = vectors[i];
    if (!(v instanceof Float32Array)) throw bad(i, `expected a Float32Array, got ${v === null ? 'null' : typeof v}`);
    if (v.length !== dimensions) throw bad(i, `${v.length} dimensions, expected ${dimensions}`);
    let zero = true;
    for (let j = 0; j < v.length; j++) {
      const x = v[j]!;
      if (Number.isNaN(x)) throw bad(i, `component ${j} is NaN`);
      if (!Number.isFinite(x)) throw bad(i, `component ${j} is ${x}`);
      if (x !== 0) zero = false;
    }
    if (zero && !options.allowZero) throw bad(i, 'the vector is all zeros');
  }
  return vectors as Float32Array[];
}

/**
 * Checks the `texts` argument of {@link EmbeddingModel.embed} and its `kind`; throws `INVALID_ARGUMENT` naming the
 * first bad entry. For implementations.
 *
 * @example
 * ```ts
 * checkEmbedArguments(['a', 'b'], { kind: 'passage' }); // ok
 * checkEmbedArguments(['a', 3 as unknown as string], { kind: 'passage' }); // throws: texts[1] is a number
 * ```
 */
export function checkEmbedArguments(texts: readonly string[], options: EmbedOptions): void {
  if (!Array.isArray(texts)) throw new RalmError('INVALID_ARGUMENT', `embed expects an array of strings; got ${typeof texts}`);
  for (let i = 0; i < texts.length; i++) {
    if (typeof texts[i] !== 'string') throw new RalmError('INVALID_ARGUMENT', `embed expects strings; texts[${i}] is ${texts[i] === null ? 'null' : typeof texts[i]}`);
  }
  if (!options || (options.kind !== 'query' && options.kind !== 'passage')) {
    throw new RalmError('INVALID_ARGUMENT', `embed needs options.kind "query" or "passage"; got ${JSON.stringify(options?.kind)}`);
  }
}
