// Inside a write transaction the store buffers inserted rows and writes them in multi-row INSERTs. Whatever is asked
// in between — live versions, chunks, deletes, reads by chunk number — must see exactly what one INSERT per row
// would have shown, a commit keeps every row, a rollback none (property test against an in-memory model).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DocumentStore, documentHash } from '../../src/store/index.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ralm-store-buffer-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

type Operation =
  | { kind: 'insert'; id: number; chunks: number; readBack: number }
  | { kind: 'delete'; id: number }
  | { kind: 'read'; id: number }
  | { kind: 'readChunks'; id: number }
  | { kind: 'source'; id: number };

const operation: fc.Arbitrary<Operation> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('insert' as const), id: fc.integer({ min: 0, max: 60 }), chunks: fc.integer({ min: 1, max: 3 }), readBack: fc.integer({ min: -3, max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), id: fc.integer({ min: 0, max: 60 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('read' as const), id: fc.integer({ min: 0, max: 60 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('readChunks' as const), id: fc.integer({ min: 0, max: 60 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('source' as const), id: fc.integer({ min: 0, max: 60 }) }) },
);

interface ModelDocument {
  docno: number;
  hash: string;
  chunknos: number[];
}

describe('DocumentStore buffered inserts', () => {
  it('answer every read in a transaction as row-by-row inserts would; commit keeps all, rollback none (property)', () => {
    let round = 0;
    fc.assert(
      fc.property(
        fc.array(operation, { minLength: 1, maxLength: 150 }),
        fc.array(operation, { maxLength: 80 }),
        fc.boolean(),
        (first, second, rollBackSecond) => {
          const folder = join(dir, `r${round++}`);
          const store = DocumentStore.open(folder, { create: true });
          const model = new Map<string, ModelDocument>();
          let nextDocno = 1;
          let nextChunkno = 1;
          const recent: string[] = [];
          /** Recorded sources and sketches (tables of their own, written without the buffered rows). */
          const sources = new Map<string, string[]>();
          /** Reads a live document's chunks by chunk number (a search's read), e.g. one of the rows still buffered. */
          const readChunks = (id: string) => {
            const expected = model.get(id);
            if (!expected) return;
            const rows = store.getChunks(expected.chunknos);
            expect([...rows.keys()].sort((a, b) => a - b)).toEqual(expected.chunknos);
            for (const row of rows.values()) expect(row.document.id).toBe(id);
          };
          const run = (operations: Operation[], seq: number) => {
            store.beginTransaction();
            for (const op of operations) {
              const id = `d${op.id}`;
              const live = store.liveVersion(id);
              const expected = model.get(id);
              expect(live && { docno: live.docno, hash: live.hash }).toEqual(expected && { docno: expected.docno, hash: expected.hash });
              if (op.kind === 'insert') {
                if (live) {
                  expect(store.markDeleted(live.docno, seq).sort((a, b) => a - b)).toEqual(expected!.chunknos);
                  model.delete(id);
                }
                const text = `text of ${id} at ${seq} ${'x'.repeat(op.chunks)}`;
                const doc = { id, title: `T ${id}`, text, metadata: { n: op.id } };
                const hash = documentHash(doc);
                const chunknos = Array.from({ length: op.chunks }, () => nextChunkno++);
                const docno = store.insertDocument({ ...doc, hash }, seq, chunknos.map((chunkno, ordinal) => ({ chunkno, ordinal, start: 0, end: text.length })));
                expect(docno).toBe(nextDocno++);
                model.set(id, { docno, hash, chunknos });
                recent.push(id);
                // now and then, read back a document inserted a few inserts ago (likely still buffered)
                if (op.readBack >= 0 && recent.length > op.readBack) readChunks(recent[recent.length - 1 - op.readBack]!);
              } else if (op.kind === 'delete') {
                if (live) {
                  expect(store.markDeleted(live.docno, seq).sort((a, b) => a - b)).toEqual(expected!.chunknos);
                  model.delete(id);
                }
              } else if (op.kind === 'source') {
                // a source file's record and its document's sketch, then read back
                const path = `/docs/${id}.md`;
                const ids = expected ? [id] : [];
                store.putSource(path, { size: op.id, mtimeMs: seq }, ids, seq);
                sources.set(path, ids);
                expect(store.getSource(path)).toEqual({ size: op.id, mtimeMs: seq, ids });
                if (expected) store.putMinhash(expected.chunknos[0]!, Uint8Array.of(op.id, seq), 'test-options');
              } else if (op.kind === 'read') {
                if (expected) expect(store.chunksOf(expected.docno).map((c) => c.chunkno)).toEqual(expected.chunknos);
              } else readChunks(id);
            }
          };
          run(first, 1);
          store.recordCommit(1, 0, 0);
          store.setMeta('last_seq', '1');
          store.commitTransaction();
          const committed = new Map(model);
          const committedSources = new Map(sources);
          const committedDocno = nextDocno;
          const committedChunkno = nextChunkno;
          run(second, 2);
          if (rollBackSecond) {
            store.rollbackTransaction();
            model.clear();
            for (const [id, d] of committed) model.set(id, d);
            nextDocno = committedDocno;
            nextChunkno = committedChunkno;
            sources.clear();
            for (const [path, ids] of committedSources) sources.set(path, ids);
          } else {
            store.recordCommit(2, 0, 0);
            store.setMeta('last_seq', '2');
            store.commitTransaction();
          }
          store.close();
          // a fresh connection sees exactly the model's live documents
          const reopened = DocumentStore.open(folder);
          try {
            const live = [...reopened.iterateDocuments()].map((d) => [d.id, d.docno, d.hash]);
            const expectedLive = [...model].map(([id, d]) => [id, d.docno, d.hash]).sort((a, b) => (a[1] as number) - (b[1] as number));
            expect(live).toEqual(expectedLive);
            for (const [, d] of model) expect(reopened.chunksOf(d.docno).map((c) => c.chunkno)).toEqual(d.chunknos);
            expect(reopened.integrityCheck()).toEqual([]);
            for (const [path, ids] of sources) expect(reopened.getSource(path)?.ids).toEqual(ids);
            expect(reopened.sourcesUnder('/docs/').sort()).toEqual([...sources.keys()].sort());
            // after a rollback the next transaction numbers documents on from the committed ones
            reopened.beginTransaction();
            const doc = { id: 'next', title: '', text: 'next', metadata: {} };
            expect(reopened.insertDocument({ ...doc, hash: documentHash(doc) }, 3, [{ chunkno: 1_000_000, ordinal: 0, start: 0, end: 4 }])).toBe(nextDocno);
            reopened.rollbackTransaction();
          } finally {
            reopened.close();
          }
        },
      ),
      { numRuns: 60, seed: 20261121 },
    );
  });
});
