import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openCollection, type Collection } from '../../src/engine/index.js';
import { verifyCollection } from '../../src/engine/verify.js';

let dir: string;
const open: Collection[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ralm-dense-'));
});
afterEach(async () => {
  for (const c of open.splice(0)) await c.close();
  rmSync(dir, { recursive: true, force: true });
});

const topics = {
  cooking: ['pasta', 'tomato', 'basil', 'garlic', 'olive', 'oven', 'recipe', 'sauce'],
  space: ['rocket', 'orbit', 'planet', 'nasa', 'launch', 'satellite', 'moon', 'gravity'],
  finance: ['stock', 'market', 'bond', 'interest', 'inflation', 'bank', 'loan', 'equity'],
};

function corpus(seed: number, count: number) {
  let x = seed;
  const random = () => ((x = (x * 1103515245 + 12345) % 2147483648) / 2147483648);
  const names = Object.keys(topics) as Array<keyof typeof topics>;
  return Array.from({ length: count }, (_, i) => {
    const topic = names[i % names.length]!;
    const words = Array.from({ length: 12 }, () => topics[topic][Math.floor(random() * 8)]!);
    return { id: `${topic}-${seed}-${i}`, text: words.join(' '), metadata: { topic } };
  });
}

describe('dense retrieval (LSA) in a collection', () => {
  it('fits at commit, searches in dense and hybrid modes, folds in small commits, and survives reopening', async () => {
    const c = await openCollection({ path: dir, create: true, analyzer: 'english', chunking: false, deduplicate: false, dense: { dimensions: 8 } });
    open.push(c);
    c.add(corpus(1, 90));
    await c.commit();
    expect(c.lastEmbedSeconds).toBeGreaterThan(0);
    // a dense query with a word the BM25 side cannot match exactly still lands in its topic
    const dense = await c.search('rocket moon', { k: 10, mode: 'dense', documents: true });
    expect(dense.hits).toHaveLength(10);
    for (const h of dense.hits) expect(h.metadata).toEqual({ topic: 'space' });
    const hybrid = await c.search('pasta sauce', { k: 5, mode: 'hybrid', explain: true });
    for (const h of hybrid.hits) expect(h.id.startsWith('cooking')).toBe(true);
    expect(JSON.stringify(hybrid.hits[0]!.explanation)).toMatch(/bm25/);
    expect(JSON.stringify(hybrid.hits[0]!.explanation)).toMatch(/lsa/);
    // a small commit is folded in with the existing model (no refit)
    c.add({ id: 'new-space', text: 'orbit launch satellite gravity planet' });
    c.delete('space-1-1');
    await c.commit();
    const again = await c.search('orbit satellite', { k: 100, mode: 'dense', documents: false });
    expect(again.hits.map((h) => h.id)).toContain('new-space');
    expect(again.hits.map((h) => h.id)).not.toContain('space-1-1');
    const diverse = await c.search('pasta sauce', { k: 5, mode: 'hybrid', mmr: 0.3 });
    expect(diverse.hits).toHaveLength(5);
    await c.close();
    open.length = 0;
    const reader = await openCollection({ path: dir, readOnly: true });
    open.push(reader);
    const reopened = await reader.search('orbit satellite', { k: 100, mode: 'dense', documents: false });
    expect(reopened.hits.map((h) => [h.id, h.score])).toEqual(again.hits.map((h) => [h.id, h.score]));
    expect((await verifyCollection(dir)).problems).toEqual([]);
  });

  it('dense modes on a collection without embeddings give a clear error', async () => {
    const c = await openCollection({ path: dir, create: true, analyzer: 'english' });
    open.push(c);
    c.add({ id: 'a', text: 'something' });
    await c.commit();
    await expect(c.search('something', { mode: 'dense' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('--embedder lsa') });
  });
});
