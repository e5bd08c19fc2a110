import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { RalmError } from '../../src/core/errors.js';
import { createOpenAICompatible, type OpenAICompatibleOptions } from '../../src/generate/providers/openai/index.js';
import { backoffDelay, retryAfterMs } from '../../src/models/http.js';
import { checkCitations } from '../../src/generate/citations.js';
import { buildGroundedPrompt } from '../../src/generate/prompt.js';
import { collectStream, type StreamEvent } from '../../src/models/index.js';
import { reply, startOpenAIServer, type OpenAITestServer } from '../helpers/openai-server.js';

const messages = [
  { role: 'system' as const, content: 'Answer briefly.' },
  { role: 'user' as const, content: 'Where is the Eiffel Tower?' },
];

let server: OpenAITestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function model(s: OpenAITestServer, extra: Partial<OpenAICompatibleOptions> = {}) {
  return createOpenAICompatible({ baseURL: s.baseURL, model: 'test-model', env: {}, retryDelayMs: 1, maxRetryDelayMs: 5, ...extra });
}

async function events(iterable: AsyncIterable<StreamEvent>): Promise<StreamEvent[]> {
  const out: StreamEvent[] = [];
  for await (const e of iterable) out.push(e);
  return out;
}

async function rejection(promise: Promise<unknown>): Promise<RalmError> {
  try {
    await promise;
  } catch (e) {
    expect(RalmError.is(e)).toBe(true);
    return e as RalmError;
  }
  throw new Error('expected a rejection');
}

describe('createOpenAICompatible: options', () => {
  it('is a v1 LanguageModel spec naming provider and model', () => {
    const m = createOpenAICompatible({ baseURL: 'http://127.0.0.1:1/v1', model: 'm', contextLength: 8192, env: {} });
    expect(m.specificationVersion).toBe('v1');
    expect(m.provider).toBe('openai-compatible');
    expect(m.modelId).toBe('m');
    expect(m.contextLength).toBe(8192);
  });

  it('refuses a bad baseURL, model or number with INVALID_ARGUMENT', () => {
    expect(() => createOpenAICompatible({ baseURL: 'not a url', model: 'm' })).toThrow(/not a URL/);
    expect(() => createOpenAICompatible({ baseURL: 'ftp://x/v1', model: 'm' })).toThrow(/http/);
    expect(() => createOpenAICompatible({ baseURL: 'http://x/v1', model: '' })).toThrow(/model/);
    expect(() => createOpenAICompatible({ baseURL: 'http://x/v1', model: 'm', maxRetries: -1 })).toThrow(/maxRetries/);
  });

  it('resolves the API key: option, else RALM_API_KEY, else OPENAI_API_KEY, else none', async () => {
    server = await startOpenAIServer(reply.text('ok'));
    const env = { RALM_API_KEY: 'ralm-key', OPENAI_API_KEY: 'openai-key' };
    await model(server, { apiKey: 'explicit', env }).generate({ messages });
    await model(server, { env }).generate({ messages });
    await model(server, { env: { OPENAI_API_KEY: 'openai-key' } }).generate({ messages });
    await model(server, { env: {} }).generate({ messages });
    expect(server.requests.map((r) => r.headers.authorization)).toEqual(['Bearer explicit', 'Bearer ralm-key', 'Bearer openai-key', undefined]);
  });

  it('sends factory and per-call headers', async () => {
    server = await startOpenAIServer(reply.text('ok'));
    await model(server, { headers: { 'x-factory': 'a' } }).generate({ messages }, { headers: { 'x-call': 'b' } });
    expect(server.requests[0]!.headers['x-factory']).toBe('a');
    expect(server.requests[0]!.headers['x-call']).toBe('b');
  });
});

