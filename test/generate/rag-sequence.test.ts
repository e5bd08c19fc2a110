import { describe, expect, it } from 'vitest';
import { RalmError } from '../../src/core/errors.js';
import { languageModelLogLikelihood, logSumExp, marginalizeAnswers } from '../../src/generate/rag-sequence.js';
import type { GenerateRequest, GenerateResult, LanguageModel, ScoreRequest, StreamEvent } from '../../src/models/index.js';

describe('logSumExp', () => {
  it('is log Σ exp, stable for large magnitudes', () => {
    expect(logSumExp([Math.log(0.2), Math.log(0.3)])).toBeCloseTo(Math.log(0.5), 14);
    expect(logSumExp([-1000, -1000])).toBeCloseTo(-1000 + Math.LN2, 12);
    expect(logSumExp([1000, 1000])).toBeCloseTo(1000 + Math.LN2, 12);
    expect(logSumExp([])).toBe(-Infinity);
    expect(logSumExp([-Infinity, -Infinity])).toBe(-Infinity);
    expect(logSumExp([-Infinity, -2])).toBe(-2);
  });
});

describe('marginalizeAnswers', () => {
  // Hand-worked: p(z1|x) = 0.6, p(z2|x) = 0.4.
  // "Paris": p(y|x,z1) = 0.9, p(y|x,z2) = 0.5 → 0.54 + 0.20 = 0.74
  // "Lyon":  p(y|x,z1) = 0.05, p(y|x,z2) = 0.4 → 0.03 + 0.16 = 0.19
  // "Nice":  0 under z1, 0.1 under z2          → 0.04
  const table: Record<string, Record<string, number>> = {
    Paris: { z1: 0.9, z2: 0.5 },
    Lyon: { z1: 0.05, z2: 0.4 },
    Nice: { z1: 0, z2: 0.1 },
  };
  const passages = [
    { key: 'z1', probability: 0.6 },
    { key: 'z2', probability: 0.4 },
  ];
  const logLikelihood = async (y: string, z: string) => Math.log(table[y]![z]!);

  it('computes log Σ_z p(z|x)·p(y|x,z) and sorts best first', async () => {
    const ranked = await marginalizeAnswers({ candidates: ['Nice', 'Lyon', 'Paris'], passages, logLikelihood });
    expect(ranked.map((r) => r.candidate)).toEqual(['Paris', 'Lyon', 'Nice']);
    expect(Math.exp(ranked[0]!.logProbability)).toBeCloseTo(0.74, 12);
    expect(Math.exp(ranked[1]!.logProbability)).toBeCloseTo(0.19, 12);
    expect(Math.exp(ranked[2]!.logProbability)).toBeCloseTo(0.04, 12);
  });

  it('stays exact where probabilities underflow (log-sum-exp)', async () => {
    // log p(y|x,z) = -2000 and -2001: exp underflows to 0, the marginal must not.
    const ranked = await marginalizeAnswers({
      candidates: ['long answer'],
      passages: [{ key: 'a', probability: 0.5 }, { key: 'b', probability: 0.5 }],
      logLikelihood: async (_y, z) => (z === 'a' ? -2000 : -2001),
    });
    expect(ranked[0]!.logProbability).toBeCloseTo(Math.log(0.5) + -2000 + Math.log(1 + Math.exp(-1)), 9);
  });

  it('skips passages with probability 0, scores duplicates once, keeps candidate order on ties', async () => {
    const calls: string[] = [];
    const ranked = await marginalizeAnswers({
      candidates: ['b', 'a', 'b'],
      passages: [{ key: 'z', probability: 1 }, { key: 'never', probability: 0 }],
      logLikelihood: async (y, z) => {
        calls.push(`${y}|${z}`);
        return -1;
      },
    });
    expect(ranked).toEqual([{ candidate: 'b', logProbability: -1 }, { candidate: 'a', logProbability: -1 }]);
    expect(calls.sort()).toEqual(['a|z', 'b|z']);
  });

  it('refuses probabilities that do not sum to 1 and log-likelihoods above 0', async () => {
    await expect(marginalizeAnswers({ candidates: ['x'], passages: [{ key: 'a', probability: 0.5 }], logLikelihood })).rejects.toThrow(/sum to 0.5, not 1/);
    await expect(marginalizeAnswers({ candidates: ['x'], passages: [{ key: 'a', probability: -1 }, { key: 'b', probability: 2 }], logLikelihood })).rejects.toThrow(RalmError);
    await expect(marginalizeAnswers({ candidates: ['x'], passages: [{ key: 'a', probability: 1 }], logLikelihood: async () => 0.5 })).rejects.toThrow(/≤ 0/);
  });
});

