// HNSW in a collection: above the size threshold the vectors live in a usearch graph checkpointed to dense.hnsw;
// on open the checkpoint is loaded (not rebuilt) and reconciled with the store (newer vectors added, deleted chunks
// removed); a corrupt or foreign checkpoint is rebuilt with a warning and reported by verify; filters apply inside
// the top k.
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openCollection, type Collection } from '../../src/engine/index.js';
import { verifyCollection } from '../../src/engine/verify.js';
import { serverVector } from '../helpers/embeddings-server.js';
import { documents, fakeModel } from './dense-helpers.js';
import { writeRunsAsChunkRows } from '../helpers/old-store.js';
import { STORE_VERSION } from '../../src/store/index.js';

const available = await import('usearch').then(
  () => true,
  () => {
    console.warn('[skip] usearch is not installed: HNSW collection tests skipped');
    return false;
  },
);

let dir: string;
const open: Collection[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ralm-dense-hnsw-'));
});
afterEach(async () => {
  for (const c of open.splice(0)) await c.close();
  rmSync(dir, { recursive: true, force: true });
});

const checkpoint = () => join(dir, 'dense.hnsw');

async function openWriter(options: { create?: boolean; warnings?: string[]; exactBelow?: number } = {}): Promise<Collection> {
  const c = await openCollection({
    path: dir,
    create: options.create ?? false,
    chunking: false,
    deduplicate: false,
    dense: { model: fakeModel(), hnsw: { exactBelow: options.exactBelow ?? 100, expansionSearch: 200 }, onWarning: (m) => options.warnings?.push(m) },
  });
  open.push(c);
  return c;
}

async function openReader(extra: { exactBelow?: number; warnings?: string[] } = {}): Promise<Collection> {
  const c = await openCollection({
    path: dir,
    readOnly: true,
    dense: { model: fakeModel(), hnsw: { ...(extra.exactBelow !== undefined ? { exactBelow: extra.exactBelow } : {}), expansionSearch: 200 }, onWarning: (m) => extra.warnings?.push(m) },
  });
  open.push(c);
  return c;
}

const vectorOf = (text: string) => Float32Array.from(serverVector(text, 16));

