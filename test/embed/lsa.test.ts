import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeLsaModel,
  encodeLsaModel,
  fitLsa,
  inverseDocumentFrequencies,
  randomizedSvd,
  symmetricEigen,
  weightTermDocumentMatrix,
  type SparseMatrix,
} from '../../src/embed/index.js';
import { RalmError } from '../../src/core/errors.js';

function seeded(seed: number): () => number {
  let state = seed >>> 0 || 7;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 4294967296;
  };
}

/** A random sparse matrix; `lowRank` > 0 builds it as a sum of that many decaying rank-one terms plus noise. */
function randomMatrix(seed: number, rows: number, columns: number, density: number, lowRank = 0): { dense: Float64Array; sparse: SparseMatrix } {
  const random = seeded(seed);
  const dense = new Float64Array(rows * columns);
  if (lowRank > 0) {
    for (let r = 0; r < lowRank; r++) {
      const u = Array.from({ length: rows }, () => random() - 0.5);
      const v = Array.from({ length: columns }, () => random() - 0.5);
      const scale = 10 * 0.5 ** r;
      for (let i = 0; i < rows; i++) for (let j = 0; j < columns; j++) dense[i * columns + j] += scale * u[i]! * v[j]!;
    }
    for (let i = 0; i < dense.length; i++) dense[i] += 1e-3 * (random() - 0.5);
  } else {
    for (let i = 0; i < dense.length; i++) if (random() < density) dense[i] = Math.floor(random() * 5) + 1;
  }
  const indptr = [0];
  const indices: number[] = [];
  const values: number[] = [];
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < columns; j++) {
      if (dense[i * columns + j] !== 0) {
        indices.push(j);
        values.push(dense[i * columns + j]!);
      }
    }
    indptr.push(indices.length);
  }
  return { dense, sparse: { rows, columns, indptr, indices, values } };
}

/** Brute-force singular values: one-sided (Hestenes) Jacobi on the dense matrix's columns. */
function jacobiSingularValues(dense: Float64Array, rows: number, columns: number): number[] {
  const a = Float64Array.from(dense);
  for (let sweep = 0; sweep < 100; sweep++) {
    let rotated = false;
    for (let p = 0; p < columns - 1; p++) {
      for (let q = p + 1; q < columns; q++) {
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        for (let i = 0; i < rows; i++) {
          const x = a[i * columns + p]!;
          const y = a[i * columns + q]!;
          alpha += x * x;
          beta += y * y;
          gamma += x * y;
        }
        if (Math.abs(gamma) <= 1e-15 * Math.sqrt(alpha * beta) || gamma === 0) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        for (let i = 0; i < rows; i++) {
          const x = a[i * columns + p]!;
          const y = a[i * columns + q]!;
          a[i * columns + p] = c * x - s * y;
          a[i * columns + q] = s * x + c * y;
        }
      }
    }
    if (!rotated) break;
  }
  const values: number[] = [];
  for (let j = 0; j < columns; j++) {
    let norm = 0;
    for (let i = 0; i < rows; i++) norm += a[i * columns + j]! ** 2;
    values.push(Math.sqrt(norm));
  }
  return values.sort((x, y) => y - x);
}

describe('randomizedSvd', () => {
  it('matches a brute-force Jacobi SVD exactly when the sketch spans the whole matrix', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.integer({ min: 2, max: 14 }), fc.integer({ min: 2, max: 14 }), (seed, rows, columns) => {
        const { dense, sparse } = randomMatrix(seed, rows, columns, 0.4);
        const expected = jacobiSingularValues(dense, rows, columns);
        const rank = Math.min(rows, columns);
        const { singularValues } = randomizedSvd(sparse, { rank, oversampling: 0, powerIterations: 1, seed });
        for (let j = 0; j < rank; j++) expect(singularValues[j]).toBeCloseTo(expected[j]!, 8);
      }),
      { numRuns: 60 },
    );
  });

  it('recovers the top singular values of larger low-rank-plus-noise matrices within 1e-4 relative', () => {
    for (const seed of [1, 2, 3]) {
      const rows = 120;
      const columns = 90;
      const { dense, sparse } = randomMatrix(seed, rows, columns, 1, 12);
      const expected = jacobiSingularValues(dense, rows, columns);
      const { singularValues, left, right } = randomizedSvd(sparse, { rank: 6, oversampling: 10, powerIterations: 2, seed });
      for (let j = 0; j < 6; j++) expect(Math.abs(singularValues[j]! - expected[j]!) / expected[j]!).toBeLessThan(1e-4);
      // A v_j ≈ σ_j u_j
      for (let j = 0; j < 6; j++) {
        for (let i = 0; i < rows; i += 11) {
          let av = 0;
          for (let c = 0; c < columns; c++) av += dense[i * columns + c]! * right[c * 6 + j]!;
          expect(av).toBeCloseTo(singularValues[j]! * left[i * 6 + j]!, 3);
        }
      }
    }
  });

  it('is deterministic given the seed', () => {
    const { sparse } = randomMatrix(9, 40, 30, 0.3);
    const a = randomizedSvd(sparse, { rank: 5, seed: 3 });
    const b = randomizedSvd(sparse, { rank: 5, seed: 3 });
    expect(a.right).toEqual(b.right);
    expect(a.singularValues).toEqual(b.singularValues);
  });

  it('symmetricEigen diagonalises a symmetric matrix', () => {
    const { values, vectors } = symmetricEigen(Float64Array.from([4, 1, 0, 1, 3, 1, 0, 1, 2]), 3);
    for (let j = 0; j < 3; j++) {
      const m = [4, 1, 0, 1, 3, 1, 0, 1, 2];
      for (let i = 0; i < 3; i++) {
        let mv = 0;
        for (let k = 0; k < 3; k++) mv += m[i * 3 + k]! * vectors[k * 3 + j]!;
        expect(mv).toBeCloseTo(values[j]! * vectors[i * 3 + j]!, 10);
      }
    }
    expect(values[0]).toBeGreaterThanOrEqual(values[1]!);
  });

  it('rejects a malformed CSR matrix with INVALID_ARGUMENT', () => {
    expect(() => randomizedSvd({ rows: 2, columns: 2, indptr: [0, 1], indices: [0], values: [1] }, { rank: 1 })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(() => randomizedSvd({ rows: 1, columns: 2, indptr: [0, 1], indices: [5], values: [1] }, { rank: 1 })).toThrow(/outside/);
  });
});

