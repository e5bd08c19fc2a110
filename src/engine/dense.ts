/**
 * The collection's dense side: an embedder, the vectors of every live chunk, and a vector index over them.
 *
 * Embedders (recorded in the collection, with the vectors' dimension):
 * - `lsa` (the embedded default, no weights needed): a truncated SVD of the BM25-weighted chunk × term matrix, built
 *   from the sparse segments at commit time and stored as an artifact (`ralm.lsa.model`). Refitted when there is no
 *   model yet or when the chunks changed since the last fit exceed `refitRatio` of those it was fitted on; otherwise
 *   new chunks are folded in (their analyzed terms projected like a query).
 * - a model: an ONNX model id or folder (transformers.js, in worker processes), or `openai:<model>` (any
 *   OpenAI-compatible `/embeddings` server). Chunks are embedded at commit in batches, through a persistent
 *   embedding cache (`embeddings.sqlite`, keyed by model + text hash, committed batch by batch outside the
 *   collection's transaction): re-indexing never re-embeds an unchanged chunk, and a commit that fails half-way
 *   (an endpoint that goes down) commits nothing but keeps the finished batches for the next attempt.
 *
 * Persistence: every live chunk's vector is a row of the `vectors` table (with the commit's sequence number),
 * written in the same SQLite transaction as the documents: the source of truth. In memory the vectors live in an
 * exact index (a tight Float32Array scan) or, from `hnsw.exactBelow` vectors on (default 20 000), in an HNSW graph
 * (usearch) with a small exact index of recent vectors beside it (`LayeredVectorIndex`). The graph is checkpointed to
 * `dense.hnsw` in the collection folder (format `ralm.dense.checkpoint`, recording the change sequence it covers, the
 * collection's id and the embedder, plus a CRC-checked usearch graph file) every `checkpointChanges` changes and on
 * close. On open the checkpoint is memory-mapped, not rebuilt, and reconciled with the store: vectors committed after
 * it go into the exact delta, deleted chunks become tombstones, so a crash never loses a vector. A corrupt or
 * mismatched checkpoint is rebuilt from the `vectors` table with a warning.
 */
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { join, resolve, isAbsolute } from 'node:path';
import { RalmError } from '../core/errors.js';
import { fitLsa, decodeLsaModel, encodeLsaModel, inverseDocumentFrequencies, weightTermDocumentMatrix, type LsaModel, type LsaScaling, type SparseMatrix } from '../embed/lsa.js';
import { createCachedEmbedder, createMemoryEmbeddingCacheStore, type EmbeddingCacheStore } from '../embed/cache.js';
import {
  DEFAULT_EXACT_BELOW,
  DEFAULT_HNSW_OPTIONS,
  ExactVectorIndex,
  HnswVectorIndex,
  LayeredVectorIndex,
  readHnswCheckpoint,
  referencedGraph,
  removeUnreferencedGraphs,
  writeHnswCheckpoint,
  type HnswScalarKind,
  type VectorCheckpointAttributes,
  type VectorIndex,
} from '../index/dense/index.js';
import type { Segment } from '../index/sparse/index.js';
import { validateEmbeddings, type EmbeddingModel } from '../models/embedding-model.js';
import { EmbeddingCacheDatabase } from '../store/index.js';
import { resolveModelSource } from '../embed/onnx/config.js';
import type { Bm25Params } from '../core/types.js';

export const LSA_ARTIFACT_KIND = 'lsa.model';
/** File name of the HNSW checkpoint inside a collection folder. */
export const HNSW_CHECKPOINT_FILE = 'dense.hnsw';

/**
 * HNSW settings of a collection (recorded when it is created; `expansionSearch` and `exactBelow` may be overridden
 * per session).
 *
 * @example
 * ```ts
 * const hnsw: DenseHnswSettings = { exactBelow: 20_000, connectivity: 16, expansionAdd: 128, expansionSearch: 64, scalar: 'f32' };
 * ```
 */
export interface DenseHnswSettings {
  /** Below this many vectors the exact index is used; from it on the HNSW graph. Default 20 000. */
  exactBelow: number;
  /** Graph degree M. Default 16. */
  connectivity: number;
  /** Candidate list size while inserting (efConstruction). Default 128. */
  expansionAdd: number;
  /** Candidate list size while searching (ef; at least the number of hits asked for). Default 64. */
  expansionSearch: number;
  /** Component storage in the graph (the `vectors` table always holds f32). Default `f32`. */
  scalar: HnswScalarKind;
}

/** Dense settings recorded in a collection. */
export interface DenseSettings {
  /** `lsa`, an ONNX model id or folder (recorded as an absolute path), or `openai:<model>`. */
  embedder: string;
  /** LSA: the dimensions asked for (default 128). A model: the vectors' length (0 until the first commit embeds). */
  dimensions: number;
  /** LSA only. */
  scaling: LsaScaling;
  /** LSA only: refit when changed chunks exceed this share of the fitted ones (default 0.25). */
  refitRatio: number;
  /** The vector index (absent in collections made before HNSW: the defaults). */
  hnsw?: DenseHnswSettings;
}

export const DEFAULT_DENSE_SETTINGS: DenseSettings = {
  embedder: 'lsa',
  dimensions: 128,
  scaling: 'sqrt-sigma',
  refitRatio: 0.25,
  hnsw: { exactBelow: DEFAULT_EXACT_BELOW, ...DEFAULT_HNSW_OPTIONS },
};

/** Progress of a commit's embedding, reported after every batch. */
export interface EmbedProgress {
  /** Chunks with a vector so far (embedded or found in the cache). */
  done: number;
  /** Chunks this commit embeds. */
  total: number;
  /** Of `done`, found in the embedding cache (not sent to the model). */
  cached: number;
}

