/**
 * An HNSW graph with a small exact "delta" beside it, the way log-structured indexes keep recent writes: vectors added
 * since the graph was last built or saved go into an exact index (a scan of a few thousand vectors costs well under
 * a millisecond), and are inserted into the graph in one batch by {@link LayeredVectorIndex.compact} — which `save`
 * and `encode` run first, so a checkpoint is always one plain `ralm.dense.hnsw` graph.
 *
 * Why: inserting into an HNSW graph is far slower than appending to an array (each insertion is a graph search), so a
 * collection that opens a checkpoint and replays the vectors committed after it would spend most of its open time on
 * insertions; into the delta they cost a copy.
 *
 * The graph may be memory-mapped read-only (`HnswVectorIndex.immutable`): then removed keys are remembered as
 * tombstones (filtered out of its hits) until `compact` takes an in-memory copy of the graph and applies them.
 */
import type { VectorMetric } from './distance.js';
import { ExactVectorIndex } from './exact.js';
import type { HnswVectorIndex } from './hnsw.js';
import type { VectorCheckpointOptions, VectorHit, VectorIndex, VectorSearchOptions } from './types.js';

/**
 * A {@link VectorIndex} of kind `hnsw` made of an HNSW graph (`base`) and an exact index of recent vectors (`delta`);
 * every key is in exactly one of them. Searches merge the two top-k lists.
 *
 * @example
 * ```ts
 * const index = new LayeredVectorIndex(await HnswVectorIndex.create({ metric: 'cosine', dimensions: 3 }));
 * index.add([1], [new Float32Array([1, 0, 0])]); // into the delta
 * await index.compact(); // into the graph
 * await index.save('dense.hnsw', { seq: 4 });
 * ```
 */
export class LayeredVectorIndex implements VectorIndex {
  readonly kind = 'hnsw' as const;
  private graph: HnswVectorIndex;
  private deltaIndex: ExactVectorIndex;
  /** Keys removed from a read-only graph (not searched; removed from the graph by `compact`). */
  private readonly removed = new Set<number>();

  constructor(base: HnswVectorIndex) {
    this.graph = base;
    this.deltaIndex = new ExactVectorIndex({ metric: base.metric, dimensions: base.dimensions, capacity: 256 });
  }

  /** The HNSW graph (the vectors not in the delta, plus tombstones when it is read-only). */
  get base(): HnswVectorIndex {
    return this.graph;
  }

  get metric(): VectorMetric {
    return this.base.metric;
  }

  get dimensions(): number {
    return this.base.dimensions;
  }

  /** Vectors added since the last {@link compact} (searched exactly). */
  get delta(): ExactVectorIndex {
    return this.deltaIndex;
  }

  get size(): number {
    return this.graph.size - this.removed.size + this.deltaIndex.size;
  }

  private inGraph(key: number): boolean {
    return this.graph.has(key) && !this.removed.has(key);
  }

  private removeFromGraph(key: number): boolean {
    if (!this.inGraph(key)) return false;
    if (this.graph.immutable) this.removed.add(key);
    else this.graph.remove(key);
    return true;
  }

  /** Adds or replaces vectors; they go into the delta (a replaced key leaves the graph). */
  add(keys: ArrayLike<number>, vectors: Float32Array | readonly ArrayLike<number>[]): void {
    this.deltaIndex.add(keys, vectors);
    for (let i = 0; i < keys.length; i++) this.removeFromGraph(keys[i]!);
  }

  remove(key: number): boolean {
    return this.removeFromGraph(key) || this.deltaIndex.remove(key);
  }

  has(key: number): boolean {
    return this.inGraph(key) || this.deltaIndex.has(key);
  }

  allKeys(): number[] {
    const inGraph = this.removed.size === 0 ? this.graph.allKeys() : this.graph.allKeys().filter((key) => !this.removed.has(key));
    return [...inGraph, ...this.deltaIndex.allKeys()];
  }

  /** The top `k` of the graph and of the delta, merged (score descending, ties by ascending key). */
  search(vector: ArrayLike<number>, options: VectorSearchOptions): VectorHit[] {
    const { filter } = options;
    const removed = this.removed;
    const graphFilter = removed.size === 0 ? filter : (key: number) => !removed.has(key) && (filter === undefined || filter(key));
    const fromBase = this.graph.search(vector, { k: options.k, ...(graphFilter ? { filter: graphFilter } : {}) });
    if (this.deltaIndex.size === 0) return fromBase;
    const merged = [...fromBase, ...this.deltaIndex.search(vector, options)];
    merged.sort((a, b) => b.score - a.score || a.key - b.key);
    return merged.length > options.k ? merged.slice(0, options.k) : merged;
  }

  /**
   * Inserts the delta's vectors into the graph (one batch) and empties the delta; a read-only graph is first copied
   * into memory and its tombstones applied.
   */
  async compact(): Promise<void> {
    const delta = this.deltaIndex;
    if (delta.size === 0 && this.removed.size === 0) return;
    if (this.graph.immutable) {
      const copy = await this.graph.mutableCopy();
      for (const key of this.removed) copy.remove(key);
      this.removed.clear();
      this.graph = copy;
    }
    if (delta.size === 0) return;
    const keys = delta.allKeys();
    const flat = new Float32Array(keys.length * this.dimensions);
    keys.forEach((key, i) => flat.set(delta.vector(key)!, i * this.dimensions));
    this.graph.add(keys, flat);
    this.deltaIndex = new ExactVectorIndex({ metric: this.metric, dimensions: this.dimensions, capacity: 256 });
  }

  /** {@link compact}, then the graph's `ralm.dense.hnsw` bytes. */
  async encode(options: VectorCheckpointOptions): Promise<Uint8Array> {
    await this.compact();
    return this.graph.encode(options);
  }

  /** {@link compact}, then the graph written atomically to `path`. */
  async save(path: string, options: VectorCheckpointOptions): Promise<void> {
    await this.compact();
    await this.graph.save(path, options);
  }
}