/** A fake model: greedy answers and their token logprobs per passage, read from the prompt text. */
function fakeModel(options: { withScore: boolean; withLogprobs?: boolean }): LanguageModel & { generateCalls: number } {
  const greedy: Record<string, GenerateResult> = {
    z1: { text: 'Paris', finishReason: 'stop', usage: {}, logprobs: [{ token: 'Par', logprob: -0.1 }, { token: 'is', logprob: -0.2 }] },
    z2: { text: 'Lyon', finishReason: 'stop', usage: {}, logprobs: [{ token: 'Lyon', logprob: -0.7 }] },
  };
  const model: LanguageModel & { generateCalls: number } = {
    specificationVersion: 'v1',
    provider: 'fake',
    modelId: 'fake-1',
    generateCalls: 0,
    async generate(request: GenerateRequest) {
      model.generateCalls++;
      expect(request.temperature).toBe(0);
      expect(request.logprobs).toBe(true);
      const key = request.messages.at(-1)!.content;
      const result = { ...greedy[key]! };
      if (options.withLogprobs === false) delete result.logprobs;
      return result;
    },
    async *stream(): AsyncIterable<StreamEvent> {
      yield { type: 'finish', finishReason: 'stop', usage: {} };
    },
  };
  if (options.withScore) {
    model.scoreContinuation = async (request: ScoreRequest) => {
      const key = request.messages.at(-1)!.content;
      const logprob = Math.log(({ z1: { Paris: 0.9, Lyon: 0.05 }, z2: { Paris: 0.5, Lyon: 0.4 } } as Record<string, Record<string, number>>)[key]![request.continuation]!);
      return { logprob, tokens: [{ token: request.continuation, logprob }] };
    };
  }
  return model;
}

describe('languageModelLogLikelihood', () => {
  const passages = [
    { key: 'z1', probability: 0.6 },
    { key: 'z2', probability: 0.4 },
  ];
  const messages = (key: string) => [{ role: 'user' as const, content: key }];

  it('uses scoreContinuation when the model has it (thorough decoding)', async () => {
    const model = fakeModel({ withScore: true });
    const ranked = await marginalizeAnswers({ candidates: ['Lyon', 'Paris'], passages, logLikelihood: languageModelLogLikelihood({ model, messages }) });
    expect(ranked[0]!.candidate).toBe('Paris');
    expect(Math.exp(ranked[0]!.logProbability)).toBeCloseTo(0.6 * 0.9 + 0.4 * 0.5, 12);
    expect(Math.exp(ranked[1]!.logProbability)).toBeCloseTo(0.6 * 0.05 + 0.4 * 0.4, 12);
    expect(model.generateCalls).toBe(0);
  });

  it('otherwise uses fast decoding: greedy answer per passage, p(y|x,z) ≈ 0 for other candidates', async () => {
    const model = fakeModel({ withScore: false });
    const ranked = await marginalizeAnswers({ candidates: ['Lyon', 'Paris', 'Nice'], passages, logLikelihood: languageModelLogLikelihood({ model, messages }) });
    // Paris: 0.6 · exp(-0.3); Lyon: 0.4 · exp(-0.7); Nice: generated from no passage → -Infinity.
    expect(ranked.map((r) => r.candidate)).toEqual(['Paris', 'Lyon', 'Nice']);
    expect(ranked[0]!.logProbability).toBeCloseTo(Math.log(0.6) - 0.3, 12);
    expect(ranked[1]!.logProbability).toBeCloseTo(Math.log(0.4) - 0.7, 12);
    expect(ranked[2]!.logProbability).toBe(-Infinity);
    expect(model.generateCalls).toBe(2); // one greedy generation per passage, shared by all candidates
  });

  it('a model without logprobs is UNSUPPORTED', async () => {
    const model = fakeModel({ withScore: false, withLogprobs: false });
    const error = await marginalizeAnswers({ candidates: ['Paris'], passages, logLikelihood: languageModelLogLikelihood({ model, messages }) }).catch((e: unknown) => e);
    expect((error as RalmError).code).toBe('UNSUPPORTED');
    expect((error as RalmError).message).toContain('returned no logprobs');
  });
});