/**
 * `openCollection`'s `dense` option: the settings recorded for a new collection (`embedder`, `dimensions`, `scaling`,
 * `refitRatio`, `hnsw`), and per-session settings that are never recorded (endpoints, keys, workers, callbacks).
 *
 * @example
 * ```ts
 * const dense: DenseOptions = { embedder: 'openai:text-embedding-3-small', dimensions: 512, baseURL: 'http://127.0.0.1:8080/v1' };
 * ```
 */
export interface DenseOptions extends Partial<Omit<DenseSettings, 'hnsw'>> {
  /** Recorded for a new collection; `expansionSearch` and `exactBelow` also apply to this session when given. */
  hnsw?: Partial<DenseHnswSettings>;
  /** `openai:<model>`: the endpoint (default `$RALM_BASE_URL`, `$OPENAI_BASE_URL`, else OpenAI's). */
  baseURL?: string;
  /** `openai:<model>`: the API key (default `$RALM_API_KEY`, then `$OPENAI_API_KEY`). */
  apiKey?: string;
  /** `openai:<model>`: longest wait for one response in ms, and retries on 429/5xx/network failures. */
  timeoutMs?: number;
  maxRetries?: number;
  /** ONNX: worker processes (0: the calling thread; default min(2, cores)). */
  workers?: number;
  /** A ready model to use instead of building one from `embedder` (its provider and model must match the recorded embedder). */
  model?: EmbeddingModel;
  /** Chunks per embedding call at commit (each finished batch is cached at once). Default 256. */
  batchSize?: number;
  /**
   * Vectors added to an HNSW collection first go into a small exact index beside the graph; when this many changed
   * since the last checkpoint they are inserted into the graph and (a writer) the checkpoint is rewritten. It bounds
   * the vectors an open replays from the store. Default 5000; the checkpoint is also written on close.
   */
  checkpointChanges?: number;
  /** Called after every embedded batch of a commit. */
  onProgress?: (progress: EmbedProgress) => void;
  /** Called with a one-line message when a checkpoint is rebuilt (default: `process.emitWarning`). */
  onWarning?: (message: string) => void;
}

/** What the dense side holds, for `Collection.stats()`. */
export interface DenseStats {
  embedder: string;
  dimensions: number;
  vectors: number;
  index: 'exact' | 'hnsw';
  /** How the index was made at open: read from the store, loaded from the checkpoint, or rebuilt from the store. */
  source: 'store' | 'checkpoint' | 'rebuilt' | 'empty';
  /** The change sequence of the checkpoint loaded or last written (0: none). */
  checkpointSeq: number;
  /** Vectors added or replaced from the store on top of the checkpoint when it was loaded. */
  replayed: number;
  /** HNSW: recent vectors held in the exact index beside the graph (inserted into it at the next checkpoint). */
  pending: number;
  /** Seconds spent loading the dense side at open. */
  loadSeconds: number;
}

/** Minimal store access the dense state needs (the engine's DocumentStore satisfies it). */
export interface DenseStore {
  readonly file: string;
  readonly folder: string;
  readonly readOnly: boolean;
  database(): Database.Database;
  getMeta(key: string): string | undefined;
  setMeta(key: string, value: string): void;
  artifacts(kind: string): Array<{ name: string; seq: number; bytes: Uint8Array }>;
  putArtifact(artifact: { kind: string; name: string; seq: number; bytes: Uint8Array }): void;
  deleteArtifact(kind: string, name: string): void;
}

/** The forms an embedder is written in, for messages. */
export const embedderSpecForms: readonly string[] = ['lsa', '<ONNX model id or folder>', 'openai:<model>'];

/** A parsed embedder name. */
export type EmbedderSpec = { kind: 'lsa' } | { kind: 'openai'; model: string } | { kind: 'onnx'; model: string };

/**
 * Parses `lsa`, `openai:<model>` (the model name may itself contain `:`), or an ONNX model id or folder.
 *
 * @example
 * ```ts
 * parseEmbedderSpec('openai:nomic-embed-text:v1.5'); // { kind: 'openai', model: 'nomic-embed-text:v1.5' }
 * parseEmbedderSpec('Xenova/all-MiniLM-L6-v2'); // { kind: 'onnx', model: 'Xenova/all-MiniLM-L6-v2' }
 * ```
 */
export function parseEmbedderSpec(value: string): EmbedderSpec {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new RalmError('INVALID_ARGUMENT', `an embedder must be one of ${embedderSpecForms.join(', ')}; got ${JSON.stringify(value)}`);
  }
  const spec = value.trim();
  if (spec === 'lsa') return { kind: 'lsa' };
  if (spec.startsWith('openai:')) {
    const model = spec.slice('openai:'.length);
    if (model === '') throw new RalmError('INVALID_ARGUMENT', `embedder "${value}" names no model; write openai:<model>, e.g. openai:text-embedding-3-small`);
    return { kind: 'openai', model };
  }
  return { kind: 'onnx', model: spec };
}

/**
 * The embedder as a collection records it: a local ONNX folder becomes an absolute path (so the same folder named
 * from another working directory is the same embedder); other names are kept.
 *
 * @example
 * ```ts
 * normalizeEmbedderSpec('./models/e5-small'); // '/home/me/project/models/e5-small'
 * ```
 */
export function normalizeEmbedderSpec(value: string): string {
  const spec = parseEmbedderSpec(value);
  if (spec.kind !== 'onnx') return value.trim();
  const model = spec.model;
  const local = isAbsolute(model) || model.startsWith('./') || model.startsWith('../') || model === '.' || existsSync(model);
  return local ? resolve(model) : model;
}

/**
 * The embedder name of a ready model: `openai:<model>` for the OpenAI-compatible provider, the model id or folder for
 * ONNX, `<provider>:<model>` for any other provider (such a collection is opened with its model given as
 * `dense.model`).
 *
 * @example
 * ```ts
 * embedderSpecOf(createOpenAICompatibleEmbedder({ baseURL, model: 'nomic-embed-text' })); // 'openai:nomic-embed-text'
 * ```
 */
