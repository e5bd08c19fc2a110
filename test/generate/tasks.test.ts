import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { getAnalyzer } from '../../src/analysis/index.js';
import {
  bioToSpans,
  charSpansToTokens,
  collectSources,
  describeValidationIssues,
  extractEntities,
  extractRelations,
  fillTemplate,
  matchLabel,
  parseJsonAnswer,
  scoreEntitySpans,
  selectCentralSentences,
  taskTemplates,
  voteLabels,
} from '../../src/generate/tasks/index.js';

const english = getAnalyzer('english');

describe('selectCentralSentences (LexRank + query relevance + MMR)', () => {
  const text =
    'BM25 ranks documents by term frequency and inverse document frequency. ' +
    'BM25 saturates term frequency so that repeated terms count less. ' +
    'BM25 ranks documents by term frequency and inverse document frequency too. ' +
    'Cats sleep most of the day. ' +
    'Dense retrieval embeds queries and documents as vectors.';

  it('prefers central sentences and skips near-duplicates; spans are exact', () => {
    const picked = selectCentralSentences([{ key: '1', text }], { analyzer: english, maxSentences: 2 });
    expect(picked).toHaveLength(2);
    for (const s of picked) expect(text.slice(s.start, s.end)).toBe(s.text);
    const texts = picked.map((s) => s.text);
    // the two near-identical sentences are never both chosen
    expect(texts.filter((t) => t.startsWith('BM25 ranks documents')).length).toBeLessThanOrEqual(1);
    expect(texts).not.toContain('Cats sleep most of the day.');
  });

  it('a query pulls in the relevant sentence', () => {
    const picked = selectCentralSentences([{ key: '1', text }], { analyzer: english, query: 'dense vectors embeddings', maxSentences: 1 });
    expect(picked[0]!.text).toContain('Dense retrieval');
    expect(picked[0]!.relevance).toBe(1);
  });

  it('works on Chinese passages and keeps document order', () => {
    const zh = '检索增强生成把检索到的段落交给语言模型。检索增强生成的答案要标注出处。猫喜欢睡觉。语言模型根据检索到的段落生成答案。';
    const picked = selectCentralSentences([{ key: '1', text: zh }], { analyzer: getAnalyzer('cjk'), maxSentences: 2, minTerms: 1 });
    expect(picked).toHaveLength(2);
    expect(picked[0]!.start).toBeLessThan(picked[1]!.start);
    for (const s of picked) expect(zh.slice(s.start, s.end)).toBe(s.text);
    expect(picked.map((s) => s.text)).not.toContain('猫喜欢睡觉。');
  });

  it('rejects bad options with a clear error', () => {
    expect(() => selectCentralSentences([{ key: '1', text }], { analyzer: english, maxSentences: 0 })).toThrow(/maxSentences/);
    expect(selectCentralSentences([], { analyzer: english })).toEqual([]);
  });
});

describe('voteLabels and matchLabel', () => {
  it('weights votes by score, ties by count then rank', () => {
    const vote = voteLabels([
      { key: '1', documentId: 'a', label: 'sports', score: 9 },
      { key: '2', documentId: 'b', label: 'politics', score: 5 },
      { key: '3', documentId: 'c', label: 'politics', score: 4.5 },
    ]);
    expect(vote.label).toBe('politics');
    expect(vote.votes[0]).toMatchObject({ label: 'politics', votes: 9.5, neighbours: 2 });
    expect(vote.votes.reduce((s, v) => s + v.share, 0)).toBeCloseTo(1);
    expect(voteLabels([{ key: '1', documentId: 'a', label: 'x', score: 1 }, { key: '2', documentId: 'b', label: 'y', score: 1 }]).label).toBe('x');
    expect(voteLabels([]).label).toBeUndefined();
    expect(voteLabels([{ key: '1', documentId: 'a', label: 'x', score: 1 }, { key: '2', documentId: 'b', label: 'y', score: 1 }, { key: '3', documentId: 'c', label: 'y', score: 1 }], { weighting: 'uniform' }).label).toBe('y');
  });

  it('finds the label in a model answer, or none', () => {
    const labels = ['sports', 'politics', 'Super_Bowl_50'];
    expect(matchLabel('sports', labels)).toBe('sports');
    expect(matchLabel('**Label: Sports** [1]\nBecause the text is about a match.', labels)).toBe('sports');
    expect(matchLabel('"politics."', labels)).toBe('politics');
    expect(matchLabel('Super Bowl 50', labels)).toBe('Super_Bowl_50');
    expect(matchLabel('sports - the passage [2] is about football', labels)).toBe('sports');
    expect(matchLabel('weather', labels)).toBeUndefined();
    expect(matchLabel('sportswear', labels)).toBeUndefined();
    expect(matchLabel('标签：体育', ['体育', '政治'])).toBe('体育');
  });
});

