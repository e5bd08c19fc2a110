import { describe, expect, it } from 'vitest';
import { checkEmbedArguments, validateEmbeddings } from '../../src/models/index.js';

describe('validateEmbeddings', () => {
  const ok = [new Float32Array([0.6, 0.8]), new Float32Array([1, 0])];

  it('accepts good vectors and returns them', () => {
    expect(validateEmbeddings(ok, { count: 2, dimensions: 2, source: 'm' })).toBe(ok);
  });

  it('names the index of a NaN, infinite, zero or wrong-dimension vector', () => {
    const bad = (v: Float32Array) => () => validateEmbeddings([ok[0]!, v], { count: 2, dimensions: 2, source: 'model x' });
    expect(bad(new Float32Array([NaN, 1]))).toThrow('model x returned an invalid embedding at index 1: component 0 is NaN');
    expect(bad(new Float32Array([1, Infinity]))).toThrow('index 1: component 1 is Infinity');
    expect(bad(new Float32Array([0, 0]))).toThrow('index 1: the vector is all zeros');
    expect(bad(new Float32Array([1, 2, 3]))).toThrow('index 1: 3 dimensions, expected 2');
    expect(() => validateEmbeddings([new Float32Array([0, 0])], { count: 1, source: 'lsa', allowZero: true })).not.toThrow();
    expect(() => validateEmbeddings([ok[0]!, new Float32Array([1])], { count: 2, source: 'm' })).toThrow('index 1: 1 dimensions, expected 2');
  });

  it('checks the count and uses the requested error code', () => {
    expect(() => validateEmbeddings(ok, { count: 3, source: 'm' })).toThrow(expect.objectContaining({ code: 'PROVIDER', message: 'm returned 2 embeddings for 3 texts' }));
    expect(() => validateEmbeddings([new Float32Array([NaN])], { count: 1, source: 'caller', code: 'INVALID_ARGUMENT' })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});

describe('checkEmbedArguments', () => {
  it('refuses non-strings and unknown kinds', () => {
    expect(() => checkEmbedArguments(['a'], { kind: 'query' })).not.toThrow();
    expect(() => checkEmbedArguments(['a', null as unknown as string], { kind: 'query' })).toThrow('texts[1] is null');
    expect(() => checkEmbedArguments(['a'], { kind: 'doc' as 'query' })).toThrow(/"query" or "passage"/);
  });
});
