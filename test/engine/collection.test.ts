import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import Database from 'better-sqlite3';
import { openCollection, type Collection } from '../../src/engine/index.js';
import { verifyCollection } from '../../src/engine/verify.js';
import { DocumentStore, documentHash, LOCK_FILE, PAGE_SIZE, STORE_FILE, STORE_VERSION } from '../../src/store/index.js';
import { writeRunsAsChunkRows } from '../helpers/old-store.js';
import { RalmError } from '../../src/core/errors.js';

let dir: string;
const open: Collection[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ralm-collection-'));
});
afterEach(async () => {
  for (const c of open.splice(0)) await c.close();
  rmSync(dir, { recursive: true, force: true });
});

async function create(options: Partial<Parameters<typeof openCollection>[0]> = {}): Promise<Collection> {
  const c = await openCollection({ path: dir, create: true, analyzer: 'english', ...options });
  open.push(c);
  return c;
}

async function reader(): Promise<Collection> {
  const c = await openCollection({ path: dir, readOnly: true });
  open.push(c);
  return c;
}

const ids = (r: { hits: { id: string }[] }) => r.hits.map((h) => h.id);

describe('collection', () => {
  it('adds, commits and finds documents; a read-only reopen sees the same', async () => {
    const c = await create();
    c.add([
      { id: 'a', title: 'Okapi BM25', text: 'BM25 is a ranking function used by search engines.' },
      { id: 'b', title: 'Vectors', text: 'Dense retrieval embeds passages as vectors.' },
      { id: 'c', text: 'Cats and dogs are ranking high among pets.', metadata: { kind: 'pets' } },
    ]);
    const result = await c.commit();
    expect(result).toMatchObject({ seq: 1, added: 3, updated: 0, deleted: 0 });
    const found = await c.search('ranking functions', { k: 10 });
    expect(ids(found)).toEqual(['a', 'c']);
    expect(found.hits[0]!.title).toBe('Okapi BM25');
    expect(found.hits[0]!.snippet).toContain('ranking function');
    expect(found.hits[1]!.metadata).toEqual({ kind: 'pets' });
    await c.close();
    const r = await reader();
    expect(ids(await r.search('ranking functions'))).toEqual(['a', 'c']);
    expect(r.stats()).toMatchObject({ documents: 3, analyzer: 'english', lastSeq: 1 });
  });

  it('replaces a document with the same id, deletes by id, and skips unchanged content', async () => {
    const c = await create();
    c.add([
      { id: 'a', text: 'apples and oranges' },
      { id: 'b', text: 'bananas' },
    ]);
    await c.commit();
    c.add({ id: 'a', text: 'pears only' });
    c.add({ id: 'b', text: 'bananas' });
    const second = await c.commit();
    expect(second).toMatchObject({ seq: 2, added: 0, updated: 1, unchanged: 1 });
    expect(ids(await c.search('apples'))).toEqual([]);
    expect(ids(await c.search('pears'))).toEqual(['a']);
    c.delete('b');
    c.delete('never-existed');
    expect(await c.commit()).toMatchObject({ seq: 3, deleted: 1 });
    expect(ids(await c.search('bananas'))).toEqual([]);
    expect(c.stats().documents).toBe(1);
    expect(await c.get(['a', 'b'])).toMatchObject([{ id: 'a', text: 'pears only', seq: 2 }]);
  });

  it('the last add of an id within one batch wins', async () => {
    const c = await create();
    c.add({ id: 'x', text: 'first version zebra' });
    c.add({ id: 'x', text: 'second version giraffe' });
    await c.commit();
    expect(ids(await c.search('zebra'))).toEqual([]);
    expect(ids(await c.search('giraffe'))).toEqual(['x']);
    expect(c.stats().documents).toBe(1);
  });

  it('explains every hit with the BM25 factors, and the explanation equals the score', async () => {
    const c = await create();
    c.add([
      { id: 'a', text: 'retrieval augmented generation with retrieval' },
      { id: 'b', text: 'generation of text' },
    ]);
    await c.commit();
    const { hits } = await c.search('retrieval generation', { explain: true });
    for (const hit of hits) {
      expect(hit.explanation).toBeDefined();
      expect(hit.explanation!.value).toBeCloseTo(hit.score, 6);
      const text = JSON.stringify(hit.explanation);
      for (const factor of ['idf', 'k1', 'avgdl']) expect(text).toContain(factor);
    }
  });

  it('refuses empty and all-stop-word queries with EMPTY_QUERY', async () => {
    const c = await create();
    c.add({ id: 'a', text: 'something' });
    await c.commit();
    await expect(c.search('   ')).rejects.toMatchObject({ code: 'EMPTY_QUERY' });
    await expect(c.search('the and of')).rejects.toMatchObject({ code: 'EMPTY_QUERY', message: expect.stringContaining('stop words') });
  });

  it('a reader keeps a consistent snapshot until refresh()', async () => {
    const c = await create();
    c.add({ id: 'a', text: 'alpha document' });
    await c.commit();
    const r = await reader();
    c.add({ id: 'b', text: 'alpha again' });
    c.delete('a');
    await c.commit();
    const before = await r.search('alpha', { k: 10 });
    expect(ids(before)).toEqual(['a']);
    expect(before.hits[0]!.title).toBe(''); // the document row is still readable in the snapshot
    expect(before.hits[0]!.snippet).toBe('alpha document');
    expect(await r.refresh()).toBe(true);
    expect(ids(await r.search('alpha'))).toEqual(['b']);
    expect(await r.refresh()).toBe(false);
  });

  it('replays documents the index does not cover yet (store newer than the checkpoint)', async () => {
    const c = await create();
    c.add({ id: 'a', text: 'indexed normally' });
    await c.commit();
    await c.close();
    open.length = 0;
    // Simulate a commit that reached the store but not the index.
    const store = DocumentStore.open(dir);
    store.transaction(() => {
      const seq = store.lastSeq() + 1;
      const doc = { id: 'late', title: '', text: 'replayed document', metadata: {} };
      store.insertDocument({ ...doc, hash: documentHash(doc) }, seq, [{ chunkno: store.maxChunkno() + 1, ordinal: 0, start: 0, end: doc.text.length }]);
      store.recordCommit(seq, 1, 0);
    });
    store.close();
    // A read-only reader replays in memory ...
    const r = await reader();
    expect(ids(await r.search('replayed'))).toEqual(['late']);
    await r.close();
    open.length = 0;
    expect((await verifyCollection(dir)).ok).toBe(false);
    // ... and a writer persists the replay.
    const w = await openCollection({ path: dir });
    open.push(w);
    expect(ids(await w.search('replayed'))).toEqual(['late']);
    await w.close();
    open.length = 0;
    expect(await verifyCollection(dir)).toMatchObject({ ok: true, problems: [] });
  });

  it('refuses another analyzer than the one the collection was built with', async () => {
    const c = await create();
    await c.close();
    open.length = 0;
    await expect(openCollection({ path: dir, analyzer: 'plain', readOnly: true })).rejects.toMatchObject({
      code: 'ANALYZER_MISMATCH',
      message: expect.stringContaining('"english"'),
    });
  });

  it('a missing folder is NOT_FOUND with a hint', async () => {
    await expect(openCollection({ path: join(dir, 'nope'), readOnly: true })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringContaining('ralm index'),
    });
  });

  it('a database file left empty (a creation killed before its one transaction) is refused by readers and filled by the next create', async () => {
    writeFileSync(join(dir, STORE_FILE), '');
    await expect(openCollection({ path: dir, readOnly: true })).rejects.toThrow(RalmError);
    const c = await create();
    c.add({ id: 'a', text: 'created after all' });
    await c.commit();
    expect((await c.search('created', { k: 1 })).hits.map((h) => h.id)).toEqual(['a']);
    const again = DocumentStore.open(dir, { create: true }); // an existing collection: its tables are kept
    expect(again.lastSeq()).toBe(1);
    again.close();
  });

  it('a new collection database uses PAGE_SIZE pages; one created with SQLite\'s default 4 KiB pages keeps them and its documents', async () => {
    const pageSize = (file: string) => {
      const db = new Database(file, { readonly: true });
      try {
        return db.pragma('page_size', { simple: true });
      } finally {
        db.close();
      }
    };
    const c = await create();
    c.add({ id: 'a', text: 'big pages' });
    await c.commit();
    await c.close();
    open.splice(open.indexOf(c), 1);
    expect(PAGE_SIZE).toBe(16_384);
    expect(pageSize(join(dir, STORE_FILE))).toBe(PAGE_SIZE);

    // an existing collection with 4 KiB pages (as earlier versions created them): rewritten so by VACUUM, then reopened
    const old = mkdtempSync(join(tmpdir(), 'ralm-pages-'));
    try {
      const first = await openCollection({ path: old, create: true, analyzer: 'english' });
      first.add({ id: 'x', text: 'small pages' });
      await first.commit();
      await first.close();
      const db = new Database(join(old, STORE_FILE));
      db.pragma('journal_mode = DELETE');
      db.pragma('page_size = 4096');
      db.exec('VACUUM');
      db.pragma('journal_mode = WAL');
      db.close();
      expect(pageSize(join(old, STORE_FILE))).toBe(4096);
      const again = await openCollection({ path: old, create: true, analyzer: 'english' });
      again.add({ id: 'y', text: 'still small pages' });
      await again.commit();
      expect((await again.search('pages', { k: 5 })).hits.map((h) => h.id).sort()).toEqual(['x', 'y']);
      await again.close();
      expect(pageSize(join(old, STORE_FILE))).toBe(4096);
    } finally {
      rmSync(old, { recursive: true, force: true });
    }
  });

  it('one writer at a time: a second writer gets LOCKED naming the pid; a stale lock is recovered', async () => {
    const c = await create();
    await expect(openCollection({ path: dir })).rejects.toMatchObject({ code: 'LOCKED', message: expect.stringContaining(`pid ${process.pid}`) });
    const r = await reader(); // readers are never blocked
    expect(r.stats().documents).toBe(0);
    await c.close();
    open.splice(open.indexOf(c), 1);
    writeFileSync(join(dir, LOCK_FILE), '999999999\n'); // a pid that does not exist
    const again = await openCollection({ path: dir });
    open.push(again);
    again.add({ id: 'z', text: 'after recovery' });
    await again.commit();
    expect(ids(await again.search('recovery'))).toEqual(['z']);
  });

  it('a corrupt segment is refused with CHECKSUM naming the artifact; verify reports it', async () => {
    const c = await create();
    c.add({ id: 'a', text: 'some text to index here' });
    await c.commit();
    await c.close();
    open.length = 0;
    const db = new Database(join(dir, STORE_FILE));
    const row = db.prepare('SELECT name, bytes FROM artifacts LIMIT 1').get() as { name: string; bytes: Buffer };
    const bytes = Buffer.from(row.bytes);
    bytes[bytes.length - 3] ^= 0xff;
    db.prepare('UPDATE artifacts SET bytes = ? WHERE name = ?').run(bytes, row.name);
    db.close();
    const error = await openCollection({ path: dir, readOnly: true }).catch((e: unknown) => e);
    expect(RalmError.is(error)).toBe(true);
    expect(error).toMatchObject({ code: 'CHECKSUM', message: expect.stringContaining(row.name) });
    const report = await verifyCollection(dir);
    expect(report.ok).toBe(false);
    expect(report.problems.join('\n')).toContain('checksum');
  });

  it('verify reports a table or index the collection version has and the file lacks; an older version is judged by its own schema', async () => {
    const c = await create();
    c.add({ id: 'a', text: 'some text to index here' });
    await c.commit();
    await c.close();
    open.length = 0;
    expect((await verifyCollection(dir)).problems).toEqual([]);
    const db = new Database(join(dir, STORE_FILE));
    db.exec('DROP INDEX chunks_docno; DROP INDEX documents_live_id');
    db.close();
    const report = await verifyCollection(dir);
    expect(report.ok).toBe(false);
    expect([...report.problems].sort()).toEqual([expect.stringMatching(/index chunks_docno is missing/), expect.stringMatching(/index documents_live_id is missing/)]);
    // a version 3 file: no chunk_runs (version 5) yet, and the two indexes version 4 dropped are expected
    const old = new Database(join(dir, STORE_FILE));
    writeRunsAsChunkRows(old);
    old.exec("CREATE INDEX chunks_docno ON chunks (docno); CREATE UNIQUE INDEX documents_live_id ON documents (id) WHERE deleted_seq IS NULL; UPDATE meta SET value = '3' WHERE key = 'version'");
    old.close();
    expect((await verifyCollection(dir)).problems).toEqual([expect.stringMatching(/index documents_added_seq is missing \(collection format version 3 has it\)/), expect.stringMatching(/index documents_live_docno is missing/)]);
  });

  it('background merges and optimize() keep results equal to a fresh build (random operations)', async () => {
    const words = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta'];
    const operation = fc.oneof(
      fc.record({ op: fc.constant('put' as const), id: fc.integer({ min: 0, max: 12 }), words: fc.array(fc.constantFrom(...words), { minLength: 1, maxLength: 8 }) }),
      fc.record({ op: fc.constant('delete' as const), id: fc.integer({ min: 0, max: 12 }) }),
      fc.record({ op: fc.constant('commit' as const) }),
    );
    let round = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { minLength: 1, maxLength: 40 }), async (ops) => {
        const path = join(dir, `p${round++}`);
        const c = await openCollection({ path, create: true, analyzer: 'plain', mergeFactor: 2 });
        const model = new Map<string, string>();
        const staged = new Map<string, string | null>();
        for (const o of ops) {
          if (o.op === 'put') {
            c.add({ id: `d${o.id}`, text: o.words.join(' ') });
            staged.set(`d${o.id}`, o.words.join(' '));
          } else if (o.op === 'delete') {
            c.delete(`d${o.id}`);
            staged.set(`d${o.id}`, null);
          } else {
            await c.commit();
            for (const [id, text] of staged) text === null ? model.delete(id) : model.set(id, text);
            staged.clear();
            await new Promise((r) => setImmediate(r)); // let a background merge run
          }
        }
        await c.commit();
        for (const [id, text] of staged) text === null ? model.delete(id) : model.set(id, text);
        // Before optimize: the same set of matching documents as the model.
        for (const w of words) {
          const expected = [...model].filter(([, t]) => t.split(' ').includes(w)).map(([id]) => id).sort();
          expect(ids(await c.search(w, { k: 100, documents: false })).sort()).toEqual(expected);
        }
        await c.optimize();
        const fresh = await openCollection({ path: `${path}-fresh`, create: true, analyzer: 'plain' });
        for (const [id, text] of [...model].sort()) fresh.add({ id, text });
        await fresh.commit();
        // After optimize: statistics no longer count deleted documents, so scores equal a fresh build.
        for (const w of [...words, 'alpha beta', 'gamma theta eta']) {
          const a = (await c.search(w, { k: 100, documents: false })).hits.map((h) => [h.id, h.score]);
          const b = (await fresh.search(w, { k: 100, documents: false })).hits.map((h) => [h.id, h.score]);
          expect(new Map(a as [string, number][])).toEqual(new Map(b as [string, number][]));
        }
        expect(c.stats().segments).toBeLessThanOrEqual(1);
        await c.close();
        await fresh.close();
        expect((await verifyCollection(path)).ok).toBe(true);
      }),
      { numRuns: 25 },
    );
  });
});