export function embedderSpecOf(model: EmbeddingModel): string {
  if (model.provider === 'openai-compatible') return `openai:${model.modelId}`;
  if (model.provider === 'onnx') return normalizeEmbedderSpec(model.modelId);
  return `${model.provider}:${model.modelId}`;
}

/** Resolves the recorded settings of a new collection from the `dense` option. */
export function denseSettingsFor(option: string | DenseOptions): DenseSettings {
  const options: DenseOptions = typeof option === 'string' ? { embedder: option } : option;
  const embedder = normalizeEmbedderSpec(options.embedder ?? (options.model ? embedderSpecOf(options.model) : DEFAULT_DENSE_SETTINGS.embedder));
  // a local ONNX folder is checked now (every missing file named), not at the first commit
  if (!options.model && parseEmbedderSpec(embedder).kind === 'onnx' && isAbsolute(embedder)) resolveModelSource(embedder, 'fp32');
  const lsa = embedder === 'lsa';
  const dimensions = options.dimensions ?? (lsa ? DEFAULT_DENSE_SETTINGS.dimensions : 0);
  if (!Number.isInteger(dimensions) || dimensions < (lsa ? 1 : 0)) throw new RalmError('INVALID_ARGUMENT', `dense dimensions must be a positive integer; got ${dimensions}`);
  const hnsw = { ...DEFAULT_DENSE_SETTINGS.hnsw!, ...definedOnly(options.hnsw ?? {}) };
  checkHnswSettings(hnsw);
  const settings: DenseSettings = {
    embedder,
    dimensions,
    scaling: options.scaling ?? DEFAULT_DENSE_SETTINGS.scaling,
    refitRatio: options.refitRatio ?? DEFAULT_DENSE_SETTINGS.refitRatio,
    hnsw,
  };
  if (!(settings.refitRatio >= 0)) throw new RalmError('INVALID_ARGUMENT', `refitRatio must be a number ≥ 0; got ${settings.refitRatio}`);
  return settings;
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function checkHnswSettings(hnsw: DenseHnswSettings): void {
  if (!(hnsw.exactBelow >= 0)) throw new RalmError('INVALID_ARGUMENT', `hnsw.exactBelow must be a number ≥ 0; got ${hnsw.exactBelow}`);
  for (const name of ['connectivity', 'expansionAdd', 'expansionSearch'] as const) {
    if (!Number.isInteger(hnsw[name]) || hnsw[name] < 1) throw new RalmError('INVALID_ARGUMENT', `hnsw.${name} must be a positive integer; got ${hnsw[name]}`);
  }
}

/** The vectors a commit adds or replaces, and the keys it removes; applied to the in-memory index once durable. */
interface PendingChange {
  /** Replace the whole index (an LSA refit, or every chunk deleted). */
  replace: boolean;
  model: LsaModel | null;
  /** The artifact name of `model` (a refit). */
  artifact?: string;
  keys: number[];
  vectors: FlatVectors;
  removed: number[];
}

/** A growable flat array of vectors. */
class FlatVectors {
  data: Float32Array;
  length = 0;
  constructor(
    readonly dimensions: number,
    capacity = 64,
  ) {
    this.data = new Float32Array(Math.max(1, capacity) * Math.max(1, dimensions));
  }
  push(vector: ArrayLike<number>): void {
    const d = this.dimensions;
    if ((this.length + 1) * d > this.data.length) {
      const grown = new Float32Array(Math.max((this.length + 1) * d, this.data.length * 2));
      grown.set(this.data.subarray(0, this.length * d));
      this.data = grown;
    }
    this.data.set(vector, this.length * d);
    this.length++;
  }
  view(): Float32Array {
    return this.data.subarray(0, this.length * this.dimensions);
  }
}

type Warn = (message: string) => void;

/** Reads `(chunkno, vector)` rows into keys and one flat array, checking every blob's length. */
function readRows(rows: Iterable<[number, Buffer]>, dimensions: number, source: string, accept: (key: number) => boolean = () => true): { keys: number[]; vectors: Float32Array } {
  const keys: number[] = [];
  const flat = new FlatVectors(dimensions, 1024);
  for (const [chunkno, blob] of rows) {
    if (!accept(chunkno)) continue;
    if (blob.byteLength !== dimensions * 4) {
      throw new RalmError('FORMAT', `${source}: the vector of chunk ${chunkno} has ${blob.byteLength / 4} components; the collection's vectors have ${dimensions}`, { file: source });
    }
    keys.push(chunkno);
    flat.push(new Float32Array(blob.buffer, blob.byteOffset, dimensions));
  }
  return { keys, vectors: flat.view() };
}

/** A blob's bytes may not be 4-byte aligned: copy into an aligned vector. */
function vectorOfBlob(blob: Buffer): Float32Array {
  return new Float32Array(blob.buffer.slice(blob.byteOffset, blob.byteOffset + blob.byteLength));
}

function vectorBlob(vector: Float32Array): Buffer {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);
}

/**
 * The dense side of one open collection. Made by {@link DenseState.load}; the collection calls `embed` (models)
 * during a commit, `update` inside the commit's transaction, and `publish` once the commit is durable (or `discard`
 * on rollback).
 */
export class DenseState {
  readonly settings: DenseSettings;
  private readonly options: DenseOptions;
  private readonly store: DenseStore;
  private readonly warn: Warn;
  private readonly hnsw: DenseHnswSettings;
  model: LsaModel | null = null;
  index: VectorIndex | null = null;
  /** Chunks the current LSA model was fitted on. */
  fittedChunks = 0;
  /** Seconds spent embedding (fitting, folding in, or calling the model) by the last commit. */
  lastEmbedSeconds = 0;
  /** Live chunks without a vector (found at open); a writer embeds them at its next commit. */
  missing = new Set<number>();
  private embedder: EmbeddingModel | null = null;
  private ownsEmbedder = false;
  private cache: EmbeddingCacheDatabase | null = null;
  private cacheUnavailable = false;
  private readonly queryCache: EmbeddingCacheStore = createMemoryEmbeddingCacheStore({ maxEntries: 1024 });
  private pending: PendingChange | null = null;
  /** The change sequence the in-memory index reflects. */
  private seq = 0;
  private checkpointSeq = 0;
  private changesSinceCheckpoint = 0;
  private source: DenseStats['source'] = 'empty';
  private replayed = 0;
  private loadSeconds = 0;
  /** Name of the LSA model artifact the vectors were made with ('' for a model embedder). */
  private lsaArtifact = '';

