// A document that is one chunk spanning its whole text gets no chunk row: runs of them are rows of `chunk_runs`
// (store version 5). Every read of chunks — by number, by document, live lists, deletions since a sequence number,
// near-duplicate links, MinHash iteration, purges — must answer exactly as a row per chunk did, whatever mix of
// whole-document chunks and chunk rows, deletes, near-duplicate links (which take a chunk out of its run), purges
// (which may hand a docno out again), commits and rollbacks (property test against an in-memory model).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DocumentStore, documentHash, STORE_FILE, type ChunkRow, type NewChunk } from '../../src/store/index.js';
import { writeRunsAsChunkRows } from '../helpers/old-store.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ralm-chunk-runs-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** How a document is cut: one whole-text chunk (no row), or one of the shapes that need rows, or no chunk at all. */
type Shape = 'whole' | 'heading' | 'page' | 'part' | 'multi' | 'none' | 'duplicate';

type Operation =
  | { kind: 'insert'; id: number; shape: Shape; gap: boolean; astral: boolean }
  | { kind: 'delete'; id: number }
  | { kind: 'link'; pick: number; canonical: number | null }
  | { kind: 'minhash'; pick: number }
  | { kind: 'check' };

const shape = fc.oneof(
  { weight: 8, arbitrary: fc.constant<Shape>('whole') },
  { weight: 1, arbitrary: fc.constantFrom<Shape>('heading', 'page', 'part', 'multi', 'none', 'duplicate') },
);
const operation: fc.Arbitrary<Operation> = fc.oneof(
  { weight: 10, arbitrary: fc.record({ kind: fc.constant('insert' as const), id: fc.integer({ min: 0, max: 30 }), shape, gap: fc.boolean().map((b) => b && Math.random() < 0.2), astral: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), id: fc.integer({ min: 0, max: 30 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('link' as const), pick: fc.nat(), canonical: fc.option(fc.nat(), { nil: null }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('minhash' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'check' as const }) },
);

interface ModelChunk {
  chunkno: number;
  ordinal: number;
  start: number;
  end: number;
  headingPath: string[];
  page: number | null;
  duplicateOf: number | null;
}

interface ModelDocument {
  docno: number;
  id: string;
  text: string;
  metadata: { n: number };
  addedSeq: number;
  deletedSeq: number | null;
  chunks: ModelChunk[];
}

const OPTIONS = 'test-options';

class Model {
  docs = new Map<number, ModelDocument>();
  minhash = new Map<number, Uint8Array>();
  clone(): Model {
    const copy = new Model();
    for (const [docno, d] of this.docs) copy.docs.set(docno, { ...d, chunks: d.chunks.map((c) => ({ ...c, headingPath: [...c.headingPath] })) });
    copy.minhash = new Map(this.minhash);
    return copy;
  }
  live(id: string): ModelDocument | undefined {
    for (const d of this.docs.values()) if (d.id === id && d.deletedSeq === null) return d;
    return undefined;
  }
  allChunks(): Array<{ doc: ModelDocument; chunk: ModelChunk }> {
    const out: Array<{ doc: ModelDocument; chunk: ModelChunk }> = [];
    for (const doc of this.docs.values()) for (const chunk of doc.chunks) out.push({ doc, chunk });
    return out.sort((a, b) => a.chunk.chunkno - b.chunk.chunkno);
  }
  nextDocno(): number {
    return Math.max(0, ...this.docs.keys()) + 1;
  }
}

function chunkRowOf(doc: ModelDocument, c: ModelChunk): ChunkRow {
  return { chunkno: c.chunkno, docno: doc.docno, ordinal: c.ordinal, start: c.start, end: c.end, headingPath: c.headingPath, page: c.page };
}

/** Compares every chunk read of the store with the model. */
function check(store: DocumentStore, model: Model, label: string): void {
  const all = model.allChunks();
  const liveCanonical = all.filter(({ doc, chunk }) => doc.deletedSeq === null && chunk.duplicateOf === null);
  const byNumber = (a: [number, unknown], b: [number, unknown]) => a[0] - b[0];
  expect(store.liveChunks().sort(byNumber), label).toEqual(liveCanonical.map(({ doc, chunk }) => [chunk.chunkno, doc.id]));
  expect(
    store.liveChunkMetadata().sort(byNumber),
    label,
  ).toEqual(all.filter(({ doc }) => doc.deletedSeq === null).map(({ doc, chunk }) => [chunk.chunkno, JSON.stringify(doc.metadata)]));
  const numbers = all.map(({ chunk }) => chunk.chunkno);
  const maxChunkno = Math.max(0, ...numbers);
  expect(store.maxChunkno(), label).toBe(maxChunkno);
  const asked = [...numbers, maxChunkno + 1, maxChunkno + 7, 0];
  const got = store.getChunks(asked);
  expect([...got.keys()].sort((a, b) => a - b), label).toEqual(numbers);
  for (const { doc, chunk } of all) {
    expect(got.get(chunk.chunkno)!.chunk, label).toEqual(chunkRowOf(doc, chunk));
    expect(got.get(chunk.chunkno)!.document.docno, label).toBe(doc.docno);
    expect(store.chunkText(chunk.chunkno), label).toBe(doc.text.slice(chunk.start, chunk.end));
  }
  expect(store.chunkText(maxChunkno + 1), label).toBeUndefined();
  for (const doc of model.docs.values()) expect(store.chunksOf(doc.docno), label).toEqual(doc.chunks.map((c) => chunkRowOf(doc, c)));
  expect([...store.liveChunkIds(asked)].sort(byNumber), label).toEqual(liveCanonical.map(({ doc, chunk }) => [chunk.chunkno, doc.id]));
  for (const seq of [0, 1, 2, 3]) {
    expect(store.chunksDeletedAfter(seq).sort((a, b) => a - b), label).toEqual(all.filter(({ doc }) => doc.deletedSeq !== null && doc.deletedSeq > seq).map(({ chunk }) => chunk.chunkno));
  }
  expect(store.liveDuplicateLinks().sort(byNumber), label).toEqual(
    all.filter(({ doc, chunk }) => doc.deletedSeq === null && chunk.duplicateOf !== null).map(({ chunk }) => [chunk.chunkno, chunk.duplicateOf]),
  );
  for (const { chunk } of liveCanonical) {
    expect(store.duplicatesOf(chunk.chunkno).map((d) => d.chunkno), label).toEqual(
      all.filter(({ doc, chunk: c }) => doc.deletedSeq === null && c.duplicateOf === chunk.chunkno).map(({ chunk: c }) => c.chunkno),
    );
  }
  // MinHash iteration: live canonical chunks in chunk-number order, a stored sketch or the chunk's text
  expect([...store.iterateLiveMinhash(OPTIONS)].map((r) => [r.chunkno, r.codes === null ? null : [...r.codes], r.text]), label).toEqual(
    liveCanonical.map(({ doc, chunk }) => {
      const codes = model.minhash.get(chunk.chunkno);
      return [chunk.chunkno, codes ? [...codes] : null, codes ? null : doc.text.slice(chunk.start, chunk.end)];
    }),
  );
  const replay = store.documentsAddedAfter(0).map((d) => [d.docno, d.chunks]);
  const liveDocs = [...model.docs.values()].filter((d) => d.deletedSeq === null).sort((a, b) => a.docno - b.docno);
  expect(replay, label).toEqual(liveDocs.map((d) => [d.docno, d.chunks.map((c) => chunkRowOf(d, c))]));
}

describe('whole-document chunks in runs (store version 5)', () => {
  it('answer every chunk read as a row per chunk would, through links, purges, commits and rollbacks (property)', () => {
    let round = 0;
    fc.assert(
      fc.property(fc.array(fc.array(operation, { minLength: 1, maxLength: 40 }), { minLength: 1, maxLength: 5 }), fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }), fc.nat(), (commits, rollBacks, purgeSalt) => {
        const folder = join(dir, `r${round++}`);
        const store = DocumentStore.open(folder, { create: true });
        let model = new Model();
        let nextChunkno = 1;
        try {
          commits.forEach((operations, index) => {
            const seq = index + 1;
            const before = model.clone();
            const chunknoBefore = nextChunkno;
            store.beginTransaction();
            for (const op of operations) {
              const live = [...model.docs.values()].filter((d) => d.deletedSeq === null);
              if (op.kind === 'insert') {
                const id = `d${op.id}`;
                const old = model.live(id);
                if (old) {
                  expect(store.markDeleted(old.docno, seq).sort((a, b) => a - b)).toEqual(old.chunks.map((c) => c.chunkno));
                  old.deletedSeq = seq;
                }
                if (op.gap) nextChunkno += 3; // chunk numbers not consecutive: a new run
                const text = `text of ${id} at ${seq}${op.astral ? ' 𝔘𝔫𝔦𝔠𝔬𝔡𝔢' : ''} ${'x'.repeat(op.id)}`;
                const canonicals = live.flatMap((d) => d.chunks.filter((c) => c.duplicateOf === null).map((c) => c.chunkno));
                const chunks: ModelChunk[] = [];
                const base = { ordinal: 0, start: 0, end: text.length, headingPath: [] as string[], page: null, duplicateOf: null };
                if (op.shape === 'whole') chunks.push({ ...base, chunkno: nextChunkno++ });
                else if (op.shape === 'heading') chunks.push({ ...base, chunkno: nextChunkno++, headingPath: ['Intro'] });
                else if (op.shape === 'page') chunks.push({ ...base, chunkno: nextChunkno++, page: 2 });
                else if (op.shape === 'part') chunks.push({ ...base, chunkno: nextChunkno++, start: 5 });
                else if (op.shape === 'duplicate' && canonicals.length > 0) chunks.push({ ...base, chunkno: nextChunkno++, duplicateOf: canonicals[op.id % canonicals.length]! });
                else if (op.shape === 'multi') {
                  chunks.push({ ...base, chunkno: nextChunkno++, end: 4 }, { ...base, chunkno: nextChunkno++, ordinal: 1, start: 4 });
                }
                const metadata = { n: op.id };
                const doc = { id, title: `T ${id}`, text, metadata };
                const newChunks: NewChunk[] = chunks.map((c) => ({
                  chunkno: c.chunkno,
                  ordinal: c.ordinal,
                  start: c.start,
                  end: c.end,
                  ...(c.headingPath.length > 0 ? { headingPath: c.headingPath } : {}),
                  ...(c.page !== null ? { page: c.page } : {}),
                  ...(c.duplicateOf !== null ? { duplicateOf: c.duplicateOf } : {}),
                }));
                const docno = store.insertDocument({ ...doc, hash: documentHash(doc) }, seq, newChunks);
                expect(docno).toBe(model.nextDocno());
                model.docs.set(docno, { docno, id, text, metadata, addedSeq: seq, deletedSeq: null, chunks });
              } else if (op.kind === 'delete') {
                const old = model.live(`d${op.id}`);
                if (old) {
                  expect(store.markDeleted(old.docno, seq).sort((a, b) => a - b)).toEqual(old.chunks.map((c) => c.chunkno));
                  old.deletedSeq = seq;
                }
              } else if (op.kind === 'link') {
                // a live chunk becomes a near-duplicate of another live canonical one (or canonical again)
                const chunks = live.flatMap((d) => d.chunks);
                if (chunks.length === 0) continue;
                const chunk = chunks[op.pick % chunks.length]!;
                const others = chunks.filter((c) => c !== chunk && c.duplicateOf === null);
                const canonical = op.canonical === null || others.length === 0 ? null : others[op.canonical % others.length]!.chunkno;
                store.setDuplicateOf(chunk.chunkno, canonical);
                chunk.duplicateOf = canonical;
              } else if (op.kind === 'minhash') {
                const chunks = live.flatMap((d) => d.chunks);
                if (chunks.length === 0) continue;
                const chunk = chunks[op.pick % chunks.length]!;
                const codes = Uint8Array.of(op.pick & 0xff, seq);
                store.putMinhash(chunk.chunkno, codes, OPTIONS);
                model.minhash.set(chunk.chunkno, codes);
              } else check(store, model, `commit ${seq}, in the transaction`);
            }
            if (rollBacks[index]) {
              store.rollbackTransaction();
              model = before;
              nextChunkno = chunknoBefore;
            } else {
              store.recordCommit(seq, 0, 0);
              store.commitTransaction();
            }
            check(store, model, `after commit ${seq}${rollBacks[index] ? ' (rolled back)' : ''}`);
            // now and then a purge of deleted versions no index holds (keeps some, by chunk number)
            if ((purgeSalt + index) % 3 === 0) {
              const held = (chunkno: number) => (chunkno + purgeSalt) % 4 === 0;
              const purged = [...model.docs.values()].filter((d) => d.deletedSeq !== null && !d.chunks.some((c) => held(c.chunkno)));
              expect(store.transaction(() => store.purgeDeleted(held))).toBe(purged.length);
              for (const d of purged) {
                model.docs.delete(d.docno);
                for (const c of d.chunks) model.minhash.delete(c.chunkno);
              }
              check(store, model, `after the purge following commit ${seq}`);
            }
          });
        } finally {
          store.close();
        }
        // a reader of the file sees the same
        const reader = DocumentStore.open(folder, { readOnly: true });
        try {
          check(reader, model, 'read-only reopen');
          expect(reader.integrityCheck()).toEqual([]);
        } finally {
          reader.close();
        }
      }),
      { numRuns: 40, seed: 20261121 },
    );
  });

  it('a whole-document collection writes one run and no chunk row', () => {
    const store = DocumentStore.open(join(dir, 'c'), { create: true });
    store.beginTransaction();
    for (let i = 1; i <= 500; i++) {
      const doc = { id: `d${i}`, title: '', text: `text ${i}`, metadata: {} };
      store.insertDocument({ ...doc, hash: documentHash(doc) }, 1, [{ chunkno: i, ordinal: 0, start: 0, end: doc.text.length }]);
    }
    store.recordCommit(1, 500, 0);
    store.commitTransaction();
    store.close();
    const db = new Database(join(dir, 'c', STORE_FILE), { readonly: true });
    expect(db.prepare('SELECT count(*) FROM chunks').pluck().get()).toBe(0);
    expect(db.prepare('SELECT first_chunkno, first_docno, count FROM chunk_runs').raw().all()).toEqual([[1, 1, 500]]);
    db.close();
  });

  it('a purge of the last documents takes them out of their run: their docnos, given again, are not read as the old chunks', () => {
    const store = DocumentStore.open(join(dir, 'c'), { create: true });
    const insert = (i: number, chunkno: number, seq: number) => {
      const doc = { id: `d${i}`, title: '', text: `text ${i}`, metadata: {} };
      return store.insertDocument({ ...doc, hash: documentHash(doc) }, seq, [{ chunkno, ordinal: 0, start: 0, end: doc.text.length }]);
    };
    store.beginTransaction();
    for (let i = 1; i <= 5; i++) insert(i, i, 1);
    store.recordCommit(1, 5, 0);
    store.commitTransaction();
    store.beginTransaction();
    expect(store.markDeleted(4, 2)).toEqual([4]);
    expect(store.markDeleted(5, 2)).toEqual([5]);
    store.recordCommit(2, 0, 2);
    store.commitTransaction();
    expect(store.transaction(() => store.purgeDeleted(() => false))).toBe(2);
    store.beginTransaction();
    expect(insert(6, 10, 3)).toBe(4); // docno 4 again, chunk 10
    store.recordCommit(3, 1, 0);
    store.commitTransaction();
    expect(store.liveChunks().sort((a, b) => a[0] - b[0])).toEqual([[1, 'd1'], [2, 'd2'], [3, 'd3'], [10, 'd6']]);
    expect(store.chunksOf(4).map((c) => c.chunkno)).toEqual([10]);
    expect(store.chunkText(4)).toBeUndefined();
    expect(store.maxChunkno()).toBe(10);
    store.close();
  });

  it('reads a version 4 file (a row for every chunk), is migrated by a writer, and a reader opened before follows it', () => {
    const folder = join(dir, 'old');
    const writer = DocumentStore.open(folder, { create: true });
    const insert = (store: DocumentStore, i: number, seq: number) => {
      const doc = { id: `d${i}`, title: '', text: `text ${i}`, metadata: {} };
      store.insertDocument({ ...doc, hash: documentHash(doc) }, seq, [{ chunkno: i, ordinal: 0, start: 0, end: doc.text.length }]);
    };
    writer.beginTransaction();
    for (let i = 1; i <= 10; i++) insert(writer, i, 1);
    writer.recordCommit(1, 10, 0);
    writer.commitTransaction();
    writer.close();
    const db = new Database(join(folder, STORE_FILE));
    writeRunsAsChunkRows(db);
    db.exec("UPDATE meta SET value = '4' WHERE key = 'version'");
    db.close();

    const reader = DocumentStore.open(folder, { readOnly: true });
    expect(reader.liveChunks().length).toBe(10);
    expect(reader.chunkText(3)).toBe('text 3');
    // a writer of this build migrates the file and adds documents as a run
    const migrating = DocumentStore.open(folder);
    migrating.beginTransaction();
    for (let i = 11; i <= 20; i++) insert(migrating, i, 2);
    migrating.recordCommit(2, 10, 0);
    migrating.commitTransaction();
    migrating.close();
    // the reader opened on version 4 follows: at its next snapshot it reads the migrated file's runs
    reader.beginSnapshot();
    expect(reader.liveChunks().map(([chunkno]) => chunkno).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(reader.chunkText(15)).toBe('text 15');
    expect(reader.liveChunkIds([12, 19])).toEqual(new Map([[12, 'd12'], [19, 'd19']]));
    reader.endSnapshot();
    reader.close();
    const check = new Database(join(folder, STORE_FILE), { readonly: true });
    expect(check.prepare('SELECT count(*) FROM chunks').pluck().get()).toBe(10); // the old rows stay rows
    expect(check.prepare('SELECT first_chunkno, first_docno, count FROM chunk_runs').raw().all()).toEqual([[11, 11, 10]]);
    check.close();
  });
});
