/** Smoke tests of the benchmark harness's own pieces (readers, metrics, query building); no engine is run. */
import { describe, expect, it } from 'vitest';
import { parseQrels, parseWordnetLine } from '../../bench/corpora.js';
import { meanNdcg, meanRecall, type Run } from '../../bench/metrics.js';
import { fts5OrQuery } from '../../bench/peers/sqlite-fts5.js';

describe('bench corpora readers', () => {
  it('reads BEIR qrels with a header and CRLF line endings', () => {
    const qrels = parseQrels('query-id\tcorpus-id\tscore\r\n1\td1\t1\r\n1\td2\t2\r\n3\td9\t1\r\n');
    expect([...qrels.keys()]).toEqual(['1', '3']);
    expect(qrels.get('1')?.get('d2')).toBe(2);
  });

  it('turns a WordNet data line into a document and skips the licence header', () => {
    const line =
      '00001740 03 n 02 entity 0 thing(a) 1 003 ~ 00001930 n 0000 ~ 00002137 n 0000 ~ 04431553 n 0000 | that which is perceived or known  ';
    expect(parseWordnetLine('n', line)).toEqual({ id: 'n00001740', title: 'entity, thing', text: 'that which is perceived or known' });
    expect(parseWordnetLine('n', '  1 This software and database is being provided')).toBeUndefined();
    expect(parseWordnetLine('v', '01234567 29 v 01 take_off 0 000 | leave')?.title).toBe('take off');
  });
});

describe('bench metrics', () => {
  const qrels = new Map([
    ['q1', new Map([['a', 1], ['b', 1]])],
    ['q2', new Map([['c', 2]])],
  ]);

  it('computes nDCG@10 as trec_eval does (linear gain, log2 discount, missing queries score 0)', () => {
    const run: Run = new Map([['q1', [{ docId: 'x', score: 3 }, { docId: 'a', score: 2 }, { docId: 'b', score: 1 }]]]);
    const dcg = 1 / Math.log2(3) + 1 / Math.log2(4);
    const idcg = 1 + 1 / Math.log2(3);
    expect(meanNdcg(qrels, run, 10)).toBeCloseTo(dcg / idcg / 2, 12);
  });

  it('breaks score ties by descending document id', () => {
    const one = new Map([['q', new Map([['a', 1]])]]);
    const tied: Run = new Map([['q', [{ docId: 'a', score: 1 }, { docId: 'b', score: 1 }]]]);
    expect(meanNdcg(one, tied, 1)).toBe(0);
  });

  it('computes recall@k', () => {
    const run: Run = new Map([
      ['q1', [{ docId: 'a', score: 1 }]],
      ['q2', [{ docId: 'c', score: 1 }]],
    ]);
    expect(meanRecall(qrels, run, 100)).toBeCloseTo(0.75, 12);
  });
});

describe('SQLite FTS5 query', () => {
  it('ORs the quoted terms and escapes double quotes', () => {
    expect(fts5OrQuery(['cell', 'a"b'])).toBe('"cell" OR "a""b"');
  });
});
