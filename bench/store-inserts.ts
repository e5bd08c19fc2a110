/**
 * The storage floor of ralm's index time: inserting every document and chunk row of a corpus into the collection's
 * SQLite schema (the store's own DDL and INSERT statements, one transaction, WAL, synchronous=FULL), without any
 * analysis or index building, and variants (multi-row INSERTs, a larger page cache, fewer secondary indexes).
 * Compare with the `index s` column of bench/results/bm25-peers.md.
 *
 *   npx vite-node bench/store-inserts.ts [wordnet|scifact]
 */
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DocumentStore, STORE_FILE } from '../src/store/index.js';
import { loadCorpus, type CorpusName } from './corpora.js';

const name = (process.argv.slice(2).find((a) => a !== '--') ?? 'wordnet') as CorpusName;
const docs = loadCorpus(name).docs;
const hashes = docs.map((d) => createHash('sha256').update(`${d.title}\0${d.text}`).digest('base64url'));

/** The schema of a new collection, as the store creates it. */
function schema(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ralm-schema-'));
  try {
    DocumentStore.open(dir, { create: true }).close();
    const db = new Database(join(dir, STORE_FILE), { readonly: true });
    const sql = (db.prepare("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY rowid").pluck().all() as string[]).join(';\n');
    db.close();
    return sql;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const DDL = schema();
/** The page cache the store gives its connections (`PAGE_CACHE_KIB` in src/store/store.ts). */
const STORE_CACHE_KIB = 32 * 1024;

function run(label: string, options: { cacheKiB?: number; batch?: number; dropIndexes?: string[]; oldIndexes?: boolean; pageSize?: number; noChunks?: boolean } = {}): number {
  const dir = mkdtempSync(join(tmpdir(), 'ralm-inserts-'));
  const db = new Database(join(dir, 'c.sqlite'));
  if (options.pageSize) db.pragma(`page_size = ${options.pageSize}`);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma(`cache_size = -${options.cacheKiB ?? STORE_CACHE_KIB}`);
  db.exec(DDL);
  for (const index of options.dropIndexes ?? []) db.exec(`DROP INDEX ${index}`);
  // the two indexes of store versions 1–3 that version 4 dropped
  if (options.oldIndexes) db.exec('CREATE INDEX documents_added_seq ON documents (added_seq); CREATE INDEX documents_live_docno ON documents (docno, id) WHERE deleted_seq IS NULL');
  const batch = options.batch ?? 1;
  const document = db.prepare(`INSERT INTO documents (docno, id, title, text, metadata, hash, added_seq) VALUES ${Array(batch).fill('(?, ?, ?, ?, ?, ?, ?)').join(',')}`);
  const chunk = db.prepare(`INSERT INTO chunks (chunkno, docno, ordinal, start, end, headings, page, duplicate_of) VALUES ${Array(batch).fill('(?, ?, ?, ?, ?, ?, ?, ?)').join(',')}`);
  const t = performance.now();
  db.transaction(() => {
    const a: unknown[] = [];
    const c: unknown[] = [];
    for (let i = 0; i + batch <= docs.length; i += batch) {
      a.length = 0;
      c.length = 0;
      for (let j = i; j < i + batch; j++) {
        const d = docs[j]!;
        a.push(j + 1, d.id, d.title, d.text, '{}', hashes[j], 1);
        c.push(j + 1, j + 1, 0, 0, d.text.length, null, null, null);
      }
      document.run(a);
      if (!options.noChunks) chunk.run(c);
    }
  }).immediate();
  const seconds = (performance.now() - t) / 1000;
  db.close();
  rmSync(dir, { recursive: true, force: true });
  console.log(`  ${label.padEnd(58)} ${seconds.toFixed(2)} s`);
  return seconds;
}

console.log(`${name}: ${docs.length.toLocaleString('en-US')} documents, one chunk each; best of 3 interleaved rounds`);
const variants: Array<[string, Parameters<typeof run>[1]]> = [
  ['one row per INSERT, store version 3 indexes (the store until 2026-11-21)', { oldIndexes: true }],
  ['32 rows per INSERT, store version 3 indexes', { batch: 32, oldIndexes: true }],
  ['32 rows per INSERT, a chunk row per document (store version 4)', { batch: 32 }],
  ['32 rows per INSERT, 64 MB page cache', { batch: 32, cacheKiB: 65536 }],
  ['32 rows per INSERT, 16 KiB pages', { batch: 32, pageSize: 16384 }],
  ['32 rows per INSERT, documents only: whole-document chunks in one run (the store since version 5)', { batch: 32, noChunks: true }],
];
// rounds interleave the variants, so a slow phase of a shared machine does not fall on one variant only
const times = variants.map(() => [] as number[]);
for (let round = 0; round < 3; round++) variants.forEach(([label, options], v) => times[v]!.push(run(label, options)));
const reference = Math.min(...times[5]!);
variants.forEach(([label], v) => {
  const best = Math.min(...times[v]!);
  console.log(`  → ${label}: best ${best.toFixed(2)} s (${(best / reference).toFixed(2)}× the store's)`);
});
