/**
 * Latent semantic analysis that needs no downloaded weights: a truncated SVD of the collection's weighted
 * term–document matrix, computed by a randomised SVD on the sparse matrix (Halko, Martinsson & Tropp 2011):
 *
 *   Ω ~ Gaussian (terms × ℓ, seeded), ℓ = k + oversampling
 *   Q = orth(A Ω); repeat `powerIterations` times: Q = orth(A · orth(Aᵀ Q))
 *   Bᵀ = Aᵀ Q (terms × ℓ); B Bᵀ = W Λ Wᵀ by cyclic Jacobi; σ = √λ; V = Bᵀ W Σ⁻¹ (first k columns)
 *
 * `orth` is modified Gram–Schmidt with one re-orthogonalisation pass when a column loses more than 30% of its
 * norm, on Float64Array columns. A document's vector is the fold-in of its own row, `a V Σ^(p−1)` (p = 1 for
 * `scaling: 'sigma'`, i.e. U Σ; ½ for `'sqrt-sigma'`; 0 for `'none'`, i.e. U), L2-normalised for cosine; a query
 * is weighted the same way as the matrix rows and folded in by the same map.
 */
import { decodeEnvelope, encodeEnvelope } from '../core/format.js';
import { RalmError } from '../core/errors.js';


/**
 * A sparse matrix in compressed sparse row form: row r's entries are `indices[indptr[r] .. indptr[r + 1])` (column
 * numbers) with `values` at the same positions. For LSA the rows are documents and the columns are terms.
 *
 * @example
 * ```ts
 * // [[1, 0, 2], [0, 3, 0]]
 * const matrix: SparseMatrix = { rows: 2, columns: 3, indptr: [0, 2, 3], indices: [0, 2, 1], values: [1, 2, 3] };
 * ```
 */
export interface SparseMatrix {
  rows: number;
  columns: number;
  indptr: ArrayLike<number>;
  indices: ArrayLike<number>;
  values: ArrayLike<number>;
}

/**
 * How term counts become weights: `'tfidf'` → `(1 + ln tf) · idf`; `'bm25'` → documents `idf · tf (k1 + 1) /
 * (tf + k1 (1 − b + b · dl / avgdl))`, queries `tf · idf` (each query occurrence counts once, as in BM25).
 *
 * @example
 * ```ts
 * const weighting: LsaWeighting = 'bm25';
 * ```
 */
export type LsaWeighting = 'tfidf' | 'bm25';

/**
 * How the singular values scale the vectors: `'sigma'` → U Σ (classic LSA fold-in, `a V`), `'sqrt-sigma'` → U Σ^½,
 * `'none'` → U (every dimension weighs the same).
 *
 * @example
 * ```ts
 * const scaling: LsaScaling = 'sigma';
 * ```
 */
export type LsaScaling = 'sigma' | 'sqrt-sigma' | 'none';

/** The LSA defaults, in one visible place. */
export const DEFAULT_LSA_OPTIONS = {
  dimensions: 256,
  scaling: 'sigma' as LsaScaling,
  weighting: 'bm25' as LsaWeighting,
  seed: 1,
  powerIterations: 2,
  oversampling: 10,
  k1: 0.9,
  b: 0.4,
};

/** A seeded PRNG (mulberry32) and Box–Muller Gaussian; deterministic across platforms. */
function gaussianSource(seed: number): () => number {
  let state = seed >>> 0;
  const uniform = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const value = spare;
      spare = undefined;
      return value;
    }
    const radius = Math.sqrt(-2 * Math.log(uniform()));
    const angle = 2 * Math.PI * uniform();
    spare = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  };
}