describe('generate (non-streaming)', () => {
  it('posts the chat-completions body and returns text, finish reason, usage and the raw response', async () => {
    server = await startOpenAIServer(reply.text('It is in Paris.', { promptTokens: 21 }));
    const result = await model(server).generate({ messages, maxTokens: 50, temperature: 0, stop: ['\n\n'] });
    expect(result.text).toBe('It is in Paris.');
    expect(result.finishReason).toBe('stop');
    expect(result.usage).toEqual({ inputTokens: 21, outputTokens: 4 });
    expect(result.logprobs).toBeUndefined();
    expect((result.raw as { object: string }).object).toBe('chat.completion');
    const sent = server.requests[0]!;
    expect(sent.path).toBe('/v1/chat/completions');
    expect(sent.body).toEqual({ model: 'test-model', messages, max_tokens: 50, temperature: 0, stop: ['\n\n'] });
  });

  it('maps finish reasons: length, content_filter, tool_calls', async () => {
    server = await startOpenAIServer(reply.text('a', { finishReason: 'length' }), reply.text('b', { finishReason: 'content_filter' }), reply.text('c', { finishReason: 'tool_calls' }));
    const m = model(server);
    expect((await m.generate({ messages })).finishReason).toBe('length');
    expect((await m.generate({ messages })).finishReason).toBe('content-filter');
    expect((await m.generate({ messages })).finishReason).toBe('other');
  });

  it('asks for and parses logprobs with top alternatives', async () => {
    server = await startOpenAIServer(reply.text('Paris.', { tokens: [{ token: 'Par', logprob: -0.25 }, { token: 'is.', logprob: -0.5 }] }));
    const result = await model(server).generate({ messages, logprobs: true, topLogprobs: 2 });
    expect(server.requests[0]!.body).toMatchObject({ logprobs: true, top_logprobs: 2 });
    expect(result.logprobs).toEqual([
      { token: 'Par', logprob: -0.25, top: [{ token: 'Par', logprob: -0.25 }, { token: 'Par~1', logprob: -1.25 }] },
      { token: 'is.', logprob: -0.5, top: [{ token: 'is.', logprob: -0.5 }, { token: 'is.~1', logprob: -1.5 }] },
    ]);
  });
});

describe('errors', () => {
  it('401 → AUTH naming the URL, status, server message and the key variables; never retried', async () => {
    server = await startOpenAIServer(reply.unauthorized());
    const e = await rejection(model(server).generate({ messages }));
    expect(e.code).toBe('AUTH');
    expect(e.statusCode).toBe(401);
    expect(e.isRetryable).toBe(false);
    expect(e.message).toContain(`${server.baseURL}/chat/completions`);
    expect(e.message).toContain('HTTP 401');
    expect(e.message).toContain('Incorrect API key provided');
    expect(e.message).toContain('check the API key (RALM_API_KEY / OPENAI_API_KEY)');
    expect(server.requests).toHaveLength(1);
  });

  it('400 context_length_exceeded → CONTEXT_OVERFLOW, not retried', async () => {
    server = await startOpenAIServer(reply.contextOverflow());
    const e = await rejection(model(server).generate({ messages }));
    expect(e.code).toBe('CONTEXT_OVERFLOW');
    expect(e.statusCode).toBe(400);
    expect(e.message).toContain('maximum context length is 4096 tokens');
    expect(server.requests).toHaveLength(1);
  });

  it('a 400 whose message mentions the context size (llama.cpp server) → CONTEXT_OVERFLOW', async () => {
    server = await startOpenAIServer(reply.error(400, 'the request exceeds the available context size, try increasing it', 'exceed_context_size_error', null));
    expect((await rejection(model(server).generate({ messages }))).code).toBe('CONTEXT_OVERFLOW');
  });

  it('other 4xx (400, 403, 404) are not retried', async () => {
    server = await startOpenAIServer(reply.error(404, 'The model `nope` does not exist', 'invalid_request_error', 'model_not_found'));
    const e = await rejection(model(server).generate({ messages }));
    expect(e.code).toBe('PROVIDER');
    expect(e.statusCode).toBe(404);
    expect(e.isRetryable).toBe(false);
    expect(e.message).toContain('The model `nope` does not exist');
    expect(server.requests).toHaveLength(1);
    server.script(reply.error(403, 'Country not supported', 'invalid_request_error', 'unsupported_country'));
    expect((await rejection(model(server).generate({ messages }))).code).toBe('AUTH');
    expect(server.requests).toHaveLength(2);
  });

  it('an Ollama-style {"error": "…"} body is read too', async () => {
    server = await startOpenAIServer({ kind: 'error', status: 404, body: { error: 'model "llama9" not found, try pulling it first' } });
    expect((await rejection(model(server).generate({ messages }))).message).toContain('model "llama9" not found');
  });

  it('an unreachable endpoint → "cannot reach http://…: ECONNREFUSED", retried then reported', async () => {
    const port = await freePort();
    const m = createOpenAICompatible({ baseURL: `http://127.0.0.1:${port}/v1`, model: 'm', env: {}, maxRetries: 1, retryDelayMs: 1 });
    const e = await rejection(m.generate({ messages }));
    expect(e.code).toBe('PROVIDER');
    expect(e.isRetryable).toBe(true);
    expect(e.message).toContain(`cannot reach http://127.0.0.1:${port}/v1/chat/completions: ECONNREFUSED`);
    expect(e.message).toContain('after 2 attempts');
  });
});

