/**
 * The approximate vector index: an HNSW graph from usearch (a native, optional dependency loaded with
 * `await import('usearch')` only when an HNSW index is created or loaded).
 *
 * Filtering: usearch's JavaScript API has no filtered search, so a filtered search asks the graph for
 * `k' = max(2k, k + 32)` neighbours, keeps those passing the filter, and, while fewer than `k` pass and `k'` is
 * below the index size, grows `k'` fourfold and searches again. At `k' ≥ size` the graph is searched with an
 * expansion of at least `size`, which visits practically every reachable node; so a very selective filter costs
 * about a full scan but still returns up to `k` hits.
 */
import { closeSync, fsyncSync, openSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeEnvelope, encodeEnvelope } from '../../core/format.js';
import { RalmError } from '../../core/errors.js';
import { assertMetric, type VectorMetric } from './distance.js';
import { readWholeFile, writeFileAtomic } from './files.js';
import type { VectorCheckpointAttributes, VectorCheckpointOptions, VectorHit, VectorIndex, VectorSearchOptions } from './types.js';
import { asFloat64, checkDimensions, checkK, checkKey, checkQuery, checkSeq, float64Bytes, readSections, vectorSource, writeSections } from './validate.js';

/** Envelope format name of a persisted HNSW index. */
export const HNSW_FORMAT = 'ralm.dense.hnsw';
/** Envelope version written by this build. */
export const HNSW_FORMAT_VERSION = 1;
/** The graph's bytes (section 1) are only written to a file for usearch: read as a view, not copied. */
const GRAPH_SECTION_VIEW: ReadonlySet<number> = new Set([1]);

/**
 * How usearch stores vector components: `f32` (exact), `f16` (half the memory), `i8` (a quarter; components
 * must lie in [-1, 1], e.g. L2-normalised vectors with the cosine metric).
 *
 * @example
 * ```ts
 * const scalar: HnswScalarKind = 'f16';
 * ```
 */
export type HnswScalarKind = 'f32' | 'f16' | 'i8';

/**
 * Options of {@link HnswVectorIndex.create}.
 *
 * @example
 * ```ts
 * const options: HnswVectorIndexOptions = { metric: 'cosine', dimensions: 256, connectivity: 16, expansionSearch: 64 };
 * ```
 */
export interface HnswVectorIndexOptions {
  metric: VectorMetric;
  dimensions: number;
  /** Component storage. Default `'f32'`. */
  scalar?: HnswScalarKind;
  /** Graph degree M. Default {@link DEFAULT_HNSW_OPTIONS}.connectivity (16). */
  connectivity?: number;
  /** Candidate list size while inserting (efConstruction). Default 128. */
  expansionAdd?: number;
  /** Candidate list size while searching (ef); higher is slower and more accurate. Default 160. */
  expansionSearch?: number;
}

/** Vectors a graph takes one at a time before batches are inserted on several threads (see `add`). */
const SERIAL_INSERTS = 2048;

/**
 * The HNSW defaults: usearch's connectivity and expansionAdd; expansionSearch raised from usearch's 64 to 160, which
 * gave recall@10 ≈ 0.988 against exact search at 117k LSA-128 vectors with p50 ≈ 0.5 ms (64 gave 0.970; see
 * bench/results/hnsw-peers.md).
 *
 * @example
 * ```ts
 * const ef = DEFAULT_HNSW_OPTIONS.expansionSearch; // 160
 * ```
 */
export const DEFAULT_HNSW_OPTIONS = { scalar: 'f32', connectivity: 16, expansionAdd: 128, expansionSearch: 160 } as const satisfies Partial<HnswVectorIndexOptions>;

type UsearchModule = typeof import('usearch');
type UsearchIndex = InstanceType<UsearchModule['Index']>;

let usearchModule: Promise<UsearchModule> | undefined;

