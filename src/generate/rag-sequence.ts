/**
 * RAG-Sequence marginalisation (Lewis et al., 2020, "Retrieval-Augmented Generation for Knowledge-Intensive NLP
 * Tasks", §2.1): the probability of a whole answer y is p(y|x) = Σ_z p(z|x) · p(y|x,z), summed over the retrieved
 * passages z, computed in log space with log-sum-exp.
 */
import { RalmError } from '../core/errors.js';
import type { CallOptions, ChatMessage, GenerateResult, LanguageModel } from '../models/language-model.js';

/**
 * A retrieved passage with its retrieval probability p(z|x) (the probabilities of all passages sum to 1).
 *
 * @example
 * ```ts
 * const passage: PassageProbability = { key: '1', probability: 0.7 };
 * ```
 */
export interface PassageProbability {
  key: string;
  probability: number;
}

/**
 * Options of {@link marginalizeAnswers}.
 *
 * @example
 * ```ts
 * const options: MarginalizeOptions = { candidates: ['Paris'], passages: [{ key: '1', probability: 1 }], logLikelihood: async () => -0.1 };
 * ```
 */
export interface MarginalizeOptions {
  candidates: string[];
  passages: PassageProbability[];
  /** log p(y | x, z): the natural-log likelihood of `candidate` given the question and passage `passageKey`. */
  logLikelihood: (candidate: string, passageKey: string) => Promise<number>;
}

/**
 * One candidate answer with log p(y|x) = log Σ_z p(z|x)·p(y|x,z).
 *
 * @example
 * ```ts
 * const scored: MarginalizedAnswer = { candidate: 'Paris', logProbability: -0.105 };
 * Math.exp(scored.logProbability); // p(y|x)
 * ```
 */
export interface MarginalizedAnswer {
  candidate: string;
  logProbability: number;
}

/**
 * log Σ exp(values), stable for large magnitudes; `-Infinity` for an empty list or when every value is `-Infinity`.
 *
 * @example
 * ```ts
 * logSumExp([Math.log(0.2), Math.log(0.3)]); // Math.log(0.5)
 * logSumExp([-1000, -1000]);                   // -1000 + Math.log(2)
 * ```
 */
export function logSumExp(values: number[]): number {
  let max = -Infinity;
  for (const v of values) if (v > max) max = v;
  if (max === -Infinity) return -Infinity;
  if (max === Infinity) return Infinity;
  let sum = 0;
  for (const v of values) sum += Math.exp(v - max);
  return max + Math.log(sum);
}

/**
 * Scores every candidate answer by RAG-Sequence marginalisation over the passages and returns them best first
 * (ties keep the candidates' order). Passages with probability 0 are skipped (their likelihood is not requested).
 * Probabilities must be ≥ 0 and sum to 1 (within 1e-6); duplicate candidates are scored once.
 *
 * @example
 * ```ts
 * const ranked = await marginalizeAnswers({
 *   candidates: ['Paris', 'Lyon'],
 *   passages: [{ key: '1', probability: 0.6 }, { key: '2', probability: 0.4 }],
 *   logLikelihood: async (y, z) => Math.log(y === 'Paris' ? (z === '1' ? 0.9 : 0.5) : 0.1),
 * });
 * // ranked[0] = { candidate: 'Paris', logProbability: Math.log(0.6 * 0.9 + 0.4 * 0.5) }
 * ```
 */
