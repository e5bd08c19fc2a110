// The llama:<file.gguf> generator through the real node-llama-cpp (no stand-in): the tests write tiny llama-architecture
// GGUF files with seeded random weights (test/helpers/gguf.ts), so the real loading, tokenizing, chat-template and
// generation path runs in about a second per model. Replies are gibberish; what is checked is the plumbing: streaming,
// usage, finish reasons, stop sequences, cancellation, determinism, and the collection-level `ask` and CLI paths.
// Skipped, with a one-line notice, when node-llama-cpp is not installed.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RalmError } from '../../src/core/errors.js';
import { ask } from '../../src/engine/ask.js';
import { openCollection, type Collection } from '../../src/engine/index.js';
import { assertGgufFile, createLlamaCpp, type LlamaLanguageModel } from '../../src/generate/providers/llama/index.js';
import { collectStream, type StreamEvent } from '../../src/models/index.js';
import { ralm } from '../helpers/cli.js';
import { tinyLlamaGguf, writeTinyLlamaGguf } from '../helpers/gguf.js';
import { languageModelContract } from './language-model.contract.js';

const installed = (() => {
  try {
    createRequire(import.meta.url).resolve('node-llama-cpp');
    return true;
  } catch {
    console.warn('[skip] node-llama-cpp is not installed: the llama:<file.gguf> generator is tested only with the stand-in (npm install node-llama-cpp)');
    return false;
  }
})();

const dir = mkdtempSync(join(tmpdir(), 'ralm-gguf-'));
/** Replies never end on their own: they run to maxTokens. */
const endless = join(dir, 'tiny-endless.gguf');
/** Replies end after a few tokens (`</s>` wins about one step in six). */
const ending = join(dir, 'tiny-ending.gguf');
writeTinyLlamaGguf(endless, { seed: 1 });
writeTinyLlamaGguf(ending, { seed: 2, endsReplies: true });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const messages = [
  { role: 'system' as const, content: 'Be brief.' },
  { role: 'user' as const, content: 'What makes a commit durable?' },
];

async function rejection(promise: Promise<unknown>): Promise<RalmError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(RalmError.is(error)).toBe(true);
  return error as RalmError;
}

describe('the GGUF writer', () => {
  it('writes magic, version 3, the counts, and an aligned data section; the same seed gives the same bytes', async () => {
    const { bytes, tokens, metadata } = tinyLlamaGguf({ seed: 1 });
    expect(bytes.subarray(0, 4).toString('ascii')).toBe('GGUF');
    expect(bytes.readUInt32LE(4)).toBe(3);
    expect(bytes.readBigUInt64LE(8)).toBe(BigInt(3 + 9 * 2)); // token_embd, output_norm, output + 9 per block
    expect(bytes.readBigUInt64LE(16)).toBe(BigInt(metadata.length));
    expect(bytes.length % 32).toBe(0);
    expect(tokens.length).toBeGreaterThan(300);
    expect(tokens.slice(0, 3)).toEqual(['<unk>', '<s>', '</s>']);
    expect(tokens).toContain('<0x0A>');
    expect(new Set(tokens).size).toBe(tokens.length);
    expect(tinyLlamaGguf({ seed: 1 }).bytes.equals(bytes)).toBe(true);
    expect(tinyLlamaGguf({ seed: 2 }).bytes.equals(bytes)).toBe(false);
    await expect(assertGgufFile(endless)).resolves.toBeUndefined();
  });
});

describe.skipIf(!installed)('node-llama-cpp reads the generated file', () => {
  it('its GGUF parser sees the architecture, hyperparameters, vocabulary and tensor shapes', async () => {
    const { readGgufFileInfo } = (await import('node-llama-cpp' as string)) as {
      readGgufFileInfo(path: string): Promise<{ version: number; metadata: Record<string, Record<string, unknown>>; tensorInfo?: { name: string; dimensions: (number | bigint)[] }[] }>;
    };
    const info = await readGgufFileInfo(endless);
    const { tokens } = tinyLlamaGguf({ seed: 1 });
    expect(info.version).toBe(3);
    expect(info.metadata.general!.architecture).toBe('llama');
    expect(info.metadata.llama).toMatchObject({ context_length: 2048, embedding_length: 64, block_count: 2, feed_forward_length: 128 });
    expect((info.metadata.tokenizer as { ggml: { tokens: string[] } }).ggml.tokens).toEqual(tokens);
    const shapes = Object.fromEntries((info.tensorInfo ?? []).map((t) => [t.name, t.dimensions.map(Number)]));
    expect(shapes['token_embd.weight']).toEqual([64, tokens.length]);
    expect(shapes['blk.1.ffn_down.weight']).toEqual([128, 64]);
  });
});

