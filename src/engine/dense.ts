/**
 * The collection's dense side with the embedded default embedder, LSA (no weights needed): a truncated
 * SVD of the BM25-weighted chunk × term matrix, built from the sparse segments at commit time.
 *
 * Persistence: the fitted model is an artifact (`ralm.lsa.model`, versioned and checksummed) and every
 * live chunk's vector is a row of the `vectors` table — both written in the same SQLite transaction as
 * the documents, so a crash never loses or half-writes a vector. In memory the vectors live in an exact
 * index (a tight Float32Array scan), loaded at open.
 *
 * Refit policy: the model is refitted when there is none yet or when the chunks changed since the last
 * fit exceed `refitRatio` of the chunks it was fitted on; otherwise new chunks are folded in with the
 * existing model (their analyzed terms projected like a query) and deleted ones dropped.
 */
import Database from 'better-sqlite3';
import { RalmError } from '../core/errors.js';
import { fitLsa, decodeLsaModel, encodeLsaModel, inverseDocumentFrequencies, weightTermDocumentMatrix, type LsaModel, type LsaScaling, type SparseMatrix } from '../embed/lsa.js';
import { ExactVectorIndex } from '../index/dense/index.js';
import type { Segment } from '../index/sparse/index.js';
import type { Bm25Params } from '../core/types.js';

export const LSA_ARTIFACT_KIND = 'lsa.model';

/** Dense settings recorded in a collection. */
export interface DenseSettings {
  embedder: 'lsa';
  /** LSA dimensions (default 128). */
  dimensions: number;
  scaling: LsaScaling;
  /** Refit when changed chunks exceed this share of the fitted ones (default 0.25). */
  refitRatio: number;
}

export const DEFAULT_DENSE_SETTINGS: DenseSettings = { embedder: 'lsa', dimensions: 128, scaling: 'sqrt-sigma', refitRatio: 0.25 };

/** Minimal store access the dense state needs (the engine's DocumentStore satisfies it). */
export interface DenseStore {
  readonly file: string;
  database(): Database.Database;
  artifacts(kind: string): Array<{ name: string; seq: number; bytes: Uint8Array }>;
  putArtifact(artifact: { kind: string; name: string; seq: number; bytes: Uint8Array }): void;
  deleteArtifact(kind: string, name: string): void;
}

export class DenseState {
  readonly settings: DenseSettings;
  model: LsaModel | null = null;
  index: ExactVectorIndex;
  /** Chunks the current model was fitted on. */
  fittedChunks = 0;
  /** Seconds spent embedding (fitting or folding in) by the last update. */
  lastEmbedSeconds = 0;

  constructor(settings: DenseSettings) {
    this.settings = settings;
    this.index = new ExactVectorIndex({ metric: 'cosine', dimensions: settings.dimensions });
  }

  /** Loads the model and the vectors of the live chunks. */
  static load(store: DenseStore, settings: DenseSettings, live: (key: number) => boolean): DenseState {
    const state = new DenseState(settings);
    const artifact = store.artifacts(LSA_ARTIFACT_KIND)[0];
    if (!artifact) return state;
    state.model = decodeLsaModel(artifact.bytes, { source: `${store.file}: artifact ${LSA_ARTIFACT_KIND}/${artifact.name}` });
    state.fittedChunks = state.model.documentCount;
    state.index = new ExactVectorIndex({ metric: 'cosine', dimensions: state.model.dimensions });
    const rows = store.database().prepare('SELECT chunkno, vector FROM vectors').raw().iterate() as IterableIterator<[number, Buffer]>;
    const keys: number[] = [];
    const vectors: Float32Array[] = [];
    for (const [chunkno, blob] of rows) {
      if (!live(chunkno)) continue;
      keys.push(chunkno);
      vectors.push(new Float32Array(blob.buffer.slice(blob.byteOffset, blob.byteOffset + blob.byteLength)));
    }
    if (keys.length > 0) state.index.add(keys, vectors);
    return state;
  }

  /** The query's vector: its analyzed terms (with counts) projected by the model. */
  embedQuery(terms: ReadonlyArray<{ term: string; boost: number }>): Float32Array {
    if (!this.model) throw new RalmError('NOT_FOUND', 'the collection has no dense index yet (commit documents first)');
    return this.model.projectQuery(new Map(terms.map((t) => [t.term, t.boost])));
  }

