/**
 * Retrieval benchmarks end to end: index a BEIR folder or a SQuAD-format file into a collection,
 * run every judged query, and score the run with trec_eval-exact metrics.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RalmError } from '../core/errors.js';
import type { Bm25Params, DocumentInput } from '../core/types.js';
import { containsAnswer, evaluate, loadBeir, loadSquad, writeRun, type Qrels, type Run } from '../eval/index.js';
import { stripCitations } from '../generate/citations.js';
import { ask, type AskOptions } from './ask.js';
import { searchAndRerank } from './rerank.js';
import { openCollection, type Collection } from './collection.js';

/** Progress callback: a phase name, work done so far and the total when known. */
export type ProgressListener = (event: { phase: 'index' | 'search'; done: number; total?: number }) => void;

export interface RetrievalEvaluationOptions {
  /** Analyzer of the collection built for the benchmark. */
  analyzer?: string;
  bm25?: Partial<Bm25Params>;
  /** Keep the collection in this folder (default: a temporary folder, removed afterwards). */
  indexPath?: string;
  /** Write the run in TREC format here. */
  runPath?: string;
  /** Depth of the run (default 100). */
  depth?: number;
  /** Retrieval mode (default bm25); dense and hybrid build LSA embeddings at commit. */
  mode?: 'bm25' | 'dense' | 'hybrid';
  fusion?: 'rrf' | 'score' | 'attention';
  /** Rerank each query's first stage with `features` or a cross-encoder model (see {@link searchAndRerank}); the run keeps `depth` hits. */
  rerank?: string;
  /** First-stage candidates to rerank (default: the run's depth, so recall@depth is unchanged). */
  rerankDepth?: number;
  /** Chunking of the benchmark's documents (default false: each document indexed whole, as Anserini does). */
  chunking?: false | { targetTokens?: number; overlapTokens?: number };
  onProgress?: ProgressListener;
}

export interface RetrievalEvaluationResult {
  'ndcg@10': number;
  'recall@100': number;
  'map@100': number;
  'mrr@10': number;
  'p@10': number;
  [measure: string]: number | string | Record<string, number>;
  queries: number;
  docs: number;
  index_seconds: number;
  search_qps: number;
  analyzer: string;
  k1: number;
  b: number;
}

const MEASURES = ['ndcg@10', 'recall@100', 'map@100', 'mrr@10', 'p@10'];

/**
 * Evaluates BM25 on a BEIR folder (`corpus.jsonl[.gz]`, `queries.jsonl[.gz]`, `qrels/<split>.tsv`).
 * @example const result = await evaluateBeir('data/scifact', { split: 'test', analyzer: 'english' });
 */
export async function evaluateBeir(dir: string, options: RetrievalEvaluationOptions & { split?: string } = {}): Promise<RetrievalEvaluationResult> {
  const beir = await loadBeir(dir, { split: options.split ?? 'test' });
  if (!beir.corpus) {
    throw new RalmError('NOT_FOUND', `${join(dir, 'corpus.jsonl')}: the BEIR folder has queries and qrels but no corpus (corpus.jsonl or corpus.jsonl.gz)`, { file: dir });
  }
  const corpus = beir.corpus;
  return runRetrievalEvaluation({
    options: { analyzer: 'english', ...options },
    feed: async (collection, progress) => {
      let n = 0;
      for await (const doc of corpus) {
        collection.add({ id: doc.id, title: doc.title, text: doc.text, metadata: doc.metadata });
        if (++n % 1000 === 0) progress(n);
      }
      return n;
    },
    queries: beir.queries,
    qrels: beir.qrels,
    measures: MEASURES,
  });
}

/** Answer evaluation options of {@link evaluateSquad}. */
export interface AnswerEvaluationOptions extends Pick<AskOptions, 'generator' | 'k' | 'maxSentences' | 'temperature' | 'minCoverage' | 'baseURL'> {
  /** Evaluate at most this many questions (default: all). */
  limit?: number;
}

/**
 * Turns a SQuAD-format file (SQuAD v1.1, CMRC 2018) into a retrieval benchmark: each paragraph a
 * document, each question's relevant document the paragraph it was asked on.
 * @example const result = await evaluateSquad('dev-v1.1.json.gz', { analyzer: 'english' });
 */