  private constructor(store: DenseStore, settings: DenseSettings, options: DenseOptions) {
    this.store = store;
    this.settings = { ...settings };
    this.options = options;
    this.hnsw = { ...DEFAULT_DENSE_SETTINGS.hnsw!, ...(settings.hnsw ?? {}), ...definedOnly({ exactBelow: options.hnsw?.exactBelow, expansionSearch: options.hnsw?.expansionSearch }) };
    checkHnswSettings(this.hnsw);
    this.warn = options.onWarning ?? ((message) => process.emitWarning(message, { code: 'RALM_DENSE' }));
  }

  /** Whether the embedder is LSA (fitted from the collection; query vectors computed synchronously). */
  get isLsa(): boolean {
    return this.settings.embedder === 'lsa';
  }

  /** The retriever's name in fusion and explanations: `lsa`, else `dense`. */
  get retrieverName(): 'lsa' | 'dense' {
    return this.isLsa ? 'lsa' : 'dense';
  }

  /** Whether there are vectors to search (or, for a model, at least a known dimension). */
  get ready(): boolean {
    return this.isLsa ? this.model !== null : this.index !== null;
  }

  private get checkpointPath(): string {
    return join(this.store.folder, HNSW_CHECKPOINT_FILE);
  }

  /** The identity recorded in (and required of) a checkpoint. */
  private attributes(): VectorCheckpointAttributes {
    return {
      collection: this.store.getMeta('collection_id') ?? this.store.getMeta('created_at') ?? '',
      embedder: this.settings.embedder,
      dimensions: this.index?.dimensions ?? this.settings.dimensions,
      lsaModel: this.lsaArtifact,
    };
  }

  /**
   * Loads the dense side of a collection: the LSA model, and the vectors of the live chunks (`live`) into the exact
   * index or the HNSW graph (from its checkpoint, reconciled with the store). `previous` (a reader's refresh) is
   * brought up to date in place when its embedder and LSA model are still current.
   */
  static async load(input: { store: DenseStore; settings: DenseSettings; options: DenseOptions; live: ReadonlyMap<number, string>; seq: number; previous?: DenseState | null }): Promise<DenseState> {
    const started = performance.now();
    const { store, live } = input;
    const previous = input.previous ?? null;
    const artifact = store.artifacts(LSA_ARTIFACT_KIND)[0];
    if (previous && previous.index && (!previous.isLsa || (artifact !== undefined && previous.lsaArtifact === artifact.name && previous.model !== null))) {
      previous.changesSinceCheckpoint += previous.reconcile(previous.index, previous.seq, live);
      previous.seq = input.seq;
      await previous.compactIfDue();
      previous.loadSeconds = (performance.now() - started) / 1000;
      return previous;
    }
    const state = new DenseState(store, input.settings, input.options);
    if (previous) {
      state.embedder = previous.embedder;
      state.ownsEmbedder = previous.ownsEmbedder;
      previous.ownsEmbedder = false;
    }
    state.seq = input.seq;
    let dimensions = state.settings.dimensions;
    if (state.isLsa) {
      if (!artifact) return state.finishLoad(started);
      state.model = decodeLsaModel(artifact.bytes, { source: `${store.file}: artifact ${LSA_ARTIFACT_KIND}/${artifact.name}` });
      state.lsaArtifact = artifact.name;
      state.fittedChunks = state.model.documentCount;
      dimensions = state.model.dimensions;
    } else if (dimensions === 0) {
      return state.finishLoad(started); // nothing embedded yet
    }
    const db = store.database();
    const count = Number(db.prepare('SELECT count(*) FROM vectors').pluck().get());
    if (!store.readOnly) removeUnreferencedGraphs(join(store.folder, HNSW_CHECKPOINT_FILE), await referencedGraph(join(store.folder, HNSW_CHECKPOINT_FILE)));
    if (count < state.hnsw.exactBelow) {
      const { keys, vectors } = readRows(db.prepare('SELECT chunkno, vector FROM vectors').raw().iterate() as IterableIterator<[number, Buffer]>, dimensions, store.file, (key) => live.has(key));
      const index = new ExactVectorIndex({ metric: 'cosine', dimensions, capacity: Math.max(16, keys.length) });
      if (keys.length > 0) index.add(keys, vectors);
      state.index = index;
      state.source = 'store';
      state.reconcile(index, Number.POSITIVE_INFINITY, live); // only the missing keys
    } else {
      await state.loadHnsw(dimensions, live);
    }
    return state.finishLoad(started);
  }

  private finishLoad(started: number): DenseState {
    this.loadSeconds = (performance.now() - started) / 1000;
    return this;
  }

