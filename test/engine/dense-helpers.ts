/** Shared pieces of the dense collection tests: a deterministic in-process embedding model and small corpora. */
import type { EmbeddingModel } from '../../src/models/index.js';
import { serverVector } from '../helpers/embeddings-server.js';

/**
 * A model of the custom provider `fake` whose vector of a text is the loopback embeddings server's (SHA-256 based,
 * unit length): the same text always gets the same vector, a query equal to a chunk's text finds that chunk first.
 * `texts` records every text it was asked to embed; `zeroFor` makes it answer all zeros for matching texts.
 */
export function fakeModel(options: { dimensions?: number; modelId?: string; zeroFor?: RegExp } = {}): EmbeddingModel & { texts: string[] } {
  const dimensions = options.dimensions ?? 16;
  const texts: string[] = [];
  return {
    specificationVersion: 'v1',
    provider: 'fake',
    modelId: options.modelId ?? 'hash',
    dimensions,
    queryPrefix: '',
    passagePrefix: '',
    texts,
    async embed(input) {
      texts.push(...input);
      return input.map((text) => (options.zeroFor?.test(text) ? new Float32Array(dimensions) : Float32Array.from(serverVector(text, dimensions))));
    },
  };
}

/** `count` documents with distinct texts, every `rareEvery`-th in metadata group "rare", the others "common". */
export function documents(prefix: string, count: number, rareEvery = 20) {
  return Array.from({ length: count }, (_, i) => ({
    id: `${prefix}-${i}`,
    text: `${prefix} document number ${i} about topic ${i % 7} with words ${(i * 7919) % 1000}`,
    metadata: { group: i % rareEvery === 0 ? 'rare' : 'common', n: i },
  }));
}
