import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HnswVectorIndex, inspectHnswCheckpoint, readHnswCheckpoint, writeHnswCheckpoint } from '../../../src/index/dense/index.js';
import { clusteredVectors } from './random.js';

const available = await import('usearch').then(
  () => true,
  () => false,
);

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ralm-checkpoint-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const graphs = () => readdirSync(dir).filter((name) => name.endsWith('.graph'));

describe.runIf(available)('HNSW checkpoints (envelope + memory-mapped graph file)', () => {
  it('round-trips seq, attributes and search results; the viewed graph is read-only until copied', async () => {
    const d = 8;
    const data = clusteredVectors(3, 300, d);
    const index = await HnswVectorIndex.create({ metric: 'cosine', dimensions: d, expansionSearch: 300 });
    index.add(Array.from({ length: 300 }, (_, i) => i * 2), data);
    const path = join(dir, 'dense.hnsw');
    await writeHnswCheckpoint(path, index, { seq: 9, attributes: { embedder: 'x', dimensions: d } });
    expect(graphs()).toHaveLength(1);
    const { index: viewed, seq, attributes } = await readHnswCheckpoint(path);
    expect({ seq, attributes, size: viewed.size, immutable: viewed.immutable }).toEqual({ seq: 9, attributes: { embedder: 'x', dimensions: d }, size: 300, immutable: true });
    const query = data.subarray(10 * d, 11 * d);
    expect(viewed.search(query, { k: 5 })).toEqual(index.search(query, { k: 5 }));
    expect(() => viewed.add([1], [query])).toThrow(/memory-mapped read-only/);
    expect(() => viewed.remove(2)).toThrow(/memory-mapped read-only/);
    const copy = await viewed.mutableCopy();
    copy.remove(20);
    copy.add([1], [query]);
    expect(copy.search(query, { k: 1 })[0]!.key).toBe(1);
    // a new checkpoint replaces the old graph file
    await writeHnswCheckpoint(path, copy, { seq: 10 });
    expect(graphs()).toHaveLength(1);
    expect(await inspectHnswCheckpoint(path)).toMatchObject({ seq: 10, count: 300, dimensions: d, metric: 'cosine' });
    const loaded = await readHnswCheckpoint(path, { mode: 'load' });
    expect(loaded.index.immutable).toBe(false);
    expect(loaded.index.has(1) && !loaded.index.has(20)).toBe(true);
  });

  it('refuses a damaged or missing graph file and a damaged envelope, naming the file', async () => {
    const index = await HnswVectorIndex.create({ metric: 'l2', dimensions: 4 });
    index.add([1, 2, 3], new Float32Array([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0]));
    const path = join(dir, 'dense.hnsw');
    await writeHnswCheckpoint(path, index, { seq: 1 });
    const graph = join(dir, graphs()[0]!);
    const bytes = readFileSync(graph);
    writeFileSync(graph, bytes.subarray(0, bytes.length - 1));
    await expect(readHnswCheckpoint(path)).rejects.toMatchObject({ code: 'CHECKSUM', message: expect.stringContaining('truncated or padded') });
    bytes[bytes.length >> 1] ^= 1;
    writeFileSync(graph, bytes);
    await expect(inspectHnswCheckpoint(path)).rejects.toMatchObject({ code: 'CHECKSUM', message: expect.stringContaining(`${graph}: checksum mismatch`) });
    rmSync(graph);
    await expect(readHnswCheckpoint(path)).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('is missing') });
    const envelope = readFileSync(path);
    envelope[envelope.length - 3] ^= 1;
    writeFileSync(path, envelope);
    await expect(readHnswCheckpoint(path)).rejects.toMatchObject({ code: 'CHECKSUM' });
    // an empty index has no graph file
    await writeHnswCheckpoint(path, await HnswVectorIndex.create({ metric: 'l2', dimensions: 4 }), { seq: 2 });
    expect(graphs()).toEqual([]);
    expect((await readHnswCheckpoint(path)).index.size).toBe(0);
  });
});
