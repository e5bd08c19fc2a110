import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { getAnalyzer } from '../../src/analysis/index.js';
import { RalmError } from '../../src/core/errors.js';
import { loadSquad } from '../../src/eval/index.js';
import { checkCitations, parseCitations, stripCitations } from '../../src/generate/citations.js';
import { weighPassages, type WeightedPassage } from '../../src/generate/evidence.js';
import {
  citeSentence,
  createExtractiveGenerator,
  type ExtractiveAnswer,
  type ExtractiveStreamEvent,
} from '../../src/generate/providers/extractive/index.js';
import { sharedPath } from '../helpers/shared.js';

const english = getAnalyzer('english');
const cjk = getAnalyzer('cjk');

const passages = weighPassages([
  { documentId: 'd1', score: 9.1, text: 'Paris is the capital of France. It lies on the Seine. The city has 2.1 million inhabitants.' },
  { documentId: 'd2', score: 4.2, text: 'Lyon is a large city in France. It is known for its food.' },
]);

/** Every sentence and citation is an exact substring of its passage; the answer cites only given keys. */
function expectGrounded(result: ExtractiveAnswer, given: readonly WeightedPassage[]): void {
  const byKey = new Map(given.map((p) => [p.key, p]));
  for (const sentence of result.sentences) {
    const passage = byKey.get(sentence.passageKey)!;
    expect(passage.text.slice(sentence.start, sentence.end)).toBe(sentence.text);
    expect(sentence.documentId).toBe(passage.documentId);
  }
  for (const citation of result.citations) {
    expect(byKey.get(citation.key)!.text.slice(citation.start, citation.end)).toBe(citation.text);
  }
  // Passages may themselves hold bracketed numbers ("[2002]" in a CMRC paragraph): those are the only "unknown" keys.
  const inSource = new Set(result.sentences.flatMap((s) => parseCitations(s.text).map((c) => c.key)));
  const check = checkCitations(result.text, given.map((p) => p.key));
  for (const key of check.unknown) expect(inSource.has(key)).toBe(true);
  if (!result.noAnswer) {
    const separator = result.language === 'zh' ? '' : ' ';
    // Every sentence carries its key: the text is exactly the cited sentences, stitched.
    expect(result.text).toBe(result.sentences.map((s) => citeSentence(s.text, s.passageKey, result.language)).join(separator));
    if (inSource.size === 0) {
      expect(parseCitations(result.text)).toHaveLength(result.sentences.length);
      expect(stripCitations(result.text)).toBe(result.sentences.map((s) => s.text).join(separator));
    }
  } else {
    expect(result.citations).toEqual([]);
  }
}