function checkMatrix(matrix: SparseMatrix): void {
  const { rows, columns, indptr, indices, values } = matrix;
  if (!Number.isInteger(rows) || rows < 1 || !Number.isInteger(columns) || columns < 1) {
    throw new RalmError('INVALID_ARGUMENT', `matrix must have at least one row and one column; got ${rows} × ${columns}`);
  }
  if (indptr.length !== rows + 1 || indptr[0] !== 0 || indptr[rows] !== indices.length || indices.length !== values.length) {
    throw new RalmError('INVALID_ARGUMENT', `not a CSR matrix: indptr must have rows + 1 = ${rows + 1} entries from 0 to indices.length = values.length`);
  }
  for (let r = 0; r < rows; r++) if (indptr[r + 1]! < indptr[r]!) throw new RalmError('INVALID_ARGUMENT', `indptr must not decrease (row ${r})`);
  for (let i = 0; i < indices.length; i++) {
    const c = indices[i]!;
    if (!Number.isInteger(c) || c < 0 || c >= columns) throw new RalmError('INVALID_ARGUMENT', `column index ${c} at position ${i} is outside 0..${columns - 1}`);
    if (!Number.isFinite(values[i]!)) throw new RalmError('INVALID_ARGUMENT', `value at position ${i} is not finite: ${values[i]}`);
  }
}

/** Y (rows × ℓ, row-major) = A X, X columns × ℓ row-major. */
function multiply(matrix: SparseMatrix, x: Float64Array, width: number): Float64Array {
  const { rows, indptr, indices, values } = matrix;
  const y = new Float64Array(rows * width);
  for (let r = 0; r < rows; r++) {
    const base = r * width;
    for (let p = indptr[r]!; p < indptr[r + 1]!; p++) {
      const v = values[p]!;
      const source = indices[p]! * width;
      for (let j = 0; j < width; j++) y[base + j] += v * x[source + j]!;
    }
  }
  return y;
}

/** Z (columns × ℓ, row-major) = Aᵀ Y, Y rows × ℓ row-major. */
function multiplyTransposed(matrix: SparseMatrix, y: Float64Array, width: number): Float64Array {
  const { rows, columns, indptr, indices, values } = matrix;
  const z = new Float64Array(columns * width);
  for (let r = 0; r < rows; r++) {
    const base = r * width;
    for (let p = indptr[r]!; p < indptr[r + 1]!; p++) {
      const v = values[p]!;
      const target = indices[p]! * width;
      for (let j = 0; j < width; j++) z[target + j] += v * y[base + j]!;
    }
  }
  return z;
}

/**
 * Orthonormalises the columns of a row-major `height × width` matrix in place by modified Gram–Schmidt with
 * selective re-orthogonalisation; a column that vanishes (rank deficiency) becomes zero.
 */
function orthonormalize(matrix: Float64Array, height: number, width: number): void {
  // work on contiguous columns
  const columns = new Float64Array(height * width);
  for (let i = 0; i < height; i++) for (let j = 0; j < width; j++) columns[j * height + i] = matrix[i * width + j]!;
  for (let j = 0; j < width; j++) {
    const cj = j * height;
    let original = 0;
    for (let i = 0; i < height; i++) original += columns[cj + i]! * columns[cj + i]!;
    original = Math.sqrt(original);
    let norm = original;
    for (let pass = 0; pass < 2; pass++) {
      for (let q = 0; q < j; q++) {
        const cq = q * height;
        let dot = 0;
        for (let i = 0; i < height; i++) dot += columns[cq + i]! * columns[cj + i]!;
        if (dot !== 0) for (let i = 0; i < height; i++) columns[cj + i] -= dot * columns[cq + i]!;
      }
      const before = norm;
      norm = 0;
      for (let i = 0; i < height; i++) norm += columns[cj + i]! * columns[cj + i]!;
      norm = Math.sqrt(norm);
      if (norm > 0.7 * before) break;
    }
    if (norm <= 1e-12 * Math.max(original, 1e-300) || norm === 0) {
      columns.fill(0, cj, cj + height);
    } else {
      const scale = 1 / norm;
      for (let i = 0; i < height; i++) columns[cj + i] *= scale;
    }
  }
  for (let i = 0; i < height; i++) for (let j = 0; j < width; j++) matrix[i * width + j] = columns[j * height + i]!;
}

/**
 * Eigen-decomposition of a symmetric `size × size` row-major matrix by cyclic Jacobi rotations. Returns the
 * eigenvalues in descending order and the eigenvectors as the columns of a row-major matrix.
 *
 * @example
 * ```ts
 * symmetricEigen(Float64Array.from([2, 1, 1, 2]), 2).values; // Float64Array [3, 1]
 * ```
 */
