/**
 * The contract every LanguageModel implementation must meet, as one suite that each implementation runs
 * (`languageModelContract(name, setup)`). `setup` returns a model whose answer to any request is `expectedText`.
 */
import { describe, expect, it } from 'vitest';
import { RalmError } from '../../src/core/errors.js';
import { collectStream, type LanguageModel, type StreamEvent } from '../../src/models/index.js';

export interface ContractSubject {
  model: LanguageModel;
  expectedText: string;
  teardown?: () => Promise<void>;
}

export function languageModelContract(name: string, setup: () => Promise<ContractSubject>): void {
  const messages = [
    { role: 'system' as const, content: 'Be brief.' },
    { role: 'user' as const, content: 'Say hello.' },
  ];

  async function withSubject(test: (subject: ContractSubject) => Promise<void>): Promise<void> {
    const subject = await setup();
    try {
      await test(subject);
    } finally {
      await subject.teardown?.();
    }
  }

  describe(`LanguageModel contract: ${name}`, () => {
    it('is a v1 spec with provider and modelId', () =>
      withSubject(async ({ model }) => {
        expect(model.specificationVersion).toBe('v1');
        expect(typeof model.provider).toBe('string');
        expect(model.provider.length).toBeGreaterThan(0);
        expect(model.modelId.length).toBeGreaterThan(0);
      }));

    it('generate returns the text, a finish reason and a usage object', () =>
      withSubject(async ({ model, expectedText }) => {
        const result = await model.generate({ messages, maxTokens: 64 });
        expect(result.text).toBe(expectedText);
        expect(['stop', 'length', 'content-filter', 'error', 'other']).toContain(result.finishReason);
        expect(typeof result.usage).toBe('object');
      }));

    it('stream yields text deltas that add up to the same text, and exactly one finish, last', () =>
      withSubject(async ({ model, expectedText }) => {
        const events: StreamEvent[] = [];
        for await (const e of model.stream({ messages, maxTokens: 64 })) events.push(e);
        expect(events.filter((e) => e.type === 'finish')).toHaveLength(1);
        expect(events.at(-1)!.type).toBe('finish');
        expect(events.some((e) => e.type === 'error')).toBe(false);
        expect((await collectStream(model.stream({ messages, maxTokens: 64 }))).text).toBe(expectedText);
      }));

    it('methods work unbound (plain objects, no `this`)', () =>
      withSubject(async ({ model, expectedText }) => {
        const { generate } = model;
        expect((await generate({ messages })).text).toBe(expectedText);
      }));

    it('an aborted signal → ABORTED (generate rejects; stream ends with an error event, no finish)', () =>
      withSubject(async ({ model }) => {
        const signal = AbortSignal.abort();
        const error = await model.generate({ messages }, { signal }).catch((e: unknown) => e);
        expect(RalmError.is(error) && error.code).toBe('ABORTED');
        const events: StreamEvent[] = [];
        for await (const e of model.stream({ messages }, { signal })) events.push(e);
        expect(events.at(-1)!.type).toBe('error');
        expect((events.at(-1) as { error: RalmError }).error.code).toBe('ABORTED');
        expect(events.some((e) => e.type === 'finish')).toBe(false);
      }));
  });
}
