/**
 * The learned sentence scorer of the extractive generator: a log-linear model over the sentence features (see
 * {@link sentenceFeatureNames}), one weight vector per language. The score of a sentence is `bias + Σ weight · feature`;
 * within one question the scores are the logits of a softmax over all candidate sentences of all retrieved passages
 * (a conditional logit: p(sentence | question) ∝ exp(score)), so the passage's retrieval weight and the sentence's own
 * evidence are weighed jointly, as in RAG-Sequence's p(passage) · p(sentence | passage).
 *
 * The default weights ({@link extractiveModelDefaults}) were fitted by `npx vite-node bench/answers.ts --fit`: gradient
 * descent on the softmax cross-entropy (target: the sentences that contain a gold answer), L2-regularised, on the
 * fixed-seed 20 % tuning split of SQuAD v1.1 dev (English) and CMRC 2018 dev (Chinese) questions, with BM25 top-3
 * paragraphs weighed at temperature 4 (sentence BM25 k1 0.6, b 0.2). The bench prints the fitted weights in this file's format.
 */

/**
 * Names of the sentence features, in a fixed order. All are computed per question over the candidate sentences of the
 * retrieved passages (see the extractive generator's module comment).
 *
 * @example
 * ```ts
 * sentenceFeatureNames.includes('bm25'); // true
 * ```
 */
export const sentenceFeatureNames = [
  /** Sentence BM25 divided by the best sentence's. */
  'bm25',
  /** Passage weight divided by the best passage's. */
  'passageWeight',
  /** Distinct matched question terms / length of the smallest window holding them. */
  'proximity',
  /** 1 when the sentence holds a token of the kind the question asks for (number, date, name) that the question lacks. */
  'answerType',
  /** Share of the question's adjacent term pairs found adjacently in the sentence. */
  'bigrams',
  /** Normalised BM25 of the previous sentence of the same passage. */
  'context',
  /** 1 / (1 + position of the sentence in its passage). */
  'lead',
  /** 0 when at most half the sentence's terms are question terms, 1 when all are. */
  'restatement',
  /** Normalised BM25 of the next sentence of the same passage. */
  'next',
  /** IDF-weighted share of the question's distinct terms that the sentence holds. */
  'coverage',
  /** Matched question terms that occur in at most two candidate sentences (capped at 3, divided by 3). */
  'rareMatches',
  /** 1 / (1 + rank of the passage by weight). */
  'passageRank',
  /** ln(passage weight / best passage weight), floored at −10. */
  'logWeight',
  /** 1 when the sentence has the best BM25 of its passage. */
  'bestInPassage',
  /** Sentence BM25 divided by the best BM25 in its passage. */
  'passageRelative',
  /** ln(1 + number of terms) / 5. */
  'length',
  /** Share of the sentence's terms that are not question terms. */
  'novelty',
  /** Answer-type cue for date questions (when, what year …; 何时, 哪一年 …). */
  'dateCue',
  /** Answer-type cue for number questions (how many, how much …; 多少, 几 …). */
  'numberCue',
  /** Answer-type cue for who/whom/whose questions: a capitalised word not in the question. */
  'personCue',
  /** Answer-type cue for where questions: a capitalised word not in the question. */
  'placeCue',
  /** Capitalised words (not sentence-initial) that the question lacks, capped at 4, divided by 4. */
  'names',
  /** `answerType · bm25`: the cue counts more in a sentence that matches the question. */
  'cueMatch',
  /** Best sentence BM25 of the sentence's passage divided by the best overall. */
  'passageBest',
  /** IDF-weighted share of the question's distinct terms that the sentence's passage holds. */
  'passageCoverage',
  /** 1 when the sentence opens with a pronoun or demonstrative (it, he, they, this …; 他, 它, 这 …). */
  'pronoun',
  /** `pronoun · context`: a pronoun sentence after a sentence that matches the question. */
  'pronounContext',
  /** Share of the question's lower-cased word bigrams (stop words included) found in the sentence. */
  'wordBigrams',
] as const;