  /** Loads the checkpoint (or rebuilds the graph from the store) and reconciles it with the store. */
  private async loadHnsw(dimensions: number, live: ReadonlyMap<number, string>): Promise<void> {
    const path = this.checkpointPath;
    if (existsSync(path)) {
      try {
        const { index: graph, seq, attributes } = await readHnswCheckpoint(path, { mode: 'view', expansionSearch: this.hnsw.expansionSearch });
        const index = new LayeredVectorIndex(graph);
        const expected: VectorCheckpointAttributes = { ...this.attributes(), dimensions };
        for (const name of ['collection', 'embedder', 'dimensions', 'lsaModel'] as const) {
          if (attributes[name] !== expected[name]) {
            throw new RalmError('FORMAT', `${path}: the checkpoint is of ${name} ${JSON.stringify(attributes[name])}, the collection's is ${JSON.stringify(expected[name])}`, { file: path });
          }
        }
        if (index.dimensions !== dimensions || index.metric !== 'cosine') throw new RalmError('FORMAT', `${path}: the checkpoint holds ${index.dimensions}-dimensional ${index.metric} vectors; the collection's are ${dimensions}-dimensional cosine`, { file: path });
        if (!this.store.readOnly && seq > this.seq) {
          throw new RalmError('FORMAT', `${path}: the checkpoint covers change ${seq}, but the collection's last commit is ${this.seq} (the database was replaced or restored)`, { file: path });
        }
        this.index = index;
        this.checkpointSeq = seq;
        this.source = 'checkpoint';
        this.replayed = this.reconcile(index, seq, live);
        this.changesSinceCheckpoint = this.replayed;
        return;
      } catch (error) {
        if (RalmError.is(error) && error.code === 'UNSUPPORTED') throw error; // usearch missing: rebuilding cannot help
        this.warn(`${RalmError.is(error) ? error.message : `${path}: ${(error as Error).message}`}; rebuilding the HNSW graph from the vectors in ${this.store.file}`);
      }
    }
    const db = this.store.database();
    const { keys, vectors } = readRows(db.prepare('SELECT chunkno, vector FROM vectors').raw().iterate() as IterableIterator<[number, Buffer]>, dimensions, this.store.file, (key) => live.has(key));
    const graph = await this.createHnsw(dimensions);
    if (keys.length > 0) graph.add(keys, vectors);
    const index = new LayeredVectorIndex(graph);
    this.index = index;
    this.source = existsSync(path) ? 'rebuilt' : 'store';
    this.reconcile(index, Number.POSITIVE_INFINITY, live);
    if (!this.store.readOnly) await this.saveCheckpoint();
  }

  private createHnsw(dimensions: number): Promise<HnswVectorIndex> {
    const { connectivity, expansionAdd, expansionSearch, scalar } = this.hnsw;
    return HnswVectorIndex.create({ metric: 'cosine', dimensions, connectivity, expansionAdd, expansionSearch, scalar });
  }

  /**
   * Brings `index` in line with the store: vectors committed after `sinceSeq` are added (or replace the held ones),
   * keys of chunks no longer live are removed, and live chunks the index lacks are read from the store (or, without
   * a stored vector, folded in for LSA / remembered in `missing` for a model). Returns the number of vectors added.
   */
  private reconcile(index: VectorIndex, sinceSeq: number, live: ReadonlyMap<number, string>): number {
    const db = this.store.database();
    let added = 0;
    if (Number.isFinite(sinceSeq)) {
      const { keys, vectors } = readRows(db.prepare('SELECT chunkno, vector FROM vectors WHERE seq > ?').raw().iterate(sinceSeq) as IterableIterator<[number, Buffer]>, index.dimensions, this.store.file, (key) => live.has(key));
      if (keys.length > 0) index.add(keys, vectors);
      added += keys.length;
    }
    for (const key of index.allKeys()) if (!live.has(key)) index.remove(key);
    const absent: number[] = [];
    for (const key of live.keys()) if (!index.has(key)) absent.push(key);
    this.missing = new Set();
    for (let start = 0; start < absent.length; start += 500) {
      const batch = absent.slice(start, start + 500);
      const rows = db.prepare(`SELECT chunkno, vector FROM vectors WHERE chunkno IN (${batch.map(() => '?').join(',')})`).raw().all(...batch) as Array<[number, Buffer]>;
      const { keys, vectors } = readRows(rows, index.dimensions, this.store.file);
      if (keys.length > 0) index.add(keys, vectors);
      added += keys.length;
      const found = new Set(keys);
      for (const key of batch) if (!found.has(key)) this.missing.add(key);
    }
    return added;
  }

  /** Folds chunks without a stored vector into an LSA index in memory (terms as they were indexed). */
  foldInMissing(termsOf: (key: number) => string[]): void {
    if (!this.isLsa || !this.model || !this.index || this.missing.size === 0) return;
    for (const key of this.missing) {
      const counts = new Map<string, number>();
      for (const term of termsOf(key)) counts.set(term, (counts.get(term) ?? 0) + 1);
      this.index.add([key], [this.model.projectQuery(counts)]);
    }
    this.missing.clear();
  }

  /** The stored vector of a live chunk (for MMR), or undefined. */
  vectorOf(key: number): Float32Array | undefined {
    if (this.index instanceof ExactVectorIndex) return this.index.vector(key);
    const blob = this.store.database().prepare('SELECT vector FROM vectors WHERE chunkno = ?').pluck().get(key) as Buffer | undefined;
    return blob ? vectorOfBlob(blob) : undefined;
  }

  /**
   * The top `k` chunks by cosine similarity to `vector`, `filter` applied inside the search: the exact index checks it
   * during its scan; the HNSW graph widens its search until `k` hits pass, and when the graph cannot deliver them the
   * passing chunks are scored exactly from the store.
   */
  search(vector: ArrayLike<number>, options: { k: number; filter?: (key: number) => boolean }): Array<{ key: number; score: number }> {
    if (!this.index) return [];
    if (vector.length !== this.index.dimensions) {
      throw new RalmError('INVALID_ARGUMENT', `the query vector has ${vector.length} components; the collection's ${this.settings.embedder} vectors have ${this.index.dimensions}`);
    }
    const hits = this.index.search(vector, options);
    if (this.index.kind !== 'hnsw' || options.filter === undefined || hits.length >= Math.min(options.k, this.index.size)) return hits;
    // The graph gave fewer than k passing hits (a selective filter, or nodes it cannot reach after many removals):
    // score every passing chunk exactly, from the store, so k hits come back whenever k pass.
    const passing = this.index.allKeys().filter(options.filter);
    if (passing.length <= hits.length) return hits;
    const exact = new ExactVectorIndex({ metric: 'cosine', dimensions: this.index.dimensions, capacity: passing.length });
    const db = this.store.database();
    for (let start = 0; start < passing.length; start += 500) {
      const batch = passing.slice(start, start + 500);
      const rows = db.prepare(`SELECT chunkno, vector FROM vectors WHERE chunkno IN (${batch.map(() => '?').join(',')})`).raw().all(...batch) as Array<[number, Buffer]>;
      const { keys, vectors } = readRows(rows, this.index.dimensions, this.store.file);
      if (keys.length > 0) exact.add(keys, vectors);
    }
    return exact.search(vector, { k: options.k });
  }

