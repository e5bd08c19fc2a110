/** LanceDB full-text search (Lance's inverted index), fed pre-analyzed text with a whitespace tokenizer. */
import type { Peer, PeerFactory, PeerHit } from './types.js';
import { packageVersion } from './versions.js';

export const createLanceDbPeer: PeerFactory = async (context) => {
  const lancedb = await import('@lancedb/lancedb');
  let rows: Array<{ id: string; text: string }> = [];
  let table: Awaited<ReturnType<Awaited<ReturnType<typeof lancedb.connect>>['createTable']>> | undefined;
  const peer: Peer = {
    name: 'LanceDB FTS',
    version: `@lancedb/lancedb ${packageVersion('@lancedb/lancedb')}, apache-arrow ${packageVersion('apache-arrow')}`,
    notes: [
      "Index.fts({ baseTokenizer: 'whitespace', lowercase/stem/removeStopWords/asciiFolding: false, withPosition: false }) on the analyzer's terms joined by spaces; analysis before the index clock (reported separately)",
      'BM25 parameters are not settable (Lance uses k1 = 1.2, b = 0.75)',
      'index time = createTable (Lance files written to a temp folder) + createIndex; query: analyzed terms joined by spaces (match query, OR), limit 100',
    ],
    prepare(docs) {
      rows = docs.map((d) => ({ id: d.id, text: context.analyze(`${d.title} ${d.text}`).join(' ') }));
    },
    async index() {
      const db = await lancedb.connect(context.workDir);
      table = await db.createTable('docs', rows, { mode: 'overwrite' });
      rows = [];
      await table.createIndex('text', {
        config: lancedb.Index.fts({
          baseTokenizer: 'whitespace',
          lowercase: false,
          stem: false,
          removeStopWords: false,
          asciiFolding: false,
          withPosition: false,
        }),
      });
    },
    async search(query, k): Promise<PeerHit[]> {
      const terms = context.analyze(query);
      if (!terms.length || !table) return [];
      const results = (await table.query().fullTextSearch(terms.join(' '), { columns: 'text' }).select(['id', '_score']).limit(k).toArray()) as Array<{
        id: string;
        _score: number;
      }>;
      return results.map((r) => ({ id: String(r.id), score: Number(r._score) }));
    },
    close() {
      table?.close();
    },
  };
  return peer;
};
