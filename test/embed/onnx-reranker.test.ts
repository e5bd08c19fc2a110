import { join } from 'node:path';
import { AutoTokenizer } from '@huggingface/transformers';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOnnxReranker } from '../../src/embed/onnx/index.js';
import { crossEncoderRerank } from '../../src/retrieve/rerank.js';
import { writeTinyModel, type TinyModelFolder } from '../helpers/onnx-models.js';
import { sharedPath } from '../helpers/shared.js';

const minilm = sharedPath('models', 'all-MiniLM-L6-v2');
const QUERY = 'what is bm25';
const PASSAGES = ['BM25 is a ranking function', 'Paris is the capital of France', 'okapi', 'dense retrieval with embeddings of passages', 'bm25 bm25 bm25'];

/** The logits of [CLS] query [SEP] passage [SEP] from onnxruntime-node directly. */
async function rawLogits(folder: string): Promise<number[]> {
  const tokenizer = await AutoTokenizer.from_pretrained(folder, { local_files_only: true });
  const inputs = tokenizer(new Array(PASSAGES.length).fill(QUERY), { text_pair: PASSAGES, padding: true, truncation: true }) as Record<string, { data: BigInt64Array; dims: number[] }>;
  // the pair encoding is [CLS] query [SEP] passage [SEP] with token types 0 … 0 1 … 1
  const ids = Array.from(inputs.input_ids!.data.subarray(0, inputs.input_ids!.dims[1]), Number);
  expect(ids[0]).toBe(101);
  expect(ids.filter((id) => id === 102)).toHaveLength(2);
  const session = await ort.InferenceSession.create(join(folder, 'onnx', 'model.onnx'));
  const feeds: Record<string, ort.Tensor> = {};
  for (const name of ['input_ids', 'attention_mask', 'token_type_ids']) feeds[name] = new ort.Tensor('int64', inputs[name]!.data, inputs[name]!.dims);
  const out = await session.run(feeds);
  await session.release();
  return Array.from(out.logits!.data as Float32Array);
}

describe.skipIf(!minilm)('createOnnxReranker on a tiny random cross-encoder', () => {
  let tiny: TinyModelFolder;
  let logits: number[];
  beforeAll(async () => {
    tiny = writeTinyModel(minilm!, { kind: 'cross-encoder' });
    logits = await rawLogits(tiny.path);
  });
  afterAll(() => tiny?.remove());

  it('scores equal the raw logits, in passage order, with and without workers and across batch sizes', async () => {
    expect(new Set(logits.map((l) => l.toFixed(6))).size).toBe(PASSAGES.length); // the scores differ per passage
    for (const [workers, batchSize] of [[0, 32], [2, 2]] as const) {
      const reranker = await createOnnxReranker({ model: tiny.path, workers, batchSize });
      try {
        expect(reranker).toMatchObject({ specificationVersion: 'v1', provider: 'onnx', workers });
        const scores = await reranker.rerank(QUERY, PASSAGES);
        scores.forEach((s, i) => expect(Math.abs(s - logits[i]!)).toBeLessThan(1e-5));
        expect(await reranker.rerank(QUERY, [])).toEqual([]);
      } finally {
        await reranker.close();
      }
    }
  });

  it('crossEncoderRerank orders hits by the logits', async () => {
    const reranker = await createOnnxReranker({ model: tiny.path, workers: 0 });
    try {
      const hits = PASSAGES.map((text, key) => ({ key, text, score: 10 - key }));
      const reranked = await crossEncoderRerank(reranker, QUERY, hits, { topK: 3 });
      const expected = logits.map((l, key) => ({ key, l })).sort((a, b) => b.l - a.l).slice(0, 3).map((x) => x.key);
      expect(reranked.map((h) => h.key)).toEqual(expected);
      expect(reranked[0]!.previousScore).toBe(10 - expected[0]!);
      expect(reranked[0]!.explanation.description).toContain('cross-encoder');
    } finally {
      await reranker.close();
    }
  });
});
