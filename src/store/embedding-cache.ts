/**
 * The persistent embedding cache of a collection: `embeddings.sqlite` beside `collection.sqlite`, mapping an embedding
 * cache key (model + SHA-256 of the embedded text, see `embeddingCacheKey`) to its vector.
 *
 * It is a separate database on purpose. A commit embeds its chunks while the collection's write transaction is open,
 * and that transaction is rolled back when embedding fails half-way (an endpoint that goes down): vectors already
 * computed must survive that rollback, so each finished batch is committed here at once, on its own connection. The
 * next attempt finds them and embeds only the rest. Losing this file loses nothing but time.
 */
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { RalmError } from '../core/errors.js';

/** File name of the cache inside a collection folder. */
export const EMBEDDING_CACHE_FILE = 'embeddings.sqlite';
/** Name and version of the cache's schema, recorded in its `meta` table. */
export const EMBEDDING_CACHE_FORMAT = 'ralm.embedding-cache';
export const EMBEDDING_CACHE_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS embeddings (key TEXT PRIMARY KEY, vector BLOB NOT NULL) WITHOUT ROWID;
`;

/**
 * The cache database of one collection folder. Implements the `EmbeddingCacheStore` shape of `embed/cache.ts`
 * (synchronous `get` and `put`); every `put` is one committed transaction.
 *
 * @example
 * ```ts
 * const cache = EmbeddingCacheDatabase.open('my-index');
 * cache.put([['onnx/model/384/ab12…', vector]]);
 * cache.get(['onnx/model/384/ab12…']); // [Float32Array(384)]
 * cache.close();
 * ```
 */
export class EmbeddingCacheDatabase {
  readonly file: string;
  private readonly db: Database.Database;
  private readonly select: Database.Statement;
  private readonly insert: Database.Statement;

  private constructor(file: string, db: Database.Database) {
    this.file = file;
    this.db = db;
    this.select = db.prepare('SELECT vector FROM embeddings WHERE key = ?').pluck();
    this.insert = db.prepare('INSERT OR REPLACE INTO embeddings (key, vector) VALUES (?, ?)');
  }

  /** Opens (creating when missing) the cache in the collection folder `folder`. */
  static open(folder: string): EmbeddingCacheDatabase {
    const file = join(folder, EMBEDDING_CACHE_FILE);
    const fresh = !existsSync(file);
    let db: Database.Database;
    try {
      db = new Database(file);
    } catch (error) {
      throw new RalmError('IO', `cannot open the embedding cache ${file}: ${(error as Error).message}`, { file, cause: error });
    }
    try {
      db.pragma('journal_mode = WAL');
      // a cache: a power loss may drop the last batches (they are embedded again), never corrupt the file
      db.pragma('synchronous = NORMAL');
      db.pragma('busy_timeout = 5000');
      db.exec(SCHEMA);
      const get = db.prepare('SELECT value FROM meta WHERE key = ?').pluck();
      if (fresh || get.get('format') === undefined) {
        const put = db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)');
        db.transaction(() => {
          put.run('format', EMBEDDING_CACHE_FORMAT);
          put.run('version', String(EMBEDDING_CACHE_VERSION));
        })();
      }
      if (get.get('format') !== EMBEDDING_CACHE_FORMAT) throw new RalmError('FORMAT', `${file}: not a ralm embedding cache (format "${String(get.get('format'))}")`, { file });
      if (Number(get.get('version')) !== EMBEDDING_CACHE_VERSION) {
        throw new RalmError('FORMAT_VERSION', `${file}: embedding cache version ${String(get.get('version'))} is not supported by this build of ralm (supported: ${EMBEDDING_CACHE_VERSION}); delete the file (it is only a cache)`, { file });
      }
    } catch (error) {
      db.close();
      if (RalmError.is(error)) throw error;
      throw new RalmError('FORMAT', `${file}: not a readable embedding cache (${(error as Error).message}); delete the file (it is only a cache)`, { file, cause: error });
    }
    return new EmbeddingCacheDatabase(file, db);
  }

  /** One vector (a copy) or undefined per key. */
  get(keys: string[]): (Float32Array | undefined)[] {
    return keys.map((key) => {
      const blob = this.select.get(key) as Buffer | undefined;
      if (blob === undefined || blob.byteLength % 4 !== 0) return undefined;
      return new Float32Array(blob.buffer.slice(blob.byteOffset, blob.byteOffset + blob.byteLength));
    });
  }

  /** Stores entries in one committed transaction. */
  put(entries: Array<[string, Float32Array]>): void {
    if (entries.length === 0) return;
    this.db.transaction(() => {
      for (const [key, vector] of entries) this.insert.run(key, Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength));
    })();
  }

  /** A value recorded beside the vectors (e.g. a model's dimension), or undefined. */
  getMeta(key: string): string | undefined {
    return this.db.prepare('SELECT value FROM meta WHERE key = ?').pluck().get(key) as string | undefined;
  }

  setMeta(key: string, value: string): void {
    this.db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run(key, value);
  }

  /** Number of cached vectors. */
  count(): number {
    return Number(this.db.prepare('SELECT count(*) FROM embeddings').pluck().get());
  }

  /** Deletes every entry whose key `keep` rejects (e.g. vectors of texts no live chunk has any more); returns how many. */
  prune(keep: (key: string) => boolean): number {
    const keys = this.db.prepare('SELECT key FROM embeddings').pluck().all() as string[];
    const remove = this.db.prepare('DELETE FROM embeddings WHERE key = ?');
    let removed = 0;
    this.db.transaction(() => {
      for (const key of keys) {
        if (keep(key)) continue;
        remove.run(key);
        removed++;
      }
    })();
    return removed;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
