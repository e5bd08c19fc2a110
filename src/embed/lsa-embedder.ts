/**
 * An {@link EmbeddingModel} over a fitted {@link LsaModel}: texts are analyzed and folded into the LSA space.
 */
import { RalmError } from '../core/errors.js';
import { checkEmbedArguments, validateEmbeddings, type EmbeddingModel, type EmbedOptions } from '../models/embedding-model.js';
import type { LsaModel } from './lsa.js';

/**
 * Something that turns text into terms the way the LSA model's vocabulary was built (an `Analyzer` from
 * `analysis/`).
 *
 * @example
 * ```ts
 * const analyzer: TextAnalyzer = { analyze: (text) => text.toLowerCase().split(/\W+/).filter(Boolean) };
 * ```
 */
export interface TextAnalyzer {
  analyze(text: string): string[];
}

/**
 * Adapts an {@link LsaModel} to the {@link EmbeddingModel} spec. Queries and passages are both folded in with
 * `projectQuery` (the model stores no average document length for BM25 document weighting), so vectors are unit
 * length, or all zeros for a text none of whose terms is in the vocabulary. Embedding runs synchronously in the
 * calling thread (a sparse fold-in per text).
 *
 * @example
 * ```ts
 * const model = fitLsa({ matrix, vocabulary, idf, dimensions: 128 });
 * const embedder = createLsaEmbedder(model, getAnalyzer('english'));
 * const [vector] = await embedder.embed(['dense retrieval'], { kind: 'query' });
 * ```
 */
export function createLsaEmbedder(model: LsaModel, analyzer: TextAnalyzer): EmbeddingModel {
  const modelId = `lsa-${model.dimensions}d-${model.weighting}-${model.scaling}-seed${model.seed}-${model.vocabulary.length}terms`;
  return {
    specificationVersion: 'v1',
    provider: 'lsa',
    modelId,
    dimensions: model.dimensions,
    queryPrefix: '',
    passagePrefix: '',
    async embed(texts: readonly string[], options: EmbedOptions): Promise<Float32Array[]> {
      checkEmbedArguments(texts, options);
      if (options.signal?.aborted) throw new RalmError('ABORTED', 'the embedding call was aborted', { cause: options.signal.reason });
      const vectors = texts.map((text) => model.projectQuery(analyzer.analyze(text)));
      return validateEmbeddings(vectors, { count: texts.length, dimensions: model.dimensions, source: modelId, allowZero: true });
    },
  };
}