export function symmetricEigen(input: Float64Array, size: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(input);
  const v = new Float64Array(size * size);
  for (let i = 0; i < size; i++) v[i * size + i] = 1;
  let total = 0;
  for (let i = 0; i < size * size; i++) total += a[i]! * a[i]!;
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0;
    for (let p = 0; p < size; p++) for (let q = p + 1; q < size; q++) off += a[p * size + q]! * a[p * size + q]!;
    if (off <= 1e-30 * total || off === 0) break;
    for (let p = 0; p < size - 1; p++) {
      for (let q = p + 1; q < size; q++) {
        const apq = a[p * size + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const app = a[p * size + p]!;
        const aqq = a[q * size + q]!;
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < size; k++) {
          const akp = a[k * size + p]!;
          const akq = a[k * size + q]!;
          a[k * size + p] = c * akp - s * akq;
          a[k * size + q] = s * akp + c * akq;
        }
        for (let k = 0; k < size; k++) {
          const apk = a[p * size + k]!;
          const aqk = a[q * size + k]!;
          a[p * size + k] = c * apk - s * aqk;
          a[q * size + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < size; k++) {
          const vkp = v[k * size + p]!;
          const vkq = v[k * size + q]!;
          v[k * size + p] = c * vkp - s * vkq;
          v[k * size + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: size }, (_, i) => i).sort((x, y) => a[y * size + y]! - a[x * size + x]! || x - y);
  const values = new Float64Array(size);
  const vectors = new Float64Array(size * size);
  order.forEach((from, to) => {
    values[to] = a[from * size + from]!;
    // sign convention: the largest-magnitude component of each eigenvector is positive
    let largest = 0;
    for (let k = 0; k < size; k++) if (Math.abs(v[k * size + from]!) > Math.abs(largest)) largest = v[k * size + from]!;
    const sign = largest < 0 ? -1 : 1;
    for (let k = 0; k < size; k++) vectors[k * size + to] = sign * v[k * size + from]!;
  });
  return { values, vectors };
}

/**
 * Options of {@link randomizedSvd}.
 *
 * @example
 * ```ts
 * const options: RandomizedSvdOptions = { rank: 128, oversampling: 10, powerIterations: 2, seed: 1 };
 * ```
 */
export interface RandomizedSvdOptions {
  /** Number of singular triplets k (capped at min(rows, columns)). */
  rank: number;
  /** Extra random directions ℓ − k. Default 10. */
  oversampling?: number;
  /** Power iterations q (each one re-orthonormalised). Default 2. */
  powerIterations?: number;
  /** Seed of the Gaussian test matrix. Default 1. */
  seed?: number;
}

/**
 * A truncated SVD `A ≈ U Σ Vᵀ`: singular values descending; `right` is V (columns × k, row-major), `left` is U
 * (rows × k, row-major).
 *
 * @example
 * ```ts
 * const { singularValues, right } = randomizedSvd(matrix, { rank: 2 });
 * ```
 */
export interface TruncatedSvd {
  rank: number;
  singularValues: Float64Array;
  right: Float64Array;
  left: Float64Array;
}

/**
 * The randomised truncated SVD of a sparse matrix (Halko–Martinsson–Tropp; see the module comment). Deterministic
 * given the seed.
 *
 * @example
 * ```ts
 * const svd = randomizedSvd({ rows: 2, columns: 2, indptr: [0, 1, 2], indices: [0, 1], values: [3, 2] }, { rank: 1 });
 * svd.singularValues; // Float64Array [3]
 * ```
 */
export function randomizedSvd(matrix: SparseMatrix, options: RandomizedSvdOptions): TruncatedSvd {
  checkMatrix(matrix);
  const { rows, columns } = matrix;
  if (!Number.isInteger(options.rank) || options.rank < 1) throw new RalmError('INVALID_ARGUMENT', `rank must be a positive integer; got ${options.rank}`);
  const oversampling = options.oversampling ?? DEFAULT_LSA_OPTIONS.oversampling;
  const powerIterations = options.powerIterations ?? DEFAULT_LSA_OPTIONS.powerIterations;
  if (!Number.isInteger(oversampling) || oversampling < 0) throw new RalmError('INVALID_ARGUMENT', `oversampling must be a non-negative integer; got ${oversampling}`);
  if (!Number.isInteger(powerIterations) || powerIterations < 0) throw new RalmError('INVALID_ARGUMENT', `powerIterations must be a non-negative integer; got ${powerIterations}`);
  const limit = Math.min(rows, columns);
  const rank = Math.min(options.rank, limit);
  const width = Math.min(rank + oversampling, limit);
  const gaussian = gaussianSource(options.seed ?? DEFAULT_LSA_OPTIONS.seed);
  const omega = new Float64Array(columns * width);
  for (let i = 0; i < omega.length; i++) omega[i] = gaussian();
  let q = multiply(matrix, omega, width);
  orthonormalize(q, rows, width);
  for (let iteration = 0; iteration < powerIterations; iteration++) {
    const z = multiplyTransposed(matrix, q, width);
    orthonormalize(z, columns, width);
    q = multiply(matrix, z, width);
    orthonormalize(q, rows, width);
  }
  const bt = multiplyTransposed(matrix, q, width); // columns × width = (Qᵀ A)ᵀ
  const gram = new Float64Array(width * width); // B Bᵀ = btᵀ bt
  for (let t = 0; t < columns; t++) {
    const base = t * width;
    for (let i = 0; i < width; i++) {
      const x = bt[base + i]!;
      if (x === 0) continue;
      const row = i * width;
      for (let j = i; j < width; j++) gram[row + j] += x * bt[base + j]!;
    }
  }
  for (let i = 0; i < width; i++) for (let j = 0; j < i; j++) gram[i * width + j] = gram[j * width + i]!;
  const { values, vectors: w } = symmetricEigen(gram, width);
  const singularValues = new Float64Array(rank);
  for (let j = 0; j < rank; j++) singularValues[j] = Math.sqrt(Math.max(0, values[j]!));
  const right = new Float64Array(columns * rank);
  for (let t = 0; t < columns; t++) {
    for (let i = 0; i < width; i++) {
      const x = bt[t * width + i]!;
      if (x === 0) continue;
      for (let j = 0; j < rank; j++) right[t * rank + j] += x * w[i * width + j]!;
    }
  }
  for (let j = 0; j < rank; j++) {
    const sigma = singularValues[j]!;
    const inverse = sigma > 1e-12 * singularValues[0]! && sigma > 0 ? 1 / sigma : 0;
    for (let t = 0; t < columns; t++) right[t * rank + j] *= inverse;
  }
  const left = new Float64Array(rows * rank); // U = Q W
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < width; i++) {
      const x = q[r * width + i]!;
      if (x === 0) continue;
      for (let j = 0; j < rank; j++) left[r * rank + j] += x * w[i * width + j]!;
    }
  }
  return { rank, singularValues, right, left };
}

/**
 * BM25's idf per column of a count matrix: `ln(1 + (N − n + 0.5) / (n + 0.5))`, n = rows with a non-zero entry.
 *
 * @example
 * ```ts
 * inverseDocumentFrequencies(counts); // Float64Array, one per term
 * ```
 */
export function inverseDocumentFrequencies(counts: SparseMatrix): Float64Array {
  checkMatrix(counts);
  const df = new Float64Array(counts.columns);
  for (let p = 0; p < counts.indices.length; p++) if (counts.values[p]! !== 0) df[counts.indices[p]!]++;
  return df.map((n) => Math.log(1 + (counts.rows - n + 0.5) / (n + 0.5)));
}

/**
 * Options of {@link weightTermDocumentMatrix}.
 *
 * @example
 * ```ts
 * const options: WeightingOptions = { idf, weighting: 'bm25', k1: 0.9, b: 0.4 };
 * ```
 */
export interface WeightingOptions {
  idf: ArrayLike<number>;
  weighting?: LsaWeighting;
  /** BM25 k1. Default 0.9. */
  k1?: number;
  /** BM25 b. Default 0.4. */
  b?: number;
  /** Scale every row to unit length after weighting, so long documents do not dominate the SVD. Default true. */
  normalizeRows?: boolean;
}

/**
 * Turns a documents × terms count matrix into the weighted matrix LSA factorises (see {@link LsaWeighting}).
 *
 * @example
 * ```ts
 * const weighted = weightTermDocumentMatrix(counts, { idf: inverseDocumentFrequencies(counts), weighting: 'bm25' });
 * ```
 */
export function weightTermDocumentMatrix(counts: SparseMatrix, options: WeightingOptions): SparseMatrix {
  checkMatrix(counts);
  const weighting = options.weighting ?? DEFAULT_LSA_OPTIONS.weighting;
  const k1 = options.k1 ?? DEFAULT_LSA_OPTIONS.k1;
  const b = options.b ?? DEFAULT_LSA_OPTIONS.b;
  const { rows, indptr, indices, values, columns } = counts;
  if (options.idf.length !== columns) throw new RalmError('INVALID_ARGUMENT', `idf has ${options.idf.length} entries; the matrix has ${columns} columns`);
  const lengths = new Float64Array(rows);
  let total = 0;
  for (let r = 0; r < rows; r++) {
    for (let p = indptr[r]!; p < indptr[r + 1]!; p++) lengths[r] += values[p]!;
    total += lengths[r]!;
  }
  const average = total / rows || 1;
  const weighted = new Float64Array(values.length);
  for (let r = 0; r < rows; r++) {
    let norm = 0;
    for (let p = indptr[r]!; p < indptr[r + 1]!; p++) {
      const tf = values[p]!;
      const idf = options.idf[indices[p]!]!;
      const weight = tf <= 0 ? 0 : weighting === 'tfidf' ? (1 + Math.log(tf)) * idf : (idf * tf * (k1 + 1)) / (tf + k1 * (1 - b + (b * lengths[r]!) / average));
      weighted[p] = weight;
      norm += weight * weight;
    }
    if ((options.normalizeRows ?? true) && norm > 0) {
      const scale = 1 / Math.sqrt(norm);
      for (let p = indptr[r]!; p < indptr[r + 1]!; p++) weighted[p] *= scale;
    }
  }
  return { rows, columns, indptr, indices, values: weighted };
}

/**
 * Options of {@link fitLsa}.
 *
 * @example
 * ```ts
 * const options: FitLsaOptions = { matrix: weighted, vocabulary, idf, dimensions: 256, weighting: 'bm25' };
 * ```
 */
export interface FitLsaOptions {
  /** Documents × terms, already weighted (e.g. by {@link weightTermDocumentMatrix}). */
  matrix: SparseMatrix;
  /** The term of each column. */
  vocabulary: readonly string[];
  /** idf of each column, used to weight queries. */
  idf: ArrayLike<number>;
  /** Number of LSA dimensions k. Default 256. */
  dimensions?: number;
  /** How query term counts are weighted; should match how `matrix` was weighted. Default `'bm25'`. */
  weighting?: LsaWeighting;
  /** Default `'sigma'`. */
  scaling?: LsaScaling;
  seed?: number;
  powerIterations?: number;
  oversampling?: number;
}

interface LsaModelParts {
  dimensions: number;
  weighting: LsaWeighting;
  scaling: LsaScaling;
  seed: number;
  vocabulary: readonly string[];
  idf: Float64Array;
  singularValues: Float64Array;
  /** terms × dimensions: the fold-in map V Σ^(p−1). */
  projection: Float32Array;
  /** documents × dimensions, L2-normalised. */
  documentVectors: Float32Array;
}

/** Envelope format name of a serialised LSA model. */
export const LSA_MODEL_FORMAT = 'ralm.lsa.model';
/** Envelope version written by this build. */
export const LSA_MODEL_FORMAT_VERSION = 1;

const SCALING_POWER: Record<LsaScaling, number> = { sigma: 1, 'sqrt-sigma': 0.5, none: 0 };

/**
 * A fitted LSA model: every document's vector, and the fold-in of queries (or any weighted sparse row) into the
 * same space. Vectors are L2-normalised, so the dot product is the cosine.
 *
 * @example
 * ```ts
 * const model = fitLsa({ matrix: weighted, vocabulary, idf, dimensions: 128 });
 * const query = model.projectQuery(['dens', 'retriev']);
 * model.documentVector(0); // Float32Array(128)
 * ```
 */
export class LsaModel {
  readonly dimensions: number;
  readonly weighting: LsaWeighting;
  readonly scaling: LsaScaling;
  readonly seed: number;
  readonly vocabulary: readonly string[];
  readonly idf: Float64Array;
  readonly singularValues: Float64Array;
  /** The terms × dimensions fold-in map (row-major). */
  readonly projection: Float32Array;
  /** The documents × dimensions vectors (row-major, unit length or zero). */
  readonly documentVectors: Float32Array;
  private readonly termIndex = new Map<string, number>();

  constructor(parts: LsaModelParts) {
    this.dimensions = parts.dimensions;
    this.weighting = parts.weighting;
    this.scaling = parts.scaling;
    this.seed = parts.seed;
    this.vocabulary = parts.vocabulary;
    this.idf = parts.idf;
    this.singularValues = parts.singularValues;
    this.projection = parts.projection;
    this.documentVectors = parts.documentVectors;
    parts.vocabulary.forEach((term, i) => this.termIndex.set(term, i));
  }

  /** Number of documents. */
  get documentCount(): number {
    return this.documentVectors.length / this.dimensions;
  }

  /** Document `row`'s vector (a view). */
  documentVector(row: number): Float32Array {
    if (!Number.isInteger(row) || row < 0 || row >= this.documentCount) throw new RalmError('INVALID_ARGUMENT', `document row must be 0..${this.documentCount - 1}; got ${row}`);
    return this.documentVectors.subarray(row * this.dimensions, (row + 1) * this.dimensions);
  }

  /**
   * Folds a weighted sparse row (column numbers and weights) into the space, L2-normalised (zero if nothing maps).
   *
   * @example
   * ```ts
   * model.projectRow([3, 17], [0.4, 1.2]);
   * ```
   */
  projectRow(indices: ArrayLike<number>, weights: ArrayLike<number>): Float32Array {
    const k = this.dimensions;
    const sum = new Float64Array(k);
    for (let p = 0; p < indices.length; p++) {
      const base = indices[p]! * k;
      const w = weights[p]!;
      for (let j = 0; j < k; j++) sum[j] += w * this.projection[base + j]!;
    }
    let norm = 0;
    for (let j = 0; j < k; j++) norm += sum[j]! * sum[j]!;
    const out = new Float32Array(k);
    if (norm > 0) {
      const scale = 1 / Math.sqrt(norm);
      for (let j = 0; j < k; j++) out[j] = sum[j]! * scale;
    }
    return out;
  }

  /**
   * Embeds a query given as analyzed terms (repeats count) or a term → count map: unknown terms are ignored,
   * counts weighted as the model's {@link LsaWeighting} says, then folded in. An all-unknown query gives a zero vector.
   *
   * @example
   * ```ts
   * model.projectQuery(getAnalyzer('english').analyze('dense retrieval'));
   * ```
   */
  projectQuery(terms: Iterable<string> | ReadonlyMap<string, number>): Float32Array {
    const counts = new Map<number, number>();
    const entries: Iterable<[string, number]> = isMap(terms) ? terms.entries() : countTerms(terms);
    for (const [term, count] of entries) {
      const column = this.termIndex.get(term);
      if (column !== undefined && count > 0) counts.set(column, (counts.get(column) ?? 0) + count);
    }
    const indices: number[] = [];
    const weights: number[] = [];
    for (const [column, count] of counts) {
      indices.push(column);
      weights.push((this.weighting === 'tfidf' ? 1 + Math.log(count) : count) * this.idf[column]!);
    }
    return this.projectRow(indices, weights);
  }
}

function isMap(value: Iterable<string> | ReadonlyMap<string, number>): value is ReadonlyMap<string, number> {
  return value instanceof Map;
}

function* countTerms(terms: Iterable<string>): Iterable<[string, number]> {
  const counts = new Map<string, number>();
  for (const term of terms) counts.set(term, (counts.get(term) ?? 0) + 1);
  yield* counts;
}

/**
 * Fits an LSA model by {@link randomizedSvd} of the weighted documents × terms matrix.
 *
 * @example
 * ```ts
 * const idf = inverseDocumentFrequencies(counts);
 * const model = fitLsa({ matrix: weightTermDocumentMatrix(counts, { idf }), vocabulary, idf, dimensions: 256, seed: 7 });
 * ```
 */
export function fitLsa(options: FitLsaOptions): LsaModel {
  const { matrix } = options;
  checkMatrix(matrix);
  if (options.vocabulary.length !== matrix.columns || options.idf.length !== matrix.columns) {
    throw new RalmError('INVALID_ARGUMENT', `vocabulary (${options.vocabulary.length}) and idf (${options.idf.length}) must have one entry per matrix column (${matrix.columns})`);
  }
  const weighting = options.weighting ?? DEFAULT_LSA_OPTIONS.weighting;
  const scaling = options.scaling ?? DEFAULT_LSA_OPTIONS.scaling;
  if (weighting !== 'tfidf' && weighting !== 'bm25') throw new RalmError('INVALID_ARGUMENT', `weighting must be "tfidf" or "bm25"; got ${JSON.stringify(weighting)}`);
  if (!(scaling in SCALING_POWER)) throw new RalmError('INVALID_ARGUMENT', `scaling must be one of sigma, sqrt-sigma, none; got ${JSON.stringify(scaling)}`);
  const seed = options.seed ?? DEFAULT_LSA_OPTIONS.seed;
  const svd = randomizedSvd(matrix, {
    rank: options.dimensions ?? DEFAULT_LSA_OPTIONS.dimensions,
    seed,
    powerIterations: options.powerIterations,
    oversampling: options.oversampling,
  });
  const k = svd.rank;
  const power = SCALING_POWER[scaling] - 1;
  const factors = Float64Array.from(svd.singularValues, (sigma) => (sigma > 0 ? sigma ** power : 0));
  const projection = new Float32Array(matrix.columns * k);
  for (let t = 0; t < matrix.columns; t++) for (let j = 0; j < k; j++) projection[t * k + j] = svd.right[t * k + j]! * factors[j]!;
  const model = new LsaModel({
    dimensions: k,
    weighting,
    scaling,
    seed,
    vocabulary: options.vocabulary,
    idf: Float64Array.from(options.idf),
    singularValues: svd.singularValues,
    projection,
    documentVectors: new Float32Array(0),
  });
  const documentVectors = new Float32Array(matrix.rows * k);
  for (let r = 0; r < matrix.rows; r++) {
    const start = matrix.indptr[r]!;
    const end = matrix.indptr[r + 1]!;
    const indices: number[] = [];
    const weights: number[] = [];
    for (let p = start; p < end; p++) {
      indices.push(matrix.indices[p]!);
      weights.push(matrix.values[p]!);
    }
    documentVectors.set(model.projectRow(indices, weights), r * k);
  }
  return new LsaModel({ ...modelParts(model), documentVectors });
}

function modelParts(model: LsaModel): LsaModelParts {
  const { dimensions, weighting, scaling, seed, vocabulary, idf, singularValues, projection, documentVectors } = model;
  return { dimensions, weighting, scaling, seed, vocabulary, idf, singularValues, projection, documentVectors };
}

function bytesOf(array: Float32Array | Float64Array | Uint32Array): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

/**
 * Serialises a model in the `ralm.lsa.model` v1 envelope: a JSON header, the vocabulary (UTF-8 with u32 offsets),
 * idf and singular values as Float64, the fold-in map and the document vectors as Float32.
 *
 * @example
 * ```ts
 * const bytes = encodeLsaModel(model);
 * const again = decodeLsaModel(bytes, { source: 'lsa.model' });
 * ```
 */
export function encodeLsaModel(model: LsaModel): Uint8Array {
  const encoder = new TextEncoder();
  const encoded = model.vocabulary.map((term) => encoder.encode(term));
  const offsets = new Uint32Array(encoded.length + 1);
  encoded.forEach((bytes, i) => (offsets[i + 1] = offsets[i]! + bytes.length));
  const termBytes = new Uint8Array(offsets[encoded.length]!);
  encoded.forEach((bytes, i) => termBytes.set(bytes, offsets[i]!));
  const header = {
    dimensions: model.dimensions,
    documents: model.documentCount,
    terms: model.vocabulary.length,
    weighting: model.weighting,
    scaling: model.scaling,
    seed: model.seed,
  };
  const sections = [bytesOf(offsets), termBytes, bytesOf(model.idf), bytesOf(model.singularValues), bytesOf(model.projection), bytesOf(model.documentVectors)];
  const json = encoder.encode(JSON.stringify(header));
  const align = (n: number): number => (n + 7) & ~7;
  let length = align(4 + json.length);
  for (const s of sections) length = align(length + 8 + s.length);
  const payload = new Uint8Array(length);
  const view = new DataView(payload.buffer);
  view.setUint32(0, json.length, true);
  payload.set(json, 4);
  let p = align(4 + json.length);
  for (const s of sections) {
    view.setUint32(p, s.length >>> 0, true);
    view.setUint32(p + 4, Math.floor(s.length / 2 ** 32), true);
    payload.set(s, p + 8);
    p = align(p + 8 + s.length);
  }
  return encodeEnvelope({ format: LSA_MODEL_FORMAT, version: LSA_MODEL_FORMAT_VERSION }, payload);
}

/**
 * Reads a model written by {@link encodeLsaModel}; refuses another format (FORMAT), an unknown version
 * (FORMAT_VERSION) or corrupted bytes (CHECKSUM).
 *
 * @example
 * ```ts
 * const model = decodeLsaModel(await readFile('lsa.model'), { source: 'lsa.model' });
 * ```
 */
export function decodeLsaModel(bytes: Uint8Array, options: { source?: string } = {}): LsaModel {
  const source = options.source ?? 'LSA model';
  const { payload } = decodeEnvelope(bytes, { format: LSA_MODEL_FORMAT, versions: [LSA_MODEL_FORMAT_VERSION], source });
  const fail = (why: string): never => {
    throw new RalmError('FORMAT', `${source}: malformed LSA model (${why})`, { file: source });
  };
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const jsonLength = view.getUint32(0, true);
  if (4 + jsonLength > payload.length) fail('header runs past the end');
  const header = JSON.parse(new TextDecoder().decode(payload.subarray(4, 4 + jsonLength))) as {
    dimensions: number;
    documents: number;
    terms: number;
    weighting: LsaWeighting;
    scaling: LsaScaling;
    seed: number;
  };
  const align = (n: number): number => (n + 7) & ~7;
  const sections: Uint8Array[] = [];
  let p = align(4 + jsonLength);
  while (p < payload.length) {
    if (p + 8 > payload.length) fail('truncated section');
    const length = view.getUint32(p, true) + view.getUint32(p + 4, true) * 2 ** 32;
    if (p + 8 + length > payload.length) fail('section runs past the end');
    sections.push(payload.slice(p + 8, p + 8 + length));
    p = align(p + 8 + length);
  }
  if (sections.length !== 6) fail(`expected 6 sections, found ${sections.length}`);
  const [offsetBytes, termBytes, idfBytes, sigmaBytes, projectionBytes, vectorBytes] = sections as [Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array];
  const { dimensions: k, documents, terms } = header;
  if (offsetBytes.length !== (terms + 1) * 4 || idfBytes.length !== terms * 8 || sigmaBytes.length !== k * 8 || projectionBytes.length !== terms * k * 4 || vectorBytes.length !== documents * k * 4) {
    fail('section sizes do not match the header');
  }
  const offsets = new Uint32Array(offsetBytes.buffer, 0, terms + 1);
  const decoder = new TextDecoder();
  const vocabulary = Array.from({ length: terms }, (_, i) => decoder.decode(termBytes.subarray(offsets[i]!, offsets[i + 1]!)));
  return new LsaModel({
    dimensions: k,
    weighting: header.weighting,
    scaling: header.scaling,
    seed: header.seed,
    vocabulary,
    idf: new Float64Array(idfBytes.buffer, 0, terms),
    singularValues: new Float64Array(sigmaBytes.buffer, 0, k),
    projection: new Float32Array(projectionBytes.buffer, 0, terms * k),
    documentVectors: new Float32Array(vectorBytes.buffer, 0, documents * k),
  });
}