/**
 * One sentence feature name.
 *
 * @example
 * ```ts
 * const name: SentenceFeatureName = 'coverage';
 * ```
 */
export type SentenceFeatureName = (typeof sentenceFeatureNames)[number];

/**
 * Weights of the learned scorer for one language: `score = bias + Σ weights[name] · feature[name]` (missing names
 * weigh 0).
 *
 * @example
 * ```ts
 * const weights: SentenceModelWeights = { bias: 0, weights: { bm25: 3, passageWeight: 1 } };
 * ```
 */
export interface SentenceModelWeights {
  bias: number;
  weights: Partial<Record<SentenceFeatureName, number>>;
}

/**
 * The learned scorer: weights per language.
 *
 * @example
 * ```ts
 * const model: ExtractiveModel = { en: extractiveModelDefaults.en, zh: { bias: 0, weights: { bm25: 1 } } };
 * ```
 */
export interface ExtractiveModel {
  en: SentenceModelWeights;
  zh: SentenceModelWeights;
}

/**
 * The fitted default weights (see the module comment; bench/results/answers.md has the fit and its numbers).
 *
 * @example
 * ```ts
 * extractiveModelDefaults.en.weights.bm25; // the weight of normalised sentence BM25 in English
 * ```
 */
export const extractiveModelDefaults: ExtractiveModel = {
  en: {
    bias: -1.3933,
    weights: {
      bm25: 0.8934,
      passageWeight: 3.4214,
      proximity: 0.4885,
      answerType: 0.8113,
      bigrams: 1.0125,
      context: 1.0176,
      lead: 0.4509,
      restatement: -0.4811,
      next: -0.0346,
      coverage: 4.5846,
      rareMatches: 0.6855,
      passageRank: -0.0222,
      logWeight: 1.0661,
      bestInPassage: -0.0405,
      passageRelative: 1.3875,
      length: -1.748,
      novelty: -0.7765,
      dateCue: 1.7572,
      numberCue: 1.2579,
      personCue: 0.0233,
      placeCue: -0.0639,
      names: 0.0727,
      cueMatch: 0.2837,
      passageBest: 1.2413,
      passageCoverage: -5.5725,
      pronoun: 0.1749,
      pronounContext: 0.7672,
      wordBigrams: 2.3488,
    },
  },
  zh: {
    bias: -1.9022,
    weights: {
      bm25: 1.7501,
      passageWeight: 2.8334,
      proximity: -0.4103,
      answerType: 1.544,
      bigrams: -5.4541,
      context: 0.4932,
      lead: 0.5213,
      restatement: 1.7616,
      next: 0.1071,
      coverage: 6.8872,
      rareMatches: 0.918,
      passageRank: 0.7799,
      logWeight: 0.3034,
      bestInPassage: 0.4179,
      passageRelative: 2.1284,
      length: -3.8519,
      novelty: 2.4653,
      dateCue: 0,
      numberCue: 1.544,
      personCue: 0,
      placeCue: 0,
      names: 0,
      cueMatch: -0.2474,
      passageBest: -0.0429,
      passageCoverage: 0.4461,
      pronoun: 0.499,
      pronounContext: 1.4079,
      wordBigrams: 0.4317,
    },
  },
};

/**
 * The learned score of a feature vector.
 *
 * @example
 * ```ts
 * scoreFeatures({ bias: 0.5, weights: { bm25: 2 } }, { bm25: 0.5 }); // 1.5
 * ```
 */
export function scoreFeatures(model: SentenceModelWeights, features: Partial<Record<SentenceFeatureName, number>>): number {
  let score = model.bias;
  for (const name of sentenceFeatureNames) {
    const weight = model.weights[name];
    if (weight !== undefined && weight !== 0) score += weight * (features[name] ?? 0);
  }
  return score;
}
