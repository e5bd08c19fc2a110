import { describe, expect, it } from 'vitest';
import { DEFAULT_CHUNK_OPTIONS, chunkDocument, countTokens, type Section } from '../../src/ingest/chunk.js';
import { RalmError } from '../../src/core/errors.js';

const texts = (text: string, chunks: Array<{ start: number; end: number }>) => chunks.map((c) => text.slice(c.start, c.end));

describe('countTokens', () => {
  it('counts words for Latin text and characters for Han, Kana and Hangul', () => {
    expect(countTokens('The quick brown fox.')).toBe(4);
    expect(countTokens("Don't split U.S.A. or 3.14")).toBe(5);
    expect(countTokens('我们去公园')).toBe(5);
    expect(countTokens('カタカナ ひらがな 한국어')).toBe(11);
    expect(countTokens('BM25用于检索')).toBe(5);
    expect(countTokens('  \n ')).toBe(0);
  });
});

describe('chunkDocument', () => {
  it('keeps a text at or under the target as one chunk spanning the whole text', () => {
    const text = '  # Title\n\nA short note.\n\n';
    const sections = markdownLikeSections(text.trimStart()).map((s) => ({ ...s, start: s.start + 2, end: s.end + 2 }));
    expect(chunkDocument({ text, sections }, { targetTokens: 10 })).toEqual([{ ordinal: 0, start: 0, end: text.length, headingPath: ['Title'], tokens: 4 }]);
    expect(chunkDocument({ text: '' })).toEqual([{ ordinal: 0, start: 0, end: 0, headingPath: [], tokens: 0 }]);
  });

  it('starts a chunk at every heading, keeps heading paths, keeps code blocks whole and never makes heading-only chunks', () => {
    const text = [
      '# Guide',
      '',
      '## Install',
      '',
      'Run the installer. It takes a minute. Then restart the shell.',
      '',
      '```',
      'npm install ralm',
      'npx ralm index docs/',
      '```',
      '',
      '## Search',
      '',
      'Query the index with words. Results come back ranked by BM25.',
      '',
      '### Filters',
      '',
      'Filters restrict results by metadata.',
    ].join('\n');
    const chunks = chunkDocument({ text, sections: markdownLikeSections(text) }, { targetTokens: 16, overlapTokens: 0 });
    expect(texts(text, chunks)).toEqual([
      '# Guide\n\n## Install\n\nRun the installer. It takes a minute. Then restart the shell.',
      '```\nnpm install ralm\nnpx ralm index docs/\n```',
      '## Search\n\nQuery the index with words. Results come back ranked by BM25.',
      '### Filters\n\nFilters restrict results by metadata.',
    ]);
    expect(chunks.map((c) => c.headingPath)).toEqual([
      ['Guide', 'Install'],
      ['Guide', 'Install'],
      ['Guide', 'Search'],
      ['Guide', 'Search', 'Filters'],
    ]);
  });

  it('moves a paragraph that fits whole to the next chunk instead of splitting it', () => {
    const first = 'One two three four five six seven eight.';
    const second = 'Nine ten eleven. Twelve thirteen fourteen fifteen sixteen.';
    const text = `${first}\n\n${second}`;
    const chunks = chunkDocument({ text }, { targetTokens: 10, overlapTokens: 0 });
    expect(texts(text, chunks)).toEqual([first, second]);
  });

  it('splits long paragraphs at sentences, overlaps by whole sentences, and splits an over-long sentence at words', () => {
    const sentences = Array.from({ length: 6 }, (_, i) => `Sentence ${i} has exactly six words.`);
    const text = sentences.join(' ');
    const chunks = chunkDocument({ text }, { targetTokens: 14, overlapTokens: 6 });
    expect(texts(text, chunks)).toEqual([
      `${sentences[0]} ${sentences[1]}`,
      `${sentences[1]} ${sentences[2]}`,
      `${sentences[2]} ${sentences[3]}`,
      `${sentences[3]} ${sentences[4]}`,
      `${sentences[4]} ${sentences[5]}`,
    ]);
    const long = Array.from({ length: 30 }, (_, i) => `w${i}`).join(' ');
    const pieces = chunkDocument({ text: long }, { targetTokens: 10, overlapTokens: 0, maxTokens: 12 });
    expect(pieces.map((c) => c.tokens)).toEqual([10, 10, 10]);
    expect(texts(long, pieces).join(' ')).toBe(long);
  });

  it('splits Chinese at 。！？ and, inside an over-long sentence, at ；and …', () => {
    const text = '检索增强生成把检索和生成结合起来。它先找到相关的段落！然后再回答问题？最后给出引用。';
    const chunks = chunkDocument({ text }, { targetTokens: 20, overlapTokens: 0 });
    expect(texts(text, chunks)).toEqual(['检索增强生成把检索和生成结合起来。', '它先找到相关的段落！然后再回答问题？', '最后给出引用。']);
    const clauses = '第一部分说明了索引的结构；第二部分说明了查询的过程……第三部分说明了评测的方法。';
    const split = chunkDocument({ text: clauses }, { targetTokens: 14, overlapTokens: 0, maxTokens: 20 });
    expect(texts(clauses, split)).toEqual(['第一部分说明了索引的结构；', '第二部分说明了查询的过程……', '第三部分说明了评测的方法。']);
    // A sentence of Han characters with no punctuation at all is cut between characters.
    const run = '检'.repeat(50);
    expect(chunkDocument({ text: run }, { targetTokens: 20, overlapTokens: 0, maxTokens: 20 }).map((c) => c.tokens)).toEqual([20, 20, 10]);
  });

  it('never crosses a page boundary and reports the page', () => {
    const page1 = 'First page text. It is here.';
    const page2 = 'Second page text. More of it.';
    const text = `${page1}\n${page2}`;
    const sections: Section[] = [
      { kind: 'page', start: 0, end: page1.length + 1, page: 1 },
      { kind: 'page', start: page1.length + 1, end: text.length, page: 2 },
    ];
    const chunks = chunkDocument({ text, sections }, { targetTokens: 8, overlapTokens: 2 });
    expect(texts(text, chunks)).toEqual([page1, page2]);
    expect(chunks.map((c) => c.page)).toEqual([1, 2]);
  });

  it('uses measured defaults and validates options, naming the bad value', () => {
    expect(DEFAULT_CHUNK_OPTIONS).toEqual({ targetTokens: 256, overlapTokens: 38, maxTokens: 512 });
    expect(() => chunkDocument({ text: 'x' }, { targetTokens: 0 })).toThrow('targetTokens must be an integer ≥ 1, got 0');
    expect(() => chunkDocument({ text: 'x' }, { targetTokens: 10, overlapTokens: 10 })).toThrow('overlapTokens must be an integer in 0..9 (below targetTokens 10), got 10');
    expect(() => chunkDocument({ text: 'x' }, { targetTokens: 10, maxTokens: 5 })).toThrow('maxTokens must be an integer ≥ targetTokens (10), got 5');
    expect(() => chunkDocument({ text: 'abc', sections: [{ kind: 'page', start: 2, end: 9 }] })).toThrow(RalmError);
    expect(() => chunkDocument({ text: 'abc', sections: [{ kind: 'table' as 'page', start: 0, end: 1 }] })).toThrow(
      'sections[0].kind must be one of heading, page, paragraph, code, got "table"',
    );
  });
});


