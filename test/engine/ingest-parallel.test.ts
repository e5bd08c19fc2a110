// A parallel ingest (worker threads parse and prepare, the main thread writes in input order) builds exactly the
// collection the serial ingest builds: the same documents, chunks, chunk numbers, near-duplicate links, index and
// search results, the same report — with one or several workers, on a folder that mixes Markdown and text files,
// near-duplicates, a JSON Lines file with many records (prepared one by one), an unchanged document and bad files.
import Database from 'better-sqlite3';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCollection } from '../../src/engine/index.js';
import { verifyCollection } from '../../src/engine/verify.js';
import { ralm } from '../helpers/cli.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ralm-parallel-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const WORDS = 'retrieval index query document score rank lucene segment token chunk analyzer vector dense sparse model answer cite page heading commit durable merge posting norm'.split(' ');

function sentence(seed: number, length: number): string {
  const words: string[] = [];
  for (let i = 0; i < length; i++) words.push(WORDS[(seed * 7 + i * 13 + ((seed * i) % 5)) % WORDS.length]!);
  return `${words.join(' ')}.`;
}

function writeCorpus(folder: string): void {
  mkdirSync(join(folder, 'a', 'b'), { recursive: true });
  for (let i = 0; i < 1200; i++) {
    const body = Array.from({ length: 3 + (i % 40) }, (_, s) => sentence(i * 31 + s, 8 + (s % 9))).join(' ');
    const sub = ['', 'a', join('a', 'b')][i % 3]!;
    if (i % 4 === 0) writeFileSync(join(folder, sub, `note${i}.txt`), `Note ${i}\n\n${body}\n`);
    else writeFileSync(join(folder, sub, `note${i}.md`), `---\ntitle: Note ${i}\ntags: [x${i % 3}, y]\n---\n# Heading ${i}\n\n${body}\n\n## More\n\n${sentence(i, 30)}\n`);
    // near-duplicates: some files repeat an earlier one with one word changed, some verbatim
    if (i % 25 === 5) writeFileSync(join(folder, sub, `copy${i}.txt`), `Note ${i}\n\n${body.replace('retrieval', 'recall')}\n`);
    if (i % 50 === 7) writeFileSync(join(folder, sub, `same${i}.txt`), `Note ${i}\n\n${body}\n`);
  }
  const records = Array.from({ length: 150 }, (_, i) => JSON.stringify({ id: `r${i}`, title: `Record ${i}`, text: `${sentence(i, 40)} ${sentence(i + 1, 40)}` }));
  records.push(JSON.stringify({ id: 'r0', title: 'Record 0 again', text: 'the same id twice in one file: the later one wins' }));
  writeFileSync(join(folder, 'records.jsonl'), `${records.join('\n')}\n`);
  writeFileSync(join(folder, 'binary.txt'), Buffer.from([0, 1, 2, 3, 0, 0, 255]));
  writeFileSync(join(folder, 'bad.jsonl'), '{"id": "ok", "text": "fine"}\nnot json\n');
}

/** Everything observable about a collection, as plain data. */
async function describeCollection(index: string): Promise<unknown> {
  const db = new Database(join(index, 'collection.sqlite'), { readonly: true });
  let rows: unknown[];
  try {
    rows = db
      .prepare(
        `SELECT c.chunkno, d.id, d.title, d.hash, d.metadata, c.ordinal, c.start, c.end, c.headings, c.page, c.duplicate_of, d.added_seq, d.deleted_seq
         FROM chunks c JOIN documents d ON d.docno = c.docno
         UNION ALL
         SELECT r.first_chunkno + d.docno - r.first_docno, d.id, d.title, d.hash, d.metadata, 0, 0, NULL, NULL, NULL, NULL, d.added_seq, d.deleted_seq
         FROM chunk_runs r JOIN documents d ON d.docno >= r.first_docno AND d.docno < r.first_docno + r.count
         ORDER BY 1`,
      )
      .all();
  } finally {
    db.close();
  }
  const c = await openCollection({ path: index, readOnly: true });
  try {
    const searches = [];
    for (const query of ['retrieval index', 'lucene segment merge', 'record', 'durable commit posting', 'heading']) {
      searches.push((await c.search(query, { k: 20 })).hits.map((h) => [h.id, h.chunk, h.score, h.duplicates?.map((d) => d.id)]));
    }
    const { path: _path, ...stats } = c.stats();
    return { rows, searches, stats };
  } finally {
    await c.close();
  }
}

function summary(run: { stdout: string }): Record<string, unknown> {
  const { seconds: _s, docs_per_second: _d, index: _i, ...rest } = JSON.parse(run.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
  return rest;
}

describe('parallel ingest', () => {
  it('builds the same collection with 0, 1 and 3 workers', async () => {
    const folder = join(dir, 'corpus');
    writeCorpus(folder);
    const results = [];
    for (const workers of ['0', '1', '3']) {
      const index = join(dir, `index-${workers}`);
      // a first commit, so the second run meets stored documents (unchanged, replaced, near-duplicates of stored chunks)
      const seed = [
        { id: 'r5', title: 'Record 5', text: 'an older version of record five' },
        { id: 'r6', title: 'Record 6', text: `${sentence(6, 40)} ${sentence(7, 40)}` }, // unchanged in the second run
      ];
      writeFileSync(join(dir, 'seed.jsonl'), `${seed.map((r) => JSON.stringify(r)).join('\n')}\n`);
      expect(ralm(['index', join(dir, 'seed.jsonl'), '--index', index, '--json', '--workers', workers], { cwd: dir }).code).toBe(0);
      const run = ralm(['index', folder, '--index', index, '--json', '--workers', workers], { cwd: dir });
      expect(run.code).toBe(1); // the binary .txt and the bad JSON line are problems
      expect(run.stderr).toContain('binary file with a text extension');
      expect(run.stderr).toContain('bad.jsonl:2');
      expect((await verifyCollection(index)).problems).toEqual([]);
      const report = summary(run);
      // the workers did part of the work (the main thread does the rest while it would otherwise wait)
      if (workers === '0') expect(report.worker_tasks).toBe(0);
      else expect(report.worker_tasks).toBeGreaterThan(0);
      delete report.worker_tasks;
      results.push({ summary: report, collection: await describeCollection(index) });
    }
    expect(results[0]!.summary).toMatchObject({ unchanged: 1, updated: 1 });
    expect((results[0]!.summary as { read: number }).read).toBeGreaterThan(1400);
    const rows = (results[0]!.collection as { rows: Array<{ duplicate_of: number | null }> }).rows;
    expect(rows.filter((r) => r.duplicate_of !== null).length).toBeGreaterThan(3);
    expect(results[1]).toEqual(results[0]);
    expect(results[2]).toEqual(results[0]);
  });
});
