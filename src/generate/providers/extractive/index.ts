/**
 * The extractive generator: the embedded default that answers without a language model by choosing sentences of the
 * retrieved passages and citing each one.
 *
 * How an answer is made:
 * 1. Every passage is split into sentences ({@link splitSentences}); each sentence is a mini-document.
 * 2. Each sentence gets features ({@link sentenceFeatureNames}): BM25 computed over the retrieved passages' sentences
 *    (Lucene 9's formula — idf = ln(1 + (N − n + 0.5)/(n + 0.5)), tf part = f / (f + k1·(1 − b + b·dl/avgdl)), query
 *    terms boosted by their count — with exact sentence lengths instead of Lucene's one-byte norms) divided by the
 *    best sentence's BM25; the passage's evidence weight, rank and coverage of the question; IDF-weighted coverage,
 *    rare-term matches, proximity, term and word bigrams; answer-type cues (numbers/dates for "how many/when/what
 *    year" and 多少/几/何时…, capitalised names for "who/where"); position, length, novelty, restatement; the
 *    neighbouring sentences' BM25 and pronoun openings (coreference).
 *    The default `learned` scorer weighs them with a log-linear model fitted on the tuning split of SQuAD and CMRC
 *    ({@link extractiveModelDefaults}): the scores are the logits of p(sentence | question) over all sentences of all
 *    passages, so passage and sentence evidence are weighed jointly. The `linear` scorer is the earlier hand-set
 *    combination (`scoring`).
 * 3. Sentences are picked greedily by maximal marginal relevance (MMR, term-set Jaccard similarity) up to
 *    `maxSentences`, ordered (by score, or by passage weight then position), and stitched into the answer with the
 *    passage's citation key in every sentence: `Paris is the capital of France [1].`, `巴黎是法国的首都[1]。`.
 *
 * Every sentence and citation is an exact substring of its passage (`passage.text.slice(start, end)`), so citation
 * precision is 1 by construction. When no passage is given (none cleared the relevance floor of
 * {@link weighPassages}) or no sentence shares a term with the question, the answer is `noAnswer: true` with a text
 * saying that the collection does not contain the answer — nothing is invented.
 */
import { RalmError } from '../../../core/errors.js';
import type { WeightedPassage } from '../../evidence.js';
import { isMostlyChinese, splitSentences, type SplitSentencesOptions } from '../../sentences.js';
import {
  extractiveModelDefaults,
  scoreFeatures,
  sentenceFeatureNames,
  type ExtractiveModel,
  type SentenceFeatureName,
} from './model.js';

export {
  extractiveModelDefaults,
  scoreFeatures,
  sentenceFeatureNames,
  type ExtractiveModel,
  type SentenceFeatureName,
  type SentenceModelWeights,
} from './model.js';

/**
 * The one thing the generator needs from an analyzer (structurally the same as ralm's `Analyzer`): text → terms in
 * position order. Use the analyzer the collection was built with.
 *
 * @example
 * ```ts
 * const analyzer: TextAnalyzer = { analyze: (text) => text.toLowerCase().split(/\W+/).filter(Boolean) };
 * ```
 */
export interface TextAnalyzer {
  analyze(text: string): string[];
}

/**
 * Coefficients of the sentence score (see the module comment). `bm25` itself always has coefficient 1.
 *
 * @example
 * ```ts
 * const scoring: ExtractiveScoring = { ...extractiveDefaults.scoring, answerType: 0 };
 * ```
 */
export interface ExtractiveScoring {
  /** Coefficient of the passage's evidence weight divided by the best passage's weight. */
  passageWeight: number;
  /** Coefficient of question-term proximity (distinct matched terms / length of the smallest window holding them). */
  proximity: number;
  /** Coefficient of the answer-type cue (1 when the sentence holds the kind of token the question asks for). */
  answerType: number;
  /** Coefficient of the share of the question's adjacent term pairs that occur adjacently in the sentence. */
  bigrams: number;
  /** Coefficient of the previous sentence's (same passage) normalised BM25: the answer often follows its context. */
  context: number;
  /** Coefficient of the lead prior 1 / (1 + position of the sentence in its passage): lead sentences define. */
  lead: number;
  /** Coefficient of the restatement penalty (0 when at most half the sentence's terms are question terms, 1 when all are). */
  restatement: number;
  /** BM25 k1 of the sentence scores. */
  k1: number;
  /** BM25 b of the sentence scores. */
  b: number;
}

/**
 * Options of {@link createExtractiveGenerator}.
 *
 * @example
 * ```ts
 * const options: ExtractiveGeneratorOptions = { analyzer: getAnalyzer('english'), maxSentences: 2 };
 * ```
 */