export async function marginalizeAnswers(options: MarginalizeOptions): Promise<MarginalizedAnswer[]> {
  const { passages, logLikelihood } = options;
  let sum = 0;
  const keys = new Set<string>();
  for (const p of passages) {
    if (!Number.isFinite(p.probability) || p.probability < 0) {
      throw new RalmError('INVALID_ARGUMENT', `passage "${p.key}" has probability ${String(p.probability)}; p(z|x) must be a number ≥ 0`);
    }
    if (keys.has(p.key)) throw new RalmError('INVALID_ARGUMENT', `passage key "${p.key}" appears twice`);
    keys.add(p.key);
    sum += p.probability;
  }
  if (passages.length === 0) throw new RalmError('INVALID_ARGUMENT', 'marginalizeAnswers needs at least one passage');
  if (Math.abs(sum - 1) > 1e-6) {
    throw new RalmError('INVALID_ARGUMENT', `passage probabilities p(z|x) sum to ${sum}, not 1; normalise them (e.g. a softmax of retrieval scores)`);
  }
  const candidates = [...new Set(options.candidates)];
  const live = passages.filter((p) => p.probability > 0);
  const scored = await Promise.all(
    candidates.map(async (candidate, order) => {
      const terms = await Promise.all(
        live.map(async (p) => {
          const ll = await logLikelihood(candidate, p.key);
          if (typeof ll !== 'number' || Number.isNaN(ll) || ll > 1e-9) {
            throw new RalmError('INVALID_ARGUMENT', `logLikelihood("${candidate}", "${p.key}") returned ${String(ll)}; a log-probability is a number ≤ 0`);
          }
          return Math.log(p.probability) + Math.min(ll, 0);
        }),
      );
      return { candidate, logProbability: logSumExp(terms), order };
    }),
  );
  scored.sort((a, b) => b.logProbability - a.logProbability || a.order - b.order);
  return scored.map(({ candidate, logProbability }) => ({ candidate, logProbability }));
}

/**
 * Options of {@link languageModelLogLikelihood}.
 *
 * @example
 * ```ts
 * const options: LogLikelihoodOptions = { model, messages: (key) => buildGroundedPrompt({ ...base, passages: [byKey[key]] }).messages };
 * ```
 */
export interface LogLikelihoodOptions {
  model: LanguageModel;
  /** The prompt conditioned on one passage z (question x plus passage z). */
  messages: (passageKey: string) => ChatMessage[];
  /** Most tokens of the greedy answer in the fast-decoding fallback (default 256). */
  maxTokens?: number;
  /** Compares a candidate with a greedy answer in the fallback; defaults to equality after trimming and collapsing whitespace. */
  sameAnswer?: (candidate: string, generated: string) => boolean;
  callOptions?: CallOptions;
}

/**
 * Makes the `logLikelihood` function of {@link marginalizeAnswers} from a {@link LanguageModel}.
 *
 * - When the model has `scoreContinuation` (a backend that scores a forced assistant continuation, e.g. prompt
 *   logprobs with echo), log p(y|x,z) is exact: the sum of the candidate's token logprobs ("thorough decoding").
 * - Otherwise (the OpenAI chat API has no echo of a forced continuation) it uses the paper's **fast decoding**
 *   approximation: one greedy answer (temperature 0, with logprobs) is generated per passage; a candidate equal to
 *   it gets the sum of its token logprobs, any other candidate p(y|x,z) ≈ 0 (`-Infinity`). Candidates should then
 *   be those greedy answers. A model that returns no logprobs yields an `UNSUPPORTED` error.
 *
 * The greedy answer of each passage is generated once and reused for every candidate.
 *
 * @example
 * ```ts
 * const logLikelihood = languageModelLogLikelihood({ model, messages: (key) => promptFor(key).messages });
 * const ranked = await marginalizeAnswers({ candidates, passages, logLikelihood });
 * ```
 */
export function languageModelLogLikelihood(options: LogLikelihoodOptions): (candidate: string, passageKey: string) => Promise<number> {
  const { model, messages } = options;
  const same = options.sameAnswer ?? ((a: string, b: string) => normalizeSpace(a) === normalizeSpace(b));
  const greedy = new Map<string, Promise<GenerateResult>>();
  return async (candidate, passageKey) => {
    if (model.scoreContinuation) {
      const { logprob } = await model.scoreContinuation({ messages: messages(passageKey), continuation: candidate }, options.callOptions);
      return logprob;
    }
    let pending = greedy.get(passageKey);
    if (!pending) {
      pending = model.generate({ messages: messages(passageKey), temperature: 0, logprobs: true, maxTokens: options.maxTokens ?? 256 }, options.callOptions);
      greedy.set(passageKey, pending);
    }
    const result = await pending;
    if (!result.logprobs) {
      throw new RalmError(
        'UNSUPPORTED',
        `${model.provider}:${model.modelId} returned no logprobs, so log p(y|x,z) cannot be computed; use a backend with logprobs (OpenAI, vLLM, llama.cpp server) or one with scoreContinuation`,
      );
    }
    if (!same(candidate, result.text)) return -Infinity;
    return result.logprobs.reduce((s, t) => s + t.logprob, 0);
  };
}

function normalizeSpace(text: string): string {
  return text.trim().replace(/\s+/g, ' ');
}