  /** The LSA query vector: the analyzed terms (with counts) projected by the model. */
  embedQuery(terms: ReadonlyArray<{ term: string; boost: number }>): Float32Array {
    if (!this.model) throw new RalmError('NOT_FOUND', 'the collection has no dense index yet (commit documents first)');
    return this.model.projectQuery(new Map(terms.map((t) => [t.term, t.boost])));
  }

  /** A model embedder's query vector (kept in a small in-memory cache). */
  async embedQueryText(text: string, signal?: AbortSignal): Promise<Float32Array> {
    const model = await this.embeddingModel();
    const dimensions = this.index?.dimensions ?? this.settings.dimensions;
    const cached = createCachedEmbedder(model, this.queryCache);
    const [vector] = await cached.embed([text], { kind: 'query', ...(signal ? { signal } : {}) });
    this.checkVectors([vector!], dimensions, () => 'the query');
    return vector!;
  }

  /** The model embedder, created on first use and checked against the recorded embedder. */
  private async embeddingModel(): Promise<EmbeddingModel> {
    if (this.embedder) return this.embedder;
    const spec = parseEmbedderSpec(this.settings.embedder);
    if (spec.kind === 'lsa') throw new RalmError('INVALID_ARGUMENT', 'LSA embeds from the collection itself; it has no separate model');
    let model = this.options.model;
    if (model) {
      const given = embedderSpecOf(model);
      if (given !== this.settings.embedder) {
        throw new RalmError(
          'INVALID_ARGUMENT',
          `the collection's vectors were made by embedder "${this.settings.embedder}"; the model given is "${given}". Query and index embedders must be the same: pass a model of "${this.settings.embedder}", or build a new collection`,
        );
      }
    } else if (spec.kind === 'openai') {
      const { createOpenAICompatibleEmbedder } = await import('../embed/openai/index.js');
      const known = this.settings.dimensions || Number(this.embeddingCache()?.getMeta(`dimensions:openai-compatible/${spec.model}`) ?? 0);
      model = createOpenAICompatibleEmbedder({
        baseURL: this.options.baseURL ?? process.env.RALM_BASE_URL ?? process.env.OPENAI_BASE_URL ?? 'https://api.openai.com/v1',
        model: spec.model,
        ...(this.options.apiKey !== undefined ? { apiKey: this.options.apiKey } : {}),
        ...(known > 0 ? { dimensions: known } : {}),
        ...(this.options.timeoutMs !== undefined ? { timeoutMs: this.options.timeoutMs } : {}),
        ...(this.options.maxRetries !== undefined ? { maxRetries: this.options.maxRetries } : {}),
      });
      this.ownsEmbedder = true;
    } else {
      if (/^[a-z][\w-]*:/i.test(spec.model) && !existsSync(spec.model)) {
        throw new RalmError('INVALID_ARGUMENT', `the collection was embedded with "${spec.model}", a model of a custom provider: open it with that model as dense.model`);
      }
      const { createOnnxEmbedder } = await import('../embed/onnx/index.js');
      model = await createOnnxEmbedder({ model: spec.model, ...(this.options.workers !== undefined ? { workers: this.options.workers } : {}) });
      this.ownsEmbedder = true;
    }
    this.embedder = model;
    return model;
  }

  /** The persistent embedding cache (writers only; readers embed queries alone, cached in memory). */
  private embeddingCache(): EmbeddingCacheDatabase | null {
    if (this.store.readOnly || this.cacheUnavailable) return null;
    try {
      this.cache ??= EmbeddingCacheDatabase.open(this.store.folder);
    } catch (error) {
      // only a cache: embed without it (in memory for this session)
      this.cacheUnavailable = true;
      this.warn(`${(error as Error).message}; embedding without the persistent cache in this session`);
      return null;
    }
    return this.cache;
  }

  /** Checks a batch of vectors: the collection's dimension, finite, non-zero. */
  private checkVectors(vectors: Float32Array[], dimensions: number, what: (i: number) => string): void {
    const source = `embedder "${this.settings.embedder}"`;
    if (dimensions > 0) {
      for (let i = 0; i < vectors.length; i++) {
        if (vectors[i]!.length !== dimensions) {
          throw new RalmError(
            'PROVIDER',
            `${source} returned a ${vectors[i]!.length}-dimensional vector for ${what(i)}; the collection's vectors have ${dimensions} dimensions (a different model or a changed dimensions setting: use the collection's, or build a new collection)`,
            { isRetryable: false },
          );
        }
      }
    }
    try {
      validateEmbeddings(vectors, { count: vectors.length, source });
    } catch (error) {
      const match = RalmError.is(error) ? /at index (\d+): (.*)$/.exec(error.message) : null;
      if (!match) throw error;
      throw new RalmError('PROVIDER', `${source} returned an invalid embedding for ${what(Number(match[1]))}: ${match[2]}`, { isRetryable: false, cause: error });
    }
  }