export interface ExtractiveGeneratorOptions {
  /** Analyzer for questions and sentences (the collection's, e.g. `getAnalyzer('english')`). */
  analyzer: TextAnalyzer;
  /** Most sentences in an answer (default {@link extractiveDefaults}.maxSentences). */
  maxSentences?: number;
  /** Language of questions and passages; `auto` (default) decides per question from its script. */
  language?: 'en' | 'zh' | 'auto';
  /** MMR trade-off: 1 = pure relevance, 0 = pure novelty (default {@link extractiveDefaults}.mmrLambda). */
  mmrLambda?: number;
  /** Order of the chosen sentences: best first (`score`, default) or by passage weight, then position (`passage`). */
  order?: 'score' | 'passage';
  /**
   * How sentences are scored: `learned` (default) — the fitted log-linear model over all sentence features
   * ({@link ExtractiveGeneratorOptions.model}); `linear` — the hand-set coefficients of `scoring`.
   */
  scorer?: 'learned' | 'linear';
  /** Weights of the learned scorer, per language (default {@link extractiveModelDefaults}). */
  model?: Partial<ExtractiveModel>;
  /**
   * Score coefficients of the `linear` scorer (merged with {@link extractiveDefaults}.scoring); its `k1` and `b` are
   * also the sentence BM25 parameters of the `learned` scorer.
   */
  scoring?: Partial<ExtractiveScoring>;
  /** Sentence splitting options (the language is taken from `language`). */
  sentences?: Pick<SplitSentencesOptions, 'splitOnSemicolon'>;
  /** Texts of a no-answer result, per language. */
  noAnswerText?: { en?: string; zh?: string };
}

/**
 * Per-call options of {@link ExtractiveGenerator.answer}.
 *
 * @example
 * ```ts
 * const options: AnswerOptions = { maxSentences: 1 };
 * ```
 */
export interface AnswerOptions {
  /** Most sentences in this answer (default: the generator's). */
  maxSentences?: number;
}

/**
 * The feature values behind a sentence's score, one per {@link sentenceFeatureNames} entry. The `learned` scorer's
 * score is `bias + Σ weight · feature` ({@link extractiveModelDefaults}); the `linear` scorer's is
 * `bm25 + Σ coefficient · feature` over the {@link ExtractiveScoring} features, restatement entering with a minus sign.
 *
 * @example
 * ```ts
 * const features: SentenceFeatures = Object.fromEntries(sentenceFeatureNames.map((name) => [name, 0])) as SentenceFeatures;
 * ```
 */
export type SentenceFeatures = Record<SentenceFeatureName, number>;

/**
 * A sentence of an extractive answer: `text === passage.text.slice(start, end)` of the passage cited by `passageKey`.
 *
 * @example
 * ```ts
 * const sentence: ExtractiveSentence = {
 *   text: 'Paris is the capital of France.', passageKey: '1', documentId: 'd7', start: 0, end: 31, score: 2.4,
 *   features: { ...zeroFeatures, bm25: 1, passageWeight: 1, proximity: 0.4 },
 * };
 * ```
 */
export interface ExtractiveSentence {
  text: string;
  passageKey: string;
  documentId: string;
  chunk?: number;
  /** Offset of the sentence in the passage text given. */
  start: number;
  end: number;
  score: number;
  features: SentenceFeatures;
}

/**
 * A citation of an extractive answer: the cited span, exactly `passage.text.slice(start, end)`.
 *
 * @example
 * ```ts
 * const citation: ExtractiveCitation = { key: '1', documentId: 'd7', start: 0, end: 31, text: 'Paris is the capital of France.' };
 * ```
 */
export interface ExtractiveCitation {
  key: string;
  documentId: string;
  start: number;
  end: number;
  text: string;
}

/**
 * The answer of {@link ExtractiveGenerator.answer}.
 *
 * @example
 * ```ts
 * const result: ExtractiveAnswer = { text: 'Paris is the capital of France [1].', sentences: [], citations: [], noAnswer: false, language: 'en' };
 * ```
 */
export interface ExtractiveAnswer {
  /** The answer: the chosen sentences, each with its citation marker. */
  text: string;
  sentences: ExtractiveSentence[];
  /** One citation per sentence, in answer order. */
  citations: ExtractiveCitation[];
  /** True when the passages do not contain an answer (then `text` says so and nothing is cited). */
  noAnswer: boolean;
  /** The language the answer was made in. */
  language: 'en' | 'zh';
}

/**
 * Events of {@link ExtractiveGenerator.stream}: text pieces whose concatenation is the answer text, then the result.
 *
 * @example
 * ```ts
 * const event: ExtractiveStreamEvent = { type: 'text-delta', text: 'Paris is the capital of France [1].' };
 * ```
 */
