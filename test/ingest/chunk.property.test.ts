import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chunkDocument, countTokens, type Chunk, type ChunkOptions, type Section } from '../../src/ingest/chunk.js';

const piece = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom('alpha', 'beta', 'gamma', 'retrieval', 'chunk', 'a', 'I', 'x123', "don't", 'e.g.', '3.14', 'naïve', 'Straße').map((w) => `${w} `) },
  { weight: 5, arbitrary: fc.constantFrom('我', '们', '去', '公', '园', '天', '气', '很', '好', 'カタカナ', 'ひらがな', '한국어') },
  { weight: 4, arbitrary: fc.constantFrom('. ', '! ', '? ', ', ', '。', '！', '？', '；', '…', '——', ' ', '\t') },
  { weight: 2, arbitrary: fc.constantFrom('\n', '\n\n', '\n\n\n', '  \n \n') },
  { weight: 1, arbitrary: fc.constantFrom('\n\n# Title\n\n', '\n## Sub section\n', '\n### Deep\ntext ', '\n```\nconst x = 1;\nreturn x;\n```\n') },
  { weight: 1, arbitrary: fc.constantFrom('supercalifragilisticexpialidocious ', 'x'.repeat(300) + ' ', '\u3000', '\u00a0') },
);

const documentText = fc.array(piece, { maxLength: 300 }).map((parts) => parts.join(''));

const chunkOptions: fc.Arbitrary<Required<ChunkOptions>> = fc
  .record({ target: fc.integer({ min: 1, max: 60 }), overlapFraction: fc.double({ min: 0, max: 0.6, noNaN: true }), extra: fc.integer({ min: 0, max: 60 }) })
  .map(({ target, overlapFraction, extra }) => ({
    targetTokens: target,
    overlapTokens: Math.min(target - 1, Math.floor(target * overlapFraction)),
    maxTokens: target + extra,
  }));

/** Sections: Markdown-like headings/code, plus (sometimes) pages cut at random offsets. */
function withPages(text: string, cuts: number[], usePages: boolean): Section[] {
  const sections = markdownLikeSections(text);
  if (!usePages || text.length === 0) return sections;
  const starts = [...new Set([0, ...cuts.map((c) => c % text.length)])].sort((a, b) => a - b);
  starts.forEach((start, i) => sections.push({ kind: 'page', start, end: starts[i + 1] ?? text.length, page: i + 1 }));
  return sections;
}

function checkInvariants(text: string, sections: Section[], options: Required<ChunkOptions>, chunks: Chunk[]): void {
  expect(chunks.length).toBeGreaterThan(0);
  // Short texts: exactly one chunk spanning everything.
  if (countTokens(text) <= options.targetTokens) {
    expect(chunks).toHaveLength(1);
    expect([chunks[0]!.start, chunks[0]!.end]).toEqual([0, text.length]);
  }
  chunks.forEach((chunk, i) => {
    expect(chunk.ordinal).toBe(i);
    expect(chunk.start).toBeGreaterThanOrEqual(0);
    expect(chunk.end).toBeLessThanOrEqual(text.length);
    expect(chunk.start).toBeLessThanOrEqual(chunk.end);
    if (chunks.length > 1) expect(chunk.start).toBeLessThan(chunk.end);
    const slice = text.slice(chunk.start, chunk.end);
    expect(chunk.tokens).toBe(countTokens(slice));
    // No chunk above maxTokens unless its tokens all come from a single word (a word over 255 characters counts as
    // several tokens); punctuation that holds no token may ride along with it (" ." after the word, say).
    if (chunks.length > 1 && chunk.tokens > options.maxTokens) {
      const wordsWithTokens = slice.split(/\s+/).filter((word) => countTokens(word) > 0);
      expect(wordsWithTokens, `chunk of ${chunk.tokens} tokens: ${JSON.stringify(slice)}`).toHaveLength(1);
    }
    if (i > 0) {
      const previous = chunks[i - 1]!;
      expect(chunk.start).toBeGreaterThan(previous.start);
      expect(chunk.end).toBeGreaterThan(previous.end);
      // Overlap bounded by overlapTokens.
      if (chunk.start < previous.end) expect(countTokens(text.slice(chunk.start, previous.end))).toBeLessThanOrEqual(options.overlapTokens);
    }
  });
  // Coverage: every non-whitespace character lies in some chunk.
  const covered = new Uint8Array(text.length);
  for (const chunk of chunks) covered.fill(1, chunk.start, chunk.end);
  for (let p = 0; p < text.length; p++) if (!/\s/.test(text[p]!)) expect(covered[p], `offset ${p} (${JSON.stringify(text[p])})`).toBe(1);
  // Headings and pages: a chunk that contains a section start has only heading lines before it.
  if (chunks.length > 1) {
    const lines = headingLines(text, sections);
    const isHeadingOffset = (p: number) => lines.some(([s, e]) => s <= p && p < e);
    const hard = sections.filter((s) => s.kind === 'heading' || s.kind === 'page').map((s) => s.start);
    for (const chunk of chunks) {
      for (const h of hard) {
        if (h <= chunk.start || h >= chunk.end) continue;
        for (let p = chunk.start; p < h; p++) {
          if (!/\s/.test(text[p]!)) expect(isHeadingOffset(p), `chunk [${chunk.start}, ${chunk.end}) crosses the section start ${h}`).toBe(true);
        }
      }
    }
  }
}

describe('chunkDocument properties', () => {
  it('covers the text, orders chunks, bounds sizes and overlaps, respects sections (random Markdown-like text)', () => {
    fc.assert(
      fc.property(documentText, chunkOptions, fc.array(fc.nat(), { maxLength: 4 }), fc.boolean(), (text, options, cuts, usePages) => {
        const sections = withPages(text, cuts, usePages);
        checkInvariants(text, sections, options, chunkDocument({ text, sections }, options));
      }),
      {
        numRuns: Number(process.env.RALM_PROPERTY_RUNS ?? 250),
        // found by CI: a 300-character word (2 tokens) over maxTokens = 1, with the " ." after it in its chunk
        examples: [[`${'x'.repeat(300)} . alpha `, { targetTokens: 1, overlapTokens: 0, maxTokens: 1 }, [], false]],
      },
    );
  });

  it('holds without sections, on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), chunkOptions, (text, options) => {
        checkInvariants(text, [], options, chunkDocument({ text }, options));
      }),
      { numRuns: Number(process.env.RALM_PROPERTY_RUNS ?? 200) },
    );
  });

  it('is deterministic and ignores section order', () => {
    fc.assert(
      fc.property(documentText, chunkOptions, (text, options) => {
        const sections = markdownLikeSections(text);
        expect(chunkDocument({ text, sections: [...sections].reverse() }, options)).toEqual(chunkDocument({ text, sections }, options));
      }),
      { numRuns: 50 },
    );
  });
});

// ------------------------------------------------------------------------------------------------------------
// Markdown-like sections built by a tiny scanner (headings `#`, fences ```), shaped like the Markdown loader's.

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

/** Heading-line ranges [start, end of line) of the heading sections. */
function headingLines(text: string, sections: readonly Section[]): Array<[number, number]> {
  return sections
    .filter((s) => s.kind === 'heading')
    .map((s) => {
      const newline = text.indexOf('\n', s.start);
      return [s.start, newline === -1 ? text.length : newline] as [number, number];
    });
}