  /**
   * Embeds the chunks `keys` (a model embedder) inside the open commit: batches of `batchSize` texts through the
   * persistent cache, two batches in flight; each batch's vectors are written to the `vectors` table at `seq` and
   * kept for {@link publish}. Throws (leaving the open commit to be rolled back) when the model fails; batches
   * finished before stay in the cache.
   */
  async embed(input: { seq: number; keys: readonly number[]; textsOf: (keys: readonly number[]) => Map<number, { text: string; label: string }> }): Promise<void> {
    const started = performance.now();
    const total = input.keys.length;
    if (total === 0) {
      this.lastEmbedSeconds = 0;
      return;
    }
    const model = await this.embeddingModel();
    let embedded = 0;
    const labels = new Map<string, string>();
    // the model's answers are checked before they reach the cache: a bad vector is never stored
    const checked: EmbeddingModel = {
      ...model,
      get dimensions() {
        return model.dimensions;
      },
      embed: async (texts, options) => {
        const vectors = await model.embed(texts, options);
        this.checkVectors(vectors, this.settings.dimensions || vectors[0]?.length || 0, (i) => labels.get(texts[i]!) ?? `a chunk`);
        embedded += texts.length;
        return vectors;
      },
    };
    const cache = this.embeddingCache();
    const cached = createCachedEmbedder(checked, cache ?? createMemoryEmbeddingCacheStore());
    const batchSize = this.options.batchSize ?? 256;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new RalmError('INVALID_ARGUMENT', `dense.batchSize must be a positive integer; got ${batchSize}`);
    const insert = this.store.database().prepare('INSERT OR REPLACE INTO vectors (chunkno, seq, vector) VALUES (?, ?, ?)');
    let flat: FlatVectors | null = this.settings.dimensions > 0 ? new FlatVectors(this.settings.dimensions, total) : null;
    const keys: number[] = [];
    const start = (from: number) => {
      const batch = input.keys.slice(from, from + batchSize);
      const texts = input.textsOf(batch);
      for (const { text, label } of texts.values()) labels.set(text, label);
      const promise = cached.embed(
        batch.map((key) => texts.get(key)?.text ?? ''),
        { kind: 'passage' },
      );
      promise.catch(() => {}); // awaited below; a failure of a batch still in flight must not go unhandled
      return { batch, texts, promise };
    };
    const queue = [start(0)];
    if (batchSize < total) queue.push(start(batchSize));
    let next = 2 * batchSize;
    let done = 0;
    while (queue.length > 0) {
      const { batch, texts, promise } = queue.shift()!;
      const vectors = await promise;
      const dimensions = this.settings.dimensions || vectors[0]!.length;
      this.checkVectors(vectors, dimensions, (i) => texts.get(batch[i]!)?.label ?? `chunk ${batch[i]}`);
      if (this.settings.dimensions === 0) {
        this.settings.dimensions = dimensions;
        cache?.setMeta(`dimensions:${model.provider}/${model.modelId}`, String(dimensions));
      }
      flat ??= new FlatVectors(dimensions, total);
      for (let i = 0; i < batch.length; i++) {
        insert.run(batch[i]!, input.seq, vectorBlob(vectors[i]!));
        keys.push(batch[i]!);
        flat.push(vectors[i]!);
      }
      done += batch.length;
      this.options.onProgress?.({ done, total, cached: done - Math.min(done, embedded) });
      if (next < total) {
        queue.push(start(next));
        next += batchSize;
      }
    }
    this.pending = { replace: false, model: null, keys, vectors: flat!, removed: [] };
    this.lastEmbedSeconds = (performance.now() - started) / 1000;
  }

  /**
   * Brings the `vectors` table up to date inside the open commit. LSA: refits or folds in (see the module comment).
   * A model: the vectors were written by {@link embed}; deleted chunks' rows are removed and a newly learnt
   * dimension is recorded. Nothing in memory changes until {@link publish}.
   */
  update(input: {
    seq: number;
    segments: readonly Segment[];
    isLive: (key: number) => boolean;
    liveCount: number;
    added: readonly number[];
    deleted: readonly number[];
    bm25: Bm25Params;
    termsOf: (key: number) => string[];
  }): { refit: boolean } {
    const db = this.store.database();
    const remove = db.prepare('DELETE FROM vectors WHERE chunkno = ?');
    if (!this.isLsa) {
      const pending = this.pending ?? { replace: false, model: null, keys: [], vectors: new FlatVectors(Math.max(1, this.settings.dimensions), 1), removed: [] };
      for (const key of input.deleted) remove.run(key);
      pending.removed = [...input.deleted];
      this.pending = pending;
      const recorded = JSON.parse(this.store.getMeta('dense') ?? 'false') as DenseSettings | false;
      if (recorded && recorded.dimensions !== this.settings.dimensions) this.store.setMeta('dense', JSON.stringify({ ...recorded, dimensions: this.settings.dimensions }));
      return { refit: false };
    }
    const started = performance.now();
    const changed = input.added.length + input.deleted.length;
    const refit = this.model === null || changed > this.settings.refitRatio * Math.max(1, this.fittedChunks);
    if (input.liveCount === 0) {
      db.prepare('DELETE FROM vectors').run();
      this.pending = { replace: true, model: this.model, keys: [], vectors: new FlatVectors(this.index?.dimensions ?? 1, 1), removed: [] };
      this.lastEmbedSeconds = 0;
      return { refit: false };
    }
    if (refit) {
      const { matrix, vocabulary, keys } = termDocumentMatrix(input.segments, input.isLive);
      const idf = inverseDocumentFrequencies(matrix);
      const weighted = weightTermDocumentMatrix(matrix, { idf, weighting: 'bm25', k1: input.bm25.k1, b: input.bm25.b });
      const dimensions = Math.max(1, Math.min(this.settings.dimensions, keys.length - 1, vocabulary.length - 1));
      const model = fitLsa({ matrix: weighted, vocabulary, idf, dimensions, weighting: 'bm25', scaling: this.settings.scaling, seed: 1 });
      for (const old of this.store.artifacts(LSA_ARTIFACT_KIND)) this.store.deleteArtifact(LSA_ARTIFACT_KIND, old.name);
      const artifact = `lsa-${input.seq}`;
      this.store.putArtifact({ kind: LSA_ARTIFACT_KIND, name: artifact, seq: input.seq, bytes: encodeLsaModel(model) });
      db.prepare('DELETE FROM vectors').run();
      const insert = db.prepare('INSERT INTO vectors (chunkno, seq, vector) VALUES (?, ?, ?)');
      const vectors = new FlatVectors(model.dimensions, keys.length);
      for (let row = 0; row < keys.length; row++) {
        const vector = model.documentVector(row);
        vectors.push(vector);
        insert.run(keys[row]!, input.seq, vectorBlob(vector.slice()));
      }
      this.pending = { replace: true, model, artifact, keys, vectors, removed: [] };
    } else {
      const model = this.model!;
      for (const key of input.deleted) remove.run(key);
      const insert = db.prepare('INSERT OR REPLACE INTO vectors (chunkno, seq, vector) VALUES (?, ?, ?)');
      const keys: number[] = [];
      const vectors = new FlatVectors(model.dimensions, input.added.length);
      for (const key of input.added) {
        const counts = new Map<string, number>();
        for (const term of input.termsOf(key)) counts.set(term, (counts.get(term) ?? 0) + 1);
        const vector = model.projectQuery(counts);
        keys.push(key);
        vectors.push(vector);
        insert.run(key, input.seq, vectorBlob(vector));
      }
      this.pending = { replace: false, model: null, keys, vectors, removed: [...input.deleted] };
    }
    this.lastEmbedSeconds = (performance.now() - started) / 1000;
    return { refit };
  }