describe('extractive generator', () => {
  it('answers with the best sentence and its citation key', () => {
    const generator = createExtractiveGenerator({ analyzer: english, maxSentences: 1 });
    const result = generator.answer('What is the capital of France?', passages);
    expect(result.text).toBe('Paris is the capital of France [1].');
    expect(result.noAnswer).toBe(false);
    expect(result.citations).toEqual([{ key: '1', documentId: 'd1', start: 0, end: 31, text: 'Paris is the capital of France.' }]);
    expectGrounded(result, passages);
  });

  it('prefers a sentence with a number for "how many" questions', () => {
    const generator = createExtractiveGenerator({ analyzer: english, maxSentences: 1 });
    const result = generator.answer('How many inhabitants does Paris have?', passages);
    expect(result.sentences[0]!.text).toBe('The city has 2.1 million inhabitants.');
    expect(result.sentences[0]!.features.answerType).toBe(1);
  });

  it('gives at most maxSentences distinct sentences', () => {
    const generator = createExtractiveGenerator({ analyzer: english, maxSentences: 3 });
    const result = generator.answer('Which city in France is large?', passages, { maxSentences: 2 });
    expect(result.sentences.length).toBe(2);
    expect(new Set(result.sentences.map((s) => s.text)).size).toBe(2);
    expectGrounded(result, passages);
  });

  it('says there is no answer when no passage cleared the floor or no sentence matches', () => {
    const generator = createExtractiveGenerator({ analyzer: english });
    const none = generator.answer('What is the capital of France?', weighPassages([{ documentId: 'd', score: 1, text: 'x' }], { floor: 5 }));
    expect(none).toMatchObject({ noAnswer: true, sentences: [], citations: [], text: 'The collection does not contain an answer to this question.' });
    const unrelated = generator.answer('Who painted the Mona Lisa?', passages);
    expect(unrelated.noAnswer).toBe(true);
    expect(parseCitations(unrelated.text)).toEqual([]);
  });

  it('answers in Chinese with the marker before the full stop', () => {
    const generator = createExtractiveGenerator({ analyzer: cjk, maxSentences: 1 });
    const given = weighPassages([
      { documentId: 'z1', score: 8, text: '巴黎是法国的首都。巴黎位于塞纳河畔。' },
      { documentId: 'z2', score: 3, text: '里昂是法国的大城市。' },
    ]);
    const result = generator.answer('法国的首都是哪里？', given);
    expect(result.language).toBe('zh');
    expect(result.text).toBe('巴黎是法国的首都[1]。');
    expectGrounded(result, given);
    expect(createExtractiveGenerator({ analyzer: cjk }).answer('月球有多大？', given).text).toBe('资料库中没有找到这个问题的答案。');
  });

  it('streams the answer sentence by sentence, then finishes with the result', async () => {
    const generator = createExtractiveGenerator({ analyzer: english, maxSentences: 2 });
    const events: ExtractiveStreamEvent[] = [];
    for await (const event of generator.stream('Which city in France is large?', passages)) events.push(event);
    const finish = events.at(-1)!;
    expect(finish.type).toBe('finish');
    const deltas = events.filter((e): e is { type: 'text-delta'; text: string } => e.type === 'text-delta');
    expect(deltas).toHaveLength(2);
    if (finish.type === 'finish') expect(deltas.map((d) => d.text).join('')).toBe(finish.result.text);
  });

  it('places citation markers as documented', () => {
    expect(citeSentence('Paris is the capital of France.', '1', 'en')).toBe('Paris is the capital of France [1].');
    expect(citeSentence('He said "Stop!"', '2', 'en')).toBe('He said "Stop!" [2]');
    expect(citeSentence('巴黎是法国的首都。', '3', 'zh')).toBe('巴黎是法国的首都[3]。');
  });

  it('rejects bad options', () => {
    expect(() => createExtractiveGenerator({} as never)).toThrow(RalmError);
    expect(() => createExtractiveGenerator({ analyzer: english, maxSentences: 0 })).toThrow(/maxSentences must be a positive integer, got 0/);
    expect(() => createExtractiveGenerator({ analyzer: english, mmrLambda: 2 })).toThrow(/mmrLambda/);
    expect(() => createExtractiveGenerator({ analyzer: english, scoring: { b: 3 } })).toThrow(/scoring.b/);
  });

  it('property: citations are exact substrings of the cited passages (random questions and passages)', () => {
    const words = ['paris', 'France', 'capital', 'river', '1999', 'king', 'the', 'of', 'is', 'U.S.', 'Dr.', '3.14', '北京', '首都', '。', '!', '?', '.', '\n'];
    const text = fc.array(fc.constantFrom(...words), { minLength: 1, maxLength: 40 }).map((w) => w.join(' '));
    fc.assert(
      fc.property(
        text,
        fc.array(fc.record({ text, score: fc.double({ min: 0.01, max: 30, noNaN: true }) }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 1, max: 4 }),
        (question, raw, maxSentences) => {
          const given = weighPassages(raw.map((p, i) => ({ ...p, documentId: `d${i}` })));
          const result = createExtractiveGenerator({ analyzer: english, maxSentences }).answer(question, given);
          expect(result.sentences.length).toBeLessThanOrEqual(maxSentences);
          expectGrounded(result, given);
        },
      ),
      { seed: 42, numRuns: 300 },
    );
  });

  for (const [name, parts, analyzer, samples] of [
    ['SQuAD v1.1', ['data', 'squad-v1.1', 'dev-v1.1.json.gz'], english, 150],
    ['CMRC 2018', ['data', 'cmrc2018', 'cmrc2018_dev.json.gz'], cjk, 50],
  ] as const) {
    it(`citations are exact substrings on ${name} samples`, async () => {
      const file = sharedPath(...parts);
      if (!file) return;
      const squad = await loadSquad(file);
      const generator = createExtractiveGenerator({ analyzer, maxSentences: 3 });
      const ids = [...squad.queries.keys()];
      let answered = 0;
      for (let i = 0; i < ids.length; i += Math.floor(ids.length / samples)) {
        const own = [...squad.qrels.get(ids[i]!)!.keys()][0]!;
        const index = squad.documents.findIndex((d) => d.id === own);
        // The question's paragraph and its neighbours, with made-up scores.
        const given = weighPassages(
          squad.documents.slice(Math.max(0, index - 2), index + 3).map((d, j) => ({ documentId: d.id, text: d.text, score: 10 - j })),
        );
        const result = generator.answer(squad.queries.get(ids[i]!)!, given);
        expectGrounded(result, given);
        if (!result.noAnswer) answered++;
      }
      expect(answered).toBeGreaterThan(samples * 0.9);
    });
  }
});