  /**
   * Brings the vectors up to date inside the open commit. `liveKeys` are all live indexed chunk keys
   * after the commit; `added` the keys this commit added; `termsOf` re-analyzes a chunk for fold-in.
   */
  update(input: {
    store: DenseStore;
    seq: number;
    segments: readonly Segment[];
    isLive: (key: number) => boolean;
    liveCount: number;
    added: readonly number[];
    deleted: readonly number[];
    bm25: Bm25Params;
    termsOf: (key: number) => string[];
  }): { refit: boolean } {
    const started = performance.now();
    const db = input.store.database();
    const changed = input.added.length + input.deleted.length;
    const refit = this.model === null || changed > this.settings.refitRatio * Math.max(1, this.fittedChunks);
    if (input.liveCount === 0) {
      db.prepare('DELETE FROM vectors').run();
      this.index = new ExactVectorIndex({ metric: 'cosine', dimensions: this.settings.dimensions });
      this.lastEmbedSeconds = 0;
      return { refit: false };
    }
    if (refit) {
      const { matrix, vocabulary, keys } = termDocumentMatrix(input.segments, input.isLive);
      const idf = inverseDocumentFrequencies(matrix);
      const weighted = weightTermDocumentMatrix(matrix, { idf, weighting: 'bm25', k1: input.bm25.k1, b: input.bm25.b });
      const dimensions = Math.max(1, Math.min(this.settings.dimensions, keys.length - 1, vocabulary.length - 1));
      const model = fitLsa({ matrix: weighted, vocabulary, idf, dimensions, weighting: 'bm25', scaling: this.settings.scaling, seed: 1 });
      for (const old of input.store.artifacts(LSA_ARTIFACT_KIND)) input.store.deleteArtifact(LSA_ARTIFACT_KIND, old.name);
      input.store.putArtifact({ kind: LSA_ARTIFACT_KIND, name: `lsa-${input.seq}`, seq: input.seq, bytes: encodeLsaModel(model) });
      db.prepare('DELETE FROM vectors').run();
      const insert = db.prepare('INSERT INTO vectors (chunkno, seq, vector) VALUES (?, ?, ?)');
      const index = new ExactVectorIndex({ metric: 'cosine', dimensions: model.dimensions, capacity: keys.length });
      const vectors: Float32Array[] = [];
      for (let row = 0; row < keys.length; row++) {
        const vector = model.documentVector(row).slice();
        vectors.push(vector);
        insert.run(keys[row]!, input.seq, Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength));
      }
      index.add(keys, vectors);
      this.model = model;
      this.index = index;
      this.fittedChunks = keys.length;
    } else {
      const model = this.model!;
      const remove = db.prepare('DELETE FROM vectors WHERE chunkno = ?');
      for (const key of input.deleted) {
        remove.run(key);
        this.index.remove(key);
      }
      const insert = db.prepare('INSERT OR REPLACE INTO vectors (chunkno, seq, vector) VALUES (?, ?, ?)');
      const keys: number[] = [];
      const vectors: Float32Array[] = [];
      for (const key of input.added) {
        const counts = new Map<string, number>();
        for (const term of input.termsOf(key)) counts.set(term, (counts.get(term) ?? 0) + 1);
        const vector = model.projectQuery(counts);
        keys.push(key);
        vectors.push(vector);
        insert.run(key, input.seq, Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength));
      }
      if (keys.length > 0) this.index.add(keys, vectors);
    }
    this.lastEmbedSeconds = (performance.now() - started) / 1000;
    return { refit };
  }
}

/** The chunk × term count matrix of the live chunks (CSR), built from the segments' postings. */
export function termDocumentMatrix(segments: readonly Segment[], isLive: (key: number) => boolean): { matrix: SparseMatrix; vocabulary: string[]; keys: number[] } {
  const rowOf = new Map<number, number>();
  const keys: number[] = [];
  for (const segment of segments) {
    for (const key of segment.docKeys) {
      if (!isLive(key) || rowOf.has(key)) continue;
      rowOf.set(key, keys.length);
      keys.push(key);
    }
  }
  const columnOf = new Map<string, number>();
  const vocabulary: string[] = [];
  const rows: number[][] = keys.map(() => []);
  const values: number[][] = keys.map(() => []);
  for (const segment of segments) {
    for (let t = 0; t < segment.termCount; t++) {
      const term = segment.term(t);
      let column = columnOf.get(term);
      const { docs, freqs } = segment.readPostings(t);
      for (let i = 0; i < docs.length; i++) {
        const row = rowOf.get(segment.docKeys[docs[i]!]!);
        if (row === undefined) continue;
        if (column === undefined) {
          column = vocabulary.length;
          columnOf.set(term, column);
          vocabulary.push(term);
        }
        rows[row]!.push(column);
        values[row]!.push(freqs[i]!);
      }
    }
  }
  const indptr = new Int32Array(keys.length + 1);
  let nonZeros = 0;
  for (let r = 0; r < keys.length; r++) {
    nonZeros += rows[r]!.length;
    indptr[r + 1] = nonZeros;
  }
  const indices = new Int32Array(nonZeros);
  const data = new Float64Array(nonZeros);
  for (let r = 0, p = 0; r < keys.length; r++) {
    const order = rows[r]!.map((_, i) => i).sort((a, b) => rows[r]![a]! - rows[r]![b]!);
    for (const i of order) {
      indices[p] = rows[r]![i]!;
      data[p++] = values[r]![i]!;
    }
  }
  return { matrix: { rows: keys.length, columns: vocabulary.length, indptr, indices, values: data } as SparseMatrix, vocabulary, keys };
}
