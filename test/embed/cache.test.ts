import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EMBEDDING_CACHE_FILE, EmbeddingCacheDatabase } from '../../src/store/index.js';
import { createCachedEmbedder, createMemoryEmbeddingCacheStore, embeddingCacheKey } from '../../src/embed/cache.js';
import type { EmbeddingModel } from '../../src/models/index.js';

/** A fake model that counts the texts it embeds. */
function countingModel(prefixes: { queryPrefix?: string; passagePrefix?: string } = { queryPrefix: 'q: ', passagePrefix: '' }) {
  const calls: string[][] = [];
  const model: EmbeddingModel = {
    specificationVersion: 'v1',
    provider: 'fake',
    modelId: 'counting',
    dimensions: 2,
    ...prefixes,
    embed: async (texts, options) => {
      calls.push([...texts]);
      return texts.map((t) => new Float32Array([t.length, options.kind === 'query' ? 1 : 2]));
    },
  };
  return { model, calls };
}

describe('createCachedEmbedder', () => {
  it('embeds nothing on the second call, only misses on a partly new batch, and each distinct text once', async () => {
    const { model, calls } = countingModel();
    const store = createMemoryEmbeddingCacheStore();
    const cached = createCachedEmbedder(model, store);
    const first = await cached.embed(['alpha', 'beta', 'alpha'], { kind: 'passage' });
    expect(calls).toEqual([['alpha', 'beta']]);
    const second = await cached.embed(['alpha', 'beta', 'alpha'], { kind: 'passage' });
    expect(calls).toHaveLength(1);
    expect(second.map((v) => Array.from(v))).toEqual(first.map((v) => Array.from(v)));
    await cached.embed(['gamma', 'alpha'], { kind: 'passage' });
    expect(calls[1]).toEqual(['gamma']);
    expect(store.size).toBe(3);
  });

  it('keys by model, dimension and the prefixed text, so queries and passages do not collide', async () => {
    const { model, calls } = countingModel();
    const cached = createCachedEmbedder(model, createMemoryEmbeddingCacheStore());
    const [passage] = await cached.embed(['alpha'], { kind: 'passage' });
    const [query] = await cached.embed(['alpha'], { kind: 'query' });
    expect(calls).toEqual([['alpha'], ['alpha']]);
    expect(Array.from(passage!)).toEqual([5, 2]);
    expect(Array.from(query!)).toEqual([5, 1]);
    const key = embeddingCacheKey(model, 'passage', 'alpha');
    expect(key).toMatch(/^fake\/counting\/2\/[0-9a-f]{64}$/);
    expect(key).not.toBe(embeddingCacheKey(model, 'query', 'alpha'));
    // a model without declared prefixes still separates kinds
    const bare = countingModel({}).model;
    expect(embeddingCacheKey(bare, 'passage', 'alpha')).not.toBe(embeddingCacheKey(bare, 'query', 'alpha'));
  });

  it('bounds the memory store (least recently used out)', () => {
    const store = createMemoryEmbeddingCacheStore({ maxEntries: 2 });
    store.put([['a', new Float32Array([1])], ['b', new Float32Array([2])]]);
    store.get(['a']);
    store.put([['c', new Float32Array([3])]]);
    expect(store.get(['a', 'b', 'c']).map((v) => v?.[0])).toEqual([1, undefined, 3]);
  });
});

describe('createCachedEmbedder over the persistent store (embeddings.sqlite)', () => {
  it('embeds the first batch of a model whose dimension is not known yet, and caches it', async () => {
    let dimensions = 0;
    const calls: string[][] = [];
    const model: EmbeddingModel = {
      specificationVersion: 'v1',
      provider: 'fake',
      modelId: 'late-dimension',
      get dimensions() {
        return dimensions;
      },
      embed: async (texts) => {
        calls.push([...texts]);
        dimensions = 3;
        return texts.map((t) => new Float32Array([t.length, 1, 0]));
      },
    };
    const store = createMemoryEmbeddingCacheStore();
    const cached = createCachedEmbedder(model, store);
    const first = await cached.embed(['a', 'bb', 'a'], { kind: 'passage' });
    expect(first.map((v) => v[0])).toEqual([1, 2, 1]);
    expect(calls).toEqual([['a', 'bb']]);
    expect(store.size).toBe(2);
    await cached.embed(['bb'], { kind: 'passage' });
    expect(calls).toHaveLength(1);
  });

  it('keeps vectors across reopening, commits every put at once, and prunes', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'ralm-embedding-cache-'));
    try {
      const { model, calls } = countingModel();
      let database = EmbeddingCacheDatabase.open(folder);
      await createCachedEmbedder(model, database).embed(['alpha', 'beta'], { kind: 'passage' });
      database.close();
      database = EmbeddingCacheDatabase.open(folder);
      const again = await createCachedEmbedder(model, database).embed(['beta', 'alpha', 'gamma'], { kind: 'passage' });
      expect(calls).toEqual([['alpha', 'beta'], ['gamma']]);
      expect(again.map((v) => Array.from(v))).toEqual([[4, 2], [5, 2], [5, 2]]);
      expect(database.count()).toBe(3);
      const keep = embeddingCacheKey(model, 'passage', 'gamma');
      expect(database.prune((key) => key === keep)).toBe(2);
      expect(database.get([keep, embeddingCacheKey(model, 'passage', 'alpha')]).map((v) => v && Array.from(v))).toEqual([[5, 2], undefined]);
      database.close();
      writeFileSync(join(folder, EMBEDDING_CACHE_FILE), 'not a database');
      expect(() => EmbeddingCacheDatabase.open(folder)).toThrow(/delete the file \(it is only a cache\)/);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
