/** wink-bm25-text-search: one field of weight 1, ralm's analyzer as the only prep task. */
import { createRequire } from 'node:module';
import type { Peer, PeerFactory, PeerHit } from './types.js';
import { packageVersion } from './versions.js';

/** The part of wink-bm25-text-search's (untyped) API used here. */
interface WinkBm25 {
  defineConfig(config: { fldWeights: Record<string, number>; bm25Params?: { k1?: number; b?: number; k?: number } }): boolean;
  definePrepTasks(tasks: Array<(input: string) => string[]>, field?: string): number;
  addDoc(doc: Record<string, string>, id: string): number;
  consolidate(fp?: number): boolean;
  search(text: string, limit?: number): Array<[string, number]>;
}

export const createWinkPeer: PeerFactory = async (context) => {
  const require = createRequire(import.meta.url);
  const factory = require('wink-bm25-text-search') as () => WinkBm25;
  const engine = factory();
  engine.defineConfig({ fldWeights: { body: 1 }, bm25Params: { k1: context.k1, b: context.b, k: 1 } });
  engine.definePrepTasks([(text) => context.analyze(text)]);
  const peer: Peer = {
    name: 'wink-bm25-text-search',
    version: packageVersion('wink-bm25-text-search'),
    notes: [
      `bm25Params = { k1: ${context.k1}, b: ${context.b}, k: 1 } (k = 1 gives Lucene's idf log(1 + (N − n + 0.5)/(n + 0.5)))`,
      'fldWeights = { body: 1 }, prep task = ralm analyzer; consolidate() (4-digit score precision) is part of index time; in memory',
    ],
    index(docs) {
      for (const d of docs) engine.addDoc({ body: `${d.title} ${d.text}` }, d.id);
      engine.consolidate();
    },
    search(query, k): PeerHit[] {
      return engine.search(query, k).map(([id, score]) => ({ id, score }));
    },
  };
  return peer;
};