describe('collection: chunks, filters, near-duplicates, staging', () => {
  const paragraph = (topic: string, n: number) =>
    Array.from({ length: n }, (_, i) => `The ${topic} section ${i} explains retrieval details number ${i} with several words to read.`).join(' ');

  it('chunks long documents, cites the span, and returns each document once', async () => {
    const c = await create({ chunking: { targetTokens: 40, overlapTokens: 5 }, deduplicate: false });
    const text = `# Intro\n\n${paragraph('alpha', 6)}\n\n# Details\n\n${paragraph('omega', 6)}`;
    c.add({ id: 'long', title: 'Long', text, sections: [] });
    c.add({ id: 'short', text: 'omega appears here too' });
    await c.commit();
    const { hits } = await c.search('omega', { k: 10 });
    expect(hits.map((h) => h.id)).toEqual(expect.arrayContaining(['long', 'short']));
    expect(new Set(hits.map((h) => h.id)).size).toBe(hits.length);
    const long = hits.find((h) => h.id === 'long')!;
    expect(text.slice(long.start, long.end)).toContain('omega');
    const chunks = await c.search('omega', { k: 50, group: 'chunk' });
    expect(chunks.hits.filter((h) => h.id === 'long').length).toBeGreaterThan(1);
  });

  it('applies metadata filters inside the top-k (k hits whenever k match)', async () => {
    const c = await create({ deduplicate: false });
    const docs = Array.from({ length: 60 }, (_, i) => ({
      id: `d${i}`,
      text: `${'ranking '.repeat(i < 50 ? 5 : 1)} document ${i}`,
      metadata: { year: 2000 + (i % 30), lang: i >= 50 ? 'zh' : 'en', path: i % 2 ? 'docs/api/x' : 'docs/guide/y' },
    }));
    c.add(docs);
    await c.commit();
    const zh = await c.search('ranking', { k: 10, filter: 'lang = "zh"' });
    expect(zh.hits.map((h) => h.id).sort()).toEqual(docs.filter((d) => d.metadata.lang === 'zh').map((d) => d.id).sort());
    const recent = await c.search('ranking', { k: 5, filter: { and: [{ year: { gte: 2025 } }, { path: { prefix: 'docs/api/' } }] } });
    expect(recent.hits).toHaveLength(5);
    for (const h of recent.hits) expect(h.metadata).toMatchObject({ path: 'docs/api/x' });
    for (const h of recent.hits) expect((h.metadata as { year: number }).year).toBeGreaterThanOrEqual(2025);
    await expect(c.search('ranking', { filter: 'year >=' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('column') });
  });

  it('stores a near-duplicate chunk once, links every source, and promotes it when the original goes', async () => {
    const c = await create({ chunking: false });
    const body = 'Retrieval augmented generation grounds a language model on passages retrieved from a corpus of documents.';
    c.add({ id: 'original', text: body });
    c.add({ id: 'copy', text: `${body} ` }); // near-identical
    c.add({ id: 'other', text: 'A completely different text about cooking pasta with tomatoes and basil leaves.' });
    await c.commit();
    const first = await c.search('grounds language model', { k: 10 });
    expect(first.hits.map((h) => h.id)).toEqual(['original']);
    expect(first.hits[0]!.duplicates).toEqual([expect.objectContaining({ id: 'copy' })]);
    expect((await verifyCollection(dir)).problems).toEqual([]);
    c.delete('original');
    await c.commit();
    const second = await c.search('grounds language model', { k: 10 });
    expect(second.hits.map((h) => h.id)).toEqual(['copy']);
    expect(second.hits[0]!.duplicates).toBeUndefined();
    expect((await verifyCollection(dir)).problems).toEqual([]);
  });

  it('keeps the near-duplicate sketches with the chunks: a later writer rebuilds its index from them, not from the texts', async () => {
    const body = 'Retrieval augmented generation grounds a language model on passages retrieved from a corpus of documents.';
    const first = await create({ chunking: false });
    first.add({ id: 'original', text: body });
    first.add({ id: 'tiny', text: 'too short' });
    await first.commit();
    await first.close();
    open.splice(0);
    const db = new Database(join(dir, STORE_FILE));
    const rows = db.prepare('SELECT length(codes) AS n FROM minhash ORDER BY chunkno').pluck().all();
    expect(rows).toEqual([128, 0]); // a sketch for the original, an empty one (too short to judge) for 'tiny'
    db.close();

    // a second process finds the copy through the stored sketch
    const second = await create({ chunking: false });
    second.add({ id: 'copy', text: `${body} ` });
    await second.commit();
    expect((await second.search('grounds language model', { k: 10 })).hits[0]!.duplicates).toEqual([expect.objectContaining({ id: 'copy' })]);
    await second.close();
    open.splice(0);

    // a tampered sketch proves the rebuild reads the stored sketches: the next copy is no longer recognised
    const tamper = new Database(join(dir, STORE_FILE));
    expect(tamper.prepare('UPDATE minhash SET codes = zeroblob(128) WHERE length(codes) = 128').run().changes).toBe(1); // the original's
    tamper.close();
    const third = await create({ chunking: false });
    third.add({ id: 'copy2', text: `${body}  ` });
    await third.commit();
    const hits = (await third.search('grounds language model', { k: 10 })).hits;
    expect(hits.map((h) => h.id).sort()).toEqual(['copy2', 'original']);
  });

  it('migrates a version 2 collection: its chunks are signed from their text once, then their sketches are kept', async () => {
    const body = 'Retrieval augmented generation grounds a language model on passages retrieved from a corpus of documents.';
    const c = await create({ chunking: false });
    c.add({ id: 'original', text: body });
    await c.commit();
    await c.close();
    open.splice(0);
    const db = new Database(join(dir, STORE_FILE));
    writeRunsAsChunkRows(db);
    db.exec("DROP TABLE minhash; DELETE FROM meta WHERE key = 'minhash.options'; UPDATE meta SET value = '2' WHERE key = 'version'");
    db.close();
    // a reader of the old file works without the table
    const old = await reader();
    expect((await old.search('grounds', { k: 1 })).hits.map((h) => h.id)).toEqual(['original']);
    await old.close();
    open.splice(0);
    const writer = await create({ chunking: false });
    writer.add({ id: 'copy', text: `${body} ` });
    await writer.commit();
    expect((await writer.search('grounds language model', { k: 10 })).hits[0]!.duplicates).toEqual([expect.objectContaining({ id: 'copy' })]);
    await writer.close();
    open.splice(0);
    const check = new Database(join(dir, STORE_FILE), { readonly: true });
    expect(check.prepare("SELECT value FROM meta WHERE key = 'version'").pluck().get()).toBe(String(STORE_VERSION));
    expect(check.prepare('SELECT count(*) FROM minhash WHERE length(codes) = 128').pluck().get()).toBe(1); // the original's, backfilled
    check.close();
    expect((await verifyCollection(dir)).problems).toEqual([]);
  });

  it('rollback() discards the open commit; large commits flush segments without changing results', async () => {
    const c = await create({ flushChunks: 7, deduplicate: false });
    c.add({ id: 'keep', text: 'kept document' });
    await c.commit();
    c.add({ id: 'gone', text: 'kept? no, rolled back' });
    c.delete('keep');
    expect(c.pendingChanges).toBe(2);
    c.rollback();
    expect(c.pendingChanges).toBe(0);
    expect(ids(await c.search('kept'))).toEqual(['keep']);
    c.add(Array.from({ length: 50 }, (_, i) => ({ id: `f${i}`, text: `flushed words ${i} ${'x'.repeat(i % 3)}` })));
    await c.commit();
    expect(c.stats().segments).toBeGreaterThan(2);
    expect((await c.search('flushed', { k: 100 })).hits).toHaveLength(50);
    expect((await verifyCollection(dir)).problems).toEqual([]);
  });
});
