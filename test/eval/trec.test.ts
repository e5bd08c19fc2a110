import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { RalmError } from '../../src/core/errors.js';
import { evaluate, sortHits, type Run } from '../../src/eval/metrics.js';
import { readQrels, readRun, writeRun } from '../../src/eval/trec.js';

const temporary = mkdtempSync(join(tmpdir(), 'ralm-eval-trec-'));
afterAll(() => rmSync(temporary, { recursive: true, force: true }));
let fileCount = 0;
const nextPath = (suffix = '.trec'): string => join(temporary, `file-${fileCount++}${suffix}`);

async function rejection(promise: Promise<unknown>): Promise<RalmError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof RalmError) return error;
    throw error;
  }
  throw new Error('expected a RalmError');
}

describe('writeRun', () => {
  it('writes qid Q0 docid rank score tag in trec_eval order, ranks from 1', async () => {
    const path = nextPath();
    const run: Run = new Map([
      ['q2', [{ docId: 'a', score: 1 }, { docId: 'c', score: 2.5 }, { docId: 'b', score: 1 }]],
      ['q1', [{ docId: 'x', score: -0.125 }]],
    ]);
    await writeRun(path, run, { tag: 'bm25' });
    // q2: c (2.5) first, then the tie a/b broken by docid descending: b, a. Queries keep the run's order.
    expect(readFileSync(path, 'utf8')).toBe('q2 Q0 c 1 2.5 bm25\nq2 Q0 b 2 1 bm25\nq2 Q0 a 3 1 bm25\nq1 Q0 x 1 -0.125 bm25\n');
  });

  it('gzip-compresses a .gz path', async () => {
    const path = nextPath('.trec.gz');
    await writeRun(path, new Map([['q', [{ docId: 'd', score: 3 }]]]), { tag: 't' });
    expect(gunzipSync(readFileSync(path)).toString('utf8')).toBe('q Q0 d 1 3 t\n');
    expect(await readRun(path)).toEqual(new Map([['q', [{ docId: 'd', score: 3 }]]]));
  });

  it('rejects whitespace in ids or tag, NaN scores and duplicates, leaving no file behind', async () => {
    const bad: Array<[Run, string]> = [
      [new Map([['q', [{ docId: 'd', score: 1 }]]]), 'two words'],
      [new Map([['q', [{ docId: 'd e', score: 1 }]]]), 'tag'],
      [new Map([['q 1', [{ docId: 'd', score: 1 }]]]), 'tag'],
      [new Map([['q', [{ docId: 'd', score: Number.NaN }]]]), 'tag'],
      [new Map([['q', [{ docId: 'd', score: 1 }, { docId: 'd', score: 2 }]]]), 'tag'],
    ];
    for (const [run, tag] of bad) {
      const path = nextPath();
      const error = await rejection(writeRun(path, run, { tag }));
      expect(error.code).toBe('INVALID_ARGUMENT');
      expect(existsSync(path)).toBe(false);
    }
  });

  it('round-trips any run: readRun(writeRun(run)) has the same hits and the same metrics', async () => {
    const hitsArbitrary = fc.uniqueArray(
      fc.record({
        docId: fc.stringMatching(/^[A-Za-z0-9_.:-]{1,8}$/),
        score: fc.double({ noNaN: true, noDefaultInfinity: true }).map((score) => (Object.is(score, -0) ? 0 : score)),
      }),
      { selector: (hit) => hit.docId, maxLength: 8 },
    );
    const runArbitrary = fc
      .uniqueArray(fc.tuple(fc.stringMatching(/^[A-Za-z0-9_-]{1,6}$/), hitsArbitrary), { selector: (entry) => entry[0], maxLength: 5 })
      .map((entries) => new Map(entries.filter(([, hits]) => hits.length > 0)) as Run);
    await fc.assert(
      fc.asyncProperty(runArbitrary, async (run) => {
        const path = nextPath();
        await writeRun(path, run, { tag: 'roundtrip' });
        const back = await readRun(path);
        expect([...back.keys()]).toEqual([...run.keys()]);
        for (const [queryId, hits] of run) expect(back.get(queryId)).toEqual(sortHits(hits));
        const qrels = new Map([...run].map(([queryId, hits]) => [queryId, new Map(hits.map((hit, index) => [hit.docId, index % 3]))]));
        const measures = ['ndcg@3', 'map@5', 'recall@2', 'p@4', 'mrr@10'];
        expect(evaluate(qrels, back, measures)).toEqual(evaluate(qrels, run, measures));
      }),
      { numRuns: 40 },
    );
  });
});

describe('readRun', () => {
  it('reads whitespace-separated lines, keeps file order and ignores the rank column', () => {
    const path = nextPath();
    writeFileSync(path, 'q1 Q0 d1 5 1.5 tag\r\n\nq1\tQ0\td2\t1\t2e1\ttag\nq2 Q0 d1 1 -3 tag\n');
    return expect(readRun(path)).resolves.toEqual(
      new Map([
        ['q1', [{ docId: 'd1', score: 1.5 }, { docId: 'd2', score: 20 }]],
        ['q2', [{ docId: 'd1', score: -3 }]],
      ]),
    );
  });

  it('throws PARSE with file and line for malformed lines, bad scores and duplicate documents', async () => {
    const cases: Array<[string, number, string]> = [
      ['q1 Q0 d1 1 1.0 t\nq1 Q0 d2 2 0.5\n', 2, '6 fields'],
      ['q1 Q0 d1 1 high t\n', 1, 'not a number'],
      ['q1 Q0 d1 1 1 t\nq2 Q0 d1 1 1 t\nq1 Q0 d1 2 0.5 t\n', 3, 'twice'],
    ];
    for (const [content, line, text] of cases) {
      const path = nextPath();
      writeFileSync(path, content);
      const error = await rejection(readRun(path));
      expect(error.code).toBe('PARSE');
      expect(error.file).toBe(path);
      expect(error.line).toBe(line);
      expect(error.message).toContain(text);
    }
  });
});

describe('readQrels', () => {
  it('reads TREC qrels "qid iteration docid rel"', async () => {
    const path = nextPath('.qrels');
    writeFileSync(path, '301 0 FBIS3-10082 1\r\n301 0 FBIS3-10169 0\n302 1 FT921-1150 2\n303 0 D -1\n');
    expect(await readQrels(path)).toEqual(
      new Map([
        ['301', new Map([['FBIS3-10082', 1], ['FBIS3-10169', 0]])],
        ['302', new Map([['FT921-1150', 2]])],
        ['303', new Map([['D', -1]])],
      ]),
    );
  });

  it('throws PARSE with file and line for malformed lines and repeated pairs', async () => {
    const cases: Array<[string, number]> = [
      ['301 0 d1 1\n301 0 d2\n', 2],
      ['301 0 d1 yes\n', 1],
      ['301 0 d1 1\n301 0 d1 1\n', 2],
    ];
    for (const [content, line] of cases) {
      const path = nextPath('.qrels');
      writeFileSync(path, content);
      const error = await rejection(readQrels(path));
      expect(error.code).toBe('PARSE');
      expect(error.line).toBe(line);
    }
  });
});