describe.runIf(available)('HNSW in a collection', () => {
  it('switches from exact to HNSW at the threshold, writes a checkpoint, and loads it on open without rebuilding', async () => {
    const c = await openWriter({ create: true });
    c.add(documents('a', 60));
    await c.commit();
    expect(c.stats().dense).toMatchObject({ index: 'exact', vectors: 60 });
    c.add(documents('b', 60));
    await c.commit();
    expect(c.stats().dense).toMatchObject({ index: 'hnsw', vectors: 120, checkpointSeq: 2 });
    const written = statSync(checkpoint()).mtimeMs;
    await c.close();
    open.length = 0;
    expect(statSync(checkpoint()).mtimeMs).toBe(written); // nothing changed since: not rewritten at close
    const reader = await openReader();
    expect(reader.stats().dense).toMatchObject({ index: 'hnsw', source: 'checkpoint', checkpointSeq: 2, replayed: 0, vectors: 120 });
    const { hits } = await reader.search(documents('b', 60)[7]!.text, { k: 3, mode: 'dense' });
    expect(hits[0]!.id).toBe('b-7');
    expect((await verifyCollection(dir)).problems).toEqual([]);
  });

  it('replays vectors committed after the checkpoint, and drops deleted and replaced chunks', async () => {
    const c = await openWriter({ create: true });
    c.add(documents('a', 150));
    await c.commit(); // checkpoint at 1 (built as HNSW)
    c.add(documents('late', 20));
    c.delete(['a-1', 'a-2', 'a-3']);
    c.add({ id: 'a-4', text: 'the new text of document a-4' }); // an update: a new chunk replaces the old one
    await c.commit(); // 24 changes: below the checkpoint interval, so the file still covers change 1
    expect(c.stats().dense).toMatchObject({ index: 'hnsw', checkpointSeq: 1, vectors: 150 - 3 + 20 });
    // a reader (another process could be one) loads the checkpoint and reconciles it with the store
    const reader = await openReader();
    // the 21 vectors committed after the checkpoint are held exactly beside the graph, not inserted into it
    expect(reader.stats().dense).toMatchObject({ source: 'checkpoint', checkpointSeq: 1, replayed: 21, pending: 21, vectors: 167 });
    const late = await reader.search(documents('late', 20)[12]!.text, { k: 1, mode: 'dense' });
    expect(late.hits[0]!.id).toBe('late-12');
    const updated = await reader.search('the new text of document a-4', { k: 1, mode: 'dense' });
    expect(updated.hits[0]).toMatchObject({ id: 'a-4' });
    expect(updated.hits[0]!.score).toBeCloseTo(1, 5);
    const all = reader.searchNow('x', { k: 500, mode: 'dense', group: 'chunk', queryVector: vectorOf(documents('a', 150)[2]!.text), documents: false });
    expect(all.hits.map((h) => h.id)).not.toContain('a-2');
    expect(all.hits).toHaveLength(167);
    // the writer closes: the checkpoint now covers change 2
    await c.close();
    open.splice(open.indexOf(c), 1);
    const again = await openReader();
    expect(again.stats().dense).toMatchObject({ source: 'checkpoint', checkpointSeq: 2, replayed: 0, pending: 0, vectors: 167 });
    // a reader refresh follows later commits without reloading the graph
    const writer = await openWriter();
    writer.add({ id: 'fresh', text: 'a fresh document after the reader opened' });
    writer.delete('late-0');
    await writer.commit();
    expect(await again.refresh()).toBe(true);
    expect(again.stats().dense).toMatchObject({ vectors: 167, checkpointSeq: 2 });
    expect((await again.search('a fresh document after the reader opened', { k: 1, mode: 'dense' })).hits[0]!.id).toBe('fresh');
    expect((await verifyCollection(dir)).problems).toEqual([]);
  });

  it('inserts recent vectors into the graph and rewrites the checkpoint every checkpointChanges changes', async () => {
    const c = await openCollection({ path: dir, create: true, chunking: false, deduplicate: false, dense: { model: fakeModel(), hnsw: { exactBelow: 100 }, checkpointChanges: 30 } });
    open.push(c);
    c.add(documents('a', 120));
    await c.commit();
    expect(c.stats().dense).toMatchObject({ checkpointSeq: 1, pending: 0 });
    c.add(documents('b', 20));
    await c.commit();
    expect(c.stats().dense).toMatchObject({ checkpointSeq: 1, pending: 20 });
    c.add(documents('c', 20));
    await c.commit();
    expect(c.stats().dense).toMatchObject({ checkpointSeq: 3, pending: 0, vectors: 160 });
    const reader = await openReader();
    expect(reader.stats().dense).toMatchObject({ source: 'checkpoint', checkpointSeq: 3, replayed: 0, vectors: 160 });
    expect((await reader.search(documents('b', 20)[4]!.text, { k: 1, mode: 'dense' })).hits[0]!.id).toBe('b-4');
  });

  it('applies metadata filters inside the top k: k matching hits whenever k exist, as exact search finds them', async () => {
    const c = await openWriter({ create: true });
    c.add(documents('f', 400, 40)); // 10 "rare" documents
    await c.commit();
    expect(c.stats().dense!.index).toBe('hnsw');
    const exact = await openReader({ exactBelow: 1_000_000 });
    expect(exact.stats().dense!.index).toBe('exact');
    for (const q of [3, 77, 201]) {
      const queryVector = vectorOf(`a query ${q}`);
      const hnsw = c.searchNow('q', { k: 8, mode: 'dense', filter: 'group = "rare"', queryVector, documents: false });
      const truth = exact.searchNow('q', { k: 8, mode: 'dense', filter: 'group = "rare"', queryVector, documents: false });
      expect(hnsw.hits).toHaveLength(8);
      expect(hnsw.hits.map((h) => h.id)).toEqual(truth.hits.map((h) => h.id));
      for (const h of hnsw.hits) expect(Number(h.id.slice(2)) % 40).toBe(0);
      // a filter no document passes returns nothing; one that passes a single document returns it
      expect(c.searchNow('q', { k: 8, mode: 'dense', filter: 'group = "none"', queryVector }).hits).toEqual([]);
      expect(c.searchNow('q', { k: 8, mode: 'dense', filter: 'n = 123', queryVector }).hits.map((h) => h.id)).toEqual(['f-123']);
    }
  });

  it('rebuilds a corrupt or foreign checkpoint from the store with a warning; verify reports it', async () => {
    const c = await openWriter({ create: true });
    c.add(documents('a', 150));
    await c.commit();
    await c.close();
    open.length = 0;
    // the graph file (memory-mapped on open) is checked against the length and CRC-32 the checkpoint records
    const graph = join(dir, readdirSync(dir).find((name) => name.endsWith('.graph'))!);
    const original = readFileSync(graph);
    const damaged = Buffer.from(original);
    damaged[damaged.length >> 1] ^= 0xff;
    writeFileSync(graph, damaged);
    expect((await verifyCollection(dir)).problems.join('\n')).toMatch(/\.graph: checksum mismatch/);
    const graphWarnings: string[] = [];
    const damagedReader = await openReader({ warnings: graphWarnings });
    expect(damagedReader.stats().dense!.source).toBe('rebuilt');
    expect(graphWarnings.join('\n')).toMatch(/\.graph: checksum mismatch/);
    await damagedReader.close();
    open.length = 0;
    writeFileSync(graph, original);
    // the checkpoint's envelope
    const bytes = readFileSync(checkpoint());
    bytes[bytes.length - 100] ^= 0xff;
    writeFileSync(checkpoint(), bytes);
    const report = await verifyCollection(dir);
    expect(report.ok).toBe(false);
    expect(report.problems.join('\n')).toMatch(/dense\.hnsw: checksum mismatch/);
    const warnings: string[] = [];
    const reader = await openReader({ warnings });
    expect(reader.stats().dense).toMatchObject({ source: 'rebuilt', vectors: 150 });
    expect(warnings.join('\n')).toMatch(/checksum mismatch.*rebuilding the HNSW graph from the vectors in/);
    expect((await reader.search(documents('a', 150)[9]!.text, { k: 1, mode: 'dense' })).hits[0]!.id).toBe('a-9');
    await reader.close();
    open.length = 0;
    const writer = await openWriter({ warnings });
    expect(writer.stats().dense!.source).toBe('rebuilt');
    await writer.close();
    open.length = 0;
    expect((await verifyCollection(dir)).problems).toEqual([]); // the writer wrote a good checkpoint
    expect(readdirSync(dir).filter((name) => name.endsWith('.graph'))).toHaveLength(1); // and removed the old graph
    // a checkpoint copied from another collection
    const other = join(dir, 'other');
    const foreign = await openCollection({ path: other, create: true, chunking: false, dense: { model: fakeModel(), hnsw: { exactBelow: 10 } } });
    foreign.add(documents('z', 20));
    await foreign.commit();
    await foreign.close();
    for (const name of readdirSync(other)) if (name.startsWith('dense.hnsw')) copyFileSync(join(other, name), join(dir, name));
    expect((await verifyCollection(dir)).problems.join('\n')).toMatch(/belongs to another collection/);
    warnings.length = 0;
    const fixed = await openWriter({ warnings });
    expect(fixed.stats().dense).toMatchObject({ source: 'rebuilt', vectors: 150 });
    expect(warnings.join('\n')).toMatch(/checkpoint is of collection/);
    await fixed.close();
    open.length = 0;
    expect((await verifyCollection(dir)).problems).toEqual([]);
  });

  it('LSA collections use the graph too, and a refit rebuilds it', async () => {
    const words = ['orbit', 'rocket', 'pasta', 'tomato', 'stock', 'bond', 'moon', 'sauce', 'market', 'launch'];
    const corpus = (n: number, seed: number) =>
      Array.from({ length: n }, (_, i) => ({ id: `l${seed}-${i}`, text: Array.from({ length: 8 }, (_, j) => words[(i * 7 + j * (seed + 3)) % words.length]).join(' ') }));
    const c = await openCollection({ path: dir, create: true, analyzer: 'english', chunking: false, deduplicate: false, dense: { embedder: 'lsa', dimensions: 4, hnsw: { exactBelow: 50 } } });
    open.push(c);
    c.add(corpus(80, 1));
    await c.commit();
    expect(c.stats().dense).toMatchObject({ embedder: 'lsa', index: 'hnsw', vectors: 80 });
    c.add(corpus(80, 2)); // more than refitRatio: a refit (new LSA model, every vector rewritten)
    await c.commit();
    expect(c.stats().dense).toMatchObject({ index: 'hnsw', vectors: 160, checkpointSeq: 2 });
    const before = await c.search('orbit rocket moon', { k: 5, mode: 'dense', documents: false });
    await c.close();
    open.length = 0;
    const reader = await openCollection({ path: dir, readOnly: true });
    open.push(reader);
    expect(reader.stats().dense).toMatchObject({ source: 'checkpoint', replayed: 0 });
    const after = await reader.search('orbit rocket moon', { k: 5, mode: 'dense', documents: false });
    expect(after.hits.map((h) => h.score)).toEqual(before.hits.map((h) => h.score));
    expect((await verifyCollection(dir)).problems).toEqual([]);
  });

  it('a version 1 collection is read as it is and migrated by its first writer', async () => {
    const c = await openWriter({ create: true });
    c.add(documents('v', 120));
    await c.commit();
    await c.close();
    open.length = 0;
    const db = new Database(join(dir, 'collection.sqlite'));
    // as version 1 wrote it: a row for every chunk, with the indexes dropped in version 4, without vectors_seq, minhash, collection_id
    writeRunsAsChunkRows(db);
    db.exec("CREATE INDEX documents_added_seq ON documents (added_seq); CREATE INDEX documents_live_docno ON documents (docno, id) WHERE deleted_seq IS NULL; DROP INDEX vectors_seq; DROP TABLE minhash; DELETE FROM meta WHERE key = 'collection_id'; UPDATE meta SET value = '1' WHERE key = 'version'");
    db.close();
    const warnings: string[] = [];
    const reader = await openReader({ warnings });
    expect(reader.stats()).toMatchObject({ documents: 120, dense: { vectors: 120 } });
    await reader.close();
    open.length = 0;
    const writer = await openWriter({ warnings });
    expect(writer.stats().dense!.vectors).toBe(120);
    await writer.close();
    open.length = 0;
    const after = new Database(join(dir, 'collection.sqlite'), { readonly: true });
    const meta = new Map((after.prepare('SELECT key, value FROM meta').all() as Array<{ key: string; value: string }>).map((r) => [r.key, r.value]));
    expect(meta.get('version')).toBe(String(STORE_VERSION)); // migrated through every version
    expect(after.prepare("SELECT name FROM sqlite_master WHERE name = 'minhash'").pluck().get()).toBe('minhash');
    expect(meta.get('collection_id')).toMatch(/^[0-9a-f]{32}$/);
    expect(after.prepare("SELECT name FROM sqlite_master WHERE name = 'vectors_seq'").pluck().get()).toBe('vectors_seq');
    expect(after.prepare("SELECT name FROM sqlite_master WHERE name IN ('documents_added_seq', 'documents_live_docno')").pluck().all()).toEqual([]);
    after.close();
    // the checkpoint recorded the old identity (no collection_id yet): rebuilt once, with a warning
    expect(warnings.join('\n')).toMatch(/checkpoint is of collection/);
    expect((await verifyCollection(dir)).problems).toEqual([]);
  });
});
