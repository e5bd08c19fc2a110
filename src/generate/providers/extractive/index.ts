/**
 * The extractive generator: the embedded default that answers without a language model by choosing sentences of the
 * retrieved passages and citing each one.
 *
 * How an answer is made:
 * 1. Every passage is split into sentences ({@link splitSentences}); each sentence is a mini-document.
 * 2. Each sentence is scored against the question: BM25 computed over the retrieved passages' sentences (Lucene 9's
 *    formula — idf = ln(1 + (N − n + 0.5)/(n + 0.5)), tf part = f / (f + k1·(1 − b + b·dl/avgdl)), query terms boosted
 *    by their count — with exact sentence lengths instead of Lucene's one-byte norms), divided by the best sentence's
 *    BM25, plus weighted features: the passage's evidence weight (relative to the best passage's), question-term
 *    proximity, an answer-type cue (numbers/dates for "how many/when/what year" and 多少/几/何时…, capitalised names
 *    for "who/where"), minus a penalty for sentences that merely restate the question.
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
  /** Score coefficients (merged with {@link extractiveDefaults}.scoring). */
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
 * The feature values behind a sentence's score (the score is `bm25 + Σ coefficient · feature`, the restatement
 * feature entering with a minus sign).
 *
 * @example
 * ```ts
 * const features: SentenceFeatures = { bm25: 1, passageWeight: 1, proximity: 0.5, answerType: 1, restatement: 0 };
 * ```
 */
export interface SentenceFeatures {
  /** Sentence BM25 divided by the best sentence's. */
  bm25: number;
  /** Passage weight divided by the best passage's. */
  passageWeight: number;
  proximity: number;
  answerType: number;
  bigrams: number;
  context: number;
  lead: number;
  restatement: number;
}

/**
 * A sentence of an extractive answer: `text === passage.text.slice(start, end)` of the passage cited by `passageKey`.
 *
 * @example
 * ```ts
 * const sentence: ExtractiveSentence = {
 *   text: 'Paris is the capital of France.', passageKey: '1', documentId: 'd7', start: 0, end: 31, score: 2.4,
 *   features: { bm25: 1, passageWeight: 1, proximity: 0.4, answerType: 0, restatement: 0 },
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
}

/**
 * Defaults of the extractive generator, chosen by coordinate ascent on the tuning split (a fixed-seed 20 %) of
 * SQuAD v1.1 dev and CMRC 2018 dev questions with BM25 top-3 paragraphs; see bench/answers.ts and
 * bench/results/answers.md. The tuning switched off the bigram, context and restatement features (kept, at 0, for
 * callers and for other retrievers) and favoured low sentence-length normalisation (b = 0.2), which also makes the
 * chosen sentences somewhat longer than plain BM25's: containment rewards length, see the report.
 *
 * @example
 * ```ts
 * extractiveDefaults.maxSentences; // 2
 * ```
 */
