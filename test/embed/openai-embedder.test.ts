import { afterEach, describe, expect, it } from 'vitest';
import { createOpenAICompatibleEmbedder } from '../../src/embed/openai/index.js';
import { serverVector, startEmbeddingsServer, type EmbeddingsServer } from '../helpers/embeddings-server.js';

let server: EmbeddingsServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const texts = (n: number) => Array.from({ length: n }, (_, i) => `text number ${i}`);
const make = (s: EmbeddingsServer, extra: Partial<Parameters<typeof createOpenAICompatibleEmbedder>[0]> = {}) =>
  createOpenAICompatibleEmbedder({ baseURL: s.baseURL, model: 'test-embedding', env: {}, retryDelayMs: 1, maxRetryDelayMs: 5, ...extra });

describe('createOpenAICompatibleEmbedder', () => {
  it('batches by batchSize, keeps order, sends model + key, and learns the dimension', async () => {
    server = await startEmbeddingsServer({ dimensions: 8 });
    const model = make(server, { batchSize: 4, apiKey: 'sk-test' });
    expect(model.dimensions).toBe(0);
    const vectors = await model.embed(texts(10), { kind: 'passage' });
    expect(server.requests.map((r) => r.body.input!.length)).toEqual([4, 4, 2]);
    expect(server.requests[0]!.body).toMatchObject({ model: 'test-embedding', encoding_format: 'float' });
    expect(server.requests[0]!.headers.authorization).toBe('Bearer sk-test');
    expect(model.dimensions).toBe(8);
    vectors.forEach((v, i) => expect(Array.from(v)).toEqual(Array.from(Float32Array.from(serverVector(`text number ${i}`, 8)))));
  });

  it('takes the key from RALM_API_KEY, else OPENAI_API_KEY, and applies e5 prefixes', async () => {
    server = await startEmbeddingsServer();
    await make(server, { env: { OPENAI_API_KEY: 'sk-openai' }, model: 'multilingual-e5-small' }).embed(['q'], { kind: 'query' });
    await make(server, { env: { RALM_API_KEY: 'sk-ralm', OPENAI_API_KEY: 'sk-openai' } }).embed(['p'], { kind: 'passage' });
    expect(server.requests.map((r) => r.headers.authorization)).toEqual(['Bearer sk-openai', 'Bearer sk-ralm']);
    expect(server.requests[0]!.body.input).toEqual(['query: q']);
  });

  it('sends dimensions for text-embedding-3 models and reorders answers by index', async () => {
    server = await startEmbeddingsServer({ script: [{ kind: 'reversed' }] });
    const model = make(server, { model: 'text-embedding-3-small', dimensions: 6 });
    const vectors = await model.embed(['a', 'b', 'c'], { kind: 'passage' });
    expect(server.requests[0]!.body.dimensions).toBe(6);
    expect(Array.from(vectors[0]!)).toEqual(Array.from(Float32Array.from(serverVector('a', 6))));
  });

  it('limits requests in flight to `concurrency`', async () => {
    server = await startEmbeddingsServer({ script: Array.from({ length: 6 }, () => ({ kind: 'slow' as const, delayMs: 30 })) });
    let inFlight = 0;
    let most = 0;
    const counting: typeof fetch = async (input, init) => {
      most = Math.max(most, ++inFlight);
      try {
        return await fetch(input, init);
      } finally {
        inFlight--;
      }
    };
    await make(server, { batchSize: 1, concurrency: 2, fetch: counting }).embed(texts(6), { kind: 'passage' });
    expect(most).toBe(2);
  });

  it('retries a 429 (honouring Retry-After) and then succeeds', async () => {
    server = await startEmbeddingsServer({ script: [{ kind: 'error', status: 429, message: 'Rate limit reached', headers: { 'retry-after-ms': '20' } }] });
    const started = Date.now();
    const vectors = await make(server, { maxRetryDelayMs: 1000 }).embed(['a'], { kind: 'passage' });
    expect(vectors).toHaveLength(1);
    expect(server.requests).toHaveLength(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(18);
  });

  it('gives up after maxRetries 500s with the status and the number of attempts', async () => {
    server = await startEmbeddingsServer({ script: Array.from({ length: 5 }, () => ({ kind: 'error' as const, status: 500, message: 'boom' })) });
    const error = await make(server, { maxRetries: 2 }).embed(['a'], { kind: 'passage' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'PROVIDER', statusCode: 500, isRetryable: true });
    expect((error as Error).message).toMatch(/HTTP 500.*boom.*after 3 attempts/);
    expect(server.requests).toHaveLength(3);
  });

  it('does not retry a 401 and names the key variables', async () => {
    server = await startEmbeddingsServer({ script: [{ kind: 'error', status: 401, message: 'Incorrect API key' }] });
    const error = await make(server).embed(['a'], { kind: 'passage' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'AUTH', statusCode: 401 });
    expect((error as Error).message).toContain('OPENAI_API_KEY');
    expect(server.requests).toHaveLength(1);
  });

  it('times out', async () => {
    server = await startEmbeddingsServer({ script: [{ kind: 'slow', delayMs: 500 }] });
    const error = await make(server, { timeoutMs: 50 }).embed(['a'], { kind: 'passage' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'TIMEOUT' });
    expect((error as Error).message).toContain('50 ms');
  });

  it('reports malformed JSON as PARSE naming the URL', async () => {
    server = await startEmbeddingsServer({ script: [{ kind: 'raw', body: '{"data": [' }] });
    const error = await make(server).embed(['a'], { kind: 'passage' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'PARSE' });
    expect((error as Error).message).toContain(`${server.baseURL}/embeddings`);
  });

  it('refuses a wrong dimension, a NaN and a missing item, naming the index', async () => {
    server = await startEmbeddingsServer({ dimensions: 4, script: [{ kind: 'ok' }, { kind: 'wrong-dimension' }, { kind: 'nan' }, { kind: 'missing-item' }] });
    const model = make(server, { dimensions: 4 });
    await model.embed(['a', 'b'], { kind: 'passage' });
    await expect(model.embed(['a', 'b'], { kind: 'passage' })).rejects.toThrow(/invalid embedding at index 1: 5 dimensions, expected 4/);
    await expect(model.embed(['a', 'b'], { kind: 'passage' })).rejects.toThrow(/invalid embedding at index 1: component 0 is NaN/);
    await expect(model.embed(['a', 'b'], { kind: 'passage' })).rejects.toThrow(/returned 1 embeddings for 2 inputs/);
  });

  it('validates its options', () => {
    expect(() => createOpenAICompatibleEmbedder({ baseURL: '', model: 'm' })).toThrow(/needs baseURL/);
    expect(() => createOpenAICompatibleEmbedder({ baseURL: 'ftp://x', model: 'm' })).toThrow(/http/);
    expect(() => createOpenAICompatibleEmbedder({ baseURL: 'http://127.0.0.1:1/v1', model: 'm', batchSize: 0 })).toThrow(/batchSize/);
  });
});
