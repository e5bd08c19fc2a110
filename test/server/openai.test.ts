import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import type { RunningServer } from '../../src/server/index.js';
import { call, makeRoot, serve } from './helpers.js';

let server: RunningServer;
let cleanup: () => void;
let client: OpenAI;

beforeAll(async () => {
  let root: string;
  ({ root, cleanup } = await makeRoot(['alpha']));
  const embedder = {
    modelId: 'toy',
    dimensions: 3,
    embed: async (texts: readonly string[]) => texts.map((t) => new Float32Array([t.length, 1, 0])),
  };
  server = await serve({ root }, { embedderOf: (collection) => (collection === 'alpha' ? embedder : undefined) });
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused-for-local', maxRetries: 0 });
});
afterAll(async () => {
  await server.close();
  cleanup();
});

describe('OpenAI-compatible endpoints (through the official openai client)', () => {
  it('lists each collection × generator as a model', async () => {
    const models = [];
    for await (const model of client.models.list()) models.push(model);
    expect(models.map((m) => m.id)).toEqual(['ralm:alpha', 'ralm:docs']);
    expect(models[0]).toMatchObject({ object: 'model', owned_by: 'ralm' });
  });

  it('answers a chat completion with citations in ralm_citations and a Sources block', async () => {
    const completion = await client.chat.completions.create({
      model: 'ralm:docs',
      messages: [
        { role: 'system', content: 'You answer from the collection.' },
        { role: 'user', content: 'What is BM25?' },
        { role: 'assistant', content: 'A ranking function.' },
        { role: 'user', content: 'When is a commit durable?' },
      ],
    });
    expect(completion.object).toBe('chat.completion');
    expect(completion.choices[0]!.finish_reason).toBe('stop');
    const content = completion.choices[0]!.message.content!;
    expect(content).toMatch(/write-ahead log is synced to disk.*\[1\]/s);
    expect(content).toMatch(/\n\nSources:\n\[1\] wal\.md \(line \d+\)$/);
    const citations = (completion as unknown as { ralm_citations: Array<{ key: string; doc_id: string }> }).ralm_citations;
    expect(citations[0]).toMatchObject({ key: '1', doc_id: 'wal.md' });
    expect(completion.usage!.total_tokens).toBeGreaterThan(0);
  });

  it('streams chat.completion.chunk events ending with [DONE]; the text equals the non-streamed one', async () => {
    const stream = await client.chat.completions.create({ model: 'ralm:docs', messages: [{ role: 'user', content: 'When is a commit durable?' }], stream: true, stream_options: { include_usage: true } });
    let text = '';
    const chunks = [];
    for await (const chunk of stream) {
      chunks.push(chunk);
      text += chunk.choices[0]?.delta.content ?? '';
    }
    expect(chunks.every((c) => c.object === 'chat.completion.chunk')).toBe(true);
    expect(chunks[0]!.choices[0]!.delta.role).toBe('assistant');
    const last = chunks.findLast((c) => c.choices.length > 0)!;
    expect(last.choices[0]!.finish_reason).toBe('stop');
    expect((last as unknown as { ralm_citations: unknown[] }).ralm_citations).toHaveLength(1);
    expect(chunks.at(-1)!.usage?.total_tokens).toBeGreaterThan(0);
    const whole = await client.chat.completions.create({ model: 'ralm:docs', messages: [{ role: 'user', content: 'When is a commit durable?' }] });
    expect(text).toBe(whole.choices[0]!.message.content);
    const raw = await (await fetch(`${server.url}/v1/chat/completions`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ model: 'ralm:docs', stream: true, messages: [{ role: 'user', content: 'durable commit?' }] }) })).text();
    expect(raw.trimEnd().endsWith('data: [DONE]')).toBe(true);
    expect(raw.split('\n\n').filter(Boolean).every((block) => block.startsWith('data: '))).toBe(true);
  });

  it('answers errors in the OpenAI shape', async () => {
    await expect(client.chat.completions.create({ model: 'ralm:nope', messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({ status: 404, code: 'model_not_found', type: 'not_found_error' });
    await expect(client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({ status: 404 });
    const malformed = await call(server.url, '/v1/chat/completions', { raw: '{"model":' });
    expect(malformed.status).toBe(400);
    expect(malformed.body).toEqual({ error: { message: expect.stringMatching(/not valid JSON/), type: 'invalid_request_error', param: null, code: 'invalid_json' } });
    const noUser = await call(server.url, '/v1/chat/completions', { body: { model: 'ralm:docs', messages: [{ role: 'system', content: 'hi' }] } });
    expect(noUser.status).toBe(400);
    expect(noUser.body.error.type).toBe('invalid_request_error');
  });

  it('embeddings: 400 "collection X has no embedder" without one; vectors with one', async () => {
    await expect(client.embeddings.create({ model: 'ralm:docs', input: 'hello' })).rejects.toMatchObject({ status: 400, code: 'no_embedder', message: expect.stringMatching(/collection docs has no embedder/) });
    await expect(client.embeddings.create({ model: 'ralm:missing', input: 'hello' })).rejects.toMatchObject({ status: 404, code: 'model_not_found' });
    const result = await client.embeddings.create({ model: 'ralm:alpha', input: ['hello', 'hi'] });
    expect(result.data.map((d) => d.embedding)).toEqual([
      [5, 1, 0],
      [2, 1, 0],
    ]);
    const floats = await client.embeddings.create({ model: 'ralm:alpha', input: 'abc', encoding_format: 'float' });
    expect(floats.data[0]!.embedding).toEqual([3, 1, 0]);
  });
});
