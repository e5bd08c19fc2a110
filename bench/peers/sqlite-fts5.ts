/** SQLite FTS5 through better-sqlite3, fed pre-analyzed text; ranked by FTS5's built-in bm25(). */
import { join } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import type { Peer, PeerFactory, PeerHit } from './types.js';
import { packageVersion } from './versions.js';

/** ASCII punctuation kept inside tokens, so that an analyzed term is never split again (quotes excluded). */
const tokenChars = "!#$%&()*+,-./:;<=>?@[\\]^_`{|}~";

/** An FTS5 query string: OR of the quoted analyzed terms. */
export function fts5OrQuery(terms: readonly string[]): string {
  return terms.map((t) => `"${t.replace(/"/g, '""')}"`).join(' OR ');
}

export const createSqlitePeer: PeerFactory = async (context) => {
  const { default: Database } = await import('better-sqlite3');
  const file = join(context.workDir, 'fts5.sqlite');
  const db = new Database(file);
  const sqliteVersion = (db.prepare('select sqlite_version() as v').get() as { v: string }).v;
  let bodies: string[] = [];
  let ids: string[] = [];
  let searchStatement: BetterSqlite3.Statement<[string, number], { row: number; rank: number }> | undefined;
  const peer: Peer = {
    name: 'SQLite FTS5',
    version: `better-sqlite3 ${packageVersion('better-sqlite3')}, SQLite ${sqliteVersion}`,
    notes: [
      'bm25() with FTS5\'s fixed k1 = 1.2, b = 0.75 (not settable)',
      `contentless table (content=''), tokenize = unicode61 with ASCII punctuation as token characters, fed the analyzer's terms joined by spaces; analysis is done before the index clock (reported separately)`,
      'query: OR of the quoted analyzed terms (query analysis is inside the search time), ORDER BY rank LIMIT 100',
      'on disk (one temp file, one transaction, default journal and synchronous=FULL, i.e. durable at commit)',
    ],
    prepare(docs) {
      ids = docs.map((d) => d.id);
      bodies = docs.map((d) => context.analyze(`${d.title} ${d.text}`).join(' '));
    },
    index() {
      db.exec(`CREATE VIRTUAL TABLE docs USING fts5(body, content='', tokenize="unicode61 remove_diacritics 0 tokenchars '${tokenChars}'")`);
      const insert = db.prepare('INSERT INTO docs(rowid, body) VALUES (?, ?)');
      db.transaction(() => {
        for (let i = 0; i < bodies.length; i++) insert.run(i + 1, bodies[i]);
      })();
      bodies = [];
      searchStatement = db.prepare<[string, number], { row: number; rank: number }>('SELECT rowid AS row, rank FROM docs WHERE docs MATCH ? ORDER BY rank LIMIT ?');
    },
    search(query, k): PeerHit[] {
      const terms = context.analyze(query);
      if (!terms.length || !searchStatement) return [];
      const rows = searchStatement.all(fts5OrQuery(terms), k);
      // bm25() is negative (lower is better); report the usual positive score.
      return rows.map((r) => ({ id: ids[r.row - 1], score: -r.rank }));
    },
    close() {
      db.close();
    },
  };
  return peer;
};
