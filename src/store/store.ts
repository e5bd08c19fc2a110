/**
 * The collection's source of truth on disk: one SQLite database (WAL mode, synchronous=FULL) holding
 * documents, their chunks, metadata, content hashes (recorded when a version is compared, see `contentHash`), a monotonically increasing change sequence, and
 * the index artifacts (serialized segments) written in the same transaction as the documents they cover.
 *
 * Documents are versioned rows: an update inserts a new row and marks the old one deleted at the
 * commit's sequence number, so a reader's snapshot stays consistent and the index can be replayed
 * from any checkpoint.
 */
import Database from 'better-sqlite3';
import * as crypto from 'node:crypto';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { RalmError } from '../core/errors.js';
import type { Metadata } from '../core/types.js';
import { checkpointThread, walSize, WAL_CHECKPOINT_BYTES, WAL_HARD_LIMIT_BYTES, type CheckpointThread } from './checkpointer.js';

/** Meta key recording the options the stored compact MinHash signatures were made with. */
const MINHASH_OPTIONS = 'minhash.options';
/** Meta key counting purges of deleted versions. */
const PURGE_GENERATION = 'purge.generation';

/** File name of the database inside a collection folder. */
export const STORE_FILE = 'collection.sqlite';
/** Name and version of the store's schema, recorded in its `meta` table. */
export const STORE_FORMAT = 'ralm.collection';
/**
 * Version 2 adds the `vectors_seq` index (vectors committed after a dense checkpoint are found without a scan) and
 * the `collection_id` meta key (a random id that dense index files record, so a file from another collection is
 * never loaded). Version 3 adds the `minhash` table (the near-duplicate index's compact signature of every canonical
 * chunk, so a writer rebuilds that index without reading and shingling every chunk's text). Version 4 drops two
 * secondary indexes that cost every inserted document a B-tree insert each: `documents_added_seq`, which no query
 * used (the replay of documents added after a checkpoint scans the documents), and `documents_live_docno`, whose
 * queries (live count, live documents in docno order) the partial index on live ids or the table itself answer as
 * well. Together they were a third of the row-writing time of a bulk load (`npx vite-node bench/store-inserts.ts
 * wordnet`). Version 5 adds `chunk_runs`: a document that is one chunk spanning its whole text (no headings, no
 * page, not a near-duplicate: every document of a JSONL corpus indexed whole) gets no row in `chunks`; runs of such
 * documents with consecutive docnos and chunk numbers are one row (first chunk number, first docno, count). The
 * chunk rows were 40 % of the row-writing time of a bulk load. A writer migrates an older database when it opens it;
 * readers read all of them (a reader of an older file sees an empty temporary `chunk_runs`).
 */
export const STORE_VERSION = 5;
/** The oldest schema version this build reads (and migrates when it opens the database for writing). */
export const STORE_MIN_VERSION = 1;

/** Schema changes from version `version - 1` to `version`, applied in one transaction by a writer. */
const MIGRATIONS: ReadonlyArray<{ version: number; migrate: (db: Database.Database) => void }> = [
  {
    version: 2,
    migrate: (db) => {
      db.exec('CREATE INDEX IF NOT EXISTS vectors_seq ON vectors (seq)');
      db.prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)').run('collection_id', randomBytes(16).toString('hex'));
    },
  },
  {
    version: 3,
    // filled in by the next writer that needs the near-duplicate index (chunks without a row are signed from their text)
    migrate: (db) => db.exec(MINHASH_TABLE),
  },
  {
    version: 4,
    migrate: (db) => db.exec('DROP INDEX IF EXISTS documents_added_seq; DROP INDEX IF EXISTS documents_live_docno'),
  },
  {
    version: 5,
    // older databases have a row in `chunks` for every chunk: no run to make
    migrate: (db) => db.exec(CHUNK_RUNS_TABLE),
  },
];

/**
 * Whole-document chunks without a row in `chunks`: for i in 0 … count - 1, document `first_docno + i` has exactly one
 * chunk, number `first_chunkno + i`, spanning its whole text (ordinal 0, no headings, no page, canonical). A chunk
 * number is in a run or in `chunks`, never both; runs never overlap, and their chunk numbers and docnos both ascend.
 */
const CHUNK_RUNS_TABLE = `CREATE TABLE IF NOT EXISTS chunk_runs (
  first_chunkno INTEGER PRIMARY KEY,
  first_docno INTEGER NOT NULL,
  count INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS chunk_runs_docno ON chunk_runs (first_docno)`;

/** The whole-document chunks of the runs joined with their documents `d` (runs first: a run covers a docno range). */
const RUN_CHUNKS = 'chunk_runs r CROSS JOIN documents d ON d.docno >= r.first_docno AND d.docno < r.first_docno + r.count';
/** The chunk number of document `d` in run `r`. */
const RUN_CHUNKNO = '(r.first_chunkno + d.docno - r.first_docno)';

/** Whether the chunks of a document are its one whole-text chunk, which needs no row (see `chunk_runs`). */
function isWholeDocumentChunk(chunks: readonly NewChunk[], text: string): boolean {
  if (chunks.length !== 1) return false;
  const c = chunks[0]!;
  return c.ordinal === 0 && c.start === 0 && c.end === text.length && (c.headingPath === undefined || c.headingPath.length === 0) && c.page == null && c.duplicateOf == null;
}

/** The chunk row of a whole-document chunk. */
function wholeChunk(chunkno: number, docno: number, text: string): ChunkRow {
  return { chunkno, docno, ordinal: 0, start: 0, end: text.length, headingPath: [], page: null };
}

const MINHASH_TABLE = 'CREATE TABLE IF NOT EXISTS minhash (chunkno INTEGER PRIMARY KEY, codes BLOB NOT NULL)';

/** SQLite page cache of each connection, in KiB. */
const PAGE_CACHE_KIB = 32 * 1024;

/**
 * Page size of a new collection database (SQLite's default is 4,096 bytes). A commit writes each page it changed into
 * the WAL as one frame (a header, a checksum over it, a write) and syncs it: a bulk load of SciFact (5k abstracts,
 * 12 MB of pages) spent 37–50 ms in its COMMIT with 4 KiB pages, 23–30 ms with 16 KiB and 19–24 ms with 64 KiB.
 * 16 KiB keeps most of that while a small commit (one document: five or six pages) still writes under 100 KB.
 * Existing databases keep the page size they were created with.
 */
export const PAGE_SIZE = 16_384;

export interface StoreOptions {
  /** Create the folder and database when missing. */
  create?: boolean;
  readOnly?: boolean;
}

/** A document row as stored (one version of a document). */
export interface DocumentRow {
  docno: number;
  id: string;
  title: string;
  text: string;
  metadata: Metadata;
  /** The content hash recorded with the version, or {@link HASH_NOT_RECORDED} (see {@link DocumentStore.contentHash}). */
  hash: string;
  addedSeq: number;
  deletedSeq: number | null;
}

/** A chunk row: a span of a document's text, the unit that is indexed and retrieved. */
export interface ChunkRow {
  chunkno: number;
  docno: number;
  ordinal: number;
  start: number;
  end: number;
  /** Titles of the enclosing headings, outermost first. */
  headingPath: string[];
  page: number | null;
}

/** A chunk about to be inserted, with the key it will have. */
export interface NewChunk {
  chunkno: number;
  ordinal: number;
  start: number;
  end: number;
  headingPath?: readonly string[];
  page?: number;
  /** The canonical chunk this one is a near-duplicate of (then it is stored but not indexed). */
  duplicateOf?: number;
}

/** A persisted index artifact (e.g. a sparse segment). */
export interface ArtifactRow {
  kind: string;
  name: string;
  seq: number;
  bytes: Uint8Array;
}

/**
 * Content hash of a document: hex SHA-256 over title, text and metadata.
 * @example documentHash({ title: 'T', text: 'body', metadata: {} })
 */
