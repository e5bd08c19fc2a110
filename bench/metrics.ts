/**
 * Relevance metrics for the benchmark. ralm's own evaluator (`src/eval`) is used when it is present; the
 * small trec_eval-compatible implementation below is the fallback and the cross-check.
 */
import type { Qrels } from './corpora.js';

export interface RankedDocument {
  docId: string;
  score: number;
}

/** query id → its ranked results. */
export type Run = Map<string, RankedDocument[]>;

/** trec_eval's order: score descending, then document id descending. */
function trecOrder(results: readonly RankedDocument[]): RankedDocument[] {
  return [...results].sort((a, b) => b.score - a.score || (a.docId < b.docId ? 1 : a.docId > b.docId ? -1 : 0));
}

/** nDCG@k as trec_eval computes it: linear gain, log2(rank + 1) discount, mean over the judged queries. */
export function meanNdcg(qrels: Qrels, run: Run, k = 10): number {
  let sum = 0;
  for (const [queryId, judged] of qrels) {
    const ranked = trecOrder(run.get(queryId) ?? []).slice(0, k);
    let dcg = 0;
    ranked.forEach((result, i) => {
      const gain = judged.get(result.docId) ?? 0;
      if (gain > 0) dcg += gain / Math.log2(i + 2);
    });
    const ideal = [...judged.values()].filter((g) => g > 0).sort((a, b) => b - a).slice(0, k);
    let idcg = 0;
    ideal.forEach((gain, i) => (idcg += gain / Math.log2(i + 2)));
    sum += idcg > 0 ? dcg / idcg : 0;
  }
  return qrels.size ? sum / qrels.size : 0;
}

/** Recall@k: the share of each query's relevant documents found in its top k, averaged over judged queries. */
export function meanRecall(qrels: Qrels, run: Run, k = 100): number {
  let sum = 0;
  for (const [queryId, judged] of qrels) {
    const relevant = [...judged].filter(([, g]) => g > 0).map(([id]) => id);
    if (!relevant.length) continue;
    const top = new Set(trecOrder(run.get(queryId) ?? []).slice(0, k).map((r) => r.docId));
    sum += relevant.filter((id) => top.has(id)).length / relevant.length;
  }
  return qrels.size ? sum / qrels.size : 0;
}

export interface NdcgResult {
  value: number;
  /** `ralm src/eval` or `bench fallback`. */
  source: string;
  /** The fallback's value when ralm's evaluator was used (they should agree). */
  crossCheck?: number;
}

type Evaluate = (qrels: Qrels, run: Run, metrics: string[]) => { mean: Record<string, number> } | Promise<{ mean: Record<string, number> }>;

let evaluator: Evaluate | null | undefined;

/** ralm's `evaluate`, or `null` (once, with a one-line notice) when `src/eval` is not there yet. */
async function loadEvaluator(): Promise<Evaluate | null> {
  if (evaluator !== undefined) return evaluator;
  const specifier = '../src/eval/index.js';
  try {
    const mod = (await import(specifier)) as { evaluate?: Evaluate };
    evaluator = typeof mod.evaluate === 'function' ? mod.evaluate : null;
  } catch (error) {
    evaluator = null;
    process.stderr.write(`[bench] ralm's evaluator (src/eval) is not available (${(error as Error).message.split('\n')[0]}); using the bench's own nDCG@10\n`);
  }
  return evaluator;
}

export async function ndcgAt10(qrels: Qrels, run: Run): Promise<NdcgResult> {
  const own = meanNdcg(qrels, run, 10);
  const evaluate = await loadEvaluator();
  if (!evaluate) return { value: own, source: 'bench fallback' };
  try {
    const report = await evaluate(qrels, run, ['ndcg@10']);
    const value = report.mean['ndcg@10'];
    if (typeof value === 'number' && Number.isFinite(value)) return { value, source: 'ralm src/eval', crossCheck: own };
  } catch (error) {
    process.stderr.write(`[bench] ralm's evaluate failed (${(error as Error).message.split('\n')[0]}); using the bench's own nDCG@10\n`);
  }
  return { value: own, source: 'bench fallback' };
}
