import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoTokenizer } from '@huggingface/transformers';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RalmError } from '../../src/core/errors.js';
import { BGE_ZH_PREFIXES, defaultEmbeddingPrefixes } from '../../src/embed/prefixes.js';
import { createOnnxEmbedder, defaultPooling, poolingFromSentenceTransformers } from '../../src/embed/onnx/index.js';
import { writeTinyModel, type TinyModelFolder } from '../helpers/onnx-models.js';
import { sharedPath } from '../helpers/shared.js';

const minilm = sharedPath('models', 'all-MiniLM-L6-v2');
const bgeZh = sharedPath('models', 'bge-small-zh-v1.5');

const TEXTS = ['Hello world, this is a test.', 'BM25 ranks documents', 'a', 'dense and sparse retrieval are complementary', 'x y z', 'the quick brown fox', 'jumps'];

/** last_hidden_state and attention mask of `texts` from onnxruntime-node directly (no ralm code). */
async function rawHiddenStates(folder: string, texts: string[]) {
  const tokenizer = await AutoTokenizer.from_pretrained(folder, { local_files_only: true });
  const inputs = tokenizer(texts, { padding: true, truncation: true }) as Record<string, { data: BigInt64Array; dims: number[] }>;
  const session = await ort.InferenceSession.create(join(folder, 'onnx', 'model.onnx'));
  const feeds: Record<string, ort.Tensor> = {};
  for (const name of ['input_ids', 'attention_mask', 'token_type_ids']) feeds[name] = new ort.Tensor('int64', inputs[name]!.data, inputs[name]!.dims);
  const out = await session.run(feeds);
  await session.release();
  const hidden = out.last_hidden_state!;
  return { hidden: hidden.data as Float32Array, dims: hidden.dims as number[], mask: inputs.attention_mask!.data };
}

function handMean(hidden: Float32Array, dims: number[], mask: BigInt64Array, b: number): number[] {
  const [, sequence, size] = dims as [number, number, number];
  const sum = new Array<number>(size).fill(0);
  let count = 0;
  for (let t = 0; t < sequence; t++) {
    if (mask[b * sequence + t] === 0n) continue;
    count++;
    for (let j = 0; j < size; j++) sum[j] += hidden[(b * sequence + t) * size + j]!;
  }
  return sum.map((x) => x / count);
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance = 1e-5): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) expect(Math.abs(actual[i]! - expected[i]!)).toBeLessThanOrEqual(tolerance);
}