/** Loads usearch once; a clear UNSUPPORTED error when it is not installed. */
async function loadUsearch(): Promise<UsearchModule> {
  usearchModule ??= import('usearch').then(
    (module) => ((module as unknown as { default?: UsearchModule }).default ?? module) as UsearchModule,
    (error: unknown) => {
      usearchModule = undefined;
      throw new RalmError(
        'UNSUPPORTED',
        `the HNSW vector index needs the optional native package "usearch", which could not be loaded (${(error as Error).message}); install it with \`npm install usearch\`, or use the exact index (ExactVectorIndex, or createVectorIndex with a larger exactBelow)`,
        { cause: error },
      );
    },
  );
  return usearchModule;
}

const METRIC_KIND: Record<VectorMetric, string> = { cosine: 'cos', 'inner-product': 'ip', l2: 'l2sq' };

interface ResolvedOptions {
  metric: VectorMetric;
  dimensions: number;
  scalar: HnswScalarKind;
  connectivity: number;
  expansionAdd: number;
  expansionSearch: number;
}

function resolve(options: HnswVectorIndexOptions): ResolvedOptions {
  assertMetric(options.metric);
  checkDimensions(options.dimensions);
  const scalar = options.scalar ?? DEFAULT_HNSW_OPTIONS.scalar;
  if (scalar !== 'f32' && scalar !== 'f16' && scalar !== 'i8') {
    throw new RalmError('INVALID_ARGUMENT', `scalar must be one of f32, f16, i8; got ${JSON.stringify(scalar)}`);
  }
  const resolved = {
    metric: options.metric,
    dimensions: options.dimensions,
    scalar,
    connectivity: options.connectivity ?? DEFAULT_HNSW_OPTIONS.connectivity,
    expansionAdd: options.expansionAdd ?? DEFAULT_HNSW_OPTIONS.expansionAdd,
    expansionSearch: options.expansionSearch ?? DEFAULT_HNSW_OPTIONS.expansionSearch,
  };
  for (const name of ['connectivity', 'expansionAdd', 'expansionSearch'] as const) {
    if (!Number.isInteger(resolved[name]) || resolved[name] < 1) throw new RalmError('INVALID_ARGUMENT', `${name} must be a positive integer; got ${resolved[name]}`);
  }
  return resolved;
}

function construct(usearch: UsearchModule, options: ResolvedOptions): UsearchIndex {
  return new usearch.Index({
    dimensions: options.dimensions,
    metric: METRIC_KIND[options.metric] as UsearchModule['MetricKind'][keyof UsearchModule['MetricKind']],
    quantization: options.scalar as UsearchModule['ScalarKind'][keyof UsearchModule['ScalarKind']],
    connectivity: options.connectivity,
    expansion_add: options.expansionAdd,
    expansion_search: options.expansionSearch,
    multi: false,
  });
}

