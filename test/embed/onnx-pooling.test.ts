import * as ort from 'onnxruntime-node';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { onnxSessionOptions, poolHiddenStates } from '../../src/embed/onnx/index.js';
import { writeTinyModel } from '../helpers/onnx-models.js';
import { sharedPath } from '../helpers/shared.js';

/** The same arithmetic as poolHiddenStates, reading the mask the slow way: one Number() per element. */
function referencePool(hidden: Float32Array, dims: number[], mask: ArrayLike<number | bigint>, pooling: 'mean' | 'cls', normalize: boolean): Float32Array {
  const [batch, sequence, size] = dims as [number, number, number];
  const out = new Float32Array(batch * size);
  for (let b = 0; b < batch; b++) {
    const sum = new Float64Array(size);
    if (pooling === 'cls') {
      for (let j = 0; j < size; j++) sum[j] = hidden[b * sequence * size + j]!;
    } else {
      let count = 0;
      for (let t = 0; t < sequence; t++) {
        if (Number(mask[b * sequence + t]) === 0) continue;
        count++;
        for (let j = 0; j < size; j++) sum[j] += hidden[(b * sequence + t) * size + j]!;
      }
      const scale = 1 / Math.max(count, 1e-9);
      for (let j = 0; j < size; j++) sum[j] *= scale;
    }
    let norm = 0;
    for (let j = 0; j < size; j++) norm += sum[j]! * sum[j]!;
    const scale = normalize ? 1 / Math.max(Math.sqrt(norm), 1e-12) : 1;
    for (let j = 0; j < size; j++) out[b * size + j] = sum[j]! * scale;
  }
  return out;
}

const shapes = fc.record({ batch: fc.integer({ min: 1, max: 4 }), sequence: fc.integer({ min: 1, max: 9 }), size: fc.integer({ min: 1, max: 6 }) });

describe('poolHiddenStates', () => {
  it('reads an int64 mask (BigInt64Array, BigUint64Array, a view at an offset) exactly as Number() per element would', () => {
    fc.assert(
      fc.property(
        shapes.chain((shape) =>
          fc.record({
            shape: fc.constant(shape),
            hidden: fc.array(fc.float({ min: -4, max: 4, noNaN: true }), { minLength: shape.batch * shape.sequence * shape.size, maxLength: shape.batch * shape.sequence * shape.size }),
            // 0, 1, and values whose low 32 bits are zero (2^32, -2^32): non-zero, so kept
            mask: fc.array(fc.constantFrom(0n, 1n, 1n, 2n ** 32n, -(2n ** 32n)), { minLength: shape.batch * shape.sequence, maxLength: shape.batch * shape.sequence }),
            pooling: fc.constantFrom<'mean' | 'cls'>('mean', 'cls'),
            normalize: fc.boolean(),
            offset: fc.integer({ min: 0, max: 3 }),
          }),
        ),
        ({ shape, hidden, mask, pooling, normalize, offset }) => {
          const dims = [shape.batch, shape.sequence, shape.size];
          const values = Float32Array.from(hidden);
          const expected = referencePool(values, dims, mask, pooling, normalize);
          const signed = new BigInt64Array(new ArrayBuffer((mask.length + offset) * 8), offset * 8, mask.length);
          signed.set(mask);
          const unsigned = BigUint64Array.from(mask, (m) => BigInt.asUintN(64, m));
          for (const m of [signed, unsigned, mask.map(Number)]) {
            const { data, dimensions } = poolHiddenStates(values, dims, m, pooling, normalize);
            expect(dimensions).toBe(shape.size);
            expect(Array.from(data)).toEqual(Array.from(expected));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('gives a zero vector for a fully masked row (no division by zero)', () => {
    const { data } = poolHiddenStates(new Float32Array([1, 2, 3, 4]), [1, 2, 2], new BigInt64Array([0n, 0n]), 'mean', true);
    expect(Array.from(data)).toEqual([0, 0]);
  });
});

describe('onnxSessionOptions', () => {
  it('turns off spin-waiting, uses one inter-op thread, and sets intra-op threads only when asked', () => {
    expect(onnxSessionOptions(2)).toEqual({
      intraOpNumThreads: 2,
      interOpNumThreads: 1,
      extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
    });
    expect(onnxSessionOptions()).not.toHaveProperty('intraOpNumThreads');
  });

  const minilm = sharedPath('models', 'all-MiniLM-L6-v2');
  it.skipIf(!minilm)('is accepted by onnxruntime-node and computes what the default options compute', async () => {
    const tiny = writeTinyModel(minilm!);
    try {
      const file = join(tiny.path, 'onnx', 'model.onnx');
      const plain = await ort.InferenceSession.create(file);
      const tuned = await ort.InferenceSession.create(file, onnxSessionOptions(1) as ort.InferenceSession.SessionOptions);
      const ids = new BigInt64Array([101n, 7592n, 2088n, 102n]);
      const feeds = () => ({
        input_ids: new ort.Tensor('int64', ids, [1, 4]),
        attention_mask: new ort.Tensor('int64', new BigInt64Array(4).fill(1n), [1, 4]),
        token_type_ids: new ort.Tensor('int64', new BigInt64Array(4), [1, 4]),
      });
      const a = (await plain.run(feeds())).last_hidden_state!.data as Float32Array;
      const b = (await tuned.run(feeds())).last_hidden_state!.data as Float32Array;
      expect(Array.from(b)).toEqual(Array.from(a));
      await plain.release();
      await tuned.release();
    } finally {
      tiny.remove();
    }
  });
});