export function documentHash(doc: { title?: string; text: string; metadata?: Metadata }, json: string = metadataJson(doc.metadata)): string {
  const content = `${doc.title ?? ''}\u0000${doc.text}\u0000${json}`;
  // the one-shot crypto.hash (Node ≥ 20.12) is several times faster than a Hash object for short texts; same digest
  return oneShotHash ? oneShotHash('sha256', content, 'hex') : createHash('sha256').update(content).digest('hex');
}

/**
 * The `hash` of a stored version whose content hash was not recorded: a document added under an id with no live
 * version is stored without it (nothing to compare it with yet; hashing every document of a bulk load cost ~8 % of
 * its time). {@link DocumentStore.contentHash} computes it from the stored content when a later add compares with it.
 */
export const HASH_NOT_RECORDED = '';

const oneShotHash = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;

/**
 * Metadata as the store keeps it: `JSON.stringify(metadata ?? {})`, without the call for the usual empty object.
 *
 * @example
 * ```ts
 * metadataJson({ year: 2024 }); // '{"year":2024}'
 * ```
 */
export function metadataJson(metadata: Metadata | undefined): string {
  if (metadata === undefined) return '{}';
  for (const _ in metadata) return JSON.stringify(metadata);
  // no enumerable key: '{}', as JSON.stringify gives, unless the object has a toJSON() (e.g. a Date)
  return typeof (metadata as { toJSON?: unknown }).toJSON === 'function' ? JSON.stringify(metadata) : '{}';
}

/** Rows per multi-row INSERT of documents and chunks (32: measured by bench/store-inserts.ts, ~15–25 % less time per row). */
const ROWS_PER_INSERT = 32;

/** The rows buffered by `DocumentStore.insertDocument`: parameters, row after row. */
interface PendingRows {
  documents: unknown[];
  documentRows: number;
  chunks: unknown[];
  chunkRows: number;
  /** Live versions of the buffered documents by id (when the store does not keep `insertedLive`). */
  live: Map<string, { docno: number; hash: string; addedSeq: number }>;
}

/** `(?, ?, …), (?, ?, …), …`: `rows` groups of `columns` placeholders. */
function rowsSql(columns: number, rows: number): string {
  const row = `(${new Array(columns).fill('?').join(', ')})`;
  return new Array(rows).fill(row).join(', ');
}

/** Runs `values` (rows of `columns` parameters) through the multi-row statement, the remainder through the single one. */
function writeRows(values: unknown[], columns: number, multi: Database.Statement, single: Database.Statement): void {
  const group = columns * ROWS_PER_INSERT;
  let at = 0;
  for (; at + group <= values.length; at += group) multi.run(values.slice(at, at + group));
  for (; at < values.length; at += columns) single.run(values.slice(at, at + columns));
}

/** A chunk's heading path as stored: JSON, or null for none. */
function headingsJson(path: readonly string[] | undefined): string | null {
  return path !== undefined && path.length > 0 ? JSON.stringify(path) : null;
}

