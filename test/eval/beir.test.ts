import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { RalmError } from '../../src/core/errors.js';
import { loadBeir, readBeirQrels, type BeirDocument } from '../../src/eval/beir.js';
import { openTextLines, readJsonl } from '../../src/core/lines.js';
import { sharedPath } from '../helpers/shared.js';

const temporary = mkdtempSync(join(tmpdir(), 'ralm-eval-beir-'));
afterAll(() => rmSync(temporary, { recursive: true, force: true }));

let folderCount = 0;
/** Creates a temporary BEIR folder from a map of relative path → content (a `.gz` path is gzip-compressed). */
function makeFolder(files: Record<string, string>): string {
  const folder = join(temporary, `dataset-${folderCount++}`);
  for (const [relative, content] of Object.entries(files)) {
    const path = join(folder, relative);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, relative.endsWith('.gz') ? gzipSync(Buffer.from(content)) : content);
  }
  return folder;
}

async function collect(corpus: AsyncIterable<BeirDocument> | null): Promise<BeirDocument[]> {
  const documents: BeirDocument[] = [];
  if (corpus) for await (const document of corpus) documents.push(document);
  return documents;
}

async function rejection(promise: Promise<unknown>): Promise<RalmError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof RalmError) return error;
    throw error;
  }
  throw new Error('expected a RalmError');
}

function judgmentCount(qrels: Map<string, Map<string, number>>): number {
  let count = 0;
  for (const judgments of qrels.values()) count += judgments.size;
  return count;
}

describe('loadBeir on the shared datasets', () => {
  const scifact = sharedPath('data', 'beir', 'scifact');
  const nfcorpus = sharedPath('data', 'beir', 'nfcorpus');
  const fiqa = sharedPath('data', 'beir', 'fiqa');

  it.skipIf(!scifact)('loads SciFact test: 300 queries, 339 judgments, 5,183 streamed documents', async () => {
    const dataset = await loadBeir(scifact!);
    expect(dataset.split).toBe('test');
    expect(dataset.splits).toEqual(['test', 'train']);
    expect(dataset.queries.size).toBe(300);
    expect(dataset.qrels.size).toBe(300);
    expect(judgmentCount(dataset.qrels)).toBe(339);
    expect(dataset.queriesWithoutText).toEqual([]);
    // First line of qrels/test.tsv after the header: "1\t31715818\t1\r\n".
    expect(dataset.qrels.get('1')?.get('31715818')).toBe(1);
    const documents = await collect(dataset.corpus);
    expect(documents.length).toBe(5183);
    expect(new Set(documents.map((document) => document.id)).size).toBe(5183);
    expect(documents[0].id).toBe('4983');
    expect(documents[0].title).toMatch(/^Microstructural development of human newborn cerebral white matter/);
    expect(documents[0].metadata).toEqual({});
    // The corpus can be iterated again.
    let again = 0;
    for await (const _document of dataset.corpus!) if (++again >= 3) break;
    expect(again).toBe(3);
  });

  it.skipIf(!scifact)('loads the SciFact train split', async () => {
    const dataset = await loadBeir(scifact!, { split: 'train' });
    expect(dataset.queries.size).toBe(809);
    expect(judgmentCount(dataset.qrels)).toBe(919);
  });

  it.skipIf(!nfcorpus)('loads NFCorpus (queries and graded qrels, no corpus)', async () => {
    const dataset = await loadBeir(nfcorpus!);
    expect(dataset.corpus).toBeNull();
    expect(dataset.corpusPath).toBeNull();
    expect(dataset.splits).toEqual(['dev', 'test', 'train']);
    expect(dataset.queries.size).toBe(323); // of the 3,237 queries in queries.jsonl, those judged in test
    expect(judgmentCount(dataset.qrels)).toBe(12334);
    const grades = new Set<number>();
    for (const judgments of dataset.qrels.values()) for (const grade of judgments.values()) grades.add(grade);
    expect([...grades].sort()).toEqual([1, 2]);
  });

  it.skipIf(!fiqa)('loads FiQA test, and reports train queries whose texts are not staged', async () => {
    const test = await loadBeir(fiqa!);
    expect(test.corpus).toBeNull();
    expect(test.queries.size).toBe(648);
    expect(judgmentCount(test.qrels)).toBe(1706);
    const train = await loadBeir(fiqa!, { split: 'train' });
    expect(train.qrels.size).toBe(5500);
    expect(train.queries.size + train.queriesWithoutText.length).toBe(5500);
  });

  it.skipIf(!scifact)('names the missing split and lists the splits that exist', async () => {
    const error = await rejection(loadBeir(scifact!, { split: 'dev' }));
    expect(error.code).toBe('NOT_FOUND');
    expect(error.message).toContain('dev.tsv');
    expect(error.message).toContain('splits available: test, train');
  });
});

