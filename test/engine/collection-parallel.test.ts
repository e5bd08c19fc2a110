import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import Database from 'better-sqlite3';
import { openCollection, type OpenCollectionOptions } from '../../src/engine/index.js';
import { STORE_FILE } from '../../src/store/index.js';
import { ParallelAnalysis, getAnalyzer } from '../../src/analysis/index.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ralm-parallel-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Random documents, together above the size at which add() analyzes in worker threads (256 KiB). Long ones average
 * ~1,400 characters (add() splits the analysis: the workers leave the stemming to the calling thread), short ones ~150.
 */
function corpus(seed: number, words: string[], short = false): Array<{ id: string; title: string; text: string }> {
  let state = seed >>> 0 || 1;
  const next = (n: number): number => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) % n;
  };
  const documents = [];
  let characters = 0;
  for (let d = 0; characters < 400_000; d++) {
    const length = short ? 5 + next(40) : next(10) === 0 ? 400 + next(1500) : 5 + next(250);
    const text = Array.from({ length }, () => words[Math.min(next(words.length), next(words.length))]).join(next(3) === 0 ? '. ' : ' ');
    // some ids repeat: a later version replaces the earlier one within the same add()
    documents.push({ id: `d${next(8) === 0 ? next(d + 1) : d}`, title: next(2) ? words[next(words.length)]! : '', text });
    characters += text.length;
  }
  return documents;
}

async function build(path: string, documents: ReturnType<typeof corpus>, options: Partial<OpenCollectionOptions>, refused: boolean) {
  const collection = await openCollection({ path, create: true, analyzer: 'english', ...options });
  collection.add(documents.slice(0, 40)); // small: analyzed on the calling thread
  const large = documents.slice(40);
  expect(large.reduce((n, d) => n + d.text.length, 0)).toBeGreaterThan(256 * 1024); // analyzed in workers unless analysisWorkers is 0
  if (refused) {
    // a document refused at the end: the ones before it stay in the open commit, with their chunks indexed
    expect(() => collection.add([...large, { id: '', text: 'no id' }])).toThrow(/has no id/);
  } else collection.add(large);
  await collection.commit();
  const hits = await Promise.all(['search running cats', 'Σ ranking β', 'the'].map(async (q) => (await collection.search(q, { k: 20, documents: false }).catch(() => ({ hits: [] }))).hits));
  await collection.close();
  const db = new Database(join(path, STORE_FILE), { readonly: true });
  try {
    return {
      // a merged segment's name ends with a time and a random number (m<seq>-<time><random>): compared without them
      segments: (db.prepare("SELECT name, hex(bytes) AS bytes FROM artifacts WHERE kind = 'sparse.segment'").all() as Array<{ name: string; bytes: string }>)
        .map(({ name, bytes }) => ({ name: name.replace(/^(m\d+)-.*$/, '$1-*'), bytes }))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.bytes < b.bytes ? -1 : a.bytes > b.bytes ? 1 : 0)),
      chunks: db.prepare('SELECT chunkno, docno, ordinal, start, end, duplicate_of FROM chunks ORDER BY chunkno').raw().all(),
      chunkRuns: db.prepare('SELECT first_chunkno, first_docno, count FROM chunk_runs ORDER BY first_chunkno').raw().all(),
      documents: db.prepare('SELECT docno, id, hash, added_seq, deleted_seq FROM documents ORDER BY docno').raw().all(),
      hits,
    };
  } finally {
    db.close();
  }
}

describe('parallel analysis in add()', () => {
  it('can run here (the compiled worker is built by the test setup)', () => {
    const job = ParallelAnalysis.start({ analyzer: getAnalyzer('english'), workers: 1, vocabulary: () => ({ idOf: () => 0 }), consume: () => {}, consumeCounts: () => {} });
    expect(job).not.toBeNull();
    job!.close();
  });

  it('builds byte-identical segments, stores and results to the single-threaded path, on random corpora', async () => {
    const words = ['search', 'ranking', 'running', 'cats', "cat's", 'BM25', 'e-mail', 'U.S.A.', 'naïve', 'β-catenin', 'Σίσυφος', '中文', 'the', 'of', '3.14', 'x_y'];
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.integer({ min: 1, max: 3 }),
        fc.constantFrom(50_000, 700, 97),
        fc.boolean(),
        fc.boolean(),
        fc.boolean(),
        fc.boolean(),
        async (seed, workers, flushChunks, chunking, deduplicate, refused, short) => {
          const vocabulary = [...words, ...Array.from({ length: 300 }, (_, i) => `w${(i * 7919) % 1000}`)];
          const documents = corpus(seed, vocabulary, short);
          const options: Partial<OpenCollectionOptions> = { flushChunks, ...(chunking ? {} : { chunking: false }), ...(deduplicate ? {} : { deduplicate: false }) };
          const serial = await build(join(dir, `serial-${seed}`), documents, { ...options, analysisWorkers: 0 }, refused);
          const parallel = await build(join(dir, `parallel-${seed}`), documents, { ...options, analysisWorkers: workers }, refused);
          expect(parallel.segments.length).toBeGreaterThan(0);
          expect(parallel).toEqual(serial);
        },
      ),
      { numRuns: 8, seed: 3 },
    );
  }, 240_000);
});