describe.skipIf(!minilm)('createOnnxEmbedder on a tiny random BERT', () => {
  let tiny: TinyModelFolder;
  beforeAll(() => {
    tiny = writeTinyModel(minilm!);
  });
  afterAll(() => tiny?.remove());

  it('loads through transformers.js, reports its settings and gives 32-dimensional unit vectors', async () => {
    const model = await createOnnxEmbedder({ model: tiny.path, workers: 0 });
    try {
      expect(model).toMatchObject({ provider: 'onnx', dimensions: 32, pooling: 'mean', normalize: true, maxTokens: 512, workers: 0, queryPrefix: '', passagePrefix: '' });
      const vectors = await model.embed(TEXTS, { kind: 'passage' });
      for (const v of vectors) {
        expect(v.length).toBe(32);
        expect(Math.hypot(...v)).toBeCloseTo(1, 5);
      }
    } finally {
      await model.close();
    }
  });

  it('mean pooling equals the masked mean of the raw last_hidden_state (normalize: false), and normalize divides by the norm', async () => {
    const { hidden, dims, mask } = await rawHiddenStates(tiny.path, TEXTS);
    const raw = await createOnnxEmbedder({ model: tiny.path, workers: 0, normalize: false, batchSize: TEXTS.length });
    const unit = await createOnnxEmbedder({ model: tiny.path, workers: 0, batchSize: TEXTS.length });
    try {
      const plain = await raw.embed(TEXTS, { kind: 'passage' });
      const normalized = await unit.embed(TEXTS, { kind: 'passage' });
      TEXTS.forEach((_, b) => {
        const expected = handMean(hidden, dims, mask as BigInt64Array, b);
        expectClose(plain[b]!, expected);
        const norm = Math.hypot(...expected);
        expect(Math.abs(norm - 1)).toBeGreaterThan(1e-3); // the raw mean is not a unit vector …
        expectClose(normalized[b]!, expected.map((x) => x / norm)); // … normalisation makes it one
      });
    } finally {
      await raw.close();
      await unit.close();
    }
  });

  it('cls pooling takes the first token of the raw last_hidden_state', async () => {
    const { hidden, dims } = await rawHiddenStates(tiny.path, TEXTS);
    const model = await createOnnxEmbedder({ model: tiny.path, workers: 0, pooling: 'cls', normalize: false, batchSize: TEXTS.length });
    try {
      const vectors = await model.embed(TEXTS, { kind: 'passage' });
      const [, sequence, size] = dims as [number, number, number];
      TEXTS.forEach((_, b) => expectClose(vectors[b]!, hidden.subarray(b * sequence * size, b * sequence * size + size)));
    } finally {
      await model.close();
    }
  });

  it('is deterministic across runs, workers 0 / 1 / 2 and batch sizes, and keeps input order', async () => {
    const reference = await createOnnxEmbedder({ model: tiny.path, workers: 0, batchSize: 64 });
    const expected = await reference.embed(TEXTS, { kind: 'passage' });
    expectClose((await reference.embed(TEXTS, { kind: 'passage' })).flatMap((v) => [...v]), expected.flatMap((v) => [...v]), 0);
    await reference.close();
    for (const workers of [1, 2]) {
      const model = await createOnnxEmbedder({ model: tiny.path, workers, batchSize: 2 });
      try {
        expect(model.workers).toBe(workers);
        const got = await model.embed(TEXTS, { kind: 'passage' });
        TEXTS.forEach((_, i) => expectClose(got[i]!, expected[i]!, 1e-6));
        const reversed = await model.embed([...TEXTS].reverse(), { kind: 'passage' });
        TEXTS.forEach((_, i) => expectClose(reversed[TEXTS.length - 1 - i]!, expected[i]!, 1e-6));
      } finally {
        await model.close();
      }
    }
  });

  it('adds query/passage prefixes inside: a query equals the passage embedding of the prefixed text', async () => {
    const e5 = writeTinyModel(minilm!, { name: 'e5-tiny' });
    const model = await createOnnxEmbedder({ model: e5.path, workers: 0 });
    const plain = await createOnnxEmbedder({ model: e5.path, workers: 0, queryPrefix: '', passagePrefix: '' });
    try {
      expect(model.queryPrefix).toBe('query: ');
      expect(model.passagePrefix).toBe('passage: ');
      const [query] = await model.embed(['bm25'], { kind: 'query' });
      const [passage] = await model.embed(['bm25'], { kind: 'passage' });
      expect(Array.from(query!)).not.toEqual(Array.from(passage!));
      const [prefixedQuery, prefixedPassage] = await plain.embed(['query: bm25', 'passage: bm25'], { kind: 'passage' });
      expectClose(query!, prefixedQuery!);
      expectClose(passage!, prefixedPassage!);
    } finally {
      await model.close();
      await plain.close();
      e5.remove();
    }
  });

  it('uses the sentence-transformers pooling config (modules.json + 1_Pooling) when present', async () => {
    const st = writeTinyModel(minilm!, {
      extraFiles: {
        'modules.json': JSON.stringify([
          { idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' },
          { idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
        ]),
        '1_Pooling/config.json': JSON.stringify({ word_embedding_dimension: 32, pooling_mode_cls_token: true, pooling_mode_mean_tokens: false }),
      },
    });
    const model = await createOnnxEmbedder({ model: st.path, workers: 0 });
    try {
      expect(model.pooling).toBe('cls');
      expect(model.normalize).toBe(false); // modules.json without a Normalize module
    } finally {
      await model.close();
      st.remove();
    }
  });

  it('refuses a folder without tokenizer.json or onnx/model*.onnx, listing the missing files', async () => {
    const root = mkdtempSync(join(tmpdir(), 'ralm-onnx-missing-'));
    try {
      writeFileSync(join(root, 'config.json'), '{}');
      writeFileSync(join(root, 'tokenizer_config.json'), '{}');
      const error = await createOnnxEmbedder({ model: root, workers: 0 }).catch((e: unknown) => e);
      expect(RalmError.is(error) && error.code).toBe('NOT_FOUND');
      expect((error as Error).message).toContain('tokenizer.json');
      expect((error as Error).message).toContain('onnx/model.onnx');
      mkdirSync(join(root, 'onnx'));
      writeFileSync(join(root, 'onnx', 'model.onnx'), '');
      writeFileSync(join(root, 'tokenizer.json'), '{}');
      const q8 = await createOnnxEmbedder({ model: root, workers: 0, dtype: 'q8' }).catch((e: unknown) => e);
      expect((q8 as Error).message).toMatch(/missing onnx\/model_quantized\.onnx .*use dtype "fp32"/);
      await expect(createOnnxEmbedder({ model: join(root, 'nope'), workers: 0 })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('validates options and refuses use after close()', async () => {
    await expect(createOnnxEmbedder({ model: tiny.path, batchSize: 0 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(createOnnxEmbedder({ model: tiny.path, dtype: 'fp16' as 'fp32' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(createOnnxEmbedder({ model: tiny.path, workers: 2, isolation: 'thread' })).rejects.toMatchObject({ code: 'UNSUPPORTED' });
    const model = await createOnnxEmbedder({ model: tiny.path, workers: 1 });
    await model.close();
    await model.close(); // idempotent
    await expect(model.embed(['a'], { kind: 'query' })).rejects.toMatchObject({ code: 'CLOSED' });
  });
});

describe.skipIf(!bgeZh)('bge-*-zh defaults', () => {
  it('adds the Chinese retrieval instruction to queries only and pools [CLS]', async () => {
    const tiny = writeTinyModel(bgeZh!, { name: 'bge-tiny-zh-v1.5' });
    const model = await createOnnxEmbedder({ model: tiny.path, workers: 0 });
    try {
      expect(model.queryPrefix).toBe(BGE_ZH_PREFIXES.queryPrefix);
      expect(model.passagePrefix).toBe('');
      expect(model.pooling).toBe('cls');
      const [query] = await model.embed(['检索增强生成'], { kind: 'query' });
      const [same] = await model.embed([`${BGE_ZH_PREFIXES.queryPrefix}检索增强生成`], { kind: 'passage' });
      expectClose(query!, same!);
    } finally {
      await model.close();
      tiny.remove();
    }
  });
});

describe('pooling and prefix defaults', () => {
  it('reads sentence-transformers pooling modes', () => {
    expect(poolingFromSentenceTransformers([{ path: '1_Pooling', type: 'sentence_transformers.models.Pooling' }, { path: '2_Normalize', type: 'sentence_transformers.models.Normalize' }], { pooling_mode_mean_tokens: true })).toEqual({ pooling: 'mean', normalize: true });
    expect(() => poolingFromSentenceTransformers(undefined, { pooling_mode_max_tokens: true })).toThrow(/pooling_mode_max_tokens is not supported/);
    expect(defaultPooling('bge-base-en-v1.5')).toEqual({ pooling: 'cls', normalize: true });
    expect(defaultPooling('all-MiniLM-L6-v2')).toEqual({ pooling: 'mean', normalize: true });
  });

  it('guesses prefixes by model family', () => {
    expect(defaultEmbeddingPrefixes('intfloat/multilingual-e5-small')).toEqual({ queryPrefix: 'query: ', passagePrefix: 'passage: ' });
    expect(defaultEmbeddingPrefixes('BAAI/bge-small-zh-v1.5').queryPrefix).toBe('为这个句子生成表示以用于检索相关文章：');
    expect(defaultEmbeddingPrefixes('BAAI/bge-large-en-v1.5').queryPrefix).toMatch(/^Represent this sentence/);
    expect(defaultEmbeddingPrefixes('Xenova/all-MiniLM-L6-v2')).toEqual({ queryPrefix: '', passagePrefix: '' });
    expect(defaultEmbeddingPrefixes('BAAI/bge-m3')).toEqual({ queryPrefix: '', passagePrefix: '' });
  });
});
