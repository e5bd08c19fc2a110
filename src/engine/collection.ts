/**
 * A collection: one folder on disk holding documents (SQLite, the source of truth) and the sparse
 * index over them (segments stored as rows in the same database, written in the same transaction as
 * the documents they cover). One writer and any number of readers, also across processes.
 */
import { RalmError } from '../core/errors.js';
import type { Bm25Params, DocumentInput, Explanation, Metadata } from '../core/types.js';
import { getAnalyzer, hasTermIds, ParallelAnalysis } from '../analysis/index.js';
import type { Analyzer } from '../analysis/types.js';
import { acquireWriteLock, DocumentStore, documentHash, HASH_NOT_RECORDED, STORE_FILE } from '../store/index.js';
import {
  DeletedDocs,
  SegmentWriter,
  SparseSearcher,
  decodeSegment,
  encodeSegment,
  mergeSegments,
  type Segment,
} from '../index/sparse/index.js';
import { DEFAULT_CHUNK_OPTIONS, type ChunkOptions } from '../ingest/chunk.js';
import { NearDuplicateIndex, shingleSimilarity } from '../ingest/dedup.js';
import { compileFilter, filterFromJson, parseFilter } from '../retrieve/filter.js';
import { defaults } from './defaults.js';
import { DenseState, denseSettingsFor, embedderSpecOf, normalizeEmbedderSpec, type DenseOptions, type DenseSettings, type DenseStats } from './dense.js';
import { fuse, type FusionOptions, type RankedList } from '../retrieve/fusion.js';
import { maximalMarginalRelevance } from '../retrieve/mmr.js';
import { createTermMatcher, makeSnippet } from './snippet.js';
import { AddedKeys } from './added-keys.js';
import { chunkText, hasAtLeastWords, MIN_DEDUPLICATE_TOKENS, normalizeDocument, prepareNormalized, type EncodedTerms, type PreparedDocument, type PrepareSettings } from './prepare.js';

const SEGMENT_KIND = 'sparse.segment';
/**
 * Postings (8 bytes each in the writer, as much again while it finishes) at which the open commit's segment is flushed
 * into the transaction: 2^23, about 64 MB — what 50,000 chunks of 256 tokens hold, the former fixed flush. Collections
 * of short documents get larger segments: WordNet's 117,659 glosses (1.1 M postings) are one segment instead of three,
 * which saves two finishes and their term look-ups (index time 1.58–1.83 s vs 1.55–2.21 s, median paired gain 0.24 s).
 */
const FLUSH_POSTINGS = 1 << 23;
/** The stored sketch of a chunk too short to judge as a near-duplicate. */
const NO_SKETCH = new Uint8Array(0);

/** What a stored near-duplicate sketch depends on (sketches made under other options are not reused). */
function sketchOptions(index: NearDuplicateIndex): string {
  const { permutations, shingleSize, seed } = index.options;
  return `sketch-v1 permutations=${permutations} shingle=${shingleSize} seed=${seed}`;
}

/** An add() whose documents hold at least this many characters analyzes them in worker threads (when there are any). */
const PARALLEL_ANALYSIS_MIN_CHARACTERS = 256 * 1024;
/**
 * An add() whose documents average at least this many characters splits the analysis (`ParallelAnalysis`, option
 * `split`): the workers leave the stemming to this thread. Long documents make the analysis the longer of the two
 * threads' work, short ones the rows this thread stores per document. Measured on 2 cores (add() + commit, interleaved
 * fresh processes): SciFact (5,183 abstracts, ~1,470 characters each) 883–1,096 ms split vs 1,044–1,224 ms not (6
 * pairs, median paired gain 134 ms); WordNet (117,659 glosses, ~60 characters) 1.61–1.91 s split vs 1.66–1.75 s not
 * (3 pairs: the stemming lands on the busier thread).
 */
const SPLIT_ANALYSIS_MIN_AVERAGE_CHARACTERS = 400;
/**
 * The terms `add()` prepares documents with: none. It analyzes each chunk itself when it writes it (see `indexChunk`),
 * as term ids straight into the segment writer, on worker threads for a large add.
 */
const DEFERRED_TERMS: string[] = Object.freeze([]) as unknown as string[];
const deferredAnalysis = (name: string): Analyzer => ({ name, analyze: () => DEFERRED_TERMS });
/**
 * A chunk whose estimated Jaccard similarity to an indexed one is at least the threshold minus this is checked with
 * the exact Jaccard similarity of the shingle sets (the estimate's standard error is ≈ 0.027 at 0.9: 0.1 is 3.7 of
 * them, so a pair truly above the threshold is not missed for its estimate falling short; on the ingest benchmark's
 * corpora the lowest estimate of a pair with exact similarity ≥ 0.9 was 0.835).
 */
const NEAR_DUPLICATE_CHECK_MARGIN = 0.1;
/** Chunks a commit adds from which on it releases the near-duplicate index (see `commit`). */
const RELEASE_NEAR_DUPLICATES_AFTER = 100_000;

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
  /**
   * How documents are split into chunks (the unit that is indexed and retrieved), recorded for a new
   * collection: `false` indexes each document whole (as BEIR evaluation does); default
   * `DEFAULT_CHUNK_OPTIONS` (chosen by measurement, see bench/results/chunking.md).
   */
  chunking?: false | Partial<ChunkOptions>;
  /**
   * Chunks buffered in memory before a segment is flushed into the open commit (default 1,000,000). A segment is also
   * flushed at {@link FLUSH_POSTINGS} postings, whichever comes first.
   */
  flushChunks?: number;
  /**
   * Worker threads that analyze the chunks of a large `add()` while the calling thread stores the documents
   * (default: one per core beyond the calling thread's, at most 3, none on a saturated machine — see
   * `defaultAnalysisWorkers`; `0`: everything on the calling thread). The index is the same either way.
   */
  analysisWorkers?: number;
  /**
   * Near-duplicate removal, recorded for a new collection: a chunk whose Jaccard similarity of word
   * 5-shingles with a stored chunk reaches `threshold` (candidates found by MinHash and LSH, then
   * confirmed exactly) is stored once — linked to every source — and indexed once. `false` turns it
   * off. Default `{ threshold: 0.9 }`.
   */
  deduplicate?: false | { threshold?: number };
  /**
   * Dense retrieval, enabling `mode: 'dense' | 'hybrid'` searches. The embedder is recorded for a new collection:
   * `'lsa'` fits LSA embeddings (no model weights needed) at commit time; an ONNX model id or folder, or
   * `'openai:<model>'` (any OpenAI-compatible server), embeds every chunk at commit (cached, batched) and every
   * query at search. For an existing collection `embedder` may be omitted; given, it must be the recorded one.
   * The other fields of {@link DenseOptions} (endpoint, key, workers, progress …) apply to this session. Default
   * `false`.
   */
  dense?: false | string | DenseOptions;
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
  /**
   * Metadata filter, applied inside the top-k (k hits are returned whenever k matching ones exist):
   * the filter language (`lang = "zh" and year >= 2020`) or its JSON form (`{ "year": { "gte": 2020 } }`).
   */
  filter?: string | Record<string, unknown>;
  /** `document` (default): the best chunk of each document; `chunk`: every matching chunk. */
  group?: 'document' | 'chunk';
  /** Attach the chunk's full text (`hit.text`, with documents: true) — the passage handed to a generator. */
  text?: boolean;
  /** `bm25` (default), `dense` (the collection's embeddings) or `hybrid` (both, fused). */
  mode?: 'bm25' | 'dense' | 'hybrid';
  /** How a hybrid search fuses its lists (default `attention`, weights chosen on a dev split). */
  fusion?: 'rrf' | 'score' | 'attention';
  /** Maximal marginal relevance over the dense vectors with this λ (1 = relevance only), for diverse hits. */
  mmr?: number;
  /**
   * The query's vector, computed by the caller (dense and hybrid modes): used instead of embedding the query. It must
   * come from the collection's embedder (same dimension). `search()` embeds the query itself; `searchNow()` needs
   * this for a collection with a model embedder.
   */
  queryVector?: Float32Array;
}