describe.skipIf(!installed)('createLlamaCpp on a generated GGUF (real node-llama-cpp)', () => {
  let model: LlamaLanguageModel;
  // One thread: on a busy 2-CPU machine llama.cpp's spinning thread pool is many times slower with more, and the
  // results of float reductions (so the gibberish) depend on the thread count.
  beforeAll(async () => {
    model = await createLlamaCpp({ modelPath: endless, threads: 1, contextSize: 512 });
  });
  afterAll(() => model?.dispose());

  it('loads: provider, model id, the context it allocated, a tokenizer that takes any text', () => {
    expect(model.provider).toBe('llama.cpp');
    expect(model.modelId).toBe('tiny-endless.gguf');
    expect(model.contextLength).toBe(512);
    expect(model.countTokens('the commit')).toBe(2); // ▁the ▁commit
    expect(model.countTokens('检索')).toBeGreaterThan(0); // byte fallback
  });

  it('streams tokens as text deltas, then one finish with usage; generate returns the same text', async () => {
    const events: StreamEvent[] = [];
    for await (const e of model.stream({ messages, maxTokens: 8, temperature: 0 })) events.push(e);
    const deltas = events.filter((e) => e.type === 'text-delta');
    expect(deltas.length).toBeGreaterThan(1);
    expect(events.filter((e) => e.type === 'finish')).toHaveLength(1);
    expect(events.at(-1)).toMatchObject({ type: 'finish', finishReason: 'length', usage: { outputTokens: 8 } });
    const finish = events.at(-1) as Extract<StreamEvent, { type: 'finish' }>;
    expect(finish.usage!.inputTokens).toBeGreaterThan(model.countTokens(messages[1]!.content)); // the chat template's tokens too
    const streamed = deltas.map((e) => (e as { text: string }).text).join('');
    expect(streamed.trim().length).toBeGreaterThan(0);
    const result = await model.generate({ messages, maxTokens: 8, temperature: 0 });
    expect(result).toEqual({ text: streamed, finishReason: 'length', usage: finish.usage });
  });

  it('is deterministic at temperature 0, and a different prompt gives a different reply', async () => {
    const first = await model.generate({ messages, maxTokens: 12, temperature: 0 });
    const second = await model.generate({ messages, maxTokens: 12, temperature: 0 });
    expect(second.text).toBe(first.text);
    const other = await model.generate({ messages: [{ role: 'user', content: 'Who may hold a collection?' }], maxTokens: 12, temperature: 0 });
    expect(other.text).not.toBe(first.text);
  });

  it('a stop sequence ends the reply before it, with finish reason "stop"', async () => {
    const { text } = await model.generate({ messages, maxTokens: 16, temperature: 0 });
    const stop = text.slice(Math.floor(text.length / 2), Math.floor(text.length / 2) + 2);
    const stopped = await model.generate({ messages, maxTokens: 16, temperature: 0, stop: [stop] });
    expect(stopped.finishReason).toBe('stop');
    expect(stopped.text).toBe(text.slice(0, text.indexOf(stop)));
  });

  it('an AbortSignal cancels a running stream (ABORTED, no finish) and the model serves the next request', async () => {
    const controller = new AbortController();
    const events: StreamEvent[] = [];
    const started = performance.now();
    for await (const e of model.stream({ messages, maxTokens: 400 }, { signal: controller.signal })) {
      events.push(e);
      if (events.length === 2) controller.abort();
    }
    expect(events.filter((e) => e.type === 'text-delta').length).toBeLessThan(20);
    expect(events.at(-1)).toMatchObject({ type: 'error', error: { code: 'ABORTED' } });
    expect(events.some((e) => e.type === 'finish')).toBe(false);
    expect(performance.now() - started).toBeLessThan(10_000);
    expect((await rejection(model.generate({ messages }, { signal: AbortSignal.abort() }))).code).toBe('ABORTED');
    expect((await model.generate({ messages, maxTokens: 3 })).usage).toMatchObject({ outputTokens: 3 });
  });

  it('a consumer that stops reading early releases the sequence for the next request', async () => {
    for await (const e of model.stream({ messages, maxTokens: 400 })) if (e.type === 'text-delta') break;
    expect((await collectStream(model.stream({ messages, maxTokens: 3 }))).text.length).toBeGreaterThan(0);
  });

  it('a file with the GGUF magic but no model is refused with the file named', async () => {
    const header = join(dir, 'header-only.gguf');
    writeFileSync(header, Buffer.concat([Buffer.from('GGUF'), Buffer.from([3, 0, 0, 0]), Buffer.alloc(16)]));
    const error = await rejection(createLlamaCpp({ modelPath: header, threads: 1 }));
    expect(error.code).toBe('UNSUPPORTED');
    expect(error.message).toContain(`node-llama-cpp could not load ${header}`);
  });
});

