/**
 * A collection: one folder on disk holding documents (SQLite, the source of truth) and the sparse
 * index over them (segments stored as rows in the same database, written in the same transaction as
 * the documents they cover). One writer and any number of readers, also across processes.
 */
import { RalmError } from '../core/errors.js';
import type { Bm25Params, DocumentInput, Explanation, Metadata } from '../core/types.js';
import { getAnalyzer } from '../analysis/index.js';
import type { Analyzer } from '../analysis/types.js';
import { acquireWriteLock, DocumentStore, documentHash, STORE_FILE } from '../store/index.js';
import {
  DeletedDocs,
  SegmentWriter,
  SparseSearcher,
  decodeSegment,
  encodeSegment,
  mergeSegments,
  type Segment,
} from '../index/sparse/index.js';
import { defaults } from './defaults.js';
import { makeSnippet } from './snippet.js';

const SEGMENT_KIND = 'sparse.segment';

/** Options of {@link openCollection}. */
export interface OpenCollectionOptions {
  /** The collection folder. */
  path: string;
  /** Create the collection when the folder holds none (default false). */
  create?: boolean;
  /** Open for searching only: no lock is taken and writes are refused (default false). */
  readOnly?: boolean;
  /**
   * Analyzer name. For a new collection it is recorded (default `auto`); for an existing one it must
   * match the recorded name, or opening fails with ANALYZER_MISMATCH.
   */
  analyzer?: string;
  /** BM25 parameters for this session's searches (default: the collection's, k1 = 0.9, b = 0.4). */
  bm25?: Partial<Bm25Params>;
  /** Segments allowed before a background merge (default 8). */
  mergeFactor?: number;
}

/** Options of {@link Collection.search}. */
export interface SearchOptions {
  /** Number of hits (default 10). */
  k?: number;
  /** Attach the BM25 explanation of every hit (default false). */
  explain?: boolean;
  /** Fetch title, snippet and metadata of each hit from the store (default true). */
  documents?: boolean;
  /** BM25 parameters for this search only. */
  bm25?: Partial<Bm25Params>;
}

/** One ranked hit. */
export interface SearchHit {
  rank: number;
  /** The document's id. */
  id: string;
  score: number;
  /** Internal chunk key (stable for the life of the chunk). */
  chunk: number;
  title?: string;
  snippet?: string;
  metadata?: Metadata;
  explanation?: Explanation;
}

export interface SearchResult {
  query: string;
  /** The analyzed query: unique terms with their count as boost. */
  terms: Array<{ term: string; boost: number }>;
  hits: SearchHit[];
}

/** What a commit did. */
export interface CommitResult {
  /** Sequence number of the commit (unchanged when there was nothing to commit). */
  seq: number;
  added: number;
  updated: number;
  deleted: number;
  /** Documents given to add() whose content equalled the stored version. */
  unchanged: number;
  seconds: number;
}

export interface CollectionStats {
  path: string;
  analyzer: string;
  bm25: Bm25Params;
  documents: number;
  segments: number;
  indexedChunks: number;
  deletedChunks: number;
  terms: number;
  averageDocumentLength: number;
  lastSeq: number;
}

interface PendingPut {
  kind: 'put';
  document: { id: string; title: string; text: string; metadata: Metadata; hash: string };
  chunkno: number;
}
interface PendingDelete {
  kind: 'delete';
}

interface LoadedSegment {
  name: string;
  seq: number;
  segment: Segment;
}

/**
 * Opens (or creates) a collection.
 *
 * @example
 * ```ts
 * import { openCollection } from 'ralm';
 * const collection = await openCollection({ path: 'my-index', create: true, analyzer: 'english' });
 * collection.add([{ id: 'd1', title: 'BM25', text: 'Okapi BM25 is a ranking function.' }]);
 * await collection.commit();
 * const { hits } = await collection.search('ranking function', { k: 5, explain: true });
 * await collection.close();
 * ```
 */
export async function openCollection(options: OpenCollectionOptions): Promise<Collection> {
  return Collection.open(options);
}