/** One ranked hit. */
export interface SearchHit {
  rank: number;
  /** The document's id. */
  id: string;
  score: number;
  /** Internal chunk key (stable for the life of the chunk). */
  chunk: number;
  /** The chunk's span in the document's text, its position and its heading path (with documents: true). */
  ordinal?: number;
  start?: number;
  end?: number;
  headingPath?: string[];
  page?: number;
  title?: string;
  snippet?: string;
  metadata?: Metadata;
  explanation?: Explanation;
  /** The chunk's text (`SearchOptions.text`); `start`/`end` locate it in the document. */
  text?: string;
  /** Other documents holding a near-duplicate of this chunk (stored once, linked to every source). */
  duplicates?: Array<{ id: string; chunk: number; start: number; end: number }>;
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
  /** The dense side (embedder, vectors, index kind, checkpoint), when the collection has one. */
  dense?: DenseStats;
}

/** The open commit: rows already written inside one SQLite transaction, not yet visible to anyone. */
interface Staging {
  seq: number;
  writer: SegmentWriter;
  segments: LoadedSegment[];
  /** Chunk keys whose document version this commit deleted or replaced. */
  deletedKeys: number[];
  /** Chunk key → document id of every chunk this commit added. */
  addedKeys: AddedKeys;
  /**
   * Documents this commit adds (new ids), updates (ids live before it) and deletes, counted as they come: the live
   * version's sequence number tells whether an id was touched earlier in the commit, so no map by id is kept.
   */
  added: number;
  updated: number;
  deleted: number;
  /** Ids live before this commit that it deleted (a later add of one is an update); null until the first. */
  deletedIds: Set<string> | null;
  /** The highest chunk key written since the last flush (a segment's keys increase); -1 when none. */
  lastKey: number;
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
  /** The store's purge count when this instance last loaded (a reader reloads fully when it changes). */
  private purgeGeneration = 0;
  private liveCount: { seq: number; count: number } | undefined;
  private staging: Staging | null = null;
  private unchanged = 0;
  private nextChunkno = 1;
  private readonly chunking: ChunkOptions | false;
  private readonly deduplicate: { threshold: number } | false;
  private readonly denseSettings: DenseSettings | false;
  /** Per-session dense options (endpoint, key, workers, progress). */
  private readonly denseOptions: DenseOptions;
  private dense: DenseState | null = null;
  /** The dense side being loaded by `load()` (awaited by open, refresh and search). */
  private denseLoading: Promise<void> = Promise.resolve();
  /** Set while a commit embeds its chunks (the open commit must not change meanwhile). */
  private embedding = false;
  /** Per term table of a worker thread: its term ids as ids of the current segment writer (see `writerTermIds`). */
  private termMappings = new WeakMap<readonly string[], { writer: SegmentWriter; ids: Int32Array }>();
  /** Near-duplicate index over live canonical chunks; built on the first add that needs it. */
  private nearDuplicates: NearDuplicateIndex | null = null;
  private readonly flushChunks: number;
  /** See {@link OpenCollectionOptions.analysisWorkers}; undefined: the default. */
  private readonly analysisWorkers: number | undefined;
  /** The parallel analysis of the running add() (null: chunks are analyzed as they are written). */
  private parallel: ParallelAnalysis | null = null;
  /** Keys of the chunks queued in `parallel`, in order; `parallelKeys[parallelNext]` gets the next ids. */
  private parallelKeys: number[] = [];
  private parallelNext = 0;
  /** Whether some live document has more than one chunk (else grouping hits by document is a no-op). */
  private multiChunk = false;
  /** chunk key → its document's metadata; loaded on the first filtered search. */
  private metadataOf: Map<number, Metadata> | null = null;
  private closed = false;
  private mergeScheduled: Promise<void> | null = null;
  private segmentCache = new Map<string, Segment>();