/** Heading and code sections of a Markdown-like text, shaped like the Markdown loader's. */
function markdownLikeSections(text: string): Section[] {
  const marks: Array<{ start: number; level: number; title: string; lineEnd: number }> = [];
  const sections: Section[] = [];
  let fenceStart = -1;
  let offset = 0;
  for (const line of text.split('\n')) {
    if (/^```/.test(line)) {
      if (fenceStart < 0) fenceStart = offset;
      else {
        sections.push({ kind: 'code', start: fenceStart, end: offset + line.length });
        fenceStart = -1;
      }
    } else if (fenceStart < 0) {
      const heading = /^(#{1,6}) (.*)$/.exec(line);
      if (heading) marks.push({ start: offset, level: heading[1]!.length, title: heading[2]!.trim(), lineEnd: offset + line.length });
    }
    offset += line.length + 1;
  }
  if (fenceStart >= 0) sections.push({ kind: 'code', start: fenceStart, end: text.length });
  marks.forEach((mark, i) => {
    let end = text.length;
    for (let j = i + 1; j < marks.length; j++) if (marks[j]!.level <= mark.level) { end = marks[j]!.start; break; }
    sections.push({ kind: 'heading', start: mark.start, end, level: mark.level, title: mark.title });
  });
  return sections.sort((a, b) => a.start - b.start || b.end - a.end);
}