export const extractiveDefaults = {
  maxSentences: 2,
  language: 'auto',
  mmrLambda: 0.6,
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
const EN_NAME_QUESTION = /\b(?:who|whom|whose|where)\b/i;
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

/** 1 when the sentence holds a token of the kind the question asks for that the question itself does not hold. */
function answerTypeCue(question: string, sentence: string, language: 'en' | 'zh'): number {
  if (language === 'zh') {
    if (!ZH_NUMBER_QUESTION.test(question)) return 0;
    const asked = tokensOf(question, ZH_NUMBER_TOKEN);
    for (const token of tokensOf(sentence, ZH_NUMBER_TOKEN)) if (!asked.has(token)) return 1;
    return 0;
  }
  if (EN_DATE_QUESTION.test(question)) {
    const asked = tokensOf(question, EN_DATE_TOKEN);
    for (const token of tokensOf(sentence, EN_DATE_TOKEN)) if (!asked.has(token)) return 1;
    return 0;
  }
  if (EN_NUMBER_QUESTION.test(question)) {
    const asked = tokensOf(question, EN_NUMBER_TOKEN);
    for (const token of tokensOf(sentence, EN_NUMBER_TOKEN)) if (!asked.has(token)) return 1;
    return 0;
  }
  if (EN_NAME_QUESTION.test(question)) {
    const asked = new Set(question.toLowerCase().match(/\p{L}+/gu) ?? []);
    for (const token of tokensOf(sentence, EN_CAPITALISED)) if (!asked.has(token)) return 1;
  }
  return 0;
}

function jaccard(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  if (a.size === 0 && b.size === 0) return 1;
  let shared = 0;
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  for (const term of small) if (large.has(term)) shared++;
  return shared / (a.size + b.size - shared);
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

  function languageOf(question: string, passages: readonly WeightedPassage[]): 'en' | 'zh' {
    if (languageOption !== 'auto') return languageOption;
    return isMostlyChinese(question + (passages[0]?.text.slice(0, 400) ?? '')) ? 'zh' : 'en';
  }

  function noAnswer(language: 'en' | 'zh'): ExtractiveAnswer {
    return { text: noAnswerText[language], sentences: [], citations: [], noAnswer: true, language };
  }

  function answer(question: string, passages: readonly WeightedPassage[], callOptions: AnswerOptions = {}): ExtractiveAnswer {
    if (typeof question !== 'string') throw new RalmError('INVALID_ARGUMENT', `question must be a string, got ${typeof question}`);
    if (!Array.isArray(passages)) throw new RalmError('INVALID_ARGUMENT', 'passages must be an array of weighted passages (see weighPassages)');
    const maxSentences = checkMaxSentences(callOptions.maxSentences ?? defaultMaxSentences);
    const language = languageOf(question, passages);
    const questionCounts = new Map<string, number>();
    for (const term of analyzer.analyze(question)) questionCounts.set(term, (questionCounts.get(term) ?? 0) + 1);
    if (passages.length === 0 || questionCounts.size === 0) return noAnswer(language);
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
          features: { bm25: 0, passageWeight: 0, proximity: 0, answerType: 0, bigrams: 0, context: 0, lead: 0, restatement: 0 },
          score: 0,
        });
      }
    });
    if (candidates.length === 0) return noAnswer(language);

    // BM25 with every sentence as a document.
    const n = candidates.length;
    let totalLength = 0;
    const documentFrequency = new Map<string, number>();
    for (const candidate of candidates) {
      totalLength += candidate.terms.length;
      for (const term of candidate.termSet) if (questionTerms.has(term)) documentFrequency.set(term, (documentFrequency.get(term) ?? 0) + 1);
    }
    const averageLength = totalLength / n;
    const idf = new Map<string, number>();
    for (const [term, df] of documentFrequency) idf.set(term, Math.log(1 + (n - df + 0.5) / (df + 0.5)));
    let bestBm25 = 0;
    for (const candidate of candidates) {
      const frequencies = new Map<string, number>();
      for (const term of candidate.terms) if (questionTerms.has(term)) frequencies.set(term, (frequencies.get(term) ?? 0) + 1);
      const lengthNorm = scoring.k1 * (1 - scoring.b + (scoring.b * candidate.terms.length) / averageLength);
      let score = 0;
      for (const [term, frequency] of frequencies) score += questionCounts.get(term)! * idf.get(term)! * (frequency / (frequency + lengthNorm));
      candidate.bm25 = score;
      if (score > bestBm25) bestBm25 = score;
    }
    if (bestBm25 <= 0) return noAnswer(language);

    const questionSequence = analyzer.analyze(question);
    const questionBigrams = new Set<string>();
    for (let i = 1; i < questionSequence.length; i++) questionBigrams.add(`${questionSequence[i - 1]}\u0000${questionSequence[i]}`);
    candidates.forEach((candidate, index) => {
      let covered = 0;
      for (const term of candidate.terms) if (questionTerms.has(term)) covered++;
      const coverage = covered / candidate.terms.length;
      const features: SentenceFeatures = {
        bm25: candidate.bm25 / bestBm25,
        passageWeight: maxWeight > 0 ? candidate.passage.weight / maxWeight : 0,
        proximity: scoring.proximity !== 0 ? proximity(candidate.terms, questionTerms) : 0,
        answerType: scoring.answerType !== 0 ? answerTypeCue(question, candidate.text, language) : 0,
        bigrams: scoring.bigrams !== 0 ? bigramShare(candidate.terms, questionBigrams) : 0,
        context: index > 0 && candidates[index - 1]!.passage === candidate.passage ? candidates[index - 1]!.bm25 / bestBm25 : 0,
        lead: 1 / (1 + candidate.position),
        restatement: Math.max(0, (coverage - 0.5) / 0.5),
      };
      candidate.features = features;
      candidate.score =
        features.bm25 +
        scoring.passageWeight * features.passageWeight +
        scoring.proximity * features.proximity +
        scoring.answerType * features.answerType +
        scoring.bigrams * features.bigrams +
        scoring.context * features.context +
        scoring.lead * features.lead -
        scoring.restatement * features.restatement;
    });

    // Maximal marginal relevance over sentences that match the question.
    const pool = candidates.filter((c) => c.bm25 > 0).sort((a, b) => b.score - a.score || a.passageIndex - b.passageIndex || a.start - b.start);
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

    const sentences: ExtractiveSentence[] = chosen.map((c) => ({
      text: c.text,
      passageKey: c.passage.key,
      documentId: c.passage.documentId,
      ...(c.passage.chunk !== undefined ? { chunk: c.passage.chunk } : {}),
      start: c.start,
      end: c.end,
      score: c.score,
      features: c.features,
    }));
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

  return { answer, stream };
}