export type ExtractiveStreamEvent = { type: 'text-delta'; text: string } | { type: 'finish'; result: ExtractiveAnswer };

/**
 * An extractive generator (see {@link createExtractiveGenerator}).
 *
 * @example
 * ```ts
 * const { text } = generator.answer('What is the capital of France?', weighPassages(passages));
 * ```
 */
export interface ExtractiveGenerator {
  /** Builds the answer to `question` from the weighted passages. Synchronous: no model is involved. */
  answer(question: string, passages: readonly WeightedPassage[], options?: AnswerOptions): ExtractiveAnswer;
  /**
   * The same answer as events. The answer is built completely first (extraction needs every sentence scored), then
   * emitted one sentence (with its citation) per `text-delta`, then `finish` with the full result.
   */
  stream(question: string, passages: readonly WeightedPassage[], options?: AnswerOptions): AsyncIterable<ExtractiveStreamEvent>;
  /**
   * Every candidate sentence (those sharing a term with the question) with its features and score, best first: what
   * {@link ExtractiveGenerator.answer} chooses from. Empty when the answer would be `noAnswer`.
   */
  explain(question: string, passages: readonly WeightedPassage[]): ExtractiveSentence[];
}

/**
 * Defaults of the extractive generator. The scorer is the `learned` one ({@link extractiveModelDefaults}, fitted by
 * `npx vite-node bench/answers.ts --fit` on the tuning split, a fixed-seed 20 %, of SQuAD v1.1 dev and CMRC 2018 dev
 * questions with BM25 top-3 paragraphs), and MMR λ was chosen with it; see bench/results/answers.md. `scoring` holds the
 * coefficients of the `linear` scorer, chosen earlier by coordinate ascent on the same split (`--tune-linear`; it
 * switched off the bigram, context and restatement features and favoured low sentence-length normalisation, b = 0.2);
 * its k1 and b are the sentence BM25 parameters of both scorers.
 *
 * @example
 * ```ts
 * extractiveDefaults.maxSentences; // 2
 * ```
 */
export const extractiveDefaults = {
  maxSentences: 2,
  language: 'auto',
  scorer: 'learned',
  mmrLambda: 0.8,
  order: 'score',
  scoring: {
    passageWeight: 2,
    proximity: 0.3,
    answerType: 0.6,
    bigrams: 0,
    context: 0,
    lead: 0.15,
    restatement: 0,
    k1: 0.6,
    b: 0.2,
  } satisfies ExtractiveScoring,
  noAnswerText: {
    en: 'The collection does not contain an answer to this question.',
    zh: '资料库中没有找到这个问题的答案。',
  },
} as const;

interface Candidate {
  passage: WeightedPassage;
  passageIndex: number;
  start: number;
  end: number;
  /** Position of the sentence in its passage (0 = first). */
  position: number;
  text: string;
  terms: string[];
  termSet: Set<string>;
  bm25: number;
  features: SentenceFeatures;
  score: number;
}

const EN_DATE_QUESTION = /\b(?:when|(?:what|which) (?:year|years|decade|century|date|month|day|time period|era))\b/i;
const EN_DATE_TOKEN =
  /\b(?:1[0-9]{3}|20[0-9]{2})s?\b|\b(?:january|february|march|april|may|june|july|august|september|october|november|december|century|centuries|bc|bce|ad)\b/gi;
const EN_NUMBER_QUESTION =
  /\b(?:how (?:many|much|long|old|far|large|big|tall|high|often|fast|deep|wide|heavy)|what (?:percentage|percent|proportion|number|age|amount|temperature)|what was the (?:population|number|size)|population)\b/i;
const EN_PERSON_QUESTION = /\b(?:who|whom|whose)\b/i;
const EN_PLACE_QUESTION = /\bwhere\b/i;
const EN_NUMBER_TOKEN =
  /\d[\d,.]*|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fifteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand|million|billion|trillion|dozen|half|january|february|march|april|may|june|july|august|september|october|november|december|century|centuries)\b/gi;
const EN_CAPITALISED = /(?<=\S\s+)\p{Lu}\p{L}+/gu;
const ZH_NUMBER_QUESTION = /多少|几|哪一年|哪年|何年|何时|什么时候|哪一天|哪天|年份|日期|多久|多长|多大|多高|多重|多远|多深|多宽|第几|何日|哪个月|哪一月/;
const ZH_NUMBER_TOKEN = /[\d０-９][\d０-９,.．]*|[零〇一二三四五六七八九十百千万亿两]+|[年月日]/g;

