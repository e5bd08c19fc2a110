import { describe, expect, it } from 'vitest';
import { RalmError } from '../../src/core/errors.js';
import { collectStream, estimateTokens, type StreamEvent } from '../../src/models/index.js';

async function* from(events: StreamEvent[]): AsyncIterable<StreamEvent> {
  yield* events;
}

describe('estimateTokens', () => {
  it('counts ~4 Latin characters per token and one per CJK character', () => {
    expect(estimateTokens('')).toBe(0);
    expect(estimateTokens('hello world!')).toBe(3);
    expect(estimateTokens('abcde')).toBe(2);
    expect(estimateTokens('检索增强生成')).toBe(6);
    expect(estimateTokens('BM25 检索')).toBe(2 + 2); // "BM25 " = 5 chars → 2, plus 2 Han
    expect(estimateTokens('ひらがなカタカナ한국어')).toBe(11);
    expect(estimateTokens('𠀀𠀁')).toBe(2); // supplementary-plane Han: one token per character, not per UTF-16 unit
  });
});

describe('collectStream', () => {
  it('concatenates deltas and logprobs and returns the finish reason and usage', async () => {
    const result = await collectStream(
      from([
        { type: 'text-delta', text: 'Hel' },
        { type: 'logprobs', logprobs: [{ token: 'Hel', logprob: -1 }] },
        { type: 'text-delta', text: 'lo' },
        { type: 'logprobs', logprobs: [{ token: 'lo', logprob: -2 }] },
        { type: 'finish', finishReason: 'length', usage: { inputTokens: 3, outputTokens: 2 } },
      ]),
    );
    expect(result).toEqual({
      text: 'Hello',
      finishReason: 'length',
      usage: { inputTokens: 3, outputTokens: 2 },
      logprobs: [{ token: 'Hel', logprob: -1 }, { token: 'lo', logprob: -2 }],
    });
  });

  it('throws the error event', async () => {
    const error = new RalmError('TIMEOUT', 'slow');
    await expect(collectStream(from([{ type: 'text-delta', text: 'a' }, { type: 'error', error }]))).rejects.toBe(error);
  });

  it('a stream without a finish event is never presented as complete', async () => {
    await expect(collectStream(from([{ type: 'text-delta', text: 'half' }]))).rejects.toThrow(/without a finish event after 4 characters/);
  });
});

describe('RalmError provider fields', () => {
  it('carries statusCode and isRetryable when given', () => {
    const e = new RalmError('PROVIDER', 'boom', { statusCode: 503, isRetryable: true });
    expect(e.statusCode).toBe(503);
    expect(e.isRetryable).toBe(true);
    const plain = new RalmError('IO', 'x');
    expect(plain.statusCode).toBeUndefined();
    expect(plain.isRetryable).toBeUndefined();
  });
});
