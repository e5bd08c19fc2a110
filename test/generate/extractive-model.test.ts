import { describe, expect, it } from 'vitest';
import { getAnalyzer } from '../../src/analysis/index.js';
import { RalmError } from '../../src/core/errors.js';
import { weighPassages } from '../../src/generate/evidence.js';
import {
  createExtractiveGenerator,
  extractiveDefaults,
  extractiveModelDefaults,
  scoreFeatures,
  sentenceFeatureNames,
  zeroFeatures,
} from '../../src/generate/providers/extractive/index.js';

const english = getAnalyzer('english');

const passages = weighPassages([
  { documentId: 'd1', score: 9.1, text: 'Paris is the capital of France. It lies on the Seine. The city has 2.1 million inhabitants.' },
  { documentId: 'd2', score: 4.2, text: 'Lyon is a large city in France. It is known for its food.' },
]);

describe('extractive generator: learned scorer', () => {
  it('is the default, and its score is bias + Σ weight · feature of the language model', () => {
    expect(extractiveDefaults.scorer).toBe('learned');
    const generator = createExtractiveGenerator({ analyzer: english });
    const ranked = generator.explain('What is the capital of France?', passages);
    expect(ranked.length).toBeGreaterThan(0);
    for (const sentence of ranked) {
      expect(Object.keys(sentence.features).sort()).toEqual([...sentenceFeatureNames].sort());
      expect(sentence.score).toBeCloseTo(scoreFeatures(extractiveModelDefaults.en, sentence.features), 10);
    }
    for (let i = 1; i < ranked.length; i++) expect(ranked[i - 1]!.score).toBeGreaterThanOrEqual(ranked[i]!.score);
    // explain() lists what answer() chooses from: the one-sentence answer is the best explained sentence.
    expect(generator.answer('What is the capital of France?', passages, { maxSentences: 1 }).sentences[0]!.text).toBe(ranked[0]!.text);
  });

  it('follows the weights it is given', () => {
    const byLength = createExtractiveGenerator({ analyzer: english, model: { en: { bias: 0, weights: { length: 10, bm25: 0.01 } } } });
    const byLead = createExtractiveGenerator({ analyzer: english, model: { en: { bias: 0, weights: { lead: 10, bm25: 0.01 } } } });
    const question = 'Which city in France?';
    const ranked = byLength.explain(question, passages);
    expect(ranked[0]!.features.length).toBe(Math.max(...ranked.map((r) => r.features.length)));
    expect(byLead.explain(question, passages)[0]!.features.lead).toBe(1);
  });

  it('computes the documented features', () => {
    const generator = createExtractiveGenerator({ analyzer: english });
    const ranked = generator.explain('How many inhabitants does the city have?', passages);
    const city = ranked.find((s) => s.text.startsWith('The city has'))!;
    expect(city.features.numberCue).toBe(1);
    expect(city.features.dateCue).toBe(0);
    expect(city.features.cueMatch).toBeCloseTo(city.features.bm25, 12);
    expect(city.features.passageRank).toBe(1);
    expect(city.features.lead).toBeCloseTo(1 / 3, 12);
    const lyon = generator.explain('Is Lyon known for its food?', passages).find((s) => s.text.startsWith('It is known'))!;
    expect(lyon.features.pronoun).toBe(1);
    expect(lyon.features.passageRank).toBe(0.5);
    expect(lyon.features.coverage).toBeGreaterThan(0);
    expect(lyon.features.coverage).toBeLessThanOrEqual(1);
  });

  it('keeps the linear scorer: bm25 + Σ coefficient · feature', () => {
    const generator = createExtractiveGenerator({ analyzer: english, scorer: 'linear' });
    const s = extractiveDefaults.scoring;
    for (const sentence of generator.explain('What is the capital of France?', passages)) {
      const f = sentence.features;
      const expected = f.bm25 + s.passageWeight * f.passageWeight + s.proximity * f.proximity + s.answerType * f.answerType +
        s.bigrams * f.bigrams + s.context * f.context + s.lead * f.lead - s.restatement * f.restatement;
      expect(sentence.score).toBeCloseTo(expected, 10);
    }
  });

  it('explains nothing when there is no answer', () => {
    const generator = createExtractiveGenerator({ analyzer: english });
    expect(generator.explain('Who painted the Mona Lisa?', passages)).toEqual([]);
    expect(generator.explain('What is the capital of France?', [])).toEqual([]);
  });

  it('rejects bad scorers and models', () => {
    expect(() => createExtractiveGenerator({ analyzer: english, scorer: 'neural' as never })).toThrow(/scorer must be "learned" or "linear"/);
    expect(() => createExtractiveGenerator({ analyzer: english, model: { en: { bias: 0, weights: { nope: 1 } as never } } })).toThrow(/not a sentence feature/);
    expect(() => createExtractiveGenerator({ analyzer: english, model: { zh: { bias: Number.NaN, weights: {} } } })).toThrow(RalmError);
    expect(() => createExtractiveGenerator({ analyzer: english, model: { en: { bias: 0, weights: { bm25: Infinity } } } })).toThrow(/finite/);
    expect(zeroFeatures.bm25).toBe(0);
  });
});
