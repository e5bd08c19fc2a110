/**
 * Turns a collection database back into what store versions before 5 wrote: a row in `chunks` for every chunk (the
 * whole-document chunks of `chunk_runs` become rows) and no `chunk_runs` table. Tests of migrations and of readers of
 * older files start from a collection made by this build, then call this before setting an older version number.
 */
import type Database from 'better-sqlite3';

export function writeRunsAsChunkRows(db: Database.Database): void {
  const texts = db.prepare('SELECT r.first_chunkno + d.docno - r.first_docno AS chunkno, d.docno AS docno, d.text AS text FROM chunk_runs r JOIN documents d ON d.docno >= r.first_docno AND d.docno < r.first_docno + r.count').all() as Array<{ chunkno: number; docno: number; text: string }>;
  const insert = db.prepare('INSERT INTO chunks (chunkno, docno, ordinal, start, end) VALUES (?, ?, 0, 0, ?)');
  db.transaction(() => {
    for (const { chunkno, docno, text } of texts) insert.run(chunkno, docno, text.length);
    db.exec('DROP TABLE chunk_runs');
  })();
}
