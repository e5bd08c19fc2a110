/** Orama: one string property, ralm's analyzer as the tokenizer component, BM25 relevance parameters. */
import type { Peer, PeerFactory, PeerHit } from './types.js';
import { packageVersion } from './versions.js';

export const createOramaPeer: PeerFactory = async (context) => {
  const { create, insertMultiple, search } = await import('@orama/orama');
  const db = create({
    schema: { id: 'string', body: 'string' } as const,
    components: {
      tokenizer: {
        language: 'english',
        normalizationCache: new Map<string, string>(),
        tokenize: (raw: string) => context.analyze(raw),
      },
    },
  });
  const relevance = { k: context.k1, b: context.b, d: 0 };
  const peer: Peer = {
    name: 'Orama',
    version: packageVersion('@orama/orama'),
    notes: [
      `relevance = { k: ${context.k1}, b: ${context.b}, d: 0 } (d = 0: Orama's default is BM25+ with d = 0.5)`,
      'components.tokenizer.tokenize = ralm analyzer (index and query time); searched property: body only; in memory',
      "Orama's BM25 takes tf as count ÷ field length (a relative frequency, not a count), so k1 saturates differently than in Lucene-style BM25",
      'threshold = 1 (OR: every document with at least one term); exact = false, tolerance = 0 — Orama still expands each query term to all indexed terms it prefixes (exact = true would instead post-filter on case-sensitive whole-word matches of the raw query)',
    ],
    async index(docs) {
      await insertMultiple(db, docs.map((d) => ({ id: d.id, body: `${d.title} ${d.text}` })), 5000);
    },
    async search(query, k): Promise<PeerHit[]> {
      const result = await search(db, { term: query, properties: ['body'], limit: k, relevance, threshold: 1 });
      return result.hits.map((hit) => ({ id: String(hit.id), score: hit.score }));
    },
  };
  return peer;
};