describe('parseJsonAnswer, describeValidationIssues, collectSources', () => {
  it('accepts bare JSON, a fenced block, and JSON inside prose', () => {
    expect(parseJsonAnswer('{"a": 1}')).toMatchObject({ ok: true, value: { a: 1 } });
    expect(parseJsonAnswer('Sure!\n```json\n{"a": [1, 2]}\n```\nDone.')).toMatchObject({ ok: true, value: { a: [1, 2] } });
    expect(parseJsonAnswer('Here: {"a": "}"} and more')).toMatchObject({ ok: true, value: { a: '}' } });
  });

  it('reports invalid JSON', () => {
    const parsed = parseJsonAnswer('{"a": [1, }');
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toMatch(/not valid JSON/);
    expect(parseJsonAnswer('').ok).toBe(false);
  });

  it('writes validation issues as path: message', () => {
    const schema = z.object({ entities: z.array(z.object({ text: z.string(), source: z.string() })) });
    const result = schema.safeParse({ entities: [{ text: 'Paris', source: 1 }] });
    expect(result.success).toBe(false);
    if (!result.success) expect(describeValidationIssues(result.error)).toEqual(['entities[0].source: Invalid input: expected string, received number']);
  });

  it('collects every source key', () => {
    expect(collectSources({ entities: [{ text: 'a', source: '1' }], relations: [{ head: 'a', source: 3 }, { source: '[4]' }] })).toEqual(['1', '3', '4']);
  });

  it('fills templates in one pass, in both languages', () => {
    expect(fillTemplate('{a} {b}', { a: '{b}', b: 'x' })).toBe('{b} x');
    for (const language of ['en', 'zh'] as const) {
      expect(fillTemplate(taskTemplates[language].classify, { labels: 'a, b', text: 'T' })).toContain('a, b');
      expect(taskTemplates[language].extract).toContain('{schema}');
    }
  });
});

describe('extractEntities and extractRelations (rule-based)', () => {
  it('finds names, dates, quantities, money, e-mail and URLs with exact spans', () => {
    const text = 'Dr. Marie Curie moved to Paris in 1891. She worked at the University of Paris. Apple Inc. raised $3.5 million, grew 15% and wrote to info@apple.com (see https://apple.com/news).';
    const entities = extractEntities(text);
    for (const e of entities) expect(text.slice(e.start, e.end)).toBe(e.text);
    const found = entities.map((e) => `${e.type}:${e.text}`);
    expect(found).toEqual(
      expect.arrayContaining([
        'PERSON:Marie Curie',
        'ENTITY:Paris',
        'DATE:1891',
        'ORGANIZATION:University of Paris',
        'ORGANIZATION:Apple Inc.',
        'MONEY:$3.5 million',
        'QUANTITY:15%',
        'EMAIL:info@apple.com',
        'URL:https://apple.com/news',
      ]),
    );
    expect(found).not.toContain('ENTITY:She');
  });

  it('finds copular and appositive relations', () => {
    const text = 'Sundar Pichai, the chief executive of Google, spoke on March 3, 2021. Python is a programming language. Paris is the capital of France.';
    const relations = extractRelations(text);
    expect(relations.map((r) => [r.head, r.relation, r.tail])).toEqual([
      ['Sundar Pichai', 'chief executive of', 'Google'],
      ['Python', 'is_a', 'programming language'],
      ['Paris', 'capital of', 'France'],
    ]);
    for (const r of relations) expect(text.slice(r.start, r.end).startsWith(r.head)).toBe(true);
  });

  it('finds Chinese entities by cues and Chinese relations', () => {
    const text = '北京大学位于北京市海淀区。蔡元培先生曾任校长。《红楼梦》是一部小说。2020年3月12日，阿里巴巴集团收入500亿元。';
    const entities = extractEntities(text);
    for (const e of entities) expect(text.slice(e.start, e.end)).toBe(e.text);
    expect(entities.map((e) => `${e.type}:${e.text}`)).toEqual(
      expect.arrayContaining(['ORGANIZATION:北京大学', 'LOCATION:北京市', 'PERSON:蔡元培', 'WORK:红楼梦', 'DATE:2020年3月12日', 'ORGANIZATION:阿里巴巴集团', 'MONEY:500亿元']),
    );
    expect(extractRelations(text, entities).map((r) => [r.head, r.relation, r.tail])).toEqual([
      ['北京大学', 'located_in', '北京市海淀区'],
      ['红楼梦', 'is_a', '小说'],
    ]);
  });
});

describe('entity-level NER scores', () => {
  it('reads BIO tags like conlleval', () => {
    expect(bioToSpans(['O', 'B-person', 'I-person', 'O', 'I-location', 'B-location', 'B-location'])).toEqual([
      { start: 1, end: 3, type: 'person' },
      { start: 4, end: 5, type: 'location' },
      { start: 5, end: 6, type: 'location' },
      { start: 6, end: 7, type: 'location' },
    ]);
  });

  it('scores exact spans, type-agnostic and typed', () => {
    const gold = [[{ start: 0, end: 2, type: 'person' }, { start: 5, end: 6, type: 'location' }], []];
    const predicted = [[{ start: 0, end: 2, type: 'location' }, { start: 3, end: 4, type: 'person' }], [{ start: 0, end: 1, type: 'person' }]];
    const untyped = scoreEntitySpans(gold, predicted).overall;
    expect(untyped).toMatchObject({ truePositives: 1, predicted: 3, gold: 2 });
    expect(untyped.precision).toBeCloseTo(1 / 3);
    expect(untyped.recall).toBeCloseTo(1 / 2);
    expect(untyped.f1).toBeCloseTo(0.4);
    const typed = scoreEntitySpans(gold, predicted, { typed: true });
    expect(typed.overall.truePositives).toBe(0);
    expect(typed.overall.f1).toBe(0);
    expect(typed.byType.person).toMatchObject({ gold: 1, predicted: 2, truePositives: 0 });
    expect(() => scoreEntitySpans(gold, [[]])).toThrow(/sentences/);
  });

  it('aligns character spans to tokens', () => {
    expect(charSpansToTokens([{ start: 6, end: 14, type: 'LOCATION' }, { start: 7, end: 9, type: 'X' }], [[0, 2], [3, 5], [6, 9], [10, 14], [15, 18]])).toEqual({
      spans: [{ start: 2, end: 4, type: 'LOCATION' }],
      unaligned: 1,
    });
  });
});
