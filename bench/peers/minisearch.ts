/** MiniSearch: one combined field, ralm's analyzer as `tokenize` with an identity `processTerm`, OR, plain BM25. */
import type { Peer, PeerFactory, PeerHit } from './types.js';
import { packageVersion } from './versions.js';

export const createMiniSearchPeer: PeerFactory = async (context) => {
  const { default: MiniSearch } = await import('minisearch');
  const engine = new MiniSearch<{ id: string; body: string }>({
    fields: ['body'],
    idField: 'id',
    storeFields: [],
    tokenize: (text) => context.analyze(text),
    processTerm: (term) => term,
    searchOptions: {
      combineWith: 'OR',
      prefix: false,
      fuzzy: false,
      // MiniSearch scores with BM25+; d = 0 turns the lower bound off, leaving plain BM25.
      bm25: { k: context.k1, b: context.b, d: 0 },
    },
  });
  const peer: Peer = {
    name: 'MiniSearch',
    version: packageVersion('minisearch'),
    notes: [
      `searchOptions.bm25 = { k: ${context.k1}, b: ${context.b}, d: 0 } (d = 0: plain BM25 instead of MiniSearch's default BM25+ with d = 0.5)`,
      'tokenize = ralm analyzer, processTerm = identity, combineWith OR, no prefix/fuzzy; in memory',
      'search() returns every match sorted; the top 100 are sliced from it (MiniSearch has no limit option)',
    ],
    index(docs) {
      engine.addAll(docs.map((d) => ({ id: d.id, body: `${d.title} ${d.text}` })));
    },
    search(query, k): PeerHit[] {
      const results = engine.search(query);
      const hits: PeerHit[] = new Array(Math.min(k, results.length));
      for (let i = 0; i < hits.length; i++) hits[i] = { id: String(results[i].id), score: results[i].score };
      return hits;
    },
  };
  return peer;
};
