/**
 * Vector kernels shared by the dense indexes: dot product, norms, squared Euclidean distance, and the
 * metric names with their "higher is better" score convention.
 */
import { RalmError } from '../../core/errors.js';

/**
 * The similarity a vector index ranks by. Every index returns a score where higher is better:
 * `cosine` → cosine similarity in [-1, 1]; `inner-product` → the dot product; `l2` → the negated
 * squared Euclidean distance (so the nearest vector has the highest score).
 *
 * @example
 * ```ts
 * const metric: VectorMetric = 'cosine';
 * ```
 */
export type VectorMetric = 'cosine' | 'inner-product' | 'l2';

/** The metric names, for validation and error messages. */
export const VECTOR_METRICS: readonly VectorMetric[] = ['cosine', 'inner-product', 'l2'];

/**
 * Throws INVALID_ARGUMENT unless `metric` is one of {@link VECTOR_METRICS}.
 *
 * @example
 * ```ts
 * assertMetric('cosine'); // ok
 * ```
 */
export function assertMetric(metric: unknown): asserts metric is VectorMetric {
  if (!VECTOR_METRICS.includes(metric as VectorMetric)) {
    throw new RalmError('INVALID_ARGUMENT', `metric must be one of ${VECTOR_METRICS.join(', ')}; got ${JSON.stringify(metric)}`);
  }
}

/**
 * Dot product of `a[aOffset .. aOffset + length)` and `b[bOffset ..)`, summed in double precision.
 *
 * @example
 * ```ts
 * dotProduct(new Float32Array([1, 2]), new Float32Array([3, 4])); // 11
 * ```
 */
export function dotProduct(a: ArrayLike<number>, b: ArrayLike<number>, length = a.length, aOffset = 0, bOffset = 0): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i + 3 < length; i += 4) {
    s0 += a[aOffset + i]! * b[bOffset + i]!;
    s1 += a[aOffset + i + 1]! * b[bOffset + i + 1]!;
    s2 += a[aOffset + i + 2]! * b[bOffset + i + 2]!;
    s3 += a[aOffset + i + 3]! * b[bOffset + i + 3]!;
  }
  for (; i < length; i++) s0 += a[aOffset + i]! * b[bOffset + i]!;
  return s0 + s1 + (s2 + s3);
}

/**
 * Squared Euclidean distance of `a[aOffset ..)` and `b[bOffset ..)` over `length` components.
 *
 * @example
 * ```ts
 * squaredL2Distance(new Float32Array([0, 0]), new Float32Array([3, 4])); // 25
 * ```
 */
export function squaredL2Distance(a: ArrayLike<number>, b: ArrayLike<number>, length = a.length, aOffset = 0, bOffset = 0): number {
  let s0 = 0;
  let s1 = 0;
  let i = 0;
  for (; i + 1 < length; i += 2) {
    const d0 = a[aOffset + i]! - b[bOffset + i]!;
    const d1 = a[aOffset + i + 1]! - b[bOffset + i + 1]!;
    s0 += d0 * d0;
    s1 += d1 * d1;
  }
  for (; i < length; i++) {
    const d = a[aOffset + i]! - b[bOffset + i]!;
    s0 += d * d;
  }
  return s0 + s1;
}

/**
 * Euclidean norm of a vector.
 *
 * @example
 * ```ts
 * vectorNorm(new Float32Array([3, 4])); // 5
 * ```
 */
export function vectorNorm(a: ArrayLike<number>, length = a.length, offset = 0): number {
  return Math.sqrt(dotProduct(a, a, length, offset, offset));
}

/**
 * Writes `a / ‖a‖` into `out` (a zero vector stays zero) and returns `out`.
 *
 * @example
 * ```ts
 * normalizeVector(new Float32Array([3, 4])); // Float32Array [0.6, 0.8]
 * ```
 */
export function normalizeVector(a: ArrayLike<number>, out: Float32Array = new Float32Array(a.length)): Float32Array {
  const norm = vectorNorm(a);
  const scale = norm > 0 ? 1 / norm : 0;
  for (let i = 0; i < a.length; i++) out[i] = a[i]! * scale;
  return out;
}
