// Model embedders in a collection: OpenAI-compatible (a loopback server) and ONNX (a tiny generated model), the
// persistent embedding cache, resuming a failed ingest without re-embedding, and the bad inputs of issue #4.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openCollection, type Collection } from '../../src/engine/index.js';
import { verifyCollection } from '../../src/engine/verify.js';
import { EmbeddingCacheDatabase } from '../../src/store/index.js';
import { serverVector, startEmbeddingsServer, type EmbeddingsServer } from '../helpers/embeddings-server.js';
import { writeTinyModel, type TinyModelFolder } from '../helpers/onnx-models.js';
import { sharedPath } from '../helpers/shared.js';
import { documents, fakeModel } from './dense-helpers.js';

let dir: string;
let server: EmbeddingsServer;
const open: Collection[] = [];
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ralm-dense-models-'));
  server = await startEmbeddingsServer({ dimensions: 8 });
});
afterEach(async () => {
  for (const c of open.splice(0)) await c.close();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

async function openOpenAI(extra: Record<string, unknown> = {}, options: { create?: boolean; readOnly?: boolean } = { create: true }): Promise<Collection> {
  const c = await openCollection({
    path: dir,
    ...options,
    analyzer: 'english',
    chunking: false,
    deduplicate: false,
    dense: { embedder: 'openai:test-embed', baseURL: server.baseURL, maxRetries: 0, ...extra },
  });
  open.push(c);
  return c;
}

const inputs = () => server.requests.flatMap((r) => r.body.input ?? []);

describe('an OpenAI-compatible embedder in a collection', () => {
  it('embeds chunks at commit in batches with progress, records embedder and dimension, and searches dense and hybrid', async () => {
    const progress: Array<{ done: number; total: number; cached: number }> = [];
    const c = await openOpenAI({ batchSize: 8, onProgress: (p: { done: number; total: number; cached: number }) => progress.push(p) });
    const docs = documents('alpha', 30);
    c.add(docs);
    await c.commit();
    expect(inputs().sort()).toEqual(docs.map((d) => d.text).sort());
    expect(server.requests.every((r) => r.body.model === 'test-embed' && (r.body.input ?? []).length <= 8)).toBe(true);
    expect(progress.at(-1)).toEqual({ done: 30, total: 30, cached: 0 });
    expect(progress.map((p) => p.done)).toEqual([8, 16, 24, 30]);
    expect(c.stats().dense).toMatchObject({ embedder: 'openai:test-embed', dimensions: 8, vectors: 30, index: 'exact' });
    // a query equal to a chunk's text has that chunk's vector: found first, cosine 1
    const { hits } = await c.search(docs[17]!.text, { k: 3, mode: 'dense' });
    expect(hits[0]!.id).toBe('alpha-17');
    expect(hits[0]!.score).toBeCloseTo(1, 5);
    const hybrid = await c.search(docs[3]!.text, { k: 5, mode: 'hybrid', explain: true });
    expect(hybrid.hits[0]!.id).toBe('alpha-3');
    expect(JSON.stringify(hybrid.hits[0]!.explanation)).toMatch(/dense/);
    // searchNow cannot embed asynchronously, but takes a vector
    expect(() => c.searchNow('alpha', { mode: 'dense' })).toThrow(/use search\(\)/);
    expect(c.searchNow('alpha', { k: 1, mode: 'dense', queryVector: Float32Array.from(serverVector(docs[5]!.text, 8)) }).hits[0]!.id).toBe('alpha-5');
    expect((await verifyCollection(dir)).problems).toEqual([]);
  });

  it('never re-embeds an unchanged chunk: re-adding, updating metadata only, and a new collection session', async () => {
    const c = await openOpenAI();
    const docs = documents('beta', 12);
    c.add(docs);
    await c.commit();
    const first = inputs().length;
    expect(first).toBe(12);
    // metadata-only updates make new chunk versions with the same text: served by the cache
    c.add(docs.slice(0, 4).map((d) => ({ ...d, metadata: { ...d.metadata, edited: true } })));
    c.add({ id: 'beta-new', text: 'a brand new chunk of text' });
    await c.commit();
    expect(inputs().slice(first)).toEqual(['a brand new chunk of text']);
    await c.close();
    open.length = 0;
    const cache = EmbeddingCacheDatabase.open(dir);
    expect(cache.count()).toBe(13);
    cache.close();
    // another session (the embedder rebuilt from the recorded name) finds every text in the cache
    const again = await openOpenAI({}, { create: false });
    again.delete(docs.map((d) => d.id));
    await again.commit();
    again.add(docs);
    await again.commit();
    expect(inputs()).toHaveLength(13);
    expect((await again.search(docs[2]!.text, { k: 1, mode: 'dense' })).hits[0]!.id).toBe('beta-2');
  });

  it('an ingest that fails half-way commits nothing and resumes without re-embedding what was done', async () => {
    const c = await openOpenAI({ batchSize: 5 });
    c.add({ id: 'seed', text: 'the first committed document' });
    await c.commit();
    const seeded = server.requests.length;
    const docs = documents('gamma', 40);
    // requests 1 and 2 of the ingest answer, then the endpoint fails
    server.script = [{ kind: 'ok' }, { kind: 'ok' }, ...Array.from({ length: 20 }, () => ({ kind: 'error' as const, status: 500, message: 'down' }))];
    c.add(docs);
    await expect(c.commit()).rejects.toMatchObject({ code: 'PROVIDER', message: expect.stringContaining('500') });
    expect(c.stats().documents).toBe(1);
    expect(c.stats().dense!.vectors).toBe(1);
    expect((await verifyCollection(dir)).problems).toEqual([]);
    const answered = new Set(server.requests.slice(seeded, seeded + 2).flatMap((r) => r.body.input ?? []));
    expect(answered.size).toBe(10);
    // the endpoint is back: the same ingest again
    server.script = [];
    const before = server.requests.length;
    c.add(docs);
    await c.commit();
    const resent = server.requests.slice(before).flatMap((r) => r.body.input ?? []);
    expect(resent.filter((t) => answered.has(t))).toEqual([]);
    expect(new Set([...resent, ...answered])).toEqual(new Set(docs.map((d) => d.text)));
    expect(c.stats()).toMatchObject({ documents: 41, dense: { vectors: 41 } });
    expect((await verifyCollection(dir)).problems).toEqual([]);
  });

  it('reports a timeout, a 500, malformed JSON and a NaN clearly, leaving the collection unchanged', async () => {
    const c = await openOpenAI({ timeoutMs: 300 });
    c.add({ id: 'kept', text: 'a document that is committed' });
    await c.commit();
    const cases: Array<[Parameters<typeof server.script.push>[0], RegExp, string]> = [
      [{ kind: 'slow', delayMs: 2000 }, /timed out/, 'TIMEOUT'],
      [{ kind: 'error', status: 500, message: 'boom' }, /500/, 'PROVIDER'],
      [{ kind: 'raw', body: '{"data": [oops' }, /invalid JSON/, 'PARSE'],
      [{ kind: 'nan' }, /NaN/, 'PROVIDER'],
      [{ kind: 'wrong-dimension' }, /dimensions/, 'PROVIDER'],
    ];
    for (const [reply, message, code] of cases) {
      server.script = [reply];
      c.add({ id: 'new', text: `a document that fails ${code} ${String(message)}` });
      await expect(c.commit()).rejects.toMatchObject({ code, message: expect.stringMatching(message) });
      expect(c.stats()).toMatchObject({ documents: 1, dense: { vectors: 1 } });
    }
    expect((await verifyCollection(dir)).problems).toEqual([]);
  });

  it('refuses another embedder, and a model of another dimension, naming both', async () => {
    const c = await openOpenAI();
    c.add(documents('delta', 3));
    await c.commit();
    await c.close();
    open.length = 0;
    await expect(openCollection({ path: dir, dense: { embedder: 'openai:other-model', baseURL: server.baseURL } })).rejects.toThrow(/embedded with "openai:test-embed", not "openai:other-model"/);
    await expect(openCollection({ path: dir, readOnly: true, dense: 'lsa' })).rejects.toThrow(/"openai:test-embed", not "lsa"/);
    await expect(openCollection({ path: dir, dense: { model: fakeModel({ dimensions: 8 }) } })).rejects.toThrow(/"openai:test-embed", not "fake:hash"/);
    // the recorded embedder, but the endpoint now serves 16-dimensional vectors
    const wide = await startEmbeddingsServer({ dimensions: 16 });
    try {
      const reader = await openCollection({ path: dir, readOnly: true, dense: { baseURL: wide.baseURL } });
      open.push(reader);
      await expect(reader.search('delta', { mode: 'dense' })).rejects.toThrow(/16 dimensions, expected 8/);
      expect(() => reader.searchNow('delta', { mode: 'dense', queryVector: new Float32Array(3) })).toThrow(/3 components; the collection's openai:test-embed vectors have 8/);
    } finally {
      await wide.close();
    }
    const bm25Only = join(dir, 'bm25');
    const plain = await openCollection({ path: bm25Only, create: true });
    await plain.close();
    await expect(openCollection({ path: bm25Only, dense: { embedder: 'openai:x' } })).rejects.toThrow(/built without dense embeddings/);
  });

  it('refuses NaN and all-zero vectors from any model, naming the document', async () => {
    const model = fakeModel({ zeroFor: /empty/ });
    const c = await openCollection({ path: dir, create: true, chunking: false, deduplicate: false, dense: { model } });
    open.push(c);
    c.add([{ id: 'ok', text: 'fine text' }, { id: 'bad', text: 'an empty meaning' }]);
    await expect(c.commit()).rejects.toThrow(/embedder "fake:hash" returned an invalid embedding for chunk 1 of document "bad": the vector is all zeros/);
    expect(c.stats().documents).toBe(0);
    c.add({ id: 'ok', text: 'fine text' });
    await c.commit();
    expect(c.stats()).toMatchObject({ documents: 1, dense: { embedder: 'fake:hash', dimensions: 16, vectors: 1 } });
    await expect(c.search('an empty query', { mode: 'dense' })).rejects.toThrow(/for the query: the vector is all zeros/);
  });
});

const minilm = sharedPath('models', 'all-MiniLM-L6-v2');

describe.skipIf(!minilm)('an ONNX embedder (tiny generated model) in a collection', () => {
  let tiny: TinyModelFolder;
  beforeAll(() => {
    tiny = writeTinyModel(minilm!, { name: 'tiny-minilm' });
  });
  afterAll(() => tiny?.remove());

  it('embeds at commit through transformers.js, searches, and reopens with the same vectors', async () => {
    const c = await openCollection({ path: dir, create: true, analyzer: 'english', chunking: false, deduplicate: false, dense: { embedder: tiny.path, workers: 0 } });
    open.push(c);
    const docs = documents('onnx', 12);
    c.add(docs);
    await c.commit();
    expect(c.stats().dense).toMatchObject({ embedder: tiny.path, dimensions: 32, vectors: 12 });
    const first = await c.search(docs[4]!.text, { k: 5, mode: 'dense' });
    expect(first.hits[0]!.id).toBe('onnx-4');
    expect(first.hits[0]!.score).toBeCloseTo(1, 4);
    await c.close();
    open.length = 0;
    const reader = await openCollection({ path: dir, readOnly: true, dense: { workers: 0 } });
    open.push(reader);
    const again = await reader.search(docs[4]!.text, { k: 5, mode: 'dense' });
    expect(again.hits.map((h) => [h.id, h.score])).toEqual(first.hits.map((h) => [h.id, h.score]));
    expect((await verifyCollection(dir)).problems).toEqual([]);
  });

  it('refuses a model folder without its tokenizer when the collection is created', async () => {
    const broken = writeTinyModel(minilm!, { name: 'broken' });
    try {
      rmSync(join(broken.path, 'tokenizer.json'));
      await expect(openCollection({ path: dir, create: true, dense: { embedder: broken.path } })).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('tokenizer.json') });
    } finally {
      broken.remove();
    }
  });
});