function toyCollection() {
  const documents = [
    ['cat', 'purr', 'whisker', 'cat'],
    ['dog', 'bark', 'tail'],
    ['cat', 'dog', 'pet'],
    ['stock', 'market', 'price'],
    ['market', 'price', 'trade', 'stock', 'stock'],
    ['pet', 'food', 'cat', 'dog'],
  ];
  const vocabulary = [...new Set(documents.flat())].sort();
  const column = new Map(vocabulary.map((t, i) => [t, i]));
  const indptr = [0];
  const indices: number[] = [];
  const values: number[] = [];
  for (const document of documents) {
    const counts = new Map<number, number>();
    for (const term of document) counts.set(column.get(term)!, (counts.get(column.get(term)!) ?? 0) + 1);
    for (const [c, n] of [...counts].sort((a, b) => a[0] - b[0])) {
      indices.push(c);
      values.push(n);
    }
    indptr.push(indices.length);
  }
  const counts: SparseMatrix = { rows: documents.length, columns: vocabulary.length, indptr, indices, values };
  return { documents, vocabulary, counts };
}

describe('LSA model', () => {
  const { documents, vocabulary, counts } = toyCollection();
  const idf = inverseDocumentFrequencies(counts);

  for (const weighting of ['bm25', 'tfidf'] as const) {
    for (const scaling of ['sigma', 'sqrt-sigma', 'none'] as const) {
      it(`${weighting}/${scaling}: folding in a document's own terms reproduces its vector`, () => {
        const matrix = weightTermDocumentMatrix(counts, { idf, weighting, normalizeRows: false });
        const model = fitLsa({ matrix, vocabulary, idf, dimensions: 3, weighting, scaling, seed: 5 });
        for (let row = 0; row < documents.length; row++) {
          const start = matrix.indptr[row]!;
          const end = matrix.indptr[row + 1]!;
          const folded = model.projectRow(Array.from(matrix.indices).slice(start, end), Array.from(matrix.values).slice(start, end));
          expect(Array.from(folded)).toEqual(Array.from(model.documentVector(row)));
          let norm = 0;
          for (const x of folded) norm += x * x;
          expect(norm).toBeCloseTo(1, 5);
        }
      });
    }
  }

  it('a tf-idf query folds in exactly like a tf-idf document row, and ranks the topical documents first', () => {
    const matrix = weightTermDocumentMatrix(counts, { idf, weighting: 'tfidf', normalizeRows: false });
    const model = fitLsa({ matrix, vocabulary, idf, dimensions: 2, weighting: 'tfidf', seed: 1 });
    expect(Array.from(model.projectQuery(documents[4]!))).toEqual(Array.from(model.documentVector(4)));
    const query = model.projectQuery(['stock', 'unknown-term']);
    const scores = Array.from({ length: documents.length }, (_, row) => {
      const v = model.documentVector(row);
      return v.reduce((s, x, j) => s + x * query[j]!, 0);
    });
    const best = scores.map((s, row) => ({ s, row })).sort((a, b) => b.s - a.s);
    expect(new Set([best[0]!.row, best[1]!.row])).toEqual(new Set([3, 4]));
    expect(Array.from(model.projectQuery(['nothing']))).toEqual([0, 0]);
  });

  it('serialisation round trip; a corrupted byte is a CHECKSUM error; another format is refused', () => {
    const matrix = weightTermDocumentMatrix(counts, { idf });
    const model = fitLsa({ matrix, vocabulary, idf, dimensions: 3, seed: 2 });
    const bytes = encodeLsaModel(model);
    const back = decodeLsaModel(bytes);
    expect(back.vocabulary).toEqual(model.vocabulary);
    expect(back.documentVectors).toEqual(model.documentVectors);
    expect(back.projection).toEqual(model.projection);
    expect(back.singularValues).toEqual(model.singularValues);
    expect(back.idf).toEqual(model.idf);
    expect([back.weighting, back.scaling, back.seed, back.dimensions]).toEqual([model.weighting, model.scaling, 2, 3]);
    expect(back.projectQuery(['cat', 'dog'])).toEqual(model.projectQuery(['cat', 'dog']));
    expect(encodeLsaModel(back)).toEqual(bytes);
    for (const position of [bytes.length - 1, bytes.length - 200, 60]) {
      const corrupt = Uint8Array.from(bytes);
      corrupt[position] ^= 0x01;
      let caught: unknown;
      try {
        decodeLsaModel(corrupt, { source: 'lsa.model' });
      } catch (error) {
        caught = error;
      }
      expect(RalmError.is(caught) && caught.code).toBe('CHECKSUM');
    }
  });

  it('is deterministic given the seed', () => {
    const matrix = weightTermDocumentMatrix(counts, { idf });
    const a = fitLsa({ matrix, vocabulary, idf, dimensions: 3, seed: 11 });
    const b = fitLsa({ matrix, vocabulary, idf, dimensions: 3, seed: 11 });
    expect(encodeLsaModel(a)).toEqual(encodeLsaModel(b));
  });
});