function mergeScoring(scoring: Partial<ExtractiveScoring> | undefined): ExtractiveScoring {
  const merged = { ...extractiveDefaults.scoring, ...scoring };
  for (const [name, value] of Object.entries(merged)) {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new RalmError('INVALID_ARGUMENT', `scoring.${name} must be a finite number, got ${String(value)}`);
    }
  }
  if (merged.k1 < 0) throw new RalmError('INVALID_ARGUMENT', `scoring.k1 must be >= 0, got ${merged.k1}`);
  if (merged.b < 0 || merged.b > 1) throw new RalmError('INVALID_ARGUMENT', `scoring.b must be in [0, 1], got ${merged.b}`);
  return merged;
}

function checkMaxSentences(value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new RalmError('INVALID_ARGUMENT', `maxSentences must be a positive integer, got ${value}`);
  }
  return value;
}

/** Smallest window (in term positions) holding every distinct matched question term: matched / window length. */
function proximity(terms: readonly string[], question: ReadonlySet<string>): number {
  const positions: number[] = [];
  const distinct = new Set<string>();
  for (let i = 0; i < terms.length; i++) {
    if (question.has(terms[i]!)) {
      positions.push(i);
      distinct.add(terms[i]!);
    }
  }
  const need = distinct.size;
  if (need < 2) return 0;
  const counts = new Map<string, number>();
  let have = 0;
  let best = Infinity;
  let left = 0;
  for (let right = 0; right < positions.length; right++) {
    const term = terms[positions[right]!]!;
    const count = (counts.get(term) ?? 0) + 1;
    counts.set(term, count);
    if (count === 1) have++;
    while (have === need) {
      const width = positions[right]! - positions[left]! + 1;
      if (width < best) best = width;
      const leftTerm = terms[positions[left]!]!;
      const leftCount = counts.get(leftTerm)! - 1;
      counts.set(leftTerm, leftCount);
      if (leftCount === 0) have--;
      left++;
    }
  }
  return need / best;
}

/** Share of the question's adjacent term pairs that occur adjacently in the sentence. */
function bigramShare(terms: readonly string[], questionBigrams: ReadonlySet<string>): number {
  if (questionBigrams.size === 0) return 0;
  const found = new Set<string>();
  for (let i = 1; i < terms.length; i++) {
    const pair = `${terms[i - 1]}\u0000${terms[i]}`;
    if (questionBigrams.has(pair)) found.add(pair);
  }
  return found.size / questionBigrams.size;
}

function tokensOf(text: string, pattern: RegExp): Set<string> {
  return new Set((text.match(pattern) ?? []).map((t) => t.toLowerCase()));
}

type AnswerKind = 'date' | 'number' | 'person' | 'place' | 'none';

/** The kind of token the question asks for (the first matching rule wins: date, number, person, place). */
function answerKindOf(question: string, language: 'en' | 'zh'): AnswerKind {
  if (language === 'zh') return ZH_NUMBER_QUESTION.test(question) ? 'number' : 'none';
  if (EN_DATE_QUESTION.test(question)) return 'date';
  if (EN_NUMBER_QUESTION.test(question)) return 'number';
  if (EN_PERSON_QUESTION.test(question)) return 'person';
  if (EN_PLACE_QUESTION.test(question)) return 'place';
  return 'none';
}

/** 1 when the sentence holds a token of the kind the question asks for that the question itself does not hold. */
function answerTypeCue(question: string, questionWords: ReadonlySet<string>, sentence: string, language: 'en' | 'zh', kind: AnswerKind): number {
  if (kind === 'none') return 0;
  const pattern = language === 'zh' ? ZH_NUMBER_TOKEN : kind === 'date' ? EN_DATE_TOKEN : kind === 'number' ? EN_NUMBER_TOKEN : EN_CAPITALISED;
  const asked = kind === 'person' || kind === 'place' ? questionWords : tokensOf(question, pattern);
  for (const token of tokensOf(sentence, pattern)) if (!asked.has(token)) return 1;
  return 0;
}

/** Capitalised words (not sentence-initial) of the sentence that the question lacks, capped at 4, over 4. */
function novelNames(sentence: string, questionWords: ReadonlySet<string>): number {
  let count = 0;
  for (const token of tokensOf(sentence, EN_CAPITALISED)) if (!questionWords.has(token) && ++count >= 4) break;
  return count / 4;
}