describe('loadBeir on small folders', () => {
  it('reads gzip files, CRLF line endings and qrels without a header', async () => {
    const folder = makeFolder({
      'corpus.jsonl.gz': '{"_id": "d1", "title": "T1", "text": "one", "metadata": {"year": 2020}}\r\n\r\n{"_id": "d2", "text": "two"}\r\n',
      'queries.jsonl': '{"_id": "q1", "text": "first"}\r\n{"_id": "q2", "text": "second"}\r\n{"_id": "q9", "text": "not judged"}\n',
      'qrels/test.tsv.gz': 'q1\td1\t1\r\nq1\td2\t0\r\nq2\td2\t2\r\n',
    });
    const dataset = await loadBeir(folder);
    expect([...dataset.queries]).toEqual([['q1', 'first'], ['q2', 'second']]);
    expect(dataset.qrels).toEqual(new Map([['q1', new Map([['d1', 1], ['d2', 0]])], ['q2', new Map([['d2', 2]])]]));
    expect(await collect(dataset.corpus)).toEqual([
      { id: 'd1', title: 'T1', text: 'one', metadata: { year: 2020 } },
      { id: 'd2', title: '', text: 'two', metadata: {} },
    ]);
  });

  it('reads qrels with the BEIR header', async () => {
    const folder = makeFolder({ 'queries.jsonl': '{"_id":"1","text":"x"}\n', 'qrels/dev.tsv': 'query-id\tcorpus-id\tscore\n1\t7\t1\n' });
    const dataset = await loadBeir(folder, { split: 'dev' });
    expect(dataset.qrels).toEqual(new Map([['1', new Map([['7', 1]])]]));
    expect(dataset.corpus).toBeNull();
  });

  it('throws NOT_FOUND for a missing folder and for a folder without qrels', async () => {
    const missing = await rejection(loadBeir(join(temporary, 'no-such-folder')));
    expect(missing.code).toBe('NOT_FOUND');
    expect(missing.message).toContain('no-such-folder');
    const empty = await rejection(loadBeir(makeFolder({ 'queries.jsonl': '' })));
    expect(empty.code).toBe('NOT_FOUND');
    expect(empty.message).toContain('test.tsv');
    expect(empty.message).toContain('no qrels');
  });

  it('throws PARSE with file and line for a malformed JSON line', async () => {
    const folder = makeFolder({
      'corpus.jsonl': '{"_id": "d1", "text": "ok"}\n\n{"_id": "d2", "text": broken}\n',
      'queries.jsonl': '{"_id": "q1", "text": "x"}\n',
      'qrels/test.tsv': 'q1\td1\t1\n',
    });
    const dataset = await loadBeir(folder);
    const error = await rejection(collect(dataset.corpus));
    expect(error.code).toBe('PARSE');
    expect(error.line).toBe(3);
    expect(error.file).toBe(join(folder, 'corpus.jsonl'));
    expect(error.message).toContain('corpus.jsonl:3');
  });

  it('throws PARSE for a corpus line without _id', async () => {
    const folder = makeFolder({
      'corpus.jsonl': '{"_id": "d1", "text": "ok"}\n{"title": "no id", "text": "x"}\n',
      'queries.jsonl': '{"_id": "q1", "text": "x"}\n',
      'qrels/test.tsv': 'q1\td1\t1\n',
    });
    const error = await rejection(collect((await loadBeir(folder)).corpus));
    expect(error.code).toBe('PARSE');
    expect(error.line).toBe(2);
    expect(error.message).toContain('_id');
  });

  it('throws PARSE with file and line for malformed or duplicate qrels lines', async () => {
    const cases: Array<[string, number]> = [
      ['query-id\tcorpus-id\tscore\nq1\td1\t1\nq1\td2\n', 3], // two fields
      ['q1\td1\t1\nq1\td2\thigh\n', 2], // non-integer score after the first line
      ['q1\td1\t1\nq1\td1\t2\n', 2], // the same pair twice
    ];
    for (const [content, line] of cases) {
      const folder = makeFolder({ 'queries.jsonl': '{"_id": "q1", "text": "x"}\n', 'qrels/test.tsv': content });
      const error = await rejection(loadBeir(folder));
      expect(error.code).toBe('PARSE');
      expect(error.line).toBe(line);
      expect(error.file).toBe(join(folder, 'qrels', 'test.tsv'));
    }
    const trec = await rejection(readBeirQrels(makeFolder({ 'q.tsv': 'q1 0 d1 1\n' }) + '/q.tsv'));
    expect(trec.message).toContain('readQrels');
  });
});

describe('readJsonl and openTextLines', () => {
  it('numbers lines from 1 (blank lines counted, not yielded) and strips a byte-order mark', async () => {
    const folder = makeFolder({ 'a.jsonl': '\uFEFF{"a":1}\n\n  \n[2]\r\n"three"' });
    const records = [];
    for await (const record of readJsonl(join(folder, 'a.jsonl'))) records.push(record);
    expect(records).toEqual([
      { line: 1, value: { a: 1 } },
      { line: 4, value: [2] },
      { line: 5, value: 'three' },
    ]);
  });

  it('reports a corrupt gzip file as an IO error naming it, and a missing file as NOT_FOUND', async () => {
    const folder = makeFolder({});
    mkdirSync(folder, { recursive: true });
    const corrupt = join(folder, 'bad.jsonl.gz');
    writeFileSync(corrupt, Buffer.concat([gzipSync(Buffer.from('{"a":1}\n'.repeat(1000))).subarray(0, 40), Buffer.from('garbage')]));
    const lines = async (path: string): Promise<number> => {
      let count = 0;
      for await (const _line of openTextLines(path)) count++;
      return count;
    };
    const error = await rejection(lines(corrupt));
    expect(error.code).toBe('IO');
    expect(error.file).toBe(corrupt);
    expect((await rejection(lines(join(folder, 'missing.jsonl')))).code).toBe('NOT_FOUND');
  });
});