const SCHEMA = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE documents (
  docno INTEGER PRIMARY KEY,
  id TEXT NOT NULL,
  title TEXT NOT NULL DEFAULT '',
  text TEXT NOT NULL,
  metadata TEXT NOT NULL DEFAULT '{}',
  hash TEXT NOT NULL,
  added_seq INTEGER NOT NULL,
  deleted_seq INTEGER
);
CREATE UNIQUE INDEX documents_live_id ON documents (id) WHERE deleted_seq IS NULL;
CREATE INDEX documents_deleted_seq ON documents (deleted_seq) WHERE deleted_seq IS NOT NULL;
CREATE TABLE chunks (
  chunkno INTEGER PRIMARY KEY,
  docno INTEGER NOT NULL REFERENCES documents (docno),
  ordinal INTEGER NOT NULL,
  start INTEGER NOT NULL,
  end INTEGER NOT NULL,
  headings TEXT,
  page INTEGER,
  duplicate_of INTEGER
);
CREATE INDEX chunks_docno ON chunks (docno);
CREATE INDEX chunks_duplicate_of ON chunks (duplicate_of) WHERE duplicate_of IS NOT NULL;
CREATE TABLE artifacts (
  kind TEXT NOT NULL,
  name TEXT NOT NULL,
  seq INTEGER NOT NULL,
  bytes BLOB NOT NULL,
  PRIMARY KEY (kind, name)
);
CREATE TABLE vectors (
  chunkno INTEGER PRIMARY KEY,
  seq INTEGER NOT NULL,
  vector BLOB NOT NULL
);
CREATE INDEX vectors_seq ON vectors (seq);
CREATE TABLE sources (
  path TEXT PRIMARY KEY,
  size INTEGER NOT NULL,
  mtime_ms REAL NOT NULL,
  ids TEXT NOT NULL,
  seq INTEGER NOT NULL
);
CREATE TABLE minhash (
  chunkno INTEGER PRIMARY KEY,
  codes BLOB NOT NULL
);
CREATE TABLE commits (
  seq INTEGER PRIMARY KEY,
  committed_at TEXT NOT NULL,
  added INTEGER NOT NULL,
  deleted INTEGER NOT NULL
);
${CHUNK_RUNS_TABLE};
`;

/**
 * The SQLite document store of one collection folder.
 *
 * @example
 * ```ts
 * const store = DocumentStore.open('my-collection', { create: true });
 * store.transaction(() => { const seq = store.nextSeq(); ... store.setLastSeq(seq); });
 * store.close();
 * ```
 */
export class DocumentStore {
  readonly folder: string;
  readonly file: string;
  readonly readOnly: boolean;
  /** The connection; every use but {@link insertDocument}'s goes through `db`, which writes the buffered rows first. */
  private readonly connection: Database.Database;
  /** The prepared statements; every use but {@link insertDocument}'s goes through `statements` (rows written first). */
  private readonly prepared: ReturnType<DocumentStore['prepare']>;
  /**
   * Rows inserted in the open write transaction but not yet handed to SQLite: documents and chunks are written
   * {@link ROWS_PER_INSERT} to a statement (a multi-row INSERT costs SQLite less per row than one statement per row).
   * Any other use of the connection writes them first, so no read ever misses one.
   */
  private readonly pending: PendingRows = { documents: [], documentRows: 0, chunks: [], chunkRows: 0, live: new Map() };
  /** The docno the next inserted document gets, while a write transaction is open (null otherwise). */
  private nextDocno: number | null = null;
  private multiRowInserts: { documents: Database.Statement; chunks: Database.Statement } | null = null;
  private readonly statementCache = new Map<string, Database.Statement>();
  private snapshotOpen = false;
  /** The MinHash options the stored signatures are known to be made with (see {@link putMinhash}). */
  private minhashOptions: string | undefined;
  /**
   * While a write transaction that began on a store without live documents is open (a new collection's first
   * commit, the common bulk load): the docnos of the live versions it inserted, by id, so `liveVersion` needs no
   * query for a new id (the usual case); the hash of an id seen twice is read back from its row. Null otherwise.
   */
  private insertedLive: Map<string, number> | null = null;
  /**
   * The run of whole-document chunks the open write transaction is extending (see `chunk_runs`), and the count its
   * row in SQLite has (written when it ends, before any other use of the connection, and at commit).
   */
  private run: { firstChunkno: number; firstDocno: number; count: number; written: number } | null = null;
  /** A reader of a database older than version 5 reads an empty temporary `chunk_runs` (see {@link beginSnapshot}). */
  private temporaryRuns = false;

  private constructor(folder: string, db: Database.Database, readOnly: boolean) {
    this.folder = folder;
    this.file = join(folder, STORE_FILE);
    this.connection = db;
    this.readOnly = readOnly;
    this.prepared = this.prepare();
    if (!readOnly) {
      // checkpoints off the commit path (see checkpointer.ts); the log file is cut back to 4 MiB when it restarts
      db.pragma(`journal_size_limit = ${WAL_CHECKPOINT_BYTES}`);
      this.checkpoints = checkpointThread();
      if (this.checkpoints) db.pragma('wal_autocheckpoint = 0');
    }
  }

  /** The checkpoint thread this writer leaves its checkpoints to (null: SQLite's automatic checkpoints). */
  private readonly checkpoints: CheckpointThread | null = null;

  /** After a commit: has the write-ahead log checkpointed when it passed SQLite's threshold (see checkpointer.ts). */
  private afterCommit(): void {
    if (!this.checkpoints) return;
    const size = walSize(this.file);
    if (size <= WAL_CHECKPOINT_BYTES) return;
    // (the commit is done: a checkpoint that fails here is tried again after the next one)
    if (size > WAL_HARD_LIMIT_BYTES || this.checkpoints.failed || !this.checkpoints.checkpoint(this.file)) {
      try {
        this.connection.pragma('wal_checkpoint(PASSIVE)');
      } catch {
        // e.g. SQLITE_BUSY: SQLite's own automatic checkpoint ignores that too
      }
    }
  }

  /** The connection, after the buffered rows are written. */
  private get db(): Database.Database {
    this.writeBuffered();
    return this.connection;
  }

  /** The prepared statements, after the buffered rows are written. */
  private get statements(): ReturnType<DocumentStore['prepare']> {
    this.writeBuffered();
    return this.prepared;
  }

  /** Writes the rows {@link insertDocument} buffered, if any. */
  private writeBuffered(): void {
    if (this.pending.documentRows + this.pending.chunkRows > 0) this.flushRows();
    if (this.run !== null && this.run.written !== this.run.count) this.writeRun();
  }

  /** Writes the open run's row with its current count. */
  private writeRun(): void {
    const run = this.run!;
    this.writable(this.prepared.putRun).run(run.firstChunkno, run.firstDocno, run.count);
    run.written = run.count;
  }

  /** Opens (or with `create`, creates) the store in `folder`. */
  static open(folder: string, options: StoreOptions = {}): DocumentStore {
    const dir = resolve(folder);
    const file = join(dir, STORE_FILE);
    if (!existsSync(file)) {
      if (existsSync(dir) && !statSync(dir).isDirectory()) {
        throw new RalmError('INVALID_ARGUMENT', `${folder} is a file, not a collection folder`, { file: folder });
      }
      if (!options.create || options.readOnly) {
        throw new RalmError(
          'NOT_FOUND',
          existsSync(dir)
            ? `${folder} is not a ralm collection (no ${STORE_FILE}); create one with \`ralm index <files> --index ${folder}\``
            : `collection folder ${folder} does not exist; create one with \`ralm index <files> --index ${folder}\``,
          { file: folder },
        );
      }
      mkdirSync(dir, { recursive: true });
    }
    let db: Database.Database;
    try {
      db = new Database(file, { readonly: !!options.readOnly, fileMustExist: !options.create || !!options.readOnly });
    } catch (error) {
      throw new RalmError('IO', `cannot open ${file}: ${(error as Error).message}`, { file, cause: error });
    }
    try {
      if (!options.readOnly && options.create) {
        db.pragma('busy_timeout = 5000'); // another process may be creating it too
        try {
          createSchema(db);
        } catch (error) {
          throw new RalmError('IO', `cannot create collection database ${file}: ${(error as Error).message}`, { file, cause: error });
        }
      }
      if (!options.readOnly) db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma('busy_timeout = 5000');
      // SQLite's default page cache (2 MB) makes every search that fetches its hits' documents re-read pages through
      // the OS; a larger one holds the hot part of a 100k-document collection (bounded: it is a cap, not a reservation)
      db.pragma(`cache_size = -${PAGE_CACHE_KIB}`);
      const rows = db.prepare("SELECT key, value FROM meta WHERE key IN ('format', 'version')").all() as { key: string; value: string }[];
      const meta = new Map(rows.map((r) => [r.key, r.value]));
      if (meta.get('format') !== STORE_FORMAT) {
        throw new RalmError('FORMAT', `${file}: not a ralm collection database (format "${meta.get('format') ?? 'missing'}")`, { file });
      }
      const version = Number(meta.get('version'));
      if (!Number.isInteger(version) || version < STORE_MIN_VERSION || version > STORE_VERSION) {
        throw new RalmError(
          'FORMAT_VERSION',
          `${file}: collection format version ${meta.get('version')} is not supported by this build of ralm (supported: ${STORE_MIN_VERSION}–${STORE_VERSION}); upgrade ralm or rebuild the collection`,
          { file },
        );
      }
      if (version < STORE_VERSION && !options.readOnly) {
        db.transaction(() => {
          for (const step of MIGRATIONS) if (step.version > version) step.migrate(db);
          db.prepare("UPDATE meta SET value = ? WHERE key = 'version'").run(String(STORE_VERSION));
        }).immediate();
      }
      if (options.readOnly && !hasMainTable(db, 'chunk_runs')) db.exec(TEMPORARY_CHUNK_RUNS);
    } catch (error) {
      db.close();
      if (RalmError.is(error)) throw error;
      throw new RalmError('FORMAT', `${file}: not a readable ralm collection database (${(error as Error).message})`, { file, cause: error });
    }
    try {
      const store = new DocumentStore(dir, db, !!options.readOnly);
      store.temporaryRuns = !!options.readOnly && !hasMainTable(db, 'chunk_runs');
      return store;
    } catch (error) {
      db.close();
      throw new RalmError('FORMAT', `${file}: the collection's tables do not match this build of ralm (${(error as Error).message}); rebuild the collection with \`ralm index\``, { file, cause: error });
    }
  }

  private prepare() {
    const db = this.connection;
    return {
      getMeta: db.prepare('SELECT value FROM meta WHERE key = ?').pluck(),
      setMeta: this.readOnly ? null : db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
      liveByIdHash: db.prepare('SELECT docno, hash, added_seq AS addedSeq FROM documents WHERE id = ? AND deleted_seq IS NULL'),
      anyLive: db.prepare('SELECT 1 FROM documents WHERE deleted_seq IS NULL LIMIT 1').pluck(),
      idOfDocno: db.prepare('SELECT id FROM documents WHERE docno = ?').pluck(),
      versionOfDocno: db.prepare('SELECT docno, hash, added_seq AS addedSeq FROM documents WHERE docno = ?'),
      insertDocument: this.readOnly
        ? null
        : db.prepare('INSERT INTO documents (docno, id, title, text, metadata, hash, added_seq) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      nextDocno: db.prepare('SELECT coalesce(max(docno), 0) + 1 FROM documents').pluck(),
      insertChunk: this.readOnly ? null : db.prepare('INSERT INTO chunks (chunkno, docno, ordinal, start, end, headings, page, duplicate_of) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
      markDeleted: this.readOnly ? null : db.prepare('UPDATE documents SET deleted_seq = ? WHERE docno = ?'),
      chunksOfDocument: db.prepare('SELECT chunkno FROM chunks WHERE docno = ?').pluck(),
      maxChunkno: db.prepare(
        'SELECT max(coalesce((SELECT max(chunkno) FROM chunks), 0), coalesce((SELECT first_chunkno + count - 1 FROM chunk_runs ORDER BY first_chunkno DESC LIMIT 1), 0))',
      ).pluck(),
      liveChunks: db
        .prepare(
          `SELECT c.chunkno AS chunkno, d.id AS id FROM chunks c JOIN documents d ON d.docno = c.docno WHERE d.deleted_seq IS NULL AND c.duplicate_of IS NULL UNION ALL SELECT ${RUN_CHUNKNO}, d.id FROM ${RUN_CHUNKS} WHERE d.deleted_seq IS NULL`,
        )
        .raw(),
      // the run that may hold a chunk number / docno: the last one starting at or before it
      runOfChunkno: db.prepare('SELECT first_chunkno AS firstChunkno, first_docno AS firstDocno, count FROM chunk_runs WHERE first_chunkno <= ? ORDER BY first_chunkno DESC LIMIT 1'),
      runOfDocno: db.prepare('SELECT first_chunkno AS firstChunkno, first_docno AS firstDocno, count FROM chunk_runs WHERE first_docno <= ? ORDER BY first_docno DESC LIMIT 1'),
      putRun: this.readOnly ? null : db.prepare('INSERT OR REPLACE INTO chunk_runs (first_chunkno, first_docno, count) VALUES (?, ?, ?)'),
      deleteRun: this.readOnly ? null : db.prepare('DELETE FROM chunk_runs WHERE first_chunkno = ?'),
      textOfDocno: db.prepare('SELECT text FROM documents WHERE docno = ?').pluck(),
      duplicatesOf: db.prepare(
        'SELECT c.chunkno AS chunkno, c.docno AS docno, c.ordinal AS ordinal, c.start AS start, c.end AS end, d.id AS id FROM chunks c JOIN documents d ON d.docno = c.docno WHERE c.duplicate_of = ? AND d.deleted_seq IS NULL ORDER BY c.chunkno',
      ),
      setDuplicateOf: this.readOnly ? null : db.prepare('UPDATE chunks SET duplicate_of = ? WHERE chunkno = ?'),
      documentByDocno: db.prepare('SELECT * FROM documents WHERE docno = ?'),
      contentOfDocno: db.prepare('SELECT title, text, metadata FROM documents WHERE docno = ?'),
      chunkText: db.prepare('SELECT d.text AS text, c.start AS start, c.end AS end FROM chunks c JOIN documents d ON d.docno = c.docno WHERE c.chunkno = ?'),
      getSource: db.prepare('SELECT size, mtime_ms, ids FROM sources WHERE path = ?'),
      putSource: this.readOnly
        ? null
        : db.prepare('INSERT INTO sources (path, size, mtime_ms, ids, seq) VALUES (?, ?, ?, ?, ?) ON CONFLICT (path) DO UPDATE SET size = excluded.size, mtime_ms = excluded.mtime_ms, ids = excluded.ids, seq = excluded.seq'),
      deleteSource: this.readOnly ? null : db.prepare('DELETE FROM sources WHERE path = ?'),
      sourcesUnder: db.prepare('SELECT path FROM sources WHERE path >= ? AND path < ?').pluck(),
      insertArtifact: this.readOnly ? null : db.prepare('INSERT OR REPLACE INTO artifacts (kind, name, seq, bytes) VALUES (?, ?, ?, ?)'),
      deleteArtifact: this.readOnly ? null : db.prepare('DELETE FROM artifacts WHERE kind = ? AND name = ?'),
      artifacts: db.prepare('SELECT kind, name, seq, bytes FROM artifacts WHERE kind = ? ORDER BY seq, name'),
      insertCommit: this.readOnly ? null : db.prepare('INSERT INTO commits (seq, committed_at, added, deleted) VALUES (?, ?, ?, ?)'),
      putMinhash: this.readOnly ? null : db.prepare('INSERT OR REPLACE INTO minhash (chunkno, codes) VALUES (?, ?)'),
      liveCount: db.prepare('SELECT count(*) FROM documents WHERE deleted_seq IS NULL').pluck(),
    };
  }

  private writable<T>(statement: T | null): T {
    if (statement === null) throw new RalmError('READ_ONLY', `collection ${this.folder} is open read-only`);
    return statement;
  }

  /** Runs `fn` in one SQLite transaction (atomic and, with synchronous=FULL, durable at return). */
  transaction<T>(fn: () => T): T {
    const result = this.db.transaction(fn).immediate();
    if (!this.connection.inTransaction) this.afterCommit();
    return result;
  }

  /**
   * Starts a read snapshot: until `endSnapshot()`, every read sees the database as of now, even while
   * another process commits (SQLite WAL read transaction).
   */
  beginSnapshot(): void {
    if (this.snapshotOpen) return;
    if (this.temporaryRuns && hasMainTable(this.connection, 'chunk_runs')) {
      // a writer migrated the file to version 5 since this reader opened it: read its runs
      this.connection.exec('DROP TABLE temp.chunk_runs');
      this.temporaryRuns = false;
    }
    this.db.exec('BEGIN DEFERRED');
    this.statements.getMeta.get('last_seq'); // the first read fixes the snapshot
    this.snapshotOpen = true;
  }

  endSnapshot(): void {
    if (!this.snapshotOpen) return;
    this.db.exec('COMMIT');
    this.snapshotOpen = false;
  }

  getMeta(key: string): string | undefined {
    return this.prepared.getMeta.get(key) as string | undefined;
  }

  setMeta(key: string, value: string): void {
    this.writable(this.prepared.setMeta).run(key, value);
  }

  /** Sequence number of the last commit (0 for an empty collection). */
  lastSeq(): number {
    return Number(this.getMeta('last_seq') ?? 0);
  }

  /** The live version of document `id`, if any (docno and hash only). */
  liveVersion(id: string): { docno: number; hash: string; addedSeq: number } | undefined {
    if (this.insertedLive) {
      const docno = this.insertedLive.get(id);
      return docno === undefined ? undefined : (this.statements.versionOfDocno.get(docno) as { docno: number; hash: string; addedSeq: number });
    }
    // a buffered row is the live version of its id; the stored rows of other ids do not depend on the buffered ones
    const buffered = this.pending.live.get(id);
    if (buffered) return buffered;
    return this.prepared.liveByIdHash.get(id) as { docno: number; hash: string; addedSeq: number } | undefined;
  }

  /**
   * The content hash ({@link documentHash}) of a stored version: the one recorded with it, or — stored with
   * {@link HASH_NOT_RECORDED} — computed from its stored title, text and metadata.
   * @example store.contentHash(store.liveVersion('a')!) === documentHash(doc) // `doc` equals the live version of 'a'
   */
  contentHash(version: { docno: number; hash: string }): string {
    if (version.hash !== HASH_NOT_RECORDED) return version.hash;
    const row = this.statements.contentOfDocno.get(version.docno) as { title: string; text: string; metadata: string } | undefined;
    if (!row) throw new RalmError('NOT_FOUND', `${this.file}: no document with docno ${version.docno}`, { file: this.file });
    return documentHash({ title: row.title, text: row.text }, row.metadata);
  }

  /**
   * Whether document `id` had a version live before commit `seq` that the commit deleted or replaced (the open
   * commit's own versions aside).
   */
  hadVersionBefore(id: string, seq: number): boolean {
    return this.db.prepare('SELECT 1 FROM documents WHERE deleted_seq = ? AND id = ? AND added_seq < ? LIMIT 1').get(seq, id, seq) !== undefined;
  }

  /**
   * Inserts a document version at `seq` with its chunks; returns its docno. Inside a write transaction
   * ({@link beginTransaction}) the rows are buffered and written in multi-row INSERTs, before any other use of the
   * connection and at commit.
   */
  insertDocument(doc: { id: string; title: string; text: string; metadata: Metadata; metadataJson?: string; hash: string }, seq: number, chunks: readonly NewChunk[]): number {
    const insert = this.writable(this.prepared.insertDocument);
    const metadata = doc.metadataJson ?? metadataJson(doc.metadata);
    if (this.nextDocno === null) {
      // outside a write transaction: written at once, docno chosen by SQLite (the next after the largest)
      const docno = Number(insert.run(null, doc.id, doc.title, doc.text, metadata, doc.hash, seq).lastInsertRowid);
      const insertChunk = this.writable(this.prepared.insertChunk);
      for (const c of chunks) insertChunk.run(c.chunkno, docno, c.ordinal, c.start, c.end, headingsJson(c.headingPath), c.page ?? null, c.duplicateOf ?? null);
      return docno;
    }
    const docno = this.nextDocno++;
    const pending = this.pending;
    pending.documents.push(docno, doc.id, doc.title, doc.text, metadata, doc.hash, seq);
    pending.documentRows++;
    if (isWholeDocumentChunk(chunks, doc.text)) {
      // no chunk row: the document joins the open run, or starts one
      const chunkno = chunks[0]!.chunkno;
      const run = this.run;
      if (run !== null && chunkno === run.firstChunkno + run.count && docno === run.firstDocno + run.count) run.count++;
      else {
        if (run !== null && run.written !== run.count) this.writeRun();
        this.run = { firstChunkno: chunkno, firstDocno: docno, count: 1, written: 0 };
      }
    } else {
      const values = pending.chunks;
      for (const c of chunks) {
        values.push(c.chunkno, docno, c.ordinal, c.start, c.end, headingsJson(c.headingPath), c.page ?? null, c.duplicateOf ?? null);
        pending.chunkRows++;
      }
    }
    if (this.insertedLive) this.insertedLive.set(doc.id, docno);
    else pending.live.set(doc.id, { docno, hash: doc.hash, addedSeq: seq });
    if (pending.documentRows >= ROWS_PER_INSERT || pending.chunkRows >= ROWS_PER_INSERT) this.flushRows();
    return docno;
  }

  /** Writes the buffered rows (see {@link insertDocument}): full groups with the multi-row INSERTs, the rest one by one. */
  private flushRows(): void {
    const pending = this.pending;
    const inserts = (this.multiRowInserts ??= {
      documents: this.connection.prepare(`INSERT INTO documents (docno, id, title, text, metadata, hash, added_seq) VALUES ${rowsSql(7, ROWS_PER_INSERT)}`),
      chunks: this.connection.prepare(`INSERT INTO chunks (chunkno, docno, ordinal, start, end, headings, page, duplicate_of) VALUES ${rowsSql(8, ROWS_PER_INSERT)}`),
    });
    // the buffers are emptied first: a failed INSERT must not be tried again by the next use of the connection
    const documents = pending.documents;
    const chunks = pending.chunks;
    pending.documents = [];
    pending.chunks = [];
    pending.documentRows = 0;
    pending.chunkRows = 0;
    pending.live.clear();
    writeRows(documents, 7, inserts.documents, this.prepared.insertDocument!);
    writeRows(chunks, 8, inserts.chunks, this.prepared.insertChunk!);
  }

  /** Marks a document version deleted at `seq`; returns the chunk numbers it had. */
  markDeleted(docno: number, seq: number): number[] {
    this.writable(this.statements.markDeleted).run(seq, docno);
    if (this.insertedLive) {
      const id = this.statements.idOfDocno.get(docno) as string | undefined;
      if (id !== undefined && this.insertedLive.get(id) === docno) this.insertedLive.delete(id);
    }
    const chunknos = this.statements.chunksOfDocument.all(docno) as number[];
    if (chunknos.length === 0) {
      const whole = this.runChunkno(docno);
      if (whole !== undefined) chunknos.push(whole);
    }
    return chunknos;
  }

  /** The docno of the whole-document chunk `chunkno` (see `chunk_runs`), or undefined when no run holds it. */
  private runDocno(chunkno: number): number | undefined {
    const run = this.statements.runOfChunkno.get(chunkno) as StoredRun | undefined;
    return run !== undefined && chunkno < run.firstChunkno + run.count ? run.firstDocno + (chunkno - run.firstChunkno) : undefined;
  }

  /** The chunk number of document `docno`'s whole-document chunk (see `chunk_runs`), or undefined when it has none. */
  private runChunkno(docno: number): number | undefined {
    const run = this.statements.runOfDocno.get(docno) as StoredRun | undefined;
    return run !== undefined && docno < run.firstDocno + run.count ? run.firstChunkno + (docno - run.firstDocno) : undefined;
  }

  /**
   * A lookup of the docnos of whole-document chunks for many chunk numbers: consecutive numbers of one run (the usual
   * case: the chunks of a commit) cost one query for the whole run.
   */
  private runDocnos(): (chunkno: number) => number | undefined {
    let last: StoredRun | undefined;
    return (chunkno) => {
      if (last === undefined || chunkno < last.firstChunkno || chunkno >= last.firstChunkno + last.count) {
        last = this.statements.runOfChunkno.get(chunkno) as StoredRun | undefined;
        if (last === undefined || chunkno >= last.firstChunkno + last.count) return undefined;
      }
      return last.firstDocno + (chunkno - last.firstChunkno);
    };
  }

  /** Docno → chunk number of those of `chunknos` not in `found` that are whole-document chunks (see `chunk_runs`). */
  private wholeChunkDocnos(chunknos: readonly number[], found: ReadonlyMap<number, unknown>): Map<number, number> {
    const docnoOf = this.runDocnos();
    const wanted = new Map<number, number>();
    for (const chunkno of chunknos) {
      if (found.has(chunkno)) continue;
      const docno = docnoOf(chunkno);
      if (docno !== undefined) wanted.set(docno, chunkno);
    }
    return wanted;
  }

  /**
   * Takes whole-document chunks out of their runs (a run is split around them); the caller gives them rows of their
   * own or removes them. The open run ends: a later document starts a new one.
   */
  private removeFromRuns(chunknos: readonly number[]): void {
    this.writeBuffered();
    this.run = null;
    const sorted = [...new Set(chunknos)].sort((a, b) => a - b);
    const putRun = this.writable(this.prepared.putRun);
    const deleteRun = this.writable(this.prepared.deleteRun);
    let i = 0;
    while (i < sorted.length) {
      const run = this.prepared.runOfChunkno.get(sorted[i]) as StoredRun | undefined;
      const end = run === undefined ? 0 : run.firstChunkno + run.count;
      if (run === undefined || sorted[i]! >= end) {
        i++;
        continue;
      }
      deleteRun.run(run.firstChunkno);
      let from = run.firstChunkno;
      for (; i < sorted.length && sorted[i]! < end; i++) {
        const chunkno = sorted[i]!;
        if (chunkno > from) putRun.run(from, run.firstDocno + (from - run.firstChunkno), chunkno - from);
        from = chunkno + 1;
      }
      if (from < end) putRun.run(from, run.firstDocno + (from - run.firstChunkno), end - from);
    }
  }

  /** Largest chunk number ever used (0 when none). */
  maxChunkno(): number {
    return Number(this.statements.maxChunkno.get());
  }

  /** Metadata of every live chunk's document, as `[chunkno, metadata JSON]` pairs (for filters). */
  liveChunkMetadata(): Array<[number, string]> {
    // CROSS JOIN keeps this order: chunks scanned, each document found by its key (faster than walking the live ids)
    return this.db
      .prepare(
        `SELECT c.chunkno, d.metadata FROM chunks c CROSS JOIN documents d ON d.docno = c.docno WHERE d.deleted_seq IS NULL UNION ALL SELECT ${RUN_CHUNKNO}, d.metadata FROM ${RUN_CHUNKS} WHERE d.deleted_seq IS NULL`,
      )
      .raw()
      .all() as Array<[number, string]>;
  }

  /** Chunks of a document version, in order. */
  chunksOf(docno: number): ChunkRow[] {
    const rows = (this.db.prepare('SELECT chunkno, docno, ordinal, start, end, headings, page FROM chunks WHERE docno = ? ORDER BY ordinal').all(docno) as RawChunkRow[]).map(toChunkRow);
    return rows.length > 0 ? rows : this.wholeChunkOf(docno);
  }

  /** The whole-document chunk of `docno` (none or one), for a document without chunk rows. */
  private wholeChunkOf(docno: number, text?: string): ChunkRow[] {
    const chunkno = this.runChunkno(docno);
    if (chunkno === undefined) return [];
    const whole = text ?? (this.prepared.textOfDocno.get(docno) as string | undefined);
    return whole === undefined ? [] : [wholeChunk(chunkno, docno, whole)];
  }

  /** Starts a long write transaction (the staging area of a commit); `commitTransaction` or `rollbackTransaction` ends it. */
  beginTransaction(): void {
    this.writable(this.statements.setMeta);
    this.db.exec('BEGIN IMMEDIATE');
    this.run = null;
    this.insertedLive = this.statements.anyLive.get() === undefined ? new Map() : null;
    this.nextDocno = Number(this.prepared.nextDocno.get());
  }

  commitTransaction(): void {
    const db = this.db; // (writes the buffered rows and the open run)
    this.run = null;
    this.endInserted();
    this.nextDocno = null;
    db.exec('COMMIT');
    this.afterCommit();
  }

  private endInserted(): void {
    this.insertedLive = null;
  }

  rollbackTransaction(): void {
    this.discardRows();
    this.run = null;
    this.minhashOptions = undefined; // (the recorded options may have been written by the transaction rolled back)
    this.endInserted();
    this.nextDocno = null;
    if (this.connection.inTransaction) this.connection.exec('ROLLBACK');
  }

  private discardRows(): void {
    this.pending.documents = [];
    this.pending.chunks = [];
    this.pending.documentRows = 0;
    this.pending.chunkRows = 0;
    this.pending.live.clear();
  }

  get inTransaction(): boolean {
    return this.connection.inTransaction;
  }

  /** The recorded state of an ingested file (for incremental sync). */
  // Sources, sketches and meta live in tables of their own: reading or writing them needs no buffered document or
  // chunk row written first (`prepared`, not `statements`), so an ingest's per-file source records and per-chunk
  // sketches do not break its row batches.

  getSource(path: string): { size: number; mtimeMs: number; ids: string[] } | undefined {
    const row = this.prepared.getSource.get(path) as { size: number; mtime_ms: number; ids: string } | undefined;
    return row ? { size: row.size, mtimeMs: row.mtime_ms, ids: JSON.parse(row.ids) as string[] } : undefined;
  }

  putSource(path: string, state: { size: number; mtimeMs: number }, ids: readonly string[], seq: number): void {
    this.writable(this.prepared.putSource).run(path, state.size, state.mtimeMs, JSON.stringify(ids), seq);
  }

  deleteSource(path: string): void {
    this.writable(this.prepared.deleteSource).run(path);
  }

  /** Paths of recorded sources under a folder prefix (which should end with a path separator). */
  sourcesUnder(prefix: string): string[] {
    return this.statements.sourcesUnder.all(prefix, `${prefix}\uffff`) as string[];
  }

  /** Live chunks stored as near-duplicates of `chunkno` (not indexed themselves). */
  duplicatesOf(chunkno: number): Array<{ chunkno: number; docno: number; ordinal: number; start: number; end: number; id: string }> {
    return this.statements.duplicatesOf.all(chunkno) as Array<{ chunkno: number; docno: number; ordinal: number; start: number; end: number; id: string }>;
  }

  /** Links a chunk to a canonical near-duplicate, or (null) makes it canonical itself. */
  setDuplicateOf(chunkno: number, canonical: number | null): void {
    if (this.writable(this.statements.setDuplicateOf).run(canonical, chunkno).changes > 0 || canonical === null) return;
    // a whole-document chunk (canonical by definition) becoming a near-duplicate: it leaves its run for a row
    const docno = this.runDocno(chunkno);
    if (docno === undefined) return;
    const text = this.prepared.textOfDocno.get(docno) as string;
    this.removeFromRuns([chunkno]);
    this.writable(this.prepared.insertChunk).run(chunkno, docno, 0, 0, text.length, null, null, canonical);
  }

  /** The text of a chunk (its span of its document's text, any version), or undefined when there is no such chunk. */
  chunkText(chunkno: number): string | undefined {
    const row = this.statements.chunkText.get(chunkno) as { text: string; start: number; end: number } | undefined;
    if (row !== undefined) return row.text.slice(row.start, row.end);
    const docno = this.runDocno(chunkno);
    return docno === undefined ? undefined : (this.prepared.textOfDocno.get(docno) as string | undefined);
  }

  /** A document version by its docno (live or not). */
  documentByDocno(docno: number): DocumentRow | undefined {
    const row = this.statements.documentByDocno.get(docno) as RawDocumentRow | undefined;
    return row ? toDocumentRow(row) : undefined;
  }

  /**
   * Live canonical chunks with their stored compact MinHash signature (`codes`: empty when the chunk is too short to
   * judge; null when none was stored, e.g. a chunk written before version 3: then its `text` is given to sign it).
   * Signatures made under other options than `options` (recorded with them) count as missing.
   */
  *iterateLiveMinhash(options: string): IterableIterator<{ chunkno: number; codes: Uint8Array | null; text: string | null }> {
    const current = this.getMeta(MINHASH_OPTIONS) === options;
    // (whole-document chunks: end NULL, the whole text)
    const statement = this.db.prepare(
      current
        ? `SELECT c.chunkno AS chunkno, m.codes AS codes, CASE WHEN m.codes IS NULL THEN d.text END AS text, c.start AS start, c.end AS end FROM chunks c JOIN documents d ON d.docno = c.docno LEFT JOIN minhash m ON m.chunkno = c.chunkno WHERE d.deleted_seq IS NULL AND c.duplicate_of IS NULL
           UNION ALL SELECT ${RUN_CHUNKNO}, m.codes, CASE WHEN m.codes IS NULL THEN d.text END, 0, NULL FROM ${RUN_CHUNKS} LEFT JOIN minhash m ON m.chunkno = ${RUN_CHUNKNO} WHERE d.deleted_seq IS NULL ORDER BY chunkno`
        : `SELECT c.chunkno AS chunkno, NULL AS codes, d.text AS text, c.start AS start, c.end AS end FROM chunks c JOIN documents d ON d.docno = c.docno WHERE d.deleted_seq IS NULL AND c.duplicate_of IS NULL
           UNION ALL SELECT ${RUN_CHUNKNO}, NULL, d.text, 0, NULL FROM ${RUN_CHUNKS} WHERE d.deleted_seq IS NULL ORDER BY chunkno`,
    );
    for (const row of statement.iterate() as IterableIterator<{ chunkno: number; codes: Buffer | null; text: string | null; start: number; end: number | null }>) {
      yield {
        chunkno: row.chunkno,
        codes: row.codes === null ? null : new Uint8Array(row.codes.buffer, row.codes.byteOffset, row.codes.byteLength),
        text: row.text === null ? null : row.end === null ? row.text : row.text.slice(row.start, row.end),
      };
    }
  }

  /** Whether this database can hold compact MinHash signatures (version 3; a reader of an older file cannot). */
  get hasMinhash(): boolean {
    return this.statements.putMinhash !== null;
  }

  /**
   * Stores the compact MinHash signature of a chunk (empty: too short to judge) made under `options`; when the
   * recorded options differ, the stored signatures of the old options are dropped first.
   */
  putMinhash(chunkno: number, codes: Uint8Array, options: string): void {
    const put = this.prepared.putMinhash;
    if (put === null) return;
    if (this.minhashOptions !== options) {
      if (this.getMeta(MINHASH_OPTIONS) !== options) {
        this.connection.exec('DELETE FROM minhash');
        this.setMeta(MINHASH_OPTIONS, options);
      }
      this.minhashOptions = options;
    }
    put.run(chunkno, codes);
  }

  /** Live chunks stored as near-duplicates, with the chunk they point to (for verification). */
  liveDuplicateLinks(): Array<[number, number]> {
    return this.db
      .prepare('SELECT c.chunkno, c.duplicate_of FROM chunks c JOIN documents d ON d.docno = c.docno WHERE d.deleted_seq IS NULL AND c.duplicate_of IS NOT NULL')
      .raw()
      .all() as Array<[number, number]>;
  }

  /** Every live canonical chunk with its document id, as `[chunkno, id]` pairs (near-duplicates excluded). */
  liveChunks(): Array<[number, string]> {
    return this.statements.liveChunks.all() as Array<[number, string]>;
  }

  liveDocumentCount(): number {
    return Number(this.statements.liveCount.get());
  }

  /** Document versions added after `seq` that are still live, with their chunks (for replaying an index). */
  documentsAddedAfter(seq: number): Array<DocumentRow & { chunks: ChunkRow[] }> {
    const rows = this.db
      .prepare('SELECT * FROM documents WHERE added_seq > ? AND deleted_seq IS NULL ORDER BY docno')
      .all(seq) as RawDocumentRow[];
    const chunkStatement = this.db.prepare('SELECT chunkno, docno, ordinal, start, end, headings, page FROM chunks WHERE docno = ? ORDER BY ordinal');
    return rows.map((r) => {
      const chunks = (chunkStatement.all(r.docno) as RawChunkRow[]).map(toChunkRow);
      return { ...toDocumentRow(r), chunks: chunks.length > 0 ? chunks : this.wholeChunkOf(r.docno, r.text) };
    });
  }

  /** Fetches live documents by user id, in the order asked; missing ids are skipped. */
  getDocuments(ids: readonly string[]): DocumentRow[] {
    const out: DocumentRow[] = [];
    const statement = this.cachedStatement('SELECT * FROM documents WHERE id = ? AND deleted_seq IS NULL');
    for (const id of ids) {
      const row = statement.get(id) as RawDocumentRow | undefined;
      if (row) out.push(toDocumentRow(row));
    }
    return out;
  }

  /** Fetches the documents and chunk spans of the given chunk numbers (any version), keyed by chunkno. */
  getChunks(chunknos: readonly number[]): Map<number, { chunk: ChunkRow; document: DocumentRow }> {
    const out = new Map<number, { chunk: ChunkRow; document: DocumentRow }>();
    if (chunknos.length === 0) return out;
    const placeholders = chunknos.map(() => '?').join(',');
    // raw rows (arrays): better-sqlite3 then builds no keyed object per row, a third of this query's cost on a search
    const sql = `SELECT c.chunkno, c.ordinal, c.start, c.end, c.headings, c.page, d.docno, d.id, d.title, d.text, d.metadata, d.hash, d.added_seq, d.deleted_seq FROM chunks c JOIN documents d ON d.docno = c.docno WHERE c.chunkno IN (${placeholders})`;
    this.writeBuffered();
    let statement = this.statementCache.get(sql);
    if (!statement) statement = this.cachedStatement(sql).raw(true);
    const rows = statement.all(...chunknos) as Array<[number, number, number, number, string | null, number | null, number, string, string, string, string, string, number, number | null]>;
    for (const [chunkno, ordinal, start, end, headings, page, docno, id, title, text, metadata, hash, addedSeq, deletedSeq] of rows) {
      out.set(chunkno, {
        chunk: { chunkno, docno, ordinal, start, end, headingPath: headings ? (JSON.parse(headings) as string[]) : [], page: page ?? null },
        document: { docno, id, title, text, metadata: JSON.parse(metadata) as Metadata, hash, addedSeq, deletedSeq },
      });
    }
    if (out.size < chunknos.length) {
      // the others are whole-document chunks (or do not exist): their documents in one query, as raw rows
      const wanted = this.wholeChunkDocnos(chunknos, out);
      if (wanted.size > 0) {
        const docnos = [...wanted.keys()];
        const sql = `SELECT docno, id, title, text, metadata, hash, added_seq, deleted_seq FROM documents WHERE docno IN (${docnos.map(() => '?').join(',')})`;
        let documents = this.statementCache.get(sql);
        if (!documents) documents = this.cachedStatement(sql).raw(true);
        for (const [docno, id, title, text, metadata, hash, addedSeq, deletedSeq] of documents.all(...docnos) as Array<[number, string, string, string, string, string, number, number | null]>) {
          const chunkno = wanted.get(docno)!;
          out.set(chunkno, { chunk: wholeChunk(chunkno, docno, text), document: { docno, id, title, text, metadata: JSON.parse(metadata) as Metadata, hash, addedSeq, deletedSeq } });
        }
      }
    }
    return out;
  }

  /** Iterates over all live documents in docno order. */
  *iterateDocuments(): IterableIterator<DocumentRow> {
    const statement = this.db.prepare('SELECT * FROM documents WHERE deleted_seq IS NULL ORDER BY docno');
    for (const row of statement.iterate() as IterableIterator<RawDocumentRow>) yield toDocumentRow(row);
  }

  putArtifact(artifact: ArtifactRow): void {
    this.writable(this.statements.insertArtifact).run(artifact.kind, artifact.name, artifact.seq, artifact.bytes);
  }

  deleteArtifact(kind: string, name: string): void {
    this.writable(this.statements.deleteArtifact).run(kind, name);
  }

  artifacts(kind: string): ArtifactRow[] {
    return (this.statements.artifacts.all(kind) as Array<{ kind: string; name: string; seq: number; bytes: Buffer }>).map((r) => ({
      kind: r.kind,
      name: r.name,
      seq: r.seq,
      bytes: new Uint8Array(r.bytes.buffer, r.bytes.byteOffset, r.bytes.byteLength),
    }));
  }

  recordCommit(seq: number, added: number, deleted: number): void {
    this.writable(this.statements.insertCommit).run(seq, new Date().toISOString(), added, deleted);
    this.setMeta('last_seq', String(seq));
  }

  /**
   * Removes deleted document versions (and their chunks) that no index artifact refers to any more.
   * `referenced` tells whether a chunk number is still held by an index structure.
   */
  purgeDeleted(referenced: (chunkno: number) => boolean): number {
    const rows = this.db
      .prepare('SELECT d.docno AS docno, c.chunkno AS chunkno FROM documents d LEFT JOIN chunks c ON c.docno = d.docno WHERE d.deleted_seq IS NOT NULL')
      .all() as Array<{ docno: number; chunkno: number | null }>;
    /** Whole-document chunks of the deleted versions, by docno. */
    const whole = new Map<number, number>();
    for (const r of rows) {
      if (r.chunkno !== null) continue;
      const chunkno = this.runChunkno(r.docno);
      if (chunkno !== undefined) {
        r.chunkno = chunkno;
        whole.set(r.docno, chunkno);
      }
    }
    const keep = new Set<number>();
    for (const r of rows) if (r.chunkno !== null && referenced(r.chunkno)) keep.add(r.docno);
    const docnos = [...new Set(rows.map((r) => r.docno))].filter((d) => !keep.has(d));
    const hasMinhash = this.statements.putMinhash !== null;
    const deleteMinhash = hasMinhash ? this.db.prepare('DELETE FROM minhash WHERE chunkno IN (SELECT chunkno FROM chunks WHERE docno = ?)') : null;
    const deleteWholeMinhash = hasMinhash ? this.db.prepare('DELETE FROM minhash WHERE chunkno = ?') : null;
    const deleteChunks = this.db.prepare('DELETE FROM chunks WHERE docno = ?');
    const deleteDocument = this.db.prepare('DELETE FROM documents WHERE docno = ?');
    const purgedWhole: number[] = [];
    for (const docno of docnos) {
      const chunkno = whole.get(docno);
      if (chunkno !== undefined) {
        purgedWhole.push(chunkno);
        deleteWholeMinhash?.run(chunkno);
      } else {
        deleteMinhash?.run(docno);
        deleteChunks.run(docno);
      }
      deleteDocument.run(docno);
    }
    // a purged document's number may be given again (the next docno follows the largest left): no run may keep it
    if (purgedWhole.length > 0) this.removeFromRuns(purgedWhole);
    // readers that follow changes incrementally must reload when rows they know of vanished
    if (docnos.length > 0) this.setMeta(PURGE_GENERATION, String(Number(this.getMeta(PURGE_GENERATION) ?? 0) + 1));
    return docnos.length;
  }

  /**
   * A prepared statement for SQL built at run time (an `IN (?, …)` list of a given length), kept for reuse:
   * preparing costs more than running a small query, and searches ask for the same few list lengths.
   */
  private cachedStatement(sql: string): Database.Statement {
    this.writeBuffered();
    let statement = this.statementCache.get(sql);
    if (!statement) {
      if (this.statementCache.size >= 256) this.statementCache.clear();
      statement = this.db.prepare(sql);
      this.statementCache.set(sql, statement);
    }
    return statement;
  }

  /** How many times deleted versions were purged (see {@link purgeDeleted}); changes tell readers to reload. */
  purgeGeneration(): number {
    return Number(this.getMeta(PURGE_GENERATION) ?? 0);
  }

  /** Names and sequence numbers of the artifacts of one kind, without their bytes. */
  artifactNames(kind: string): Array<{ name: string; seq: number }> {
    return this.db.prepare('SELECT name, seq FROM artifacts WHERE kind = ? ORDER BY seq, name').all(kind) as Array<{ name: string; seq: number }>;
  }

  /** One artifact, or undefined. */
  artifact(kind: string, name: string): ArtifactRow | undefined {
    const r = this.db.prepare('SELECT kind, name, seq, bytes FROM artifacts WHERE kind = ? AND name = ?').get(kind, name) as { kind: string; name: string; seq: number; bytes: Buffer } | undefined;
    return r && { kind: r.kind, name: r.name, seq: r.seq, bytes: new Uint8Array(r.bytes.buffer, r.bytes.byteOffset, r.bytes.byteLength) };
  }

  /** Chunk numbers of the document versions deleted after `seq` (for following changes incrementally). */
  chunksDeletedAfter(seq: number): number[] {
    const rows = this.db.prepare('SELECT d.docno, c.chunkno FROM documents d LEFT JOIN chunks c ON c.docno = d.docno WHERE d.deleted_seq > ?').raw().all(seq) as Array<[number, number | null]>;
    const out: number[] = [];
    for (const [docno, chunkno] of rows) {
      const found = chunkno ?? this.runChunkno(docno);
      if (found !== undefined) out.push(found);
    }
    return out;
  }

  /** The document ids of those of `chunknos` that are live canonical chunks (near-duplicates excluded). */
  liveChunkIds(chunknos: readonly number[]): Map<number, string> {
    const out = new Map<number, string>();
    for (let i = 0; i < chunknos.length; i += 500) {
      const batch = chunknos.slice(i, i + 500);
      const rows = this.cachedStatement(`SELECT c.chunkno, d.id FROM chunks c JOIN documents d ON d.docno = c.docno WHERE c.chunkno IN (${batch.map(() => '?').join(',')}) AND d.deleted_seq IS NULL AND c.duplicate_of IS NULL`)
        .raw()
        .all(...batch) as Array<[number, string]>;
      for (const [chunkno, id] of rows) out.set(chunkno, id);
    }
    if (out.size < chunknos.length) {
      // the others are whole-document chunks (or not live, or near-duplicates): their live documents, 500 to a query
      const wanted = this.wholeChunkDocnos(chunknos, out);
      const docnos = [...wanted.keys()];
      for (let i = 0; i < docnos.length; i += 500) {
        const batch = docnos.slice(i, i + 500);
        const rows = this.cachedStatement(`SELECT docno, id FROM documents WHERE docno IN (${batch.map(() => '?').join(',')}) AND deleted_seq IS NULL`)
          .raw()
          .all(...batch) as Array<[number, string]>;
        for (const [docno, id] of rows) out.set(wanted.get(docno)!, id);
      }
    }
    return out;
  }

  /** The underlying connection, for modules that keep their own tables in the collection (dense vectors). */
  database(): Database.Database {
    return this.db;
  }

  /**
   * The tables and indexes the schema of this file's version has and the file lacks, one line each (empty when none
   * is missing). A missing index is invisible to SQLite's integrity check: every query it served becomes a scan.
   */
  schemaProblems(): string[] {
    const version = Number(this.getMeta('version'));
    const reference = new Database(':memory:');
    let expected: Array<{ type: string; name: string }>;
    try {
      reference.exec(SCHEMA);
      expected = reference.prepare("SELECT type, name FROM sqlite_master WHERE type IN ('table', 'index') AND name NOT LIKE 'sqlite_%'").all() as Array<{ type: string; name: string }>;
    } finally {
      reference.close();
    }
    for (const [name, { type, until }] of Object.entries(DROPPED_SCHEMA)) if (version <= until) expected.push({ type, name });
    const present = new Set(
      (this.db.prepare("SELECT name FROM main.sqlite_master WHERE type IN ('table', 'index')").pluck().all() as string[]),
    );
    return expected
      .filter(({ name }) => (ADDED_SCHEMA[name] ?? 1) <= version && !present.has(name))
      .map(({ type, name }) => `${this.file}: ${type} ${name} is missing (collection format version ${version} has it)`);
  }

  /** SQLite's own integrity check; returns the problems found (empty when fine). */
  integrityCheck(): string[] {
    const rows = this.db.pragma('integrity_check') as Array<{ integrity_check: string }>;
    return rows.map((r) => r.integrity_check).filter((m) => m !== 'ok');
  }

  close(): void {
    if (this.snapshotOpen) this.endSnapshot();
    this.discardRows(); // (rows of a transaction never committed)
    this.checkpoints?.release(this.file); // then this connection, the last one, checkpoints and removes the log
    this.connection.close();
  }
}

interface RawDocumentRow {
  docno: number;
  id: string;
  title: string;
  text: string;
  metadata: string;
  hash: string;
  added_seq: number;
  deleted_seq: number | null;
}

/**
 * Creates the schema and the meta rows of a new collection database, in one transaction (a process killed meanwhile
 * leaves an empty file, which the next create fills); nothing when the database has its tables already (another
 * process created it first).
 */
function createSchema(db: Database.Database): void {
  db.pragma(`page_size = ${PAGE_SIZE}`); // before the first write (WAL mode included); a no-op on an existing database
  db.pragma('journal_mode = WAL');
  db.transaction(() => {
    if (hasMainTable(db, 'meta')) return;
    db.exec(SCHEMA);
    const insert = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
    insert.run('format', STORE_FORMAT);
    insert.run('version', String(STORE_VERSION));
    insert.run('last_seq', '0');
    insert.run('created_at', new Date().toISOString());
    insert.run('collection_id', randomBytes(16).toString('hex'));
  }).immediate();
}

/** Tables and indexes of the current schema that older versions lack: the version that added each. */
const ADDED_SCHEMA: Readonly<Record<string, number>> = { vectors_seq: 2, minhash: 3, chunk_runs: 5, chunk_runs_docno: 5 };
/** Indexes older versions have that the current schema dropped: the last version that has each. */
const DROPPED_SCHEMA: Readonly<Record<string, { type: string; until: number }>> = {
  documents_added_seq: { type: 'index', until: 3 },
  documents_live_docno: { type: 'index', until: 3 },
};

/** A row of `chunk_runs`. */
interface StoredRun {
  firstChunkno: number;
  firstDocno: number;
  count: number;
}

/** An empty `chunk_runs` for a read-only connection to a database older than version 5 (which has none). */
const TEMPORARY_CHUNK_RUNS = 'CREATE TEMP TABLE IF NOT EXISTS chunk_runs (first_chunkno INTEGER PRIMARY KEY, first_docno INTEGER NOT NULL, count INTEGER NOT NULL)';

function hasMainTable(db: Database.Database, name: string): boolean {
  return db.prepare("SELECT 1 FROM main.sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
}

interface RawChunkRow {
  chunkno: number;
  docno: number;
  ordinal: number;
  start: number;
  end: number;
  headings: string | null;
  page: number | null;
}

function toChunkRow(r: RawChunkRow): ChunkRow {
  return {
    chunkno: r.chunkno,
    docno: r.docno,
    ordinal: r.ordinal,
    start: r.start,
    end: r.end,
    headingPath: r.headings ? (JSON.parse(r.headings) as string[]) : [],
    page: r.page ?? null,
  };
}

function toDocumentRow(r: RawDocumentRow): DocumentRow {
  return {
    docno: r.docno,
    id: r.id,
    title: r.title,
    text: r.text,
    metadata: JSON.parse(r.metadata) as Metadata,
    hash: r.hash,
    addedSeq: r.added_seq,
    deletedSeq: r.deleted_seq,
  };
}
