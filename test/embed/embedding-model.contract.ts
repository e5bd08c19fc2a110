/**
 * The contract every EmbeddingModel implementation must meet, as one suite that each implementation runs
 * (`embeddingModelContract(name, setup)`). `setup` is called once per suite; the model must give non-zero vectors
 * for the English sample texts below.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RalmError } from '../../src/core/errors.js';
import type { EmbeddingModel } from '../../src/models/index.js';

export interface EmbeddingContractSubject {
  model: EmbeddingModel;
  teardown?: () => Promise<void>;
}

/** Sample texts every model must embed to distinct, non-zero vectors. */
export const CONTRACT_TEXTS = [
  'dense retrieval embeds queries and passages',
  'the okapi ranking function scores documents',
  'passages about retrieval and ranking',
  'queries embed documents densely',
];

function expectClose(a: Float32Array, b: Float32Array, tolerance = 1e-5): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThanOrEqual(tolerance);
}

export function embeddingModelContract(name: string, setup: () => Promise<EmbeddingContractSubject>): void {
  describe(`EmbeddingModel contract: ${name}`, () => {
    let subject: EmbeddingContractSubject;
    beforeAll(async () => {
      subject = await setup();
    });
    afterAll(async () => {
      await subject?.teardown?.();
    });

    it('is a v1 spec with provider, modelId and dimensions', async () => {
      const { model } = subject;
      expect(model.specificationVersion).toBe('v1');
      expect(model.provider.length).toBeGreaterThan(0);
      expect(model.modelId.length).toBeGreaterThan(0);
      await model.embed(CONTRACT_TEXTS.slice(0, 1), { kind: 'passage' }); // HTTP models may learn their dimension
      expect(Number.isInteger(model.dimensions) && model.dimensions > 0).toBe(true);
    });

    it('returns one finite, non-zero Float32Array of `dimensions` per text', async () => {
      const { model } = subject;
      for (const kind of ['query', 'passage'] as const) {
        const vectors = await model.embed(CONTRACT_TEXTS, { kind });
        expect(vectors).toHaveLength(CONTRACT_TEXTS.length);
        for (const v of vectors) {
          expect(v).toBeInstanceOf(Float32Array);
          expect(v.length).toBe(model.dimensions);
          expect(v.every(Number.isFinite)).toBe(true);
          expect(v.some((x) => x !== 0)).toBe(true);
        }
      }
    });

    it('returns [] for no texts', async () => {
      expect(await subject.model.embed([], { kind: 'passage' })).toEqual([]);
    });

    it('is deterministic and keeps input order (batch = one at a time, reversed input = reversed output)', async () => {
      const { model } = subject;
      const batch = await model.embed(CONTRACT_TEXTS, { kind: 'passage' });
      const again = await model.embed(CONTRACT_TEXTS, { kind: 'passage' });
      const reversed = await model.embed([...CONTRACT_TEXTS].reverse(), { kind: 'passage' });
      for (let i = 0; i < CONTRACT_TEXTS.length; i++) {
        expectClose(batch[i]!, again[i]!, 0);
        expectClose(batch[i]!, reversed[CONTRACT_TEXTS.length - 1 - i]!);
        const [single] = await model.embed([CONTRACT_TEXTS[i]!], { kind: 'passage' });
        expectClose(batch[i]!, single!);
      }
    });

    it('gives different texts different vectors', async () => {
      const vectors = await subject.model.embed(CONTRACT_TEXTS, { kind: 'passage' });
      for (let i = 1; i < vectors.length; i++) expect(Array.from(vectors[i]!)).not.toEqual(Array.from(vectors[0]!));
    });

    it('refuses bad arguments with INVALID_ARGUMENT', async () => {
      const { model } = subject;
      await expect(model.embed(['a', 3 as unknown as string], { kind: 'passage' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      await expect(model.embed(['a'], { kind: 'document' as 'passage' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    });

    it('rejects with ABORTED when the signal is already aborted', async () => {
      const controller = new AbortController();
      controller.abort();
      const error = await subject.model.embed(CONTRACT_TEXTS, { kind: 'passage', signal: controller.signal }).catch((e: unknown) => e);
      expect(RalmError.is(error)).toBe(true);
      expect((error as RalmError).code).toBe('ABORTED');
    });
  });
}