// The shared LanguageModel contract, run by the real provider: its replies end on their own, so the contract's request
// without maxTokens finishes. The expected text is the model's own greedy reply to the contract's messages.
if (installed) {
  let shared: Promise<LlamaLanguageModel> | undefined;
  languageModelContract('llama.cpp on a generated GGUF', async () => {
    shared ??= createLlamaCpp({ modelPath: ending, threads: 1, contextSize: 512 });
    const model = await shared;
    const reply = await model.generate({ messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Say hello.' }], maxTokens: 64 });
    expect(reply.finishReason).toBe('stop');
    return { model, expectedText: reply.text };
  });
  afterAll(async () => (await shared)?.dispose());
}

describe.skipIf(!installed)('llama:<file.gguf> through a collection', () => {
  let collectionDir: string;
  let collection: Collection;
  const documents = [
    { id: 'durability', title: 'Commits', text: 'A commit writes the documents and the index segment in one SQLite transaction. The write-ahead log makes it durable.' },
    { id: 'locks', title: 'Locks', text: 'Only one writer may hold a collection. A second writer is refused with the pid of the first.' },
  ];
  beforeAll(async () => {
    collectionDir = join(dir, 'collection');
    collection = await openCollection({ path: collectionDir, create: true });
    collection.add(documents);
    await collection.commit();
  });
  afterAll(() => collection?.close());

  it('ask with generator "llama:<file>" sends the grounded prompt to the model and reports its usage', async () => {
    const result = await ask(collection, 'What makes a commit durable?', { generator: `llama:${ending}`, answerTokens: 16 });
    expect(result.generator).toBe(`llama:${ending}`);
    expect(result.no_answer).toBe(false);
    expect(result.retrieval.map((p) => p.doc_id)).toContain('durability');
    expect(result.messages!.at(-1)!.role).toBe('user');
    expect(result.messages!.map((m) => m.content).join('\n')).toContain('one SQLite transaction');
    expect(result.usage!.inputTokens).toBeGreaterThan(20);
    expect(result.usage!.outputTokens).toBeGreaterThanOrEqual(1);
    expect(typeof result.answer).toBe('string');
  });

  it('ask with a llama: file that is not GGUF gives the clear error', async () => {
    const fake = join(dir, 'fake.gguf');
    writeFileSync(fake, '{"not": "a model"}');
    const error = await rejection(ask(collection, 'What makes a commit durable?', { generator: `llama:${fake}` }));
    expect(error.code).toBe('UNSUPPORTED');
    expect(error.message).toContain(`${fake} is not a GGUF file`);
  });

  it('ralm ask --generator llama:<file> --json answers and exits', () => {
    const r = ralm(['ask', 'What makes a commit durable?', '--index', collectionDir, '--generator', `llama:${ending}`, '--json']);
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout) as { generator: string; usage?: { outputTokens?: number }; retrieval: unknown[] };
    expect(result.generator).toBe(`llama:${ending}`);
    expect(result.retrieval.length).toBeGreaterThan(0);
    expect(result.usage!.outputTokens).toBeGreaterThanOrEqual(1);
  });
});
