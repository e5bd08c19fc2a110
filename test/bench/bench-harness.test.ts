/** Smoke tests of the benchmark harness's own pieces (readers, metrics, query building); no engine is run. */
import { describe, expect, it } from 'vitest';
import { parseQrels, parseWordnetLine } from '../../bench/corpora.js';
import { meanNdcg, meanRecall, type Run } from '../../bench/metrics.js';
import { fts5OrQuery } from '../../bench/peers/sqlite-fts5.js';
import type { RunnerResult } from '../../bench/protocol.js';
import { median, renderReport, type Report } from '../../bench/report.js';

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

describe('bench report: index time over interleaved rounds', () => {
  const result = (engine: string, name: string, indexMs: number): RunnerResult => ({
    engine, corpus: 'scifact', name, version: '1', notes: [], analyzer: 'test', docs: 10, queries: 2, loadMs: 1, rssAfterLoadMB: 1,
    indexMs, rssAfterIndexMB: 1, warmupMs: 1, passesMs: [1], qps: 1000, maxRssMB: 1, emptyQueries: 0,
  });
  const report = (indexRounds?: Record<string, number[]>): Report => ({
    title: 't', date: 'd', durationS: 1, command: 'c', quick: false,
    machine: { cpu: 'x', cores: 2, memoryGiB: 1, os: 'y', node: 'v20', commit: 'abc' },
    corpora: [{ name: 'scifact', description: 'd', outcomes: [{ engine: 'ralm', result: result('ralm', 'ralm', 900) }, { engine: 'wink', result: result('wink', 'wink', 1500) }, { engine: 'minisearch', result: result('minisearch', 'MiniSearch', 2000) }], ...(indexRounds ? { indexRounds } : {}) }],
  });
  const targetLine = (md: string) => md.split('\n').find((l) => l.includes('index time ÷ fastest'))!;

  it('uses the full run alone when there are no rounds', () => {
    expect(targetLine(renderReport(report()))).toContain('0.600× (vs wink)');
  });

  it('uses the medians of the rounds, and the fastest peer by median', () => {
    // wink's median 1,800 ms, MiniSearch's 1,600 ms: MiniSearch is the fastest by median; ralm's median 800 ms
    const md = renderReport(report({ ralm: [900, 700, 800, 1000, 750], wink: [1500, 1800, 2000, 1700, 1900], minisearch: [2000, 1600, 1500, 1600, 1400] }));
    expect(median([900, 700, 800, 1000, 750])).toBe(800);
    expect(median([1, 2, 3, 4])).toBe(2.5);
    expect(targetLine(md)).toContain('0.500× (vs MiniSearch, medians of 5 interleaved runs)');
    expect(targetLine(md)).toContain('**yes**');
    expect(md).toContain('| wink-bm25-text-search | 1.50, 1.80, 2.00, 1.70, 1.90 | 1.80 | 0.44× |');
  });
});