export class Collection {
  readonly path: string;
  readonly readOnly: boolean;
  readonly analyzer: Analyzer;
  readonly bm25: Bm25Params;
  private readonly store: DocumentStore;
  private readonly releaseLock: (() => void) | null;
  private readonly mergeFactor: number;
  private segments: LoadedSegment[] = [];
  private deleted = new DeletedDocs();
  /** chunk key → document id, for every live chunk. */
  private idOf = new Map<number, string>();
  private searcher!: SparseSearcher;
  private seq = 0;
  private pending = new Map<string, PendingPut | PendingDelete>();
  private orphans: number[] = [];
  private unchanged = 0;
  private writer: SegmentWriter | null = null;
  private nextChunkno = 1;
  private closed = false;
  private mergeScheduled: Promise<void> | null = null;
  private segmentCache = new Map<string, Segment>();

  private constructor(store: DocumentStore, analyzer: Analyzer, bm25: Bm25Params, releaseLock: (() => void) | null, mergeFactor: number) {
    this.store = store;
    this.path = store.folder;
    this.readOnly = store.readOnly;
    this.analyzer = analyzer;
    this.bm25 = bm25;
    this.releaseLock = releaseLock;
    this.mergeFactor = mergeFactor;
  }

  /** See {@link openCollection}. */
  static async open(options: OpenCollectionOptions): Promise<Collection> {
    if (!options || typeof options.path !== 'string' || options.path.length === 0) {
      throw new RalmError('INVALID_ARGUMENT', 'openCollection needs a `path` (the collection folder)');
    }
    const readOnly = !!options.readOnly;
    const store = DocumentStore.open(options.path, { create: !!options.create && !readOnly, readOnly });
    let release: (() => void) | null = null;
    try {
      if (!readOnly) release = acquireWriteLock(store.folder);
      const recorded = store.getMeta('analyzer');
      let analyzerName = recorded;
      if (recorded === undefined) {
        analyzerName = options.analyzer ?? defaults.analyzer;
        getAnalyzer(analyzerName); // validate before recording
        if (readOnly) throw new RalmError('FORMAT', `${store.file}: collection has no analyzer recorded`, { file: store.file });
        store.transaction(() => {
          store.setMeta('analyzer', analyzerName!);
          store.setMeta('bm25.k1', String(options.bm25?.k1 ?? defaults.bm25.k1));
          store.setMeta('bm25.b', String(options.bm25?.b ?? defaults.bm25.b));
        });
      } else if (options.analyzer !== undefined && options.analyzer !== recorded) {
        throw new RalmError(
          'ANALYZER_MISMATCH',
          `collection ${options.path} was built with analyzer "${recorded}", not "${options.analyzer}"; search it without --analyzer, or build a new collection with "${options.analyzer}"`,
          { file: options.path },
        );
      }
      const analyzer = getAnalyzer(analyzerName!);
      const bm25 = validateBm25({
        k1: options.bm25?.k1 ?? Number(store.getMeta('bm25.k1') ?? defaults.bm25.k1),
        b: options.bm25?.b ?? Number(store.getMeta('bm25.b') ?? defaults.bm25.b),
      });
      const mergeFactor = options.mergeFactor ?? defaults.mergeFactor;
      if (!Number.isInteger(mergeFactor) || mergeFactor < 2) throw new RalmError('INVALID_ARGUMENT', `mergeFactor must be an integer ≥ 2, got ${mergeFactor}`);
      const collection = new Collection(store, analyzer, bm25, release, mergeFactor);
      collection.load();
      return collection;
    } catch (error) {
      release?.();
      store.close();
      throw error;
    }
  }