describe('retries', () => {
  it('429 with Retry-After, then success: waits as told and counts the attempts', async () => {
    server = await startOpenAIServer(reply.rateLimited(0.2), reply.text('ok'));
    const started = performance.now();
    const result = await model(server, { maxRetryDelayMs: 5000 }).generate({ messages });
    expect(result.text).toBe('ok');
    expect(server.requests).toHaveLength(2);
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
  });

  it('500s are retried maxRetries times, then reported with statusCode, isRetryable and the attempt count', async () => {
    server = await startOpenAIServer(reply.serverError());
    const e = await rejection(model(server, { maxRetries: 2 }).generate({ messages }));
    expect(server.requests).toHaveLength(3);
    expect(e.code).toBe('PROVIDER');
    expect(e.statusCode).toBe(500);
    expect(e.isRetryable).toBe(true);
    expect(e.message).toMatch(/HTTP 500 .*The server had an error.*\(after 3 attempts\)/);
  });

  it('500, 503 then success', async () => {
    server = await startOpenAIServer(reply.serverError(), reply.error(503, 'overloaded', 'server_error', null), reply.text('finally'));
    expect((await model(server).generate({ messages })).text).toBe('finally');
    expect(server.requests).toHaveLength(3);
  });

  it('a dropped connection is retried', async () => {
    server = await startOpenAIServer({ kind: 'hangup' }, reply.text('ok'));
    expect((await model(server).generate({ messages })).text).toBe('ok');
    expect(server.requests).toHaveLength(2);
  });

  it('a stream is retried before its body starts', async () => {
    server = await startOpenAIServer(reply.rateLimited(0), reply.text('streamed ok'));
    const result = await collectStream(model(server).stream({ messages }));
    expect(result.text).toBe('streamed ok');
    expect(server.requests).toHaveLength(2);
  });

  it('backoff doubles per retry with equal jitter, capped; Retry-After forms are read', () => {
    expect(backoffDelay(0, 100, 10_000, () => 0)).toBe(50);
    expect(backoffDelay(0, 100, 10_000, () => 1)).toBe(100);
    expect(backoffDelay(3, 100, 10_000, () => 1)).toBe(800);
    expect(backoffDelay(20, 100, 1000, () => 1)).toBe(1000);
    expect(retryAfterMs(new Headers({ 'retry-after': '2' }))).toBe(2000);
    expect(retryAfterMs(new Headers({ 'retry-after-ms': '150', 'retry-after': '2' }))).toBe(150);
    expect(retryAfterMs(new Headers({ 'retry-after': 'Wed, 21 Oct 2015 07:28:05 GMT' }), Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'))).toBe(5000);
    expect(retryAfterMs(new Headers())).toBeUndefined();
  });
});

describe('stream', () => {
  it('streams text deltas and one finish with usage (stream_options.include_usage)', async () => {
    server = await startOpenAIServer(reply.text('It is in Paris.', { promptTokens: 30 }));
    const all = await events(model(server).stream({ messages, maxTokens: 20 }));
    expect(server.requests[0]!.body).toMatchObject({ stream: true, stream_options: { include_usage: true }, max_tokens: 20 });
    expect(all).toEqual([
      { type: 'text-delta', text: 'It' },
      { type: 'text-delta', text: ' is' },
      { type: 'text-delta', text: ' in' },
      { type: 'text-delta', text: ' Paris.' },
      { type: 'finish', finishReason: 'stop', usage: { inputTokens: 30, outputTokens: 4 } },
    ]);
  });

  it('streams logprobs events when asked', async () => {
    server = await startOpenAIServer(reply.text('a b', { tokens: [{ token: 'a', logprob: -1 }, { token: ' b', logprob: -2 }] }));
    const result = await collectStream(model(server).stream({ messages, logprobs: true, topLogprobs: 1 }));
    expect(result.text).toBe('a b');
    expect(result.logprobs).toEqual([
      { token: 'a', logprob: -1, top: [{ token: 'a', logprob: -1 }] },
      { token: ' b', logprob: -2, top: [{ token: ' b', logprob: -2 }] },
    ]);
  });

  it('a stream cut mid-way is an error, never a finish', async () => {
    server = await startOpenAIServer(reply.cut('one two three four five', 2));
    const all = await events(model(server).stream({ messages }));
    expect(all.filter((e) => e.type === 'text-delta').map((e) => (e as { text: string }).text).join('')).toBe('one two');
    expect(all.some((e) => e.type === 'finish')).toBe(false);
    const last = all.at(-1)!;
    expect(last.type).toBe('error');
    const error = (last as { error: RalmError }).error;
    expect(error.message).toMatch(/ended without a finish reason or \[DONE\] after 7 characters; the answer is incomplete|connection .* failed while reading/);
    await expect(collectStream(model(server).stream({ messages }))).rejects.toThrow(RalmError);
  });

  it('a stream cut in the middle of a data line is an error too', async () => {
    server = await startOpenAIServer(reply.cut('one two three', 1, true));
    await expect(collectStream(model(server).stream({ messages }))).rejects.toThrow(/incomplete|failed while reading/);
  });

  it('a clean end of body without finish_reason or [DONE] is an error', async () => {
    server = await startOpenAIServer(reply.text('half an answer', { finish: false, done: false }));
    const e = await rejection(collectStream(model(server).stream({ messages })));
    expect(e.message).toContain('ended without a finish reason or [DONE] after 14 characters');
  });

  it('finish_reason without [DONE] is complete; [DONE] without a finish reason finishes as "other"', async () => {
    server = await startOpenAIServer(reply.text('x', { done: false }), reply.text('y', { finish: false }));
    expect((await collectStream(model(server).stream({ messages }))).finishReason).toBe('stop');
    expect((await collectStream(model(server).stream({ messages }))).finishReason).toBe('other');
  });

  it('malformed JSON in the stream names the line', async () => {
    server = await startOpenAIServer(reply.malformed());
    const e = await rejection(collectStream(model(server).stream({ messages })));
    expect(e.code).toBe('PARSE');
    expect(e.line).toBe(3);
    expect(e.message).toContain('malformed JSON in the stream');
    expect(e.message).toContain('at line 3: {"id":"chatcmpl-1","choices":[{"delta":{"content":"oops"');
  });

  it('an error object inside the stream is reported', async () => {
    server = await startOpenAIServer({ kind: 'raw', body: 'data: {"error":{"message":"model crashed","type":"server_error","code":500}}\n\n' });
    const e = await rejection(collectStream(model(server).stream({ messages })));
    expect(e.message).toContain('model crashed');
    expect(e.statusCode).toBe(500);
  });

  it('HTTP errors arrive as one error event', async () => {
    server = await startOpenAIServer(reply.unauthorized());
    const all = await events(model(server).stream({ messages }));
    expect(all).toHaveLength(1);
    expect(all[0]!.type).toBe('error');
    expect((all[0] as { error: RalmError }).error.code).toBe('AUTH');
  });
});

describe('timeouts and cancellation', () => {
  it('a server slower than timeoutMs → TIMEOUT, not retried', async () => {
    server = await startOpenAIServer(reply.slow(2000, reply.text('late')));
    const started = performance.now();
    const e = await rejection(model(server, { timeoutMs: 100 }).generate({ messages }));
    expect(e.code).toBe('TIMEOUT');
    expect(e.message).toContain('timed out');
    expect(server.requests).toHaveLength(1);
    expect(performance.now() - started).toBeLessThan(1500);
  });

  it('a stream that stalls between chunks times out as an error event', async () => {
    server = await startOpenAIServer(reply.text('a b c d', { chunkDelayMs: 400 }));
    const all = await events(model(server, { timeoutMs: 150 }).stream({ messages }));
    expect(all.at(-1)!.type).toBe('error');
    expect((all.at(-1) as { error: RalmError }).error.code).toBe('TIMEOUT');
  });

  it('a slow but steady stream does not time out (the timer is per chunk)', async () => {
    server = await startOpenAIServer(reply.text('a b c d e f g h', { chunkDelayMs: 100 }));
    const result = await collectStream(model(server, { timeoutMs: 400 }).stream({ messages })); // 8 × 100 ms in all, > 400 ms
    expect(result.text).toBe('a b c d e f g h');
  });

  it('aborting mid-stream stops promptly with ABORTED and closes the connection', async () => {
    server = await startOpenAIServer(reply.text('w1 w2 w3 w4 w5 w6 w7 w8 w9 w10', { chunkDelayMs: 100 }));
    const controller = new AbortController();
    const seen: StreamEvent[] = [];
    let abortedAt = 0;
    for await (const event of model(server).stream({ messages }, { signal: controller.signal })) {
      seen.push(event);
      if (event.type === 'text-delta' && seen.length === 2) {
        abortedAt = performance.now();
        controller.abort();
      }
    }
    expect(performance.now() - abortedAt).toBeLessThan(300); // the next chunk was 100 ms away, the rest 800 ms
    expect(seen.at(-1)!.type).toBe('error');
    expect((seen.at(-1) as { error: RalmError }).error.code).toBe('ABORTED');
    expect(seen.filter((e) => e.type === 'text-delta').length).toBe(2);
    await waitFor(() => server!.clientDisconnects === 1);
  });

  it('breaking out of the loop closes the connection', async () => {
    server = await startOpenAIServer(reply.text('w1 w2 w3 w4 w5 w6', { chunkDelayMs: 50 }));
    for await (const event of model(server).stream({ messages })) {
      if (event.type === 'text-delta') break;
    }
    await waitFor(() => server!.clientDisconnects === 1);
  });

  it('aborting generate → ABORTED; an already aborted signal sends nothing', async () => {
    server = await startOpenAIServer(reply.slow(1000, reply.text('late')));
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 30);
    expect((await rejection(model(server).generate({ messages }, { signal: controller.signal }))).code).toBe('ABORTED');
    const before = server.requests.length;
    expect((await rejection(model(server).generate({ messages }, { signal: AbortSignal.abort() }))).code).toBe('ABORTED');
    expect(server.requests.length).toBe(before);
  });

  it('aborting during a retry wait stops at once', async () => {
    server = await startOpenAIServer(reply.rateLimited(10));
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const started = performance.now();
    const e = await rejection(model(server, { maxRetryDelayMs: 60_000 }).generate({ messages }, { signal: controller.signal }));
    expect(e.code).toBe('ABORTED');
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe('concurrency', () => {
  it('never has more than `concurrency` requests in flight', async () => {
    server = await startOpenAIServer(reply.slow(40, reply.text('ok')));
    const m = model(server, { concurrency: 2 });
    let inFlight = 0;
    let peak = 0;
    const tracked = createOpenAICompatible({
      baseURL: server.baseURL,
      model: 'm',
      env: {},
      concurrency: 2,
      fetch: async (input, init) => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        try {
          const r = await fetch(input, init);
          await new Promise((res) => setTimeout(res, 1));
          return r;
        } finally {
          inFlight--;
        }
      },
    });
    const results = await Promise.all(Array.from({ length: 6 }, () => tracked.generate({ messages })));
    expect(results.every((r) => r.text === 'ok')).toBe(true);
    expect(peak).toBe(2);
    expect(m.modelId).toBe('test-model');
  });
});

describe('the misbehaving server', () => {
  it('answers with fabricated citation keys, which checkCitations flags', async () => {
    server = await startOpenAIServer(reply.fabricatedCitations(['1', '99']));
    const prompt = buildGroundedPrompt({
      question: 'Is the tower in Paris?',
      passages: [{ key: '1', text: 'The Eiffel Tower is in Paris.', weight: 1 }, { key: '2', text: 'Paris is in France.', weight: 0.5 }],
      language: 'en',
      budgetTokens: 2000,
    });
    const { text } = await model(server).generate({ messages: prompt.messages });
    expect(text).toBe('The answer is certainly yes [1] [99].');
    expect(server.requests[0]!.body.messages).toEqual(prompt.messages); // exactly what the prompt builder returned was sent
    const check = checkCitations(text, prompt.included);
    expect(check.cited).toEqual(['1']);
    expect(check.unknown).toEqual(['99']);
  });
});

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function waitFor(condition: () => boolean, ms = 1000): Promise<void> {
  const until = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