const EN_PRONOUN_OPENING = /^["'“‘(]*(?:it|its|he|his|she|her|they|their|them|this|these|those|that|such|there)\b/i;
const ZH_PRONOUN_OPENING = /^["'“‘「（(]*(?:他|她|它|其|该|此|这|那|本)/u;

function opensWithPronoun(sentence: string, language: 'en' | 'zh'): boolean {
  return (language === 'zh' ? ZH_PRONOUN_OPENING : EN_PRONOUN_OPENING).test(sentence);
}

/** Lower-cased adjacent word pairs (letters and digits; Chinese: adjacent Han characters). */
function wordBigramsOf(text: string, language: 'en' | 'zh'): Set<string> {
  const words = language === 'zh' ? (text.match(/\p{Script=Han}|[\p{L}\p{N}]+/gu) ?? []) : (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []);
  const pairs = new Set<string>();
  for (let i = 1; i < words.length; i++) pairs.add(`${words[i - 1]!.toLowerCase()}\u0000${words[i]!.toLowerCase()}`);
  return pairs;
}

/** Share of the question's word bigrams found in the sentence. */
function wordBigramShare(sentence: string, questionPairs: ReadonlySet<string>, language: 'en' | 'zh'): number {
  if (questionPairs.size === 0) return 0;
  let found = 0;
  for (const pair of wordBigramsOf(sentence, language)) if (questionPairs.has(pair)) found++;
  return found / questionPairs.size;
}

function jaccard(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  if (a.size === 0 && b.size === 0) return 1;
  let shared = 0;
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  for (const term of small) if (large.has(term)) shared++;
  return shared / (a.size + b.size - shared);
}

/**
 * Every sentence feature at 0 (a starting point for building {@link SentenceFeatures}).
 *
 * @example
 * ```ts
 * const features: SentenceFeatures = { ...zeroFeatures, bm25: 1 };
 * ```
 */
export const zeroFeatures: Readonly<SentenceFeatures> = Object.freeze(
  Object.fromEntries(sentenceFeatureNames.map((name) => [name, 0])) as SentenceFeatures,
);

function checkModel(weights: ExtractiveModel['en'] | undefined, language: string): void {
  if (weights === undefined || typeof weights.bias !== 'number' || !Number.isFinite(weights.bias) || typeof weights.weights !== 'object') {
    throw new RalmError('INVALID_ARGUMENT', `model.${language} must be { bias: number, weights: { feature: number } }`);
  }
  for (const [name, value] of Object.entries(weights.weights)) {
    if (!(sentenceFeatureNames as readonly string[]).includes(name)) {
      throw new RalmError('INVALID_ARGUMENT', `model.${language}.weights.${name} is not a sentence feature; valid: ${sentenceFeatureNames.join(', ')}`);
    }
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new RalmError('INVALID_ARGUMENT', `model.${language}.weights.${name} must be a finite number, got ${String(value)}`);
    }
  }
}

const TERMINAL = /[.!?。！？；;…]+$/u;

/**
 * A sentence with its citation marker, as the extractive generator writes it: before the final punctuation
 * (`France [1].`, `首都[1]。`), or appended when the sentence does not end in plain punctuation (`"Stop!" [1]`).
 * English puts a space before the marker, Chinese does not.
 *
 * @example
 * ```ts
 * citeSentence('Paris is the capital of France.', '1', 'en'); // 'Paris is the capital of France [1].'
 * citeSentence('巴黎是法国的首都。', '2', 'zh'); // '巴黎是法国的首都[2]。'
 * ```
 */
export function citeSentence(text: string, key: string, language: 'en' | 'zh'): string {
  const marker = language === 'zh' ? `[${key}]` : ` [${key}]`;
  const terminal = TERMINAL.exec(text);
  if (terminal === null) return text + marker;
  // Before any whitespace that precedes the punctuation, so that removing ` [key]` restores the sentence exactly.
  const head = text.slice(0, terminal.index).trimEnd();
  return head + marker + text.slice(head.length);
}

/**
 * Creates the extractive generator: answers made of cited sentences of the retrieved passages, in English or
 * Chinese, with no model (see the module comment for the scoring).
 *
 * @example
 * ```ts
 * import { getAnalyzer } from 'ralm';
 * const generator = createExtractiveGenerator({ analyzer: getAnalyzer('english'), maxSentences: 1 });
 * const passages = weighPassages([
 *   { documentId: 'd1', score: 9.1, text: 'Paris is the capital of France. It lies on the Seine.' },
 *   { documentId: 'd2', score: 4.2, text: 'Lyon is a city in France.' },
 * ]);
 * generator.answer('What is the capital of France?', passages).text; // 'Paris is the capital of France [1].'
 * for await (const event of generator.stream('What is the capital of France?', passages)) {
 *   if (event.type === 'text-delta') process.stdout.write(event.text);
 * }
 * ```
 */
export function createExtractiveGenerator(options: ExtractiveGeneratorOptions): ExtractiveGenerator {
  if (options === undefined || options === null || typeof options.analyzer?.analyze !== 'function') {
    throw new RalmError('INVALID_ARGUMENT', 'createExtractiveGenerator needs options.analyzer: an object with analyze(text): string[] (the collection\'s analyzer)');
  }
  const analyzer = options.analyzer;
  const defaultMaxSentences = checkMaxSentences(options.maxSentences ?? extractiveDefaults.maxSentences);
  const languageOption = options.language ?? extractiveDefaults.language;
  if (languageOption !== 'en' && languageOption !== 'zh' && languageOption !== 'auto') {
    throw new RalmError('INVALID_ARGUMENT', `language must be one of en, zh, auto; got "${String(languageOption)}"`);
  }
  const mmrLambda = options.mmrLambda ?? extractiveDefaults.mmrLambda;
  if (!(mmrLambda >= 0 && mmrLambda <= 1)) throw new RalmError('INVALID_ARGUMENT', `mmrLambda must be in [0, 1], got ${mmrLambda}`);
  const order = options.order ?? extractiveDefaults.order;
  if (order !== 'score' && order !== 'passage') throw new RalmError('INVALID_ARGUMENT', `order must be "score" or "passage", got "${String(order)}"`);
  const scoring = mergeScoring(options.scoring);
  const splitOnSemicolon = options.sentences?.splitOnSemicolon;
  const noAnswerText = { ...extractiveDefaults.noAnswerText, ...options.noAnswerText };
  const scorer = options.scorer ?? extractiveDefaults.scorer;
  if (scorer !== 'learned' && scorer !== 'linear') throw new RalmError('INVALID_ARGUMENT', `scorer must be "learned" or "linear", got "${String(scorer)}"`);
  const model: ExtractiveModel = { ...extractiveModelDefaults, ...options.model };
  for (const language of ['en', 'zh'] as const) checkModel(model[language], language);

  function languageOf(question: string, passages: readonly WeightedPassage[]): 'en' | 'zh' {
    if (languageOption !== 'auto') return languageOption;
    return isMostlyChinese(question + (passages[0]?.text.slice(0, 400) ?? '')) ? 'zh' : 'en';
  }

  function noAnswer(language: 'en' | 'zh'): ExtractiveAnswer {
    return { text: noAnswerText[language], sentences: [], citations: [], noAnswer: true, language };
  }

  /** Candidate sentences (sharing a term with the question) with features and scores, best first; null = no answer. */
  function rank(question: string, passages: readonly WeightedPassage[], language: 'en' | 'zh'): Candidate[] | null {
    const questionSequence = analyzer.analyze(question);
    const questionCounts = new Map<string, number>();
    for (const term of questionSequence) questionCounts.set(term, (questionCounts.get(term) ?? 0) + 1);
    if (passages.length === 0 || questionCounts.size === 0) return null;
    const questionTerms = new Set(questionCounts.keys());

    // Sentences of every passage, analyzed.
    const candidates: Candidate[] = [];
    let maxWeight = 0;
    passages.forEach((passage, passageIndex) => {
      if (typeof passage?.text !== 'string' || typeof passage.key !== 'string') {
        throw new RalmError('INVALID_ARGUMENT', `passages[${passageIndex}] needs a string text and key (see weighPassages)`);
      }
      if (passage.weight > maxWeight) maxWeight = passage.weight;
      let position = 0;
      for (const span of splitSentences(passage.text, { language, splitOnSemicolon })) {
        const terms = analyzer.analyze(span.text);
        if (terms.length === 0) continue;
        candidates.push({
          passage,
          passageIndex,
          position: position++,
          start: span.start,
          end: span.end,
          text: span.text,
          terms,
          termSet: new Set(terms),
          bm25: 0,
          features: { ...zeroFeatures },
          score: 0,
        });
      }
    });
    if (candidates.length === 0) return null;

    // BM25 with every sentence as a document.
    const n = candidates.length;
    let totalLength = 0;
    const documentFrequency = new Map<string, number>();
    for (const candidate of candidates) {
      totalLength += candidate.terms.length;
      for (const term of candidate.termSet) if (questionTerms.has(term)) documentFrequency.set(term, (documentFrequency.get(term) ?? 0) + 1);
    }
    const averageLength = totalLength / n;
    const idfOf = (term: string): number => {
      const df = documentFrequency.get(term) ?? 0;
      return Math.log(1 + (n - df + 0.5) / (df + 0.5));
    };
    let questionIdf = 0;
    for (const term of questionTerms) questionIdf += idfOf(term);
    let bestBm25 = 0;
    const bestInPassage = new Map<number, number>();
    for (const candidate of candidates) {
      const frequencies = new Map<string, number>();
      for (const term of candidate.terms) if (questionTerms.has(term)) frequencies.set(term, (frequencies.get(term) ?? 0) + 1);
      const lengthNorm = scoring.k1 * (1 - scoring.b + (scoring.b * candidate.terms.length) / averageLength);
      let score = 0;
      for (const [term, frequency] of frequencies) score += questionCounts.get(term)! * idfOf(term) * (frequency / (frequency + lengthNorm));
      candidate.bm25 = score;
      if (score > bestBm25) bestBm25 = score;
      if (score > (bestInPassage.get(candidate.passageIndex) ?? 0)) bestInPassage.set(candidate.passageIndex, score);
    }
    if (bestBm25 <= 0) return null;

    const questionBigrams = new Set<string>();
    for (let i = 1; i < questionSequence.length; i++) questionBigrams.add(`${questionSequence[i - 1]}\u0000${questionSequence[i]}`);
    const questionWords = new Set(question.toLowerCase().match(/\p{L}+/gu) ?? []);
    const kind = answerKindOf(question, language);
    const questionWordBigrams = wordBigramsOf(question, language);
    // IDF mass of the question terms each passage holds.
    const passageTerms = new Map<number, Set<string>>();
    for (const candidate of candidates) {
      let set = passageTerms.get(candidate.passageIndex);
      if (set === undefined) passageTerms.set(candidate.passageIndex, (set = new Set()));
      for (const term of candidate.termSet) if (questionTerms.has(term)) set.add(term);
    }
    const passageIdf = new Map<number, number>();
    for (const [passageIndex, set] of passageTerms) {
      let sum = 0;
      for (const term of set) sum += idfOf(term);
      passageIdf.set(passageIndex, sum);
    }
    const learned = scorer === 'learned' ? model[language] : undefined;
    candidates.forEach((candidate, index) => {
      let covered = 0;
      let matchedIdf = 0;
      let rare = 0;
      for (const term of candidate.terms) if (questionTerms.has(term)) covered++;
      for (const term of candidate.termSet) {
        if (!questionTerms.has(term)) continue;
        matchedIdf += idfOf(term);
        if (documentFrequency.get(term)! <= 2) rare++;
      }
      const coverage = covered / candidate.terms.length;
      const previous = index > 0 && candidates[index - 1]!.passage === candidate.passage ? candidates[index - 1]! : undefined;
      const following = index + 1 < n && candidates[index + 1]!.passage === candidate.passage ? candidates[index + 1]! : undefined;
      const passageBest = bestInPassage.get(candidate.passageIndex) ?? 0;
      const relativeWeight = maxWeight > 0 ? candidate.passage.weight / maxWeight : 0;
      const cue = answerTypeCue(question, questionWords, candidate.text, language, kind);
      const bm25 = candidate.bm25 / bestBm25;
      const features: SentenceFeatures = {
        bm25,
        passageWeight: relativeWeight,
        proximity: proximity(candidate.terms, questionTerms),
        answerType: cue,
        bigrams: bigramShare(candidate.terms, questionBigrams),
        context: previous !== undefined ? previous.bm25 / bestBm25 : 0,
        lead: 1 / (1 + candidate.position),
        restatement: Math.max(0, (coverage - 0.5) / 0.5),
        next: following !== undefined ? following.bm25 / bestBm25 : 0,
        coverage: questionIdf > 0 ? matchedIdf / questionIdf : 0,
        rareMatches: Math.min(rare, 3) / 3,
        passageRank: 1 / (1 + candidate.passageIndex),
        logWeight: relativeWeight > 0 ? Math.max(-10, Math.log(relativeWeight)) : -10,
        bestInPassage: candidate.bm25 > 0 && candidate.bm25 === passageBest ? 1 : 0,
        passageRelative: passageBest > 0 ? candidate.bm25 / passageBest : 0,
        length: Math.log(1 + candidate.terms.length) / 5,
        novelty: 1 - coverage,
        dateCue: kind === 'date' ? cue : 0,
        numberCue: kind === 'number' ? cue : 0,
        personCue: kind === 'person' ? cue : 0,
        placeCue: kind === 'place' ? cue : 0,
        names: language === 'en' ? novelNames(candidate.text, questionWords) : 0,
        cueMatch: cue * bm25,
        passageBest: passageBest / bestBm25,
        passageCoverage: questionIdf > 0 ? (passageIdf.get(candidate.passageIndex) ?? 0) / questionIdf : 0,
        pronoun: opensWithPronoun(candidate.text, language) ? 1 : 0,
        pronounContext: opensWithPronoun(candidate.text, language) && previous !== undefined ? previous.bm25 / bestBm25 : 0,
        wordBigrams: wordBigramShare(candidate.text, questionWordBigrams, language),
      };
      candidate.features = features;
      candidate.score =
        learned !== undefined
          ? scoreFeatures(learned, features)
          : features.bm25 +
            scoring.passageWeight * features.passageWeight +
            scoring.proximity * features.proximity +
            scoring.answerType * features.answerType +
            scoring.bigrams * features.bigrams +
            scoring.context * features.context +
            scoring.lead * features.lead -
            scoring.restatement * features.restatement;
    });
    return candidates.filter((c) => c.bm25 > 0).sort((a, b) => b.score - a.score || a.passageIndex - b.passageIndex || a.start - b.start);
  }

  function sentenceOf(c: Candidate): ExtractiveSentence {
    return {
      text: c.text,
      passageKey: c.passage.key,
      documentId: c.passage.documentId,
      ...(c.passage.chunk !== undefined ? { chunk: c.passage.chunk } : {}),
      start: c.start,
      end: c.end,
      score: c.score,
      features: c.features,
    };
  }

  function checkArguments(question: string, passages: readonly WeightedPassage[]): void {
    if (typeof question !== 'string') throw new RalmError('INVALID_ARGUMENT', `question must be a string, got ${typeof question}`);
    if (!Array.isArray(passages)) throw new RalmError('INVALID_ARGUMENT', 'passages must be an array of weighted passages (see weighPassages)');
  }

  function explain(question: string, passages: readonly WeightedPassage[]): ExtractiveSentence[] {
    checkArguments(question, passages);
    return (rank(question, passages, languageOf(question, passages)) ?? []).map(sentenceOf);
  }

  function answer(question: string, passages: readonly WeightedPassage[], callOptions: AnswerOptions = {}): ExtractiveAnswer {
    checkArguments(question, passages);
    const maxSentences = checkMaxSentences(callOptions.maxSentences ?? defaultMaxSentences);
    const language = languageOf(question, passages);
    const pool = rank(question, passages, language);
    if (pool === null || pool.length === 0) return noAnswer(language);

    // Maximal marginal relevance over sentences that match the question.
    const top = pool[0]!.score;
    const bottom = Math.min(0, pool[pool.length - 1]!.score);
    const relevance = (c: Candidate): number => (top > bottom ? (c.score - bottom) / (top - bottom) : 1);
    const chosen: Candidate[] = [];
    const remaining = [...pool];
    while (chosen.length < maxSentences && remaining.length > 0) {
      let bestIndex = 0;
      let bestValue = -Infinity;
      for (let i = 0; i < remaining.length; i++) {
        const candidate = remaining[i]!;
        let similarity = 0;
        for (const picked of chosen) similarity = Math.max(similarity, jaccard(candidate.termSet, picked.termSet));
        const value = mmrLambda * relevance(candidate) - (1 - mmrLambda) * similarity;
        if (value > bestValue) {
          bestValue = value;
          bestIndex = i;
        }
      }
      const [picked] = remaining.splice(bestIndex, 1);
      // An exact repeat (the same sentence in two passages) adds nothing.
      if (!chosen.some((c) => c.text === picked!.text)) chosen.push(picked!);
    }
    if (order === 'passage') chosen.sort((a, b) => a.passageIndex - b.passageIndex || a.start - b.start);

    const sentences = chosen.map(sentenceOf);
    const citations: ExtractiveCitation[] = chosen.map((c) => ({
      key: c.passage.key,
      documentId: c.passage.documentId,
      start: c.start,
      end: c.end,
      text: c.text,
    }));
    const separator = language === 'zh' ? '' : ' ';
    const text = chosen.map((c) => citeSentence(c.text, c.passage.key, language)).join(separator);
    return { text, sentences, citations, noAnswer: false, language };
  }

  async function* stream(question: string, passages: readonly WeightedPassage[], callOptions: AnswerOptions = {}): AsyncIterable<ExtractiveStreamEvent> {
    const result = answer(question, passages, callOptions);
    if (result.noAnswer) {
      yield { type: 'text-delta', text: result.text };
    } else {
      const separator = result.language === 'zh' ? '' : ' ';
      for (let i = 0; i < result.sentences.length; i++) {
        const sentence = result.sentences[i]!;
        yield { type: 'text-delta', text: (i > 0 ? separator : '') + citeSentence(sentence.text, sentence.passageKey, result.language) };
      }
    }
    yield { type: 'finish', result };
  }

  return { answer, stream, explain };
}