  /** Forgets the open commit's vectors (rolled back). */
  discard(): void {
    this.pending = null;
  }

  /**
   * Applies the commit `seq` (now durable) to the in-memory index: a refit replaces it; otherwise deleted keys are
   * removed and new vectors added. The exact index becomes an HNSW graph when it reaches `exactBelow` vectors; the
   * graph is checkpointed when enough changed since the last checkpoint.
   */
  async publish(seq: number): Promise<void> {
    const pending = this.pending;
    this.pending = null;
    this.seq = seq;
    if (!pending) return;
    for (const key of pending.removed) this.missing.delete(key);
    for (const key of pending.keys) this.missing.delete(key);
    if (pending.replace) {
      this.model = pending.model;
      if (pending.artifact !== undefined) {
        this.lsaArtifact = pending.artifact;
        this.fittedChunks = pending.keys.length;
      }
      const dimensions = pending.model?.dimensions ?? this.index?.dimensions ?? this.settings.dimensions;
      this.index = await this.buildIndex(dimensions, pending.keys, pending.vectors.view());
      if (this.index.kind === 'hnsw') await this.saveCheckpoint();
      else this.changesSinceCheckpoint = 0;
      return;
    }
    if (!this.index) {
      if (pending.keys.length === 0) return;
      this.index = await this.buildIndex(pending.vectors.dimensions, pending.keys, pending.vectors.view());
      if (this.index.kind === 'hnsw') await this.saveCheckpoint();
      return;
    }
    for (const key of pending.removed) this.index.remove(key);
    if (pending.keys.length > 0) this.index.add(pending.keys, pending.vectors.view());
    this.changesSinceCheckpoint += pending.removed.length + pending.keys.length;
    await this.compactIfDue();
    if (this.index instanceof ExactVectorIndex && this.index.size >= this.hnsw.exactBelow) {
      const exact = this.index;
      const keys = exact.allKeys();
      const flat = new FlatVectors(exact.dimensions, keys.length);
      for (const key of keys) flat.push(exact.vector(key)!);
      this.index = await this.buildIndex(exact.dimensions, keys, flat.view());
      await this.saveCheckpoint();
      return;
    }
  }

  /** Inserts the recent vectors into the graph, and (a writer) rewrites the checkpoint, when enough changed. */
  private async compactIfDue(): Promise<void> {
    if (!(this.index instanceof LayeredVectorIndex)) return;
    const every = this.options.checkpointChanges ?? 5000;
    if (this.changesSinceCheckpoint < every && this.index.delta.size < every) return;
    if (this.store.readOnly) {
      await this.index.compact();
      this.changesSinceCheckpoint = 0;
    } else await this.saveCheckpoint();
  }

  private async buildIndex(dimensions: number, keys: number[], vectors: Float32Array): Promise<VectorIndex> {
    if (keys.length < this.hnsw.exactBelow) {
      const index = new ExactVectorIndex({ metric: 'cosine', dimensions, capacity: Math.max(16, keys.length) });
      if (keys.length > 0) index.add(keys, vectors);
      return index;
    }
    const graph = await this.createHnsw(dimensions);
    if (keys.length > 0) graph.add(keys, vectors);
    return new LayeredVectorIndex(graph);
  }

  /** Writes the HNSW graph to `dense.hnsw` (atomically), recording the change sequence it covers. */
  private async saveCheckpoint(): Promise<void> {
    if (this.store.readOnly || !(this.index instanceof LayeredVectorIndex)) return;
    await this.index.compact();
    await writeHnswCheckpoint(this.checkpointPath, this.index.base, { seq: this.seq, attributes: this.attributes() });
    this.checkpointSeq = this.seq;
    this.changesSinceCheckpoint = 0;
  }

  /** What the dense side holds. */
  stats(): DenseStats {
    return {
      embedder: this.settings.embedder,
      dimensions: this.index?.dimensions ?? this.settings.dimensions,
      vectors: this.index?.size ?? 0,
      index: this.index?.kind ?? 'exact',
      source: this.source,
      checkpointSeq: this.checkpointSeq,
      replayed: this.replayed,
      pending: this.index instanceof LayeredVectorIndex ? this.index.delta.size : 0,
      loadSeconds: this.loadSeconds,
    };
  }

  /** Writes a pending checkpoint (writers), and releases the model and the cache. */
  async close(): Promise<void> {
    try {
      if (this.changesSinceCheckpoint > 0) await this.saveCheckpoint();
    } finally {
      this.cache?.close();
      this.cache = null;
      if (this.ownsEmbedder) await this.embedder?.close?.();
      this.embedder = null;
    }
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