export async function evaluateSquad(file: string, options: RetrievalEvaluationOptions & { answers?: AnswerEvaluationOptions } = {}): Promise<RetrievalEvaluationResult> {
  const squad = await loadSquad(file);
  const analyzer = options.analyzer ?? (squad.language === 'zh' ? 'cjk' : 'english');
  const answerOptions = options.answers;
  return runRetrievalEvaluation({
    afterRun: answerOptions
      ? async (collection) => {
          // Open-domain QA: the answer must contain a gold answer (SQuAD normalisation; CJK without punctuation and spaces).
          let questions = [...squad.queries.keys()];
          if (answerOptions.limit !== undefined) questions = questions.slice(0, answerOptions.limit);
          let contained = 0;
          let noAnswer = 0;
          let characters = 0;
          const started = performance.now();
          for (const qid of questions) {
            const result = await ask(collection, squad.queries.get(qid)!, { ...answerOptions, language: squad.language });
            const text = stripCitations(result.answer);
            if (result.no_answer) noAnswer++;
            else characters += text.length;
            if (!result.no_answer && containsAnswer(text, squad.answers.get(qid) ?? [], squad.language)) contained++;
          }
          const seconds = (performance.now() - started) / 1000;
          return {
            containment: contained / Math.max(1, questions.length),
            answered_questions: questions.length,
            no_answer: noAnswer,
            answer_characters: Math.round(characters / Math.max(1, questions.length - noAnswer)),
            answer_seconds: Math.round(seconds * 1000) / 1000,
            answer_ms_per_question: Math.round((seconds * 1000 * 100) / Math.max(1, questions.length)) / 100,
            generator: typeof answerOptions.generator === 'string' ? answerOptions.generator : 'extractive',
          };
        }
      : undefined,
    options: { ...options, analyzer },
    feed: async (collection, progress) => {
      const documents: DocumentInput[] = squad.documents.map((d) => ({ id: d.id, title: d.title, text: d.text }));
      for (let i = 0; i < documents.length; i += 1000) {
        collection.add(documents.slice(i, i + 1000));
        progress(Math.min(documents.length, i + 1000));
      }
      return documents.length;
    },
    queries: squad.queries,
    qrels: squad.qrels,
    measures: [...MEASURES, 'recall@1', 'recall@5', 'recall@20'],
  });
}

async function runRetrievalEvaluation(input: {
  options: RetrievalEvaluationOptions & { analyzer: string };
  feed: (collection: Collection, progress: (done: number) => void) => Promise<number>;
  queries: Map<string, string>;
  qrels: Qrels;
  measures: string[];
  /** Extra measurements on the built collection (answer quality), merged into the result. */
  afterRun?: (collection: Collection) => Promise<Record<string, number | string>>;
}): Promise<RetrievalEvaluationResult> {
  const { options } = input;
  const temporary = options.indexPath ? null : mkdtempSync(join(tmpdir(), 'ralm-eval-'));
  const path = options.indexPath ?? temporary!;
  const depth = options.depth ?? 100;
  try {
    const collection = await openCollection({ path, create: true, analyzer: options.analyzer, bm25: options.bm25, chunking: options.chunking ?? false, deduplicate: false, dense: (options.mode ?? 'bm25') === 'bm25' ? false : 'lsa' });
    try {
      const started = performance.now();
      const docs = await input.feed(collection, (done) => options.onProgress?.({ phase: 'index', done }));
      await collection.commit();
      const indexSeconds = (performance.now() - started) / 1000;
      const embedSeconds = collection.lastEmbedSeconds;
      const mode = options.mode ?? 'bm25';
      const judged = [...input.qrels.keys()].filter((q) => input.queries.has(q));
      const run: Run = new Map();
      let done = 0;
      const rerank = options.rerank;
      const rerankDepth = Math.max(options.rerankDepth ?? depth, depth);
      const runOnce = async (record: boolean) => {
        for (let i = 0; i < judged.length; i++) {
          let hits: Array<{ docId: string; score: number }> = [];
          const query = input.queries.get(judged[i]!)!;
          try {
            const result = rerank
              ? await searchAndRerank(collection, query, { k: depth, mode, fusion: options.fusion, rerank, depth: rerankDepth })
              : collection.searchNow(query, { k: depth, documents: false, mode, fusion: options.fusion });
            hits = result.hits.map((h) => ({ docId: h.id, score: h.score }));
          } catch (error) {
            if (!(RalmError.is(error) && error.code === 'EMPTY_QUERY')) throw error;
          }
          if (record) {
            run.set(judged[i]!, hits);
            if (++done % 500 === 0) options.onProgress?.({ phase: 'search', done, total: judged.length });
          }
        }
      };
      await runOnce(true); // the run that is scored; also warms up the JIT
      const searchStarted = performance.now();
      await runOnce(false); // the timed pass: single process, sequential, top-`depth`, all judged queries
      const searchSeconds = (performance.now() - searchStarted) / 1000;
      const scores = evaluate(input.qrels, run, input.measures);
      if (options.runPath) await writeRun(options.runPath, run, { tag: `ralm-${mode}-${options.analyzer}` });
      const stats = collection.stats();
      const result: RetrievalEvaluationResult = {
        ...(scores.mean as Record<string, number>),
        'ndcg@10': scores.mean['ndcg@10']!,
        'recall@100': scores.mean['recall@100']!,
        'map@100': scores.mean['map@100']!,
        'mrr@10': scores.mean['mrr@10']!,
        'p@10': scores.mean['p@10']!,
        queries: scores.queries,
        docs,
        index_seconds: round(indexSeconds, 3),
        mode,
        ...(rerank ? { rerank, rerank_depth: rerankDepth } : {}),
        embed_seconds: round(embedSeconds, 3),
        search_qps: round(judged.length / Math.max(searchSeconds, 1e-9), 1),
        analyzer: stats.analyzer,
        k1: stats.bm25.k1,
        b: stats.bm25.b,
      };
      if (input.afterRun) Object.assign(result, await input.afterRun(collection));
      return result;
    } finally {
      await collection.close();
    }
  } finally {
    if (temporary) rmSync(temporary, { recursive: true, force: true });
  }
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
