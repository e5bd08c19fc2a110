/**
 * The evaluation module: trec_eval-exact retrieval metrics, BEIR / TREC / SQuAD-format loaders, and QA answer scores.
 *
 * @example
 * ```ts
 * import { loadBeir, evaluate } from './eval/index.js';
 * const { qrels } = await loadBeir('../shared/data/beir/scifact');
 * const { mean } = evaluate(qrels, run, ['ndcg@10', 'recall@100']);
 * ```
 */
export {
  evaluate,
  parseMeasure,
  sortHits,
  compareCodePoints,
  type Qrels,
  type Run,
  type RunHit,
  type EvaluateOptions,
  type Evaluation,
  type Measure,
  type MeasureKind,
} from './metrics.js';
export { openTextLines, readJsonl, isGzipFile, findPlainOrGzip, type TextLine, type JsonlRecord } from '../core/lines.js';
export {
  loadBeir,
  readBeirQrels,
  readBeirQueries,
  readBeirCorpus,
  type BeirDocument,
  type BeirDataset,
  type LoadBeirOptions,
} from './beir.js';
export { writeRun, readRun, readQrels, type WriteRunOptions } from './trec.js';
export { loadSquad, detectLanguage, type SquadDocument, type SquadBenchmark, type LoadSquadOptions } from './squad.js';
export {
  normalizeAnswer,
  answerTokens,
  exactMatch,
  f1,
  containsAnswer,
  longestCommonSubstring,
  type AnswerLanguage,
} from './answers.js';