  private constructor(
    store: DocumentStore,
    analyzer: Analyzer,
    bm25: Bm25Params,
    releaseLock: (() => void) | null,
    settings: { mergeFactor: number; chunking: ChunkOptions | false; flushChunks: number; analysisWorkers?: number; deduplicate: { threshold: number } | false; dense: DenseSettings | false; denseOptions: DenseOptions },
  ) {
    this.store = store;
    this.denseSettings = settings.dense;
    this.denseOptions = settings.denseOptions;
    this.chunking = settings.chunking;
    this.deduplicate = settings.deduplicate;
    this.flushChunks = settings.flushChunks;
    this.analysisWorkers = settings.analysisWorkers;
    this.path = store.folder;
    this.readOnly = store.readOnly;
    this.analyzer = analyzer;
    this.bm25 = bm25;
    this.releaseLock = releaseLock;
    this.mergeFactor = settings.mergeFactor;
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
        const chunking = options.chunking === false ? false : { ...DEFAULT_CHUNK_OPTIONS, ...(options.chunking ?? {}) };
        store.transaction(() => {
          store.setMeta('analyzer', analyzerName!);
          store.setMeta('bm25.k1', String(options.bm25?.k1 ?? defaults.bm25.k1));
          store.setMeta('bm25.b', String(options.bm25?.b ?? defaults.bm25.b));
          store.setMeta('chunking', JSON.stringify(chunking));
          const deduplicate = options.deduplicate === false ? false : { threshold: options.deduplicate?.threshold ?? defaults.nearDuplicateThreshold };
          if (deduplicate && !(deduplicate.threshold > 0 && deduplicate.threshold <= 1)) {
            throw new RalmError('INVALID_ARGUMENT', `deduplicate.threshold must be in (0, 1], got ${deduplicate.threshold}`);
          }
          store.setMeta('deduplicate', JSON.stringify(deduplicate));
          const dense = enablesDense(options.dense) ? denseSettingsFor(options.dense) : false;
          store.setMeta('dense', JSON.stringify(dense));
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
      const chunking = JSON.parse(store.getMeta('chunking') ?? 'false') as ChunkOptions | false;
      const flushChunks = options.flushChunks ?? 1_000_000;
      if (!Number.isInteger(flushChunks) || flushChunks < 1) throw new RalmError('INVALID_ARGUMENT', `flushChunks must be a positive integer, got ${flushChunks}`);
      const analysisWorkers = options.analysisWorkers;
      if (analysisWorkers !== undefined && (!Number.isInteger(analysisWorkers) || analysisWorkers < 0)) {
        throw new RalmError('INVALID_ARGUMENT', `analysisWorkers must be an integer ≥ 0, got ${analysisWorkers}`);
      }
      const deduplicate = JSON.parse(store.getMeta('deduplicate') ?? 'false') as { threshold: number } | false;
      const dense = JSON.parse(store.getMeta('dense') ?? 'false') as DenseSettings | false;
      const denseOptions: DenseOptions = typeof options.dense === 'string' ? { embedder: options.dense } : options.dense || {};
      if (options.dense) checkDenseOption(options.path, dense, denseOptions);
      const collection = new Collection(store, analyzer, bm25, release, { mergeFactor, chunking, flushChunks, analysisWorkers, deduplicate, dense, denseOptions });
      collection.load();
      try {
        await collection.denseLoading;
      } catch (error) {
        await collection.dense?.close().catch(() => {});
        throw error;
      }
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
    this.purgeGeneration = store.purgeGeneration();
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
    this.metadataOf = null;
    if (this.denseSettings) this.denseLoading = this.loadDense(idOf);
    this.multiChunk = idOf.size > new Set(idOf.values()).size;
    this.nextChunkno = Math.max(store.maxChunkno() + 1, this.maxIndexedKey() + 1);
    this.rebuildSearcher();
  }

  /**
   * Loads (or, on a reader's refresh, brings up to date) the dense side: vectors of the live chunks from the store,
   * or the HNSW checkpoint reconciled with it; live LSA chunks without a stored vector are folded in, in memory.
   */
  private async loadDense(idOf: ReadonlyMap<number, string>): Promise<void> {
    const dense = await DenseState.load({ store: this.store, settings: this.denseSettings as DenseSettings, options: this.denseOptions, live: idOf, seq: this.seq, previous: this.dense });
    dense.foldInMissing((key) => this.termsOfChunk(key));
    this.dense = dense;
  }

  private rebuildSearcher(): void {
    this.searcher = new SparseSearcher({ segments: this.segments.map((s) => s.segment), deleted: this.deleted, params: this.bm25 });
  }

  private assertOpen(): void {
    if (this.closed) throw new RalmError('CLOSED', `collection ${this.path} is closed`);
  }

  private assertNotEmbedding(): void {
    if (this.embedding) throw new RalmError('INVALID_ARGUMENT', `collection ${this.path} is committing (embedding its chunks): wait for commit() to finish before changing it`);
  }

  private assertWritable(): void {
    this.assertOpen();
    if (this.readOnly) throw new RalmError('READ_ONLY', `collection ${this.path} is open read-only`);
  }

  /**
   * Adds documents (the same id replaces the stored version). Each document is chunked, analyzed and
   * written into the open commit right away (memory stays bounded); nothing is visible to searches or
   * other processes until {@link commit}. Documents whose content equals the stored version are skipped.
   * @example collection.add({ id: 'a', title: 'Title', text: 'Body text', metadata: { year: 2024 } });
   */
  add(documents: DocumentInput | readonly DocumentInput[]): void {
    this.assertWritable();
    this.assertNotEmbedding();
    const list = Array.isArray(documents) ? documents : [documents as DocumentInput];
    const settings = this.prepareSettings();
    const deferred = deferredAnalysis(this.analyzer.name);
    this.parallel = this.startParallelAnalysis(list);
    try {
      for (let i = 0; i < list.length; i++) {
        const document = normalizeDocument(list[i]!, i);
        const live = this.store.liveVersion(document.id);
        // a new id's hash is not recorded (see HASH_NOT_RECORDED): computed when a later add compares with it
        let hash = HASH_NOT_RECORDED;
        if (live) {
          hash = documentHash(document);
          if (this.store.contentHash(live) === hash) {
            this.unchanged++;
            continue;
          }
        }
        this.write(prepareNormalized(document, hash, settings, deferred), live);
      }
    } finally {
      const parallel = this.parallel;
      if (parallel) {
        try {
          // also when a document was refused: the chunks queued before it belong to the open commit
          if (this.staging) this.guarded(() => parallel.drain());
        } finally {
          parallel.close();
          this.parallel = null;
          this.parallelKeys = [];
          this.parallelNext = 0;
        }
      }
    }
  }

  /**
   * What preparing a document for this collection depends on (see `prepareDocument` in `prepare.ts`): documents
   * prepared elsewhere (a worker thread) with these settings can be handed to {@link addPrepared}.
   * @example const settings = collection.prepareSettings(); // { analyzer: 'auto', chunking: {...}, deduplicate: true }
   */
  prepareSettings(): PrepareSettings {
    return { analyzer: this.analyzer.name, chunking: this.chunking, deduplicate: this.deduplicate !== false };
  }

  /**
   * Whether `add(document)` would skip the document as equal to its stored version (false for an invalid document:
   * `add` reports it). Lets a caller skip preparing it.
   * @example if (!collection.isUnchanged(doc)) collection.addPrepared(prepareDocument(doc, 0, collection.prepareSettings()));
   */
  isUnchanged(document: DocumentInput): boolean {
    this.assertOpen();
    let normalized;
    try {
      normalized = normalizeDocument(document, 0);
    } catch {
      return false;
    }
    const live = this.store.liveVersion(normalized.id);
    return live !== undefined && this.store.contentHash(live) === documentHash(normalized);
  }

  /**
   * Adds a document prepared with {@link prepareSettings} (the result is the same as {@link add} of the document).
   * @example collection.addPrepared(prepareDocument(doc, 0, collection.prepareSettings()));
   */
  addPrepared(prepared: PreparedDocument): void {
    this.assertWritable();
    this.assertNotEmbedding();
    const live = this.store.liveVersion(prepared.id);
    if (live && this.store.contentHash(live) === prepared.hash) {
      this.unchanged++;
      return;
    }
    this.write(prepared, live);
  }

  /** Writes a prepared document into the open commit, replacing its live version. */
  private write(document: PreparedDocument, live: { docno: number; addedSeq: number } | undefined): void {
    this.guarded(() => {
      const staging = this.beginStaging();
      if (live) {
        this.removeVersion(staging, live.docno);
        // a version added earlier in this commit: the id stays added (or updated)
        if (live.addedSeq !== staging.seq) staging.updated++;
      } else if (staging.deletedIds?.delete(document.id)) {
        staging.deleted--; // deleted earlier in this commit: an update
        staging.updated++;
      } else staging.added++;
      // built field by field: an object spread here cost ~0.1 s per 117k documents
      const rows: Array<PreparedDocument['chunks'][number] & { chunkno: number; duplicateOf?: number }> = new Array(document.chunks.length);
      for (let c = 0; c < rows.length; c++) {
        const chunk = document.chunks[c]!;
        rows[c] = { chunkno: this.nextChunkno++, ordinal: chunk.ordinal, start: chunk.start, end: chunk.end, headingPath: chunk.headingPath, page: chunk.page };
      }
      const nearDuplicates = this.nearDuplicateIndex();
      if (nearDuplicates && document.signatures) {
        const threshold = (this.deduplicate as { threshold: number }).threshold;
        rows.forEach((row, c) => {
          const signature = document.signatures![c];
          if (!signature) return; // too short to judge
          // MinHash only estimates: candidates are confirmed with the exact Jaccard similarity of the shingle sets (the
          // most similar one is linked; ties: the oldest chunk), so a chunk with distinct content is never hidden
          // behind another. A chunk of this same document (not stored yet) is not linked to.
          let best: number | undefined;
          let bestSimilarity = threshold;
          for (const { key } of nearDuplicates.similar(signature, Math.max(0, threshold - NEAR_DUPLICATE_CHECK_MARGIN))) {
            if (rows.some((r) => r.chunkno === key)) continue;
            const canonical = this.store.chunkText(key);
            if (canonical === undefined) continue;
            const similarity = shingleSimilarity(document.text.slice(row.start, row.end), canonical);
            if (similarity > bestSimilarity || (similarity === bestSimilarity && (best === undefined || key < best))) {
              best = key;
              bestSimilarity = similarity;
            }
          }
          if (best !== undefined) row.duplicateOf = best;
          else this.indexNearDuplicate(nearDuplicates, row.chunkno, nearDuplicates.sketch(signature));
        });
        // chunks too short to judge are recorded as such, so a rebuild does not read their text again
        rows.forEach((row, c) => {
          if (!document.signatures![c]) this.store.putMinhash(row.chunkno, NO_SKETCH, sketchOptions(nearDuplicates));
        });
      }
      this.store.insertDocument(document, staging.seq, rows);
      const encoded = document.encodedTerms;
      let at = 0; // position of the chunk's first term in `encoded.ids`
      rows.forEach((row, c) => {
        const from = at;
        if (encoded) at += encoded.lengths[c]!;
        if (row.duplicateOf !== undefined) return; // stored once: the canonical chunk is indexed
        if (encoded) {
          staging.writer.addIds(row.chunkno, this.writerTermIds(staging.writer, encoded, from, at));
          staging.lastKey = row.chunkno;
          staging.addedKeys.set(row.chunkno, document.id);
          return;
        }
        const terms = document.terms[c]!;
        if (terms === DEFERRED_TERMS) this.indexChunk(staging, row.chunkno, chunkText(document.title, document.text, row));
        else staging.writer.add(row.chunkno, terms);
        staging.lastKey = row.chunkno;
        staging.addedKeys.set(row.chunkno, document.id);
      });
      if (staging.writer.documentCount + (this.parallel?.pending ?? 0) >= this.flushChunks || staging.writer.postingCount >= FLUSH_POSTINGS) this.flush(staging);
    });
  }

  /**
   * `encoded.ids[from, to)` as ids of `writer`'s vocabulary: each term of a worker's table is looked up once per
   * writer, then it is a number (the terms of a large ingest cost no string hashing per occurrence).
   */
  private writerTermIds(writer: SegmentWriter, encoded: EncodedTerms, from: number, to: number): Int32Array {
    let mapping = this.termMappings.get(encoded.table);
    if (!mapping || mapping.writer !== writer) {
      mapping = { writer, ids: new Int32Array(Math.max(1024, encoded.table.length)).fill(-1) };
      this.termMappings.set(encoded.table, mapping);
    } else if (mapping.ids.length < encoded.table.length) {
      const grown = new Int32Array(Math.max(encoded.table.length, mapping.ids.length * 2)).fill(-1);
      grown.set(mapping.ids);
      mapping.ids = grown;
    }
    const ids = mapping.ids;
    const out = new Int32Array(to - from);
    for (let i = from; i < to; i++) {
      const local = encoded.ids[i]!;
      let id = ids[local]!;
      if (id < 0) ids[local] = id = writer.idOf(encoded.table[local]!);
      out[i - from] = id;
    }
    return out;
  }

  /** Deletes documents by id (part of the open commit). Unknown ids are ignored. */
  delete(ids: string | readonly string[]): void {
    this.assertWritable();
    this.assertNotEmbedding();
    for (const id of typeof ids === 'string' ? [ids] : ids) {
      const live = this.store.liveVersion(id);
      if (!live) continue;
      this.guarded(() => {
        const staging = this.beginStaging();
        this.removeVersion(staging, live.docno);
        if (live.addedSeq === staging.seq) {
          // written earlier in this commit: an update of a version live before it, or a new id (then nothing is left)
          if (!this.store.hadVersionBefore(id, staging.seq)) {
            staging.added--;
            return;
          }
          staging.updated--;
        }
        staging.deleted++;
        (staging.deletedIds ??= new Set()).add(id);
      });
    }
  }

  /**
   * The recorded state (size, modification time, document ids) of a source file, for incremental sync.
   * @example collection.sourceState('/abs/docs/a.md')?.ids
   */
  sourceState(path: string): { size: number; mtimeMs: number; ids: string[] } | undefined {
    this.assertOpen();
    return this.store.getSource(path);
  }

  /** Records a source file's state and the ids it produced, as part of the open commit. */
  recordSource(path: string, state: { size: number; mtimeMs: number }, ids: readonly string[]): void {
    this.assertWritable();
    this.guarded(() => this.store.putSource(path, state, ids, this.beginStaging().seq));
  }

  /** Forgets a source file (it vanished), as part of the open commit. */
  forgetSource(path: string): void {
    this.assertWritable();
    this.guarded(() => {
      this.beginStaging();
      this.store.deleteSource(path);
    });
  }

  /** Recorded source files under a folder (absolute path ending with a separator). */
  sourcesUnder(prefix: string): string[] {
    this.assertOpen();
    return this.store.sourcesUnder(prefix);
  }

  /** Number of documents the open commit adds, updates or deletes. */
  get pendingChanges(): number {
    const staging = this.staging;
    return staging ? staging.added + staging.updated + staging.deleted : 0;
  }

  private beginStaging(): Staging {
    if (this.staging) return this.staging;
    this.store.beginTransaction();
    this.staging = { seq: this.store.lastSeq() + 1, writer: new SegmentWriter(), segments: [], deletedKeys: [], addedKeys: new AddedKeys(), added: 0, updated: 0, deleted: 0, deletedIds: null, lastKey: -1 };
    return this.staging;
  }

  /**
   * Marks a stored version deleted in the open commit; its chunks leave the index at commit. A chunk
   * that other documents link to as a near-duplicate hands over to the first of them, which is indexed.
   */
  private removeVersion(staging: Staging, docno: number): void {
    for (const key of this.store.markDeleted(docno, staging.seq)) {
      staging.addedKeys.delete(key); // when it was added earlier in this same commit
      staging.deletedKeys.push(key);
      this.nearDuplicates?.remove(key);
      const linked = this.store.duplicatesOf(key);
      if (linked.length === 0) continue;
      const [heir, ...others] = linked;
      this.store.setDuplicateOf(heir!.chunkno, null);
      for (const other of others) this.store.setDuplicateOf(other.chunkno, heir!.chunkno);
      const owner = this.store.documentByDocno(heir!.docno)!;
      // the heir is an older chunk: when newer keys were written in this commit, it starts a new segment
      if (heir!.chunkno <= staging.lastKey) this.flush(staging);
      staging.lastKey = Math.max(staging.lastKey, heir!.chunkno);
      this.indexChunk(staging, heir!.chunkno, chunkText(owner.title, owner.text, heir!));
      staging.addedKeys.set(heir!.chunkno, heir!.id);
      const heirText = owner.text.slice(heir!.start, heir!.end);
      if (this.nearDuplicates) {
        if (hasAtLeastWords(heirText, MIN_DEDUPLICATE_TOKENS)) this.indexNearDuplicate(this.nearDuplicates, heir!.chunkno, this.nearDuplicates.sketch(heirText));
        else this.store.putMinhash(heir!.chunkno, NO_SKETCH, sketchOptions(this.nearDuplicates));
      }
    }
  }

  /** Indexes a chunk's sketch in the near-duplicate index and stores it with the open commit. */
  private indexNearDuplicate(index: NearDuplicateIndex, chunkno: number, sketch: Uint8Array): void {
    index.insertSketch(chunkno, sketch);
    this.store.putMinhash(chunkno, sketch, sketchOptions(index));
  }

  private nearDuplicateIndex(): NearDuplicateIndex | null {
    if (this.deduplicate === false) return null;
    if (!this.nearDuplicates) {
      // from the sketches stored with the chunks; a chunk without one (written before store version 3, or under other
      // MinHash options) is signed from its text, and its sketch stored with the open commit
      const index = new NearDuplicateIndex({ threshold: this.deduplicate.threshold });
      const options = sketchOptions(index);
      const signed: Array<[number, Uint8Array]> = []; // stored after the scan (SQLite writes nothing while it reads)
      for (const { chunkno, codes, text } of this.store.iterateLiveMinhash(options)) {
        if (codes !== null) {
          if (codes.length > 0) index.insertSketch(chunkno, codes);
        } else if (hasAtLeastWords(text!, MIN_DEDUPLICATE_TOKENS)) {
          const sketch = index.sketch(text!);
          index.insertSketch(chunkno, sketch);
          signed.push([chunkno, sketch]);
        } else signed.push([chunkno, NO_SKETCH]);
      }
      if (this.store.inTransaction) for (const [chunkno, sketch] of signed) this.store.putMinhash(chunkno, sketch, options);
      this.nearDuplicates = index;
    }
    return this.nearDuplicates;
  }

  /**
   * A parallel analysis for the chunks of a large add(), or null (small add, one core, analyzer not registered, no
   * compiled worker): the chunks are then analyzed on this thread as they are written. The segments are the same.
   */
  private startParallelAnalysis(list: readonly DocumentInput[]): ParallelAnalysis | null {
    let characters = 0;
    for (let i = 0; i < list.length; i++) {
      const text = (list[i] as Partial<DocumentInput> | null)?.text;
      if (typeof text === 'string') characters += text.length;
    }
    if (characters < PARALLEL_ANALYSIS_MIN_CHARACTERS) return null;
    return ParallelAnalysis.start({
      analyzer: this.analyzer,
      workers: this.analysisWorkers,
      split: characters >= SPLIT_ANALYSIS_MIN_AVERAGE_CHARACTERS * list.length,
      vocabulary: () => this.staging!.writer,
      consume: (ids) => this.staging!.writer.addIds(this.parallelKeys[this.parallelNext++]!, ids),
      consumeCounts: (ids, freqs) => this.staging!.writer.addCounts(this.parallelKeys[this.parallelNext++]!, ids, freqs),
    });
  }

  /** Analyzes a chunk into the open commit's segment writer (queued for the parallel analysis when one runs). */
  private indexChunk(staging: Staging, key: number, text: string): void {
    if (this.parallel) {
      if (this.parallelNext === this.parallelKeys.length) {
        this.parallelKeys = [];
        this.parallelNext = 0;
      }
      this.parallelKeys.push(key);
      this.parallel.push(text);
    } else if (hasTermIds(this.analyzer)) {
      staging.writer.addIds(key, this.analyzer.analyzeToIds(text, staging.writer));
    } else {
      staging.writer.add(key, this.analyzer.analyze(text));
    }
  }

  /** Writes the in-memory segment of the open commit into it (bounded memory for large ingests). */
  private flush(staging: Staging): void {
    this.parallel?.drain(); // the chunks it holds belong to this segment
    staging.lastKey = -1;
    if (staging.writer.documentCount === 0) return;
    const name = `s${staging.seq}-${staging.segments.length}`;
    const bytes = encodeSegment(staging.writer.finish());
    staging.writer = new SegmentWriter();
    this.store.putArtifact({ kind: SEGMENT_KIND, name, seq: staging.seq, bytes });
    // Not kept in memory while the commit is open (a large ingest would hold its whole index): read back from the
    // open transaction on first use (the commit's dense update, publishing), then it is what readers will search
    // too — the segment decoded from the bytes written (compact typed-array views).
    const store = this.store;
    let segment: Segment | undefined;
    staging.segments.push({
      name,
      seq: staging.seq,
      get segment(): Segment {
        if (!segment) {
          const artifact = store.artifact(SEGMENT_KIND, name);
          if (!artifact) throw new RalmError('FORMAT', `${store.file}: artifact ${SEGMENT_KIND}/${name} of the open commit is missing`, { file: store.file });
          segment = decodeSegment(artifact.bytes, `${store.file}: artifact ${SEGMENT_KIND}/${name}`);
        }
        return segment;
      },
    });
  }

  /** Runs a write of the open commit; on failure the whole open commit is rolled back. */
  private guarded<T>(write: () => T): T {
    try {
      return write();
    } catch (error) {
      this.rollback();
      throw error;
    }
  }

  /**
   * Discards the open commit: nothing it added or deleted reaches the collection.
   * @example collection.add(doc); collection.rollback(); // as if add() had not been called
   */
  rollback(): void {
    this.assertNotEmbedding();
    this.dense?.discard();
    this.store.rollbackTransaction();
    this.staging = null;
    this.nearDuplicates = null; // it may hold chunks of the discarded commit: rebuilt when needed
    this.unchanged = 0;
    this.nextChunkno = Math.max(this.store.maxChunkno() + 1, this.maxIndexedKey() + 1);
  }

  /**
   * Makes the open commit searchable and durable: the documents, their chunks, the index segments and
   * the checkpoint become visible at once, in one SQLite transaction (WAL, synchronous=FULL). If the
   * process dies before this returns, the collection holds exactly the previous commit.
   */
  async commit(): Promise<CommitResult> {
    this.assertWritable();
    this.assertNotEmbedding();
    const started = performance.now();
    const unchanged = this.unchanged;
    this.unchanged = 0;
    const staging = this.staging;
    if (!staging) return { seq: this.seq, added: 0, updated: 0, deleted: 0, unchanged, seconds: (performance.now() - started) / 1000 };
    // A large commit lets go of the near-duplicate index (rebuilt from the store when a later add needs it): its
    // memory, about 260 bytes a chunk, is better spent on the commit's last segment and the merges that follow it.
    if (staging.addedKeys.size >= RELEASE_NEAR_DUPLICATES_AFTER) this.nearDuplicates = null;
    const { added, updated, deleted: deletedCount } = staging;
    const dense = this.dense;
    if (dense && !dense.isLsa) {
      // a model embedder: embed the new chunks (and any live chunk still without a vector) before the commit ends
      const deletedNow = new Set(staging.deletedKeys);
      const keys = staging.addedKeys.keyList();
      for (const key of dense.missing) if (!deletedNow.has(key) && !staging.addedKeys.has(key) && this.idOf.has(key)) keys.push(key);
      this.embedding = true;
      try {
        await dense.embed({ seq: staging.seq, keys, textsOf: (batch) => this.chunkTexts(batch) });
      } catch (error) {
        this.embedding = false;
        this.rollback();
        throw error;
      } finally {
        this.embedding = false;
      }
    }
    this.guarded(() => {
      this.flush(staging);
      if (dense) {
        const deletedNow = new Set(staging.deletedKeys);
        let liveCount = staging.addedKeys.size;
        for (const key of this.idOf.keys()) if (!deletedNow.has(key)) liveCount++;
        dense.update({
          seq: staging.seq,
          segments: [...this.segments.map((x) => x.segment), ...staging.segments.map((x) => x.segment)],
          isLive: (key) => staging.addedKeys.has(key) || (this.idOf.has(key) && !deletedNow.has(key)),
          liveCount,
          added: staging.addedKeys.keyList(),
          deleted: staging.deletedKeys.filter((key) => this.idOf.has(key)),
          bm25: this.bm25,
          termsOf: (key) => this.termsOfChunk(key),
        });
      }
      this.store.setMeta('sparse.checkpoint', String(staging.seq));
      this.store.recordCommit(staging.seq, added + updated, deletedCount + updated);
      this.store.commitTransaction();
    });
    this.staging = null;
    // Durable: publish the new state to searches.
    this.seq = staging.seq;
    for (const s of staging.segments) this.segmentCache.set(s.name, s.segment);
    this.segments = [...this.segments, ...staging.segments];
    for (const key of staging.deletedKeys) {
      this.deleted.add(key);
      this.idOf.delete(key);
      this.metadataOf?.delete(key);
    }
    let previous: string | undefined;
    for (const [key, id] of staging.addedKeys.entries()) {
      this.idOf.set(key, id);
      if (id === previous) this.multiChunk = true; // chunks of a document get consecutive keys
      previous = id;
    }
    if (this.metadataOf && staging.addedKeys.size > 0) this.metadataOf = null; // reloaded on the next filtered search
    this.rebuildSearcher();
    await dense?.publish(staging.seq);
    if (this.segments.length > this.mergeFactor && !this.mergeScheduled) {
      this.mergeScheduled = new Promise((resolve) => setImmediate(resolve)).then(() => {
        this.mergeScheduled = null;
        if (!this.closed && !this.staging) this.mergeSmallest();
      });
    }
    return { seq: staging.seq, added, updated, deleted: deletedCount, unchanged, seconds: (performance.now() - started) / 1000 };
  }

  /** The texts of stored chunks as they are embedded (title included for the first chunk), with a label for messages. */
  private chunkTexts(keys: readonly number[]): Map<number, { text: string; label: string }> {
    const out = new Map<number, { text: string; label: string }>();
    for (const [key, row] of this.store.getChunks(keys)) {
      out.set(key, { text: chunkText(row.document.title, row.document.text, row.chunk), label: `chunk ${row.chunk.ordinal + 1} of document "${row.document.id}"` });
    }
    return out;
  }

  /** Re-analyzes a stored chunk (title included for the first chunk), as it was indexed. */
  private termsOfChunk(key: number): string[] {
    const row = this.store.getChunks([key]).get(key);
    return row ? this.analyzer.analyze(chunkText(row.document.title, row.document.text, row.chunk)) : [];
  }

  /** Seconds the last commit spent on embeddings (LSA fit or fold-in, or the model's calls); 0 without dense retrieval. */
  get lastEmbedSeconds(): number {
    return this.dense?.lastEmbedSeconds ?? 0;
  }

  private maxIndexedKey(): number {
    let max = 0;
    for (const { segment } of this.segments) {
      const keys = segment.docKeys;
      if (keys.length > 0 && keys[keys.length - 1]! > max) max = keys[keys.length - 1]!;
    }
    return max;
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
    if (this.staging) throw new RalmError('INVALID_ARGUMENT', 'optimize() needs the open commit to be committed or rolled back first');
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
    await this.denseLoading;
    const dense = this.dense;
    const mode = options.mode ?? 'bm25';
    if (mode !== 'bm25' && options.queryVector === undefined && dense && !dense.isLsa && dense.ready && typeof query === 'string' && query.trim() !== '') {
      return this.searchNow(query, { ...options, queryVector: await dense.embedQueryText(query) });
    }
    return this.searchNow(query, options);
  }

  /** Synchronous form of {@link search}, for tight loops (benchmarks, evaluation). */
  searchNow(query: string, options: SearchOptions = {}): SearchResult {
    this.assertOpen();
    if (typeof query !== 'string') throw new RalmError('INVALID_ARGUMENT', `query must be a string, got ${typeof query}`);
    const k = options.k ?? defaults.k;
    if (!Number.isInteger(k) || k < 1) throw new RalmError('INVALID_ARGUMENT', `k must be a positive integer, got ${k}`);
    const terms = this.analyzeQuery(query);
    if (terms.length === 0 && !(options.mode === 'dense' && options.queryVector !== undefined)) {
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
    const filter = options.filter === undefined ? undefined : this.filterPredicate(options.filter);
    const group = options.group ?? 'document';
    const mode = options.mode ?? 'bm25';
    if (mode !== 'bm25' && mode !== 'dense' && mode !== 'hybrid') throw new RalmError('INVALID_ARGUMENT', `mode must be bm25, dense or hybrid, got ${String(mode)}`);
    if (mode !== 'bm25' && !this.dense?.ready) {
      throw new RalmError(
        'INVALID_ARGUMENT',
        this.denseSettings
          ? `collection ${this.path} has no dense vectors yet: commit some documents first`
          : `collection ${this.path} has no dense index: build it with \`ralm index … --embedder lsa\` (or a model: --embedder <model id or folder> | openai:<model>; a new collection), or search with --mode bm25`,
      );
    }
    let queryVector = options.queryVector;
    if (mode !== 'bm25' && queryVector === undefined) {
      if (!this.dense!.isLsa) {
        throw new RalmError('INVALID_ARGUMENT', `collection ${this.path} embeds queries with "${this.dense!.settings.embedder}", which is asynchronous: use search(), or pass options.queryVector to searchNow()`);
      }
      queryVector = this.dense!.embedQuery(terms);
    }
    const explanations = new Map<number, Explanation>();
    const retrieveDepth = (depth: number) => {
      if (mode === 'bm25' && options.mmr === undefined) return searcher.search(terms, { k: depth, filter });
      const pool = Math.max(depth, 100);
      const live = (key: number) => this.idOf.has(key) && (filter === undefined || filter(key));
      const dense = this.dense!;
      const denseHits = mode === 'bm25' ? [] : dense.search(queryVector!, { k: pool, filter: live });
      if (mode === 'dense' && options.mmr === undefined) return denseHits.slice(0, depth).map((h) => ({ docKey: h.key, score: h.score }));
      const lists: RankedList[] = [];
      if (mode !== 'dense') lists.push({ retriever: 'bm25', hits: searcher.search(terms, { k: pool, filter }).map((h) => ({ key: h.docKey, score: h.score })) });
      if (mode !== 'bm25') lists.push({ retriever: dense.retrieverName, hits: denseHits });
      const fused = lists.length === 1 ? lists[0]!.hits.map((h) => ({ key: h.key, score: h.score, explanation: undefined })) : fuse(lists, fusionOptions(options.fusion ?? 'attention', dense.retrieverName));
      for (const f of fused) if (f.explanation) explanations.set(f.key, f.explanation);
      let ranked = fused.map((f) => ({ docKey: f.key, score: f.score }));
      if (options.mmr !== undefined && this.dense?.ready) {
        const candidates = ranked.slice(0, Math.max(depth * 3, 30));
        const order = maximalMarginalRelevance({
          candidates: candidates.map((c) => ({ key: c.docKey, score: c.score })),
          lambda: options.mmr,
          k: Math.min(depth, candidates.length),
          vectors: (key: number) => dense.vectorOf(key) ?? new Float32Array(dense.index?.dimensions ?? 1),
        });
        const byKey = new Map(candidates.map((c) => [c.docKey, c]));
        ranked = order.map((key) => byKey.get(key)!);
      }
      return ranked.slice(0, depth);
    };
    let scored = retrieveDepth(k);
    if (group === 'document' && this.multiChunk) {
      // A document may match through several chunks: keep its best one, and fetch deeper until k documents.
      for (let depth = k; ; ) {
        const seen = new Set<string>();
        const best = scored.filter((s) => {
          const id = this.idOf.get(s.docKey) ?? '';
          if (seen.has(id)) return false;
          seen.add(id);
          return true;
        });
        if (best.length >= k || scored.length < depth) {
          scored = best.slice(0, k);
          break;
        }
        depth *= 4;
        scored = retrieveDepth(depth);
      }
    }
    const hits: SearchHit[] = new Array(scored.length);
    for (let i = 0; i < scored.length; i++) {
      const s = scored[i]!;
      hits[i] = { rank: i + 1, id: this.idOf.get(s.docKey) ?? '', score: s.score, chunk: s.docKey };
    }
    if (options.explain) {
      for (const hit of hits) {
        const bm25 = searcher.explain(terms, hit.chunk) ?? undefined;
        const fused = explanations.get(hit.chunk);
        if (fused) hit.explanation = { ...fused, details: [...fused.details, ...(bm25 ? [{ value: bm25.value, description: 'bm25 score, explained:', details: [bm25] }] : [])] };
        else if (mode === 'dense') hit.explanation = { value: hit.score, description: `cosine similarity of the query's and the chunk's ${this.dense!.settings.embedder} vectors`, details: [] };
        else hit.explanation = bm25;
      }
    }
    if (options.documents ?? true) {
      const rows = this.store.getChunks(hits.map((h) => h.chunk));
      const matches = createTermMatcher(new Set(terms.map((t) => t.term)), this.analyzer);
      for (const hit of hits) {
        const row = rows.get(hit.chunk);
        if (!row) continue;
        hit.title = row.document.title;
        hit.metadata = row.document.metadata;
        hit.ordinal = row.chunk.ordinal;
        hit.start = row.chunk.start;
        hit.end = row.chunk.end;
        if (row.chunk.headingPath.length > 0) hit.headingPath = row.chunk.headingPath;
        if (row.chunk.page !== null) hit.page = row.chunk.page;
        const linked = this.store.duplicatesOf(hit.chunk);
        if (linked.length > 0) hit.duplicates = linked.map((d) => ({ id: d.id, chunk: d.chunkno, start: d.start, end: d.end }));
        const chunkText = row.document.text.slice(row.chunk.start, row.chunk.end);
        hit.snippet = makeSnippet(chunkText, matches, defaults.snippetLength);
        if (options.text) hit.text = chunkText;
      }
    }
    return { query, terms, hits };
  }

  private filterPredicate(filter: string | Record<string, unknown>): (docKey: number) => boolean {
    const node = typeof filter === 'string' ? parseFilter(filter) : filterFromJson(filter);
    const predicate = compileFilter(node);
    if (!this.metadataOf) {
      const map = new Map<number, Metadata>();
      for (const [chunkno, json] of this.store.liveChunkMetadata()) map.set(chunkno, JSON.parse(json) as Metadata);
      this.metadataOf = map;
    }
    const metadataOf = this.metadataOf;
    return (docKey) => {
      const metadata = metadataOf.get(docKey);
      return metadata !== undefined && predicate(metadata);
    };
  }

  /**
   * Lucene's idf of an analyzed term over the collection: ln(1 + (N − n + 0.5) / (n + 0.5)); a term the
   * collection never saw gets the largest idf.
   * @example collection.idf(collection.analyzeQuery('durable')[0].term)
   */
  idf(term: string): number {
    const n = this.searcher.docFreq(term);
    const documents = this.searcher.stats().documentCount;
    return Math.log(1 + (documents - n + 0.5) / (n + 0.5));
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
    return this.store.getDocuments(ids).map((d) => ({ id: d.id, title: d.title, text: d.text, metadata: d.metadata, hash: this.store.contentHash(d), seq: d.addedSeq }));
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
    this.store.beginSnapshot();
    const latest = this.store.lastSeq();
    const listed = this.store.artifactNames(SEGMENT_KIND);
    const current = this.segments;
    if (latest === this.seq && listed.length === current.length && listed.every((a, i) => a.name === current[i]!.name && a.seq === current[i]!.seq)) return false;
    if (!this.refreshIncrementally(latest, listed)) {
      this.store.endSnapshot();
      this.load();
      await this.denseLoading;
    }
    return true;
  }

  /**
   * Follows the commits made since this reader's snapshot by reading only what changed: new segments, the
   * chunks deleted since, and the ids of the new segments' chunks — instead of every live chunk (a full
   * reload costs hundreds of milliseconds at 100k documents, time a serving process cannot answer in).
   * Returns false when only a full reload is right: the store purged rows, the index lags the store
   * (replay), or the collection has dense vectors.
   */
  private refreshIncrementally(latest: number, listed: Array<{ name: string; seq: number }>): boolean {
    const store = this.store;
    if (this.denseSettings) return false;
    if (store.purgeGeneration() !== this.purgeGeneration) return false;
    if (Number(store.getMeta('sparse.checkpoint') ?? 0) < latest) return false;
    // read everything first, so a failure leaves the current state untouched
    const known = new Map(this.segments.map((s) => [s.name, s]));
    const segments: LoadedSegment[] = [];
    const fresh: Segment[] = [];
    for (const { name, seq } of listed) {
      const had = known.get(name);
      if (had && had.seq === seq) {
        segments.push(had);
        continue;
      }
      const artifact = store.artifact(SEGMENT_KIND, name);
      if (!artifact) return false;
      const segment = decodeSegment(artifact.bytes, `${store.file}: artifact ${artifact.kind}/${artifact.name}`);
      segments.push({ name, seq, segment });
      fresh.push(segment);
    }
    const removed = store.chunksDeletedAfter(this.seq);
    const candidates: number[] = [];
    for (const segment of fresh) for (const key of segment.docKeys) if (!this.idOf.has(key)) candidates.push(key);
    const added = store.liveChunkIds(candidates);
    // apply
    for (const key of removed) {
      this.idOf.delete(key);
      this.metadataOf?.delete(key);
    }
    let previous: string | undefined;
    for (const key of [...added.keys()].sort((a, b) => a - b)) {
      const id = added.get(key)!;
      this.idOf.set(key, id);
      if (id === previous) this.multiChunk = true; // chunks of a document get consecutive keys
      previous = id;
    }
    if (this.metadataOf && added.size > 0) this.metadataOf = null; // reloaded on the next filtered search
    const deleted = new DeletedDocs();
    for (const { segment } of segments) {
      const keys = segment.docKeys;
      for (let i = 0; i < keys.length; i++) if (!this.idOf.has(keys[i]!)) deleted.add(keys[i]!);
    }
    this.segmentCache = new Map(segments.map((s) => [s.name, s.segment]));
    this.segments = segments;
    this.deleted = deleted;
    this.seq = latest;
    this.rebuildSearcher();
    return true;
  }

  /** Live documents; counted once per change sequence (a count over every row is not free at 100k documents). */
  private liveDocumentCount(): number {
    if (this.staging) return this.store.liveDocumentCount(); // the open commit's rows count, and may be rolled back
    if (this.liveCount?.seq !== this.seq) this.liveCount = { seq: this.seq, count: this.store.liveDocumentCount() };
    return this.liveCount.count;
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
      documents: this.liveDocumentCount(),
      segments: this.segments.length,
      indexedChunks: indexed - this.deleted.size,
      deletedChunks: this.deleted.size,
      terms: s.termCount,
      averageDocumentLength: s.averageDocumentLength,
      lastSeq: this.seq,
      ...(this.dense ? { dense: this.dense.stats() } : {}),
    };
  }

  /** Closes the collection. An open (uncommitted) commit is rolled back; a running merge finishes first. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.mergeScheduled;
    await this.denseLoading.catch(() => {});
    this.closed = true;
    if (this.staging && !this.embedding) this.rollback();
    try {
      await this.dense?.close();
    } finally {
      this.store.close();
      this.releaseLock?.();
    }
  }
}


/**
 * Fusion defaults, chosen once on a dev split for LSA (SciFact train queries; see bench/results/dense.md). A model
 * embedder (`dense`) gets the same temperature as LSA (cosine scores of the same scale) and BM25's weight: not yet
 * measured.
 */
function fusionOptions(method: 'rrf' | 'score' | 'attention', dense: 'lsa' | 'dense' = 'lsa'): FusionOptions {
  const weight = dense === 'lsa' ? 0.25 : 1;
  if (method === 'rrf') return { method: 'rrf', k: 60, weights: { bm25: 1, [dense]: weight } };
  if (method === 'score') return { method: 'normalized', normalization: 'z-score', alpha: 0.9 } as FusionOptions;
  return { method: 'attention', temperature: { bm25: 2, [dense]: 0.1 }, weights: { bm25: 1, [dense]: weight } };
}

/**
 * Whether the `dense` option asks a new collection for dense retrieval: an embedder name, or an object with a recorded
 * setting (`embedder`, a ready `model`, `dimensions`, `scaling`, `refitRatio`, `hnsw`). Session-only options (an endpoint, a progress
 * callback …) enable nothing.
 */
function enablesDense(option: OpenCollectionOptions['dense']): option is string | DenseOptions {
  if (option === undefined || option === false) return false;
  if (typeof option === 'string') return true;
  return ['embedder', 'model', 'dimensions', 'scaling', 'refitRatio', 'hnsw'].some((key) => (option as Record<string, unknown>)[key] !== undefined);
}

/**
 * Checks the `dense` option against what an existing collection recorded: the embedder must be the same (its
 * vectors and its queries must come from one model).
 */
function checkDenseOption(path: string, recorded: DenseSettings | false, options: DenseOptions): void {
  if (options.embedder === undefined && options.model === undefined) return;
  const wanted = options.embedder !== undefined ? normalizeEmbedderSpec(options.embedder) : embedderSpecOf(options.model!);
  if (!recorded) {
    throw new RalmError('INVALID_ARGUMENT', `collection ${path} was built without dense embeddings, so embedder "${wanted}" cannot be used with it; build a new collection with it (ralm index … --embedder ${wanted})`);
  }
  if (recorded.embedder !== wanted) {
    throw new RalmError(
      'INVALID_ARGUMENT',
      `collection ${path} was embedded with "${recorded.embedder}", not "${wanted}": queries must be embedded by the same model as the chunks; open it without an embedder (or with "${recorded.embedder}"), or build a new collection with "${wanted}"`,
    );
  }
}



function validateBm25(params: Bm25Params): Bm25Params {
  if (!Number.isFinite(params.k1) || params.k1 < 0) throw new RalmError('INVALID_ARGUMENT', `BM25 k1 must be a finite number ≥ 0, got ${params.k1}`);
  if (!Number.isFinite(params.b) || params.b < 0 || params.b > 1) throw new RalmError('INVALID_ARGUMENT', `BM25 b must be between 0 and 1, got ${params.b}`);
  return params;
}

export { STORE_FILE };
