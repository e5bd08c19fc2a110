/**
 * An embedding cache in front of any {@link EmbeddingModel}: vectors are keyed by the model and the SHA-256 of the
 * exact text the model embeds (prefix included), so re-indexing never re-embeds an unchanged chunk and a changed
 * prefix, model or dimension never returns a stale vector.
 */
import { createHash } from 'node:crypto';
import { RalmError } from '../core/errors.js';
import { checkEmbedArguments, validateEmbeddings, type EmbeddingKind, type EmbeddingModel, type EmbedOptions } from '../models/embedding-model.js';

/**
 * Where cached vectors live. `get` returns one entry per key (undefined when absent); `put` stores entries. Both are
 * synchronous (an in-memory map, a SQLite table through better-sqlite3).
 *
 * @example
 * ```ts
 * const store: EmbeddingCacheStore = createMemoryEmbeddingCacheStore();
 * store.put([['k', new Float32Array([1, 0])]]);
 * store.get(['k', 'other']); // [Float32Array [1, 0], undefined]
 * ```
 */
export interface EmbeddingCacheStore {
  get(keys: string[]): (Float32Array | undefined)[];
  put(entries: Array<[string, Float32Array]>): void;
}

/**
 * An in-memory {@link EmbeddingCacheStore} (a Map), optionally bounded: past `maxEntries` the least recently used
 * entries are dropped.
 *
 * @example
 * ```ts
 * const store = createMemoryEmbeddingCacheStore({ maxEntries: 100_000 });
 * const cached = createCachedEmbedder(model, store);
 * ```
 */
export function createMemoryEmbeddingCacheStore(options: { maxEntries?: number } = {}): EmbeddingCacheStore & { readonly size: number } {
  const max = options.maxEntries ?? Infinity;
  if (!(max >= 1)) throw new RalmError('INVALID_ARGUMENT', `maxEntries must be ≥ 1; got ${options.maxEntries}`);
  const map = new Map<string, Float32Array>();
  return {
    get size() {
      return map.size;
    },
    get(keys) {
      return keys.map((key) => {
        const v = map.get(key);
        if (v !== undefined && max !== Infinity) {
          map.delete(key); // refresh recency
          map.set(key, v);
        }
        return v;
      });
    },
    put(entries) {
      for (const [key, vector] of entries) {
        map.delete(key);
        map.set(key, vector);
        if (map.size > max) map.delete(map.keys().next().value!);
      }
    },
  };
}

/**
 * The cache key of one text: `<provider>/<modelId>/<dimensions>/<sha256 hex>` of the text as the model embeds it
 * (`queryPrefix`/`passagePrefix` + text when the model declares prefixes, else `kind` + NUL + text).
 *
 * @example
 * ```ts
 * embeddingCacheKey(model, 'passage', 'BM25 ranks documents.'); // 'onnx/Xenova/all-MiniLM-L6-v2/384/5f1c…'
 * ```
 */
export function embeddingCacheKey(model: EmbeddingModel, kind: EmbeddingKind, text: string): string {
  const prefix = kind === 'query' ? model.queryPrefix : model.passagePrefix;
  const embedded = prefix !== undefined ? `${prefix}${text}` : `${kind}\u0000${text}`;
  const hash = createHash('sha256').update(embedded, 'utf8').digest('hex');
  return `${model.provider}/${model.modelId}/${model.dimensions}/${hash}`;
}

/**
 * Wraps `model` with a cache: `embed` looks every text up in `store`, embeds only the misses (each distinct text
 * once, in one call to the model), stores them and returns all vectors in input order. The wrapper is itself an
 * {@link EmbeddingModel} with the same provider, id, dimensions and prefixes; `close()` closes the model.
 *
 * @example
 * ```ts
 * const cached = createCachedEmbedder(await createOnnxEmbedder({ model: 'Xenova/all-MiniLM-L6-v2' }), createMemoryEmbeddingCacheStore());
 * await cached.embed(chunks, { kind: 'passage' }); // embeds every chunk
 * await cached.embed(chunks, { kind: 'passage' }); // embeds nothing
 * ```
 */
export function createCachedEmbedder(model: EmbeddingModel, store: EmbeddingCacheStore): EmbeddingModel {
  const embed = async (texts: readonly string[], options: EmbedOptions): Promise<Float32Array[]> => {
    checkEmbedArguments(texts, options);
    if (options.signal?.aborted) throw new RalmError('ABORTED', 'the embedding call was aborted', { cause: options.signal.reason });
    if (texts.length === 0) return [];
    // a model without a configured dimension learns it on its first call: keys need it, so fill the cache after
    const keys = model.dimensions > 0 ? texts.map((t) => embeddingCacheKey(model, options.kind, t)) : undefined;
    const found = keys ? store.get(keys) : new Array<Float32Array | undefined>(texts.length).fill(undefined); // no holes: forEach visits all
    const missing = new Map<string, number[]>(); // text → positions
    found.forEach((v, i) => {
      if (v === undefined || v.length !== model.dimensions) {
        found[i] = undefined;
        const positions = missing.get(texts[i]!);
        if (positions) positions.push(i);
        else missing.set(texts[i]!, [i]);
      }
    });
    if (missing.size > 0) {
      const unique = [...missing.keys()];
      const vectors = await model.embed(unique, options);
      validateEmbeddings(vectors, { count: unique.length, dimensions: model.dimensions || undefined, source: `${model.provider} model ${model.modelId}`, allowZero: true });
      const entries: Array<[string, Float32Array]> = [];
      unique.forEach((text, u) => {
        for (const i of missing.get(text)!) found[i] = vectors[u];
        entries.push([embeddingCacheKey(model, options.kind, text), vectors[u]!]);
      });
      store.put(entries);
    }
    return found as Float32Array[];
  };
  const wrapper: EmbeddingModel = {
    specificationVersion: 'v1',
    provider: model.provider,
    modelId: model.modelId,
    get dimensions() {
      return model.dimensions;
    },
    ...(model.maxTokens !== undefined ? { maxTokens: model.maxTokens } : {}),
    ...(model.queryPrefix !== undefined ? { queryPrefix: model.queryPrefix } : {}),
    ...(model.passagePrefix !== undefined ? { passagePrefix: model.passagePrefix } : {}),
    embed,
    close: async () => {
      await model.close?.();
    },
  };
  return wrapper;
}