  /** Loads segments, live chunks and deletions from the store, and replays commits the index misses. */
  private load(): void {
    const store = this.store;
    if (this.readOnly) store.beginSnapshot();
    this.seq = store.lastSeq();
    const loaded: LoadedSegment[] = [];
    const cache = new Map<string, Segment>();
    for (const artifact of store.artifacts(SEGMENT_KIND)) {
      let segment = this.segmentCache.get(artifact.name);
      if (!segment) segment = decodeSegment(artifact.bytes, `${store.file}: artifact ${artifact.kind}/${artifact.name}`);
      cache.set(artifact.name, segment);
      loaded.push({ name: artifact.name, seq: artifact.seq, segment });
    }
    this.segmentCache = cache;
    const idOf = new Map<number, string>();
    for (const [chunkno, id] of store.liveChunks()) idOf.set(chunkno, id);
    const deleted = new DeletedDocs();
    const indexed = new Set<number>();
    const checkpoint = Number(store.getMeta('sparse.checkpoint') ?? 0);
    for (const { segment } of loaded) {
      const keys = segment.docKeys;
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i]!;
        if (!idOf.has(key)) deleted.add(key);
        if (checkpoint < this.seq) indexed.add(key);
      }
    }
    // Replay: documents committed to the store after the index's checkpoint (never silently missed).
    if (checkpoint < this.seq) {
      const writer = new SegmentWriter();
      for (const row of store.documentsAddedAfter(checkpoint)) {
        for (const chunk of row.chunks) {
          if (indexed.has(chunk.chunkno)) continue;
          writer.add(chunk.chunkno, this.analyzer.analyze(chunkText(row.title, row.text, chunk)));
        }
      }
      if (writer.documentCount > 0) {
        const segment = writer.finish();
        const name = `r${this.seq}`;
        if (!this.readOnly) {
          const bytes = encodeSegment(segment);
          store.transaction(() => {
            store.putArtifact({ kind: SEGMENT_KIND, name, seq: this.seq, bytes });
            store.setMeta('sparse.checkpoint', String(this.seq));
          });
        }
        loaded.push({ name, seq: this.seq, segment });
      } else if (!this.readOnly) {
        store.setMeta('sparse.checkpoint', String(this.seq));
      }
    }
    this.segments = loaded;
    this.idOf = idOf;
    this.deleted = deleted;
    this.nextChunkno = store.maxChunkno() + 1;
    for (const { segment } of loaded) {
      const keys = segment.docKeys;
      if (keys.length > 0 && keys[keys.length - 1]! >= this.nextChunkno) this.nextChunkno = keys[keys.length - 1]! + 1;
    }
    this.rebuildSearcher();
  }

  private rebuildSearcher(): void {
    this.searcher = new SparseSearcher({ segments: this.segments.map((s) => s.segment), deleted: this.deleted, params: this.bm25 });
  }

  private assertOpen(): void {
    if (this.closed) throw new RalmError('CLOSED', `collection ${this.path} is closed`);
  }

  private assertWritable(): void {
    this.assertOpen();
    if (this.readOnly) throw new RalmError('READ_ONLY', `collection ${this.path} is open read-only`);
  }

  /**
   * Adds documents (the same id replaces the stored version). Buffered until {@link commit};
   * documents whose content equals the stored version are skipped.
   * @example collection.add({ id: 'a', title: 'Title', text: 'Body text', metadata: { year: 2024 } });
   */
  add(documents: DocumentInput | readonly DocumentInput[]): void {
    this.assertWritable();
    const list = Array.isArray(documents) ? documents : [documents as DocumentInput];
    for (let i = 0; i < list.length; i++) {
      const input = list[i]!;
      const document = normalizeDocument(input, i);
      const hash = documentHash(document);
      const previous = this.pending.get(document.id);
      if (previous?.kind === 'put') this.orphans.push(previous.chunkno);
      const live = this.store.liveVersion(document.id);
      if (live && live.hash === hash) {
        if (previous) this.pending.delete(document.id);
        this.unchanged++;
        continue;
      }
      const chunkno = this.nextChunkno++;
      this.writer ??= new SegmentWriter();
      this.writer.add(chunkno, this.analyzer.analyze(document.title ? `${document.title} ${document.text}` : document.text));
      this.pending.set(document.id, { kind: 'put', document: { ...document, hash }, chunkno });
    }
  }

  /** Deletes documents by id (buffered until {@link commit}). Unknown ids are ignored. */
  delete(ids: string | readonly string[]): void {
    this.assertWritable();
    for (const id of typeof ids === 'string' ? [ids] : ids) {
      const previous = this.pending.get(id);
      if (previous?.kind === 'put') this.orphans.push(previous.chunkno);
      this.pending.set(id, { kind: 'delete' });
    }
  }

  /** Number of buffered, uncommitted changes. */
  get pendingChanges(): number {
    return this.pending.size;
  }

  /**
   * Makes every buffered change searchable and durable in one atomic SQLite transaction: the
   * documents, their chunks, the new index segment and the checkpoint. If the process dies before
   * it returns, the collection holds exactly the previous commit.
   */
  async commit(): Promise<CommitResult> {
    this.assertWritable();
    const started = performance.now();
    const unchanged = this.unchanged;
    this.unchanged = 0;
    if (this.pending.size === 0) {
      this.orphans = [];
      this.writer = null;
      return { seq: this.seq, added: 0, updated: 0, deleted: 0, unchanged, seconds: (performance.now() - started) / 1000 };
    }
    const pending = this.pending;
    const writer = this.writer;
    const newlyDeleted = [...this.orphans];
    this.pending = new Map();
    this.orphans = [];
    this.writer = null;
    const segment = writer && writer.documentCount > 0 ? writer.finish() : null;
    const bytes = segment ? encodeSegment(segment) : null;
    let added = 0;
    let updated = 0;
    let deletedCount = 0;
    const store = this.store;
    const seq = store.transaction(() => {
      const seq = store.lastSeq() + 1;
      for (const [id, change] of pending) {
        const live = store.liveVersion(id);
        if (live) newlyDeleted.push(...store.markDeleted(live.docno, seq));
        if (change.kind === 'put') {
          const d = change.document;
          store.insertDocument(d, seq, [{ chunkno: change.chunkno, ordinal: 0, start: 0, end: d.text.length }]);
          if (live) updated++;
          else added++;
        } else if (live) {
          deletedCount++;
        }
      }
      if (bytes) store.putArtifact({ kind: SEGMENT_KIND, name: `s${seq}`, seq, bytes });
      store.setMeta('sparse.checkpoint', String(seq));
      store.recordCommit(seq, added + updated, deletedCount + updated);
      return seq;
    });
    // The transaction is durable: publish the new state to searches.
    this.seq = seq;
    if (segment) {
      this.segments = [...this.segments, { name: `s${seq}`, seq, segment }];
      this.segmentCache.set(`s${seq}`, segment);
    }
    for (const key of newlyDeleted) {
      this.deleted.add(key);
      this.idOf.delete(key);
    }
    for (const [id, change] of pending) if (change.kind === 'put') this.idOf.set(change.chunkno, id);
    this.rebuildSearcher();
    if (this.segments.length > this.mergeFactor && !this.mergeScheduled) {
      this.mergeScheduled = new Promise((resolve) => setImmediate(resolve)).then(() => {
        this.mergeScheduled = null;
        if (!this.closed) this.mergeSmallest();
      });
    }
    return { seq, added, updated, deleted: deletedCount, unchanged, seconds: (performance.now() - started) / 1000 };
  }

  /** Merges the smallest segments into one (runs after a commit that leaves too many segments). */
  private mergeSmallest(): void {
    if (this.segments.length <= this.mergeFactor) return;
    const bySize = [...this.segments].sort((a, b) => a.segment.docKeys.length - b.segment.docKeys.length);
    this.mergeInto(bySize.slice(0, this.mergeFactor));
  }

  private mergeInto(inputs: LoadedSegment[]): void {
    if (inputs.length === 0) return;
    const merged = mergeSegments(inputs.map((s) => ({ segment: s.segment, deleted: this.deleted })));
    const seq = Math.max(...inputs.map((s) => s.seq));
    const name = `m${seq}-${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
    const bytes = encodeSegment(merged);
    this.store.transaction(() => {
      this.store.putArtifact({ kind: SEGMENT_KIND, name, seq, bytes });
      for (const s of inputs) this.store.deleteArtifact(SEGMENT_KIND, s.name);
    });
    const removed = new Set(inputs.map((s) => s.name));
    this.segments = [...this.segments.filter((s) => !removed.has(s.name)), { name, seq, segment: merged }].sort((a, b) => a.seq - b.seq);
    for (const n of removed) this.segmentCache.delete(n);
    this.segmentCache.set(name, merged);
    this.rebuildSearcher();
  }

  /**
   * Merges all segments into one, dropping deleted documents, and removes deleted document versions
   * from the store. Uncommitted changes are not included (commit first).
   */
  async optimize(): Promise<{ segmentsBefore: number; purgedDocuments: number }> {
    this.assertWritable();
    await this.mergeScheduled;
    const segmentsBefore = this.segments.length;
    if (this.segments.length > 1 || this.deleted.size > 0) this.mergeInto(this.segments);
    const held = new Set<number>();
    for (const { segment } of this.segments) for (const key of segment.docKeys) held.add(key);
    const purgedDocuments = this.store.transaction(() => this.store.purgeDeleted((chunkno) => held.has(chunkno)));
    this.deleted = new DeletedDocs();
    this.rebuildSearcher();
    return { segmentsBefore, purgedDocuments };
  }

  /**
   * Searches with BM25 (Lucene's BM25Similarity). The query is analyzed with the collection's
   * analyzer; each unique term is weighted by its count in the query.
   * @example const { hits } = await collection.search('ranking function', { k: 10, explain: true });
   */
  async search(query: string, options: SearchOptions = {}): Promise<SearchResult> {
    return this.searchNow(query, options);
  }

  /** Synchronous form of {@link search}, for tight loops (benchmarks, evaluation). */
  searchNow(query: string, options: SearchOptions = {}): SearchResult {
    this.assertOpen();
    if (typeof query !== 'string') throw new RalmError('INVALID_ARGUMENT', `query must be a string, got ${typeof query}`);
    const k = options.k ?? defaults.k;
    if (!Number.isInteger(k) || k < 1) throw new RalmError('INVALID_ARGUMENT', `k must be a positive integer, got ${k}`);
    const terms = this.analyzeQuery(query);
    if (terms.length === 0) {
      throw new RalmError(
        'EMPTY_QUERY',
        query.trim().length === 0
          ? 'the query is empty'
          : `the query "${query}" has no searchable terms after analysis with "${this.analyzer.name}" (only stop words or punctuation)`,
      );
    }
    const searcher =
      options.bm25 && (options.bm25.k1 !== undefined || options.bm25.b !== undefined)
        ? new SparseSearcher({
            segments: this.segments.map((s) => s.segment),
            deleted: this.deleted,
            params: validateBm25({ k1: options.bm25.k1 ?? this.bm25.k1, b: options.bm25.b ?? this.bm25.b }),
          })
        : this.searcher;
    const scored = searcher.search(terms, { k });
    const hits: SearchHit[] = new Array(scored.length);
    for (let i = 0; i < scored.length; i++) {
      const s = scored[i]!;
      hits[i] = { rank: i + 1, id: this.idOf.get(s.docKey) ?? '', score: s.score, chunk: s.docKey };
    }
    if (options.explain) {
      for (const hit of hits) hit.explanation = searcher.explain(terms, hit.chunk) ?? undefined;
    }
    if (options.documents ?? true) {
      const rows = this.store.getChunks(hits.map((h) => h.chunk));
      const termSet = new Set(terms.map((t) => t.term));
      for (const hit of hits) {
        const row = rows.get(hit.chunk);
        if (!row) continue;
        hit.title = row.document.title;
        hit.metadata = row.document.metadata;
        hit.snippet = makeSnippet(row.document.text.slice(row.chunk.start, row.chunk.end), termSet, this.analyzer, defaults.snippetLength);
      }
    }
    return { query, terms, hits };
  }

  /** The analyzed query: unique terms, boost = count, in first-occurrence order. */
  analyzeQuery(query: string): Array<{ term: string; boost: number }> {
    const counts = new Map<string, number>();
    for (const term of this.analyzer.analyze(query)) counts.set(term, (counts.get(term) ?? 0) + 1);
    return [...counts].map(([term, boost]) => ({ term, boost }));
  }

  /** Fetches stored documents by id (missing ids are skipped). */
  async get(ids: readonly string[]): Promise<Array<{ id: string; title: string; text: string; metadata: Metadata; hash: string; seq: number }>> {
    this.assertOpen();
    return this.store.getDocuments(ids).map((d) => ({ id: d.id, title: d.title, text: d.text, metadata: d.metadata, hash: d.hash, seq: d.addedSeq }));
  }

  /** Iterates over every live document. */
  *documents(): IterableIterator<{ id: string; title: string; text: string; metadata: Metadata }> {
    this.assertOpen();
    for (const d of this.store.iterateDocuments()) yield { id: d.id, title: d.title, text: d.text, metadata: d.metadata };
  }

  /**
   * For a read-only collection: picks up commits made by the writer since open (or the last refresh).
   * Until then the reader keeps its consistent snapshot. Returns true when something changed.
   */
  async refresh(): Promise<boolean> {
    this.assertOpen();
    if (!this.readOnly) return false;
    this.store.endSnapshot();
    const latest = this.store.lastSeq();
    if (latest === this.seq && this.store.artifacts(SEGMENT_KIND).length === this.segments.length) {
      this.store.beginSnapshot();
      return false;
    }
    this.load();
    return true;
  }

  stats(): CollectionStats {
    this.assertOpen();
    const s = this.searcher.stats();
    let indexed = 0;
    for (const { segment } of this.segments) indexed += segment.docKeys.length;
    return {
      path: this.path,
      analyzer: this.analyzer.name,
      bm25: { ...this.bm25 },
      documents: this.store.liveDocumentCount(),
      segments: this.segments.length,
      indexedChunks: indexed - this.deleted.size,
      deletedChunks: this.deleted.size,
      terms: s.termCount,
      averageDocumentLength: s.averageDocumentLength,
      lastSeq: this.seq,
    };
  }

  /** Closes the collection. Uncommitted changes are discarded; a running merge finishes first. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.mergeScheduled;
    this.closed = true;
    this.pending.clear();
    this.store.close();
    this.releaseLock?.();
  }
}

function chunkText(title: string, text: string, chunk: { ordinal: number; start: number; end: number }): string {
  const body = text.slice(chunk.start, chunk.end);
  return chunk.ordinal === 0 && title ? `${title} ${body}` : body;
}

function normalizeDocument(input: DocumentInput, index: number): { id: string; title: string; text: string; metadata: Metadata } {
  if (input === null || typeof input !== 'object') throw new RalmError('INVALID_ARGUMENT', `document #${index + 1} is not an object`);
  const { id, title, text, metadata } = input;
  if (typeof id !== 'string' || id.length === 0) throw new RalmError('INVALID_ARGUMENT', `document #${index + 1} has no id (a non-empty string is required)`);
  if (typeof text !== 'string') throw new RalmError('INVALID_ARGUMENT', `document "${id}" has no text (a string is required)`);
  if (title !== undefined && typeof title !== 'string') throw new RalmError('INVALID_ARGUMENT', `document "${id}": title must be a string`);
  if (metadata !== undefined && (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata))) {
    throw new RalmError('INVALID_ARGUMENT', `document "${id}": metadata must be a JSON object`);
  }
  return { id, title: title ?? '', text, metadata: metadata ?? {} };
}

function validateBm25(params: Bm25Params): Bm25Params {
  if (!Number.isFinite(params.k1) || params.k1 < 0) throw new RalmError('INVALID_ARGUMENT', `BM25 k1 must be a finite number ≥ 0, got ${params.k1}`);
  if (!Number.isFinite(params.b) || params.b < 0 || params.b > 1) throw new RalmError('INVALID_ARGUMENT', `BM25 b must be between 0 and 1, got ${params.b}`);
  return params;
}

export { STORE_FILE };
