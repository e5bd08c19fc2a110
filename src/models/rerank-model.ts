/**
 * The provider-neutral rerank-model specification (version `v1`): a model that scores (query, passage) pairs
 * jointly, such as a BERT cross-encoder. `retrieve/rerank.ts` turns the scores into a reordered hit list.
 */

/**
 * Per-call options of {@link RerankModel.rerank}.
 *
 * @example
 * ```ts
 * const options: RerankOptions = { signal: AbortSignal.timeout(10_000) };
 * ```
 */
export interface RerankOptions {
  /** Cancels the call; the model rejects with a RalmError of code `ABORTED`. */
  signal?: AbortSignal;
}

/**
 * A rerank model, version `v1` of the specification. `rerank` returns one score per passage, in the order of the
 * passages; higher means more relevant. Scores are comparable within one call only (a cross-encoder's raw logit).
 *
 * @example
 * ```ts
 * const model: RerankModel = await createOnnxReranker({ model: 'Xenova/ms-marco-MiniLM-L-6-v2' });
 * const scores = await model.rerank('what is bm25?', ['BM25 is a ranking function…', 'Paris is in France.']);
 * // scores[0] > scores[1]
 * ```
 */
export interface RerankModel {
  readonly specificationVersion: 'v1';
  /** Provider name, e.g. `onnx`. */
  readonly provider: string;
  /** The model as the provider names it. */
  readonly modelId: string;
  /** Longest (query, passage) pair in tokens; longer pairs are truncated. */
  readonly maxTokens?: number;
  /** A score per passage, in order. */
  rerank(query: string, passages: readonly string[], options?: RerankOptions): Promise<number[]>;
  /** Releases threads and sessions; idempotent. */
  close?(): Promise<void>;
}