async function withTemporaryFile<T>(run: (path: string) => Promise<T>): Promise<T> {
  const folder = await mkdtemp(join(tmpdir(), 'ralm-hnsw-'));
  try {
    return await run(join(folder, 'graph.usearch'));
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

/**
 * HNSW vector index over usearch. Scores: cosine similarity (`1 − cos distance`), inner product
 * (`1 − ip distance`), or the negated squared L2 distance, as computed by usearch (f32, f16 or i8).
 * Create it with the async {@link HnswVectorIndex.create} (the native module is imported lazily).
 *
 * @example
 * ```ts
 * const index = await HnswVectorIndex.create({ metric: 'cosine', dimensions: 2 });
 * index.add([1, 2], new Float32Array([1, 0, 0, 1]));
 * index.search(new Float32Array([1, 0.2]), { k: 1 }); // [{ key: 1, score: 0.98… }]
 * await index.save('dense.hnsw', { seq: 12 });
 * const { index: again, seq } = await HnswVectorIndex.load('dense.hnsw'); // seq === 12
 * ```
 */
export class HnswVectorIndex implements VectorIndex {
  readonly kind = 'hnsw' as const;
  readonly metric: VectorMetric;
  readonly dimensions: number;
  readonly scalar: HnswScalarKind;
  readonly connectivity: number;
  readonly expansionAdd: number;
  private expansion: number;
  private graph: UsearchIndex;
  /** The file the graph is memory-mapped from (read-only), or null when the graph is in memory. */
  private viewed: string | null = null;
  private readonly keys = new Set<number>();

  private constructor(
    private readonly usearch: UsearchModule,
    options: ResolvedOptions,
  ) {
    this.metric = options.metric;
    this.dimensions = options.dimensions;
    this.scalar = options.scalar;
    this.connectivity = options.connectivity;
    this.expansionAdd = options.expansionAdd;
    this.expansion = options.expansionSearch;
    this.graph = construct(usearch, options);
  }

  /**
   * Creates an empty index (imports usearch on first use; UNSUPPORTED when it is not installed).
   *
   * @example
   * ```ts
   * const index = await HnswVectorIndex.create({ metric: 'l2', dimensions: 64, scalar: 'f16' });
   * ```
   */
  static async create(options: HnswVectorIndexOptions): Promise<HnswVectorIndex> {
    const resolved = resolve(options);
    return new HnswVectorIndex(await loadUsearch(), resolved);
  }

  private options(): ResolvedOptions {
    return {
      metric: this.metric,
      dimensions: this.dimensions,
      scalar: this.scalar,
      connectivity: this.connectivity,
      expansionAdd: this.expansionAdd,
      expansionSearch: this.expansion,
    };
  }

  /** Number of keys held. */
  get size(): number {
    return this.keys.size;
  }

  /** Whether the graph is memory-mapped read-only from a file ({@link openGraphFile} with `view`): no add or remove. */
  get immutable(): boolean {
    return this.viewed !== null;
  }

  /**
   * Writes usearch's own graph file (what {@link openGraphFile} loads or memory-maps) to `path`, and flushes it to disk.
   *
   * @example
   * ```ts
   * index.writeGraphFile('dense.hnsw.7-a1b2.graph');
   * ```
   */
  writeGraphFile(path: string): void {
    try {
      this.graph.save(path);
      const fd = openSync(path, 'r+');
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    } catch (error) {
      throw new RalmError('IO', `cannot write the HNSW graph ${path}: ${(error as Error).message}`, { cause: error, file: path });
    }
  }

  /**
   * Opens a graph file written by {@link writeGraphFile}: `load` reads it into memory (the index can change), `view`
   * memory-maps it read-only (opening costs next to nothing; pages are read as searches touch them, and shared between
   * processes). `keys` are the keys the graph holds.
   *
   * @example
   * ```ts
   * const index = await HnswVectorIndex.openGraphFile('g.usearch', { metric: 'cosine', dimensions: 384 }, keys, 'view');
   * ```
   */
  static async openGraphFile(path: string, options: HnswVectorIndexOptions, keys: Iterable<number>, mode: 'load' | 'view'): Promise<HnswVectorIndex> {
    const index = new HnswVectorIndex(await loadUsearch(), resolve(options));
    try {
      if (mode === 'view') {
        index.graph.view(path);
        index.viewed = path;
      } else index.graph.load(path);
    } catch (error) {
      throw new RalmError('FORMAT', `${path}: usearch cannot ${mode} this HNSW graph (${(error as Error).message})`, { cause: error, file: path });
    }
    for (const key of keys) index.keys.add(key);
    if (index.graph.size() !== index.keys.size) {
      throw new RalmError('FORMAT', `${path}: the graph holds ${index.graph.size()} vectors, its checkpoint lists ${index.keys.size} keys`, { file: path });
    }
    return index;
  }

  /**
   * A copy of this index whose graph is in memory (so it can change); for a memory-mapped index.
   *
   * @example
   * ```ts
   * const writable = viewed.immutable ? await viewed.mutableCopy() : viewed;
   * ```
   */
  async mutableCopy(): Promise<HnswVectorIndex> {
    const copy = new HnswVectorIndex(this.usearch, this.options());
    if (this.keys.size > 0) {
      await withTemporaryFile(async (path) => {
        this.graph.save(path);
        copy.graph.load(path);
      });
    }
    for (const key of this.keys) copy.keys.add(key);
    return copy;
  }

  private assertMutable(): void {
    if (this.viewed !== null) {
      throw new RalmError('UNSUPPORTED', `this HNSW index is memory-mapped read-only from ${this.viewed}; take a mutableCopy() to change it`);
    }
  }

  /** The search expansion (ef) in effect. */
  get expansionSearch(): number {
    return this.expansion;
  }

  /**
   * Changes the search expansion (ef). usearch fixes it when an index is constructed, so the graph is re-opened
   * from its serialized bytes with the new setting (a copy in memory; cost proportional to the index size).
   *
   * @example
   * ```ts
   * await index.setExpansionSearch(200);
   * ```
   */
  async setExpansionSearch(expansionSearch: number): Promise<void> {
    const resolved = resolve({ ...this.options(), expansionSearch });
    if (resolved.expansionSearch === this.expansion) return;
    const bytes = await this.graphBytes();
    this.expansion = resolved.expansionSearch;
    this.graph = await this.openGraph(bytes, resolved);
    this.viewed = null;
  }

  private async graphBytes(): Promise<Uint8Array> {
    return withTemporaryFile(async (path) => {
      this.graph.save(path);
      return new Uint8Array(await readFile(path));
    });
  }

  private async openGraph(bytes: Uint8Array, options: ResolvedOptions): Promise<UsearchIndex> {
    const graph = construct(this.usearch, options);
    if (bytes.length === 0) return graph;
    await withTemporaryFile(async (path) => {
      await writeFile(path, bytes);
      graph.load(path);
    });
    return graph;
  }

  /** Adds or replaces vectors (a replaced key is removed from the graph and inserted again). */
  add(keys: ArrayLike<number>, vectors: Float32Array | readonly ArrayLike<number>[]): void {
    this.assertMutable();
    const source = vectorSource(keys, vectors, this.dimensions);
    const seen = new Set<number>();
    for (let i = 0; i < keys.length; i++) {
      checkKey(keys[i]!);
      if (seen.has(keys[i]!)) throw new RalmError('INVALID_ARGUMENT', `key ${keys[i]} appears twice in one add() call`);
      seen.add(keys[i]!);
    }
    if (keys.length === 0) return;
    const bigKeys = new BigUint64Array(keys.length);
    const flat = new Float32Array(keys.length * this.dimensions);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      if (this.keys.has(key)) this.graph.remove(BigInt(key));
      bigKeys[i] = BigInt(key);
      const vector = source(i);
      for (let j = 0; j < this.dimensions; j++) {
        const value = vector[j]!;
        if (!Number.isFinite(value)) throw new RalmError('INVALID_ARGUMENT', `vector for key ${key} has a non-finite component ${value} at ${j}`);
        flat[i * this.dimensions + j] = value;
      }
    }
    // usearch inserts a batch on several threads; into a small graph, concurrent insertions do not see each other and
    // can leave it poorly linked (a stored vector then not found by its own query, seen under load): the first
    // SERIAL_INSERTS vectors of a graph go in one at a time, the rest in parallel
    const serial = Math.max(0, Math.min(keys.length, SERIAL_INSERTS - this.graph.size()));
    if (serial > 0) this.graph.add(bigKeys.subarray(0, serial), flat.subarray(0, serial * this.dimensions), 1);
    if (serial < keys.length) this.graph.add(bigKeys.subarray(serial), flat.subarray(serial * this.dimensions), 0);
    for (let i = 0; i < keys.length; i++) this.keys.add(keys[i]!);
  }

  /** Removes a key; returns whether it was present. */
  remove(key: number): boolean {
    if (!this.keys.has(key)) return false;
    this.assertMutable();
    this.graph.remove(BigInt(key));
    this.keys.delete(key);
    return true;
  }

  /** Whether the key is held. */
  has(key: number): boolean {
    return this.keys.has(key);
  }

  /** Every key held (in insertion order). */
  allKeys(): number[] {
    return [...this.keys];
  }

  private score(distance: number): number {
    return this.metric === 'l2' ? -distance : 1 - distance;
  }

  private query(vector: ArrayLike<number>, count: number): VectorHit[] {
    const query = vector instanceof Float32Array ? vector : Float32Array.from(vector);
    const matches = this.graph.search(query, count, 1);
    const hits: VectorHit[] = [];
    for (let i = 0; i < matches.keys.length; i++) {
      const key = Number(matches.keys[i]!);
      if (!this.keys.has(key)) continue; // defensive: a removed key
      hits.push({ key, score: this.score(matches.distances[i]!) });
    }
    return hits;
  }

  /** Approximate top-k; with a filter, the enlarge-and-recheck loop described in the module comment. */
  search(vector: ArrayLike<number>, options: VectorSearchOptions): VectorHit[] {
    checkQuery(vector, this.dimensions);
    checkK(options.k);
    const size = this.keys.size;
    const k = Math.min(options.k, size);
    if (k === 0) return [];
    const { filter } = options;
    let hits: VectorHit[];
    if (filter === undefined) {
      hits = this.query(vector, k);
    } else {
      let wanted = Math.min(size, Math.max(2 * k, k + 32));
      for (;;) {
        hits = this.query(vector, wanted).filter((hit) => filter(hit.key));
        if (hits.length >= k || wanted >= size) break;
        wanted = Math.min(size, wanted * 4);
      }
    }
    hits.sort((a, b) => b.score - a.score || a.key - b.key);
    return hits.length > k ? hits.slice(0, k) : hits;
  }

  /**
   * The index in the `ralm.dense.hnsw` v1 envelope: options, `seq`, keys, and usearch's serialized graph.
   *
   * @example
   * ```ts
   * const bytes = await index.encode({ seq: 3 });
   * ```
   */
  async encode(options: VectorCheckpointOptions): Promise<Uint8Array> {
    checkSeq(options.seq);
    const keys = Float64Array.from(this.keys).sort();
    const graph = keys.length === 0 ? new Uint8Array(0) : await this.graphBytes();
    const payload = writeSections({ ...this.options(), count: keys.length, seq: options.seq, ...(options.attributes ? { attributes: options.attributes } : {}) }, [float64Bytes(keys), graph]);
    return encodeEnvelope({ format: HNSW_FORMAT, version: HNSW_FORMAT_VERSION }, payload);
  }

  /** Writes the checkpoint atomically to `path`, recording the change sequence `seq` it covers. */
  async save(path: string, options: VectorCheckpointOptions): Promise<void> {
    await writeFileAtomic(path, await this.encode(options));
  }

  /**
   * Reads bytes written by {@link encode}; refuses another format, an unknown version or a bad checksum.
   * `expansionSearch` overrides the stored search expansion.
   *
   * @example
   * ```ts
   * const { index, seq } = await HnswVectorIndex.decode(bytes, { source: 'dense.hnsw' });
   * ```
   */
  static async decode(bytes: Uint8Array, options: { source?: string; expansionSearch?: number } = {}): Promise<{ index: HnswVectorIndex; seq: number; attributes: VectorCheckpointAttributes }> {
    const source = options.source ?? 'HNSW vector index';
    const { payload } = decodeEnvelope(bytes, { format: HNSW_FORMAT, versions: [HNSW_FORMAT_VERSION], source });
    const { header, sections } = readSections(payload, source, GRAPH_SECTION_VIEW);
    const stored = header as unknown as ResolvedOptions & { count: number; seq: number; attributes?: VectorCheckpointAttributes };
    if (sections.length !== 2 || sections[0]!.length !== stored.count * 8) {
      throw new RalmError('FORMAT', `${source}: section sizes do not match ${stored.count} keys`, { file: source });
    }
    const resolved = resolve({ ...stored, expansionSearch: options.expansionSearch ?? stored.expansionSearch });
    const index = new HnswVectorIndex(await loadUsearch(), resolved);
    index.graph = await index.openGraph(sections[1]!, resolved);
    for (const key of asFloat64(sections[0]!)) index.keys.add(key);
    return { index, seq: stored.seq, attributes: stored.attributes ?? {} };
  }

  /**
   * Reads a checkpoint written by {@link save}; returns the index and the change sequence it covers.
   *
   * @example
   * ```ts
   * const { index, seq } = await HnswVectorIndex.load('dense.hnsw');
   * ```
   */
  static async load(path: string, options: { expansionSearch?: number } = {}): Promise<{ index: HnswVectorIndex; seq: number; attributes: VectorCheckpointAttributes }> {
    return HnswVectorIndex.decode(await readWholeFile(path), { ...options, source: path });
  }
}
