import { englishAnalyzer } from '../../src/analysis/registry.js';
import { createCachedEmbedder, createMemoryEmbeddingCacheStore } from '../../src/embed/cache.js';
import { fitLsa, inverseDocumentFrequencies, weightTermDocumentMatrix, type SparseMatrix } from '../../src/embed/lsa.js';
import { createLsaEmbedder } from '../../src/embed/lsa-embedder.js';
import { createOnnxEmbedder } from '../../src/embed/onnx/index.js';
import { createOpenAICompatibleEmbedder } from '../../src/embed/openai/index.js';
import { startEmbeddingsServer } from '../helpers/embeddings-server.js';
import { writeTinyModel } from '../helpers/onnx-models.js';
import { sharedPath } from '../helpers/shared.js';
import { CONTRACT_TEXTS, embeddingModelContract } from './embedding-model.contract.js';

/** An LSA model fitted on the contract texts plus a few more documents. */
function lsaModel() {
  const documents = [
    ...CONTRACT_TEXTS,
    'ranking functions for document retrieval',
    'dense vectors for passages and queries',
    'the okapi system and its scores',
  ].map((d) => englishAnalyzer.analyze(d));
  const vocabulary = [...new Set(documents.flat())].sort();
  const column = new Map(vocabulary.map((t, i) => [t, i]));
  const indptr = [0];
  const indices: number[] = [];
  const values: number[] = [];
  for (const document of documents) {
    const counts = new Map<number, number>();
    for (const term of document) counts.set(column.get(term)!, (counts.get(column.get(term)!) ?? 0) + 1);
    for (const [c, n] of [...counts].sort((a, b) => a[0] - b[0])) {
      indices.push(c);
      values.push(n);
    }
    indptr.push(indices.length);
  }
  const counts: SparseMatrix = { rows: documents.length, columns: vocabulary.length, indptr, indices, values };
  const idf = inverseDocumentFrequencies(counts);
  return fitLsa({ matrix: weightTermDocumentMatrix(counts, { idf }), vocabulary, idf, dimensions: 4, seed: 3 });
}

embeddingModelContract('lsa adapter', async () => ({ model: createLsaEmbedder(lsaModel(), englishAnalyzer) }));

embeddingModelContract('cached lsa', async () => ({ model: createCachedEmbedder(createLsaEmbedder(lsaModel(), englishAnalyzer), createMemoryEmbeddingCacheStore()) }));

embeddingModelContract('openai-compatible (loopback /v1/embeddings)', async () => {
  const server = await startEmbeddingsServer({ dimensions: 16 });
  return {
    model: createOpenAICompatibleEmbedder({ baseURL: server.baseURL, model: 'test-embedding', env: {}, batchSize: 3, retryDelayMs: 1 }),
    teardown: () => server.close(),
  };
});

const tokenizerFolder = sharedPath('models', 'all-MiniLM-L6-v2');
if (tokenizerFolder) {
  for (const workers of [0, 2]) {
    embeddingModelContract(`onnx tiny BERT (workers: ${workers})`, async () => {
      const folder = writeTinyModel(tokenizerFolder);
      const model = await createOnnxEmbedder({ model: folder.path, workers, batchSize: 3 });
      return {
        model,
        teardown: async () => {
          await model.close();
          folder.remove();
        },
      };
    });
  }
}
