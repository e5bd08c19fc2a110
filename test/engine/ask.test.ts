// ralm ask through the engine: extractive answers cite exact spans (citation precision 1), a question the
// collection cannot answer gets the no-answer text, and an LLM's fabricated citation keys are flagged.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ask, askStream } from '../../src/engine/ask.js';
import { openCollection, type Collection } from '../../src/engine/index.js';
import { createOpenAICompatible } from '../../src/generate/providers/openai/index.js';
import { reply, startOpenAIServer, type OpenAITestServer } from '../helpers/openai-server.js';

let dir: string;
let collection: Collection;
let server: OpenAITestServer;
const documents = [
  { id: 'durability', title: 'Commits', text: 'A commit writes the documents and the index segment in one SQLite transaction.\nThe write-ahead log with synchronous FULL makes it durable.', metadata: { source: 'docs/commits.md' } },
  { id: 'locks', title: 'Locks', text: 'Only one writer may hold a collection.\nA second writer is refused with the pid of the first.', metadata: { source: 'docs/locks.md' } },
  { id: 'cjk', title: '检索', text: '检索增强生成把检索到的段落交给语言模型。模型根据段落回答问题。', metadata: { source: 'docs/zh.md' } },
];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ralm-ask-'));
  collection = await openCollection({ path: dir, create: true });
  collection.add(documents);
  await collection.commit();
  server = await startOpenAIServer(reply.fabricatedCitations(['7', '42']));
});
afterAll(async () => {
  await collection.close();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('ask', () => {
  it('answers extractively; every citation is an exact span of its document, with lines and source', async () => {
    const result = await ask(collection, 'What makes a commit durable?');
    expect(result.no_answer).toBe(false);
    expect(result.generator).toBe('extractive');
    expect(result.citations.length).toBeGreaterThan(0);
    for (const c of result.citations) {
      const doc = documents.find((d) => d.id === c.doc_id)!;
      expect(doc.text.slice(c.start, c.end)).toBe(c.text); // citation precision 1
      expect(c.source).toBe(doc.metadata.source);
      expect(c.lines[0]).toBeGreaterThanOrEqual(1);
    }
    expect(result.answer).toMatch(/\[1\]/);
    expect(result.timings.total_ms).toBeGreaterThan(0);
  });

  it('streams text deltas before the finish event', async () => {
    const events: string[] = [];
    for await (const e of askStream(collection, 'Who may hold a collection?')) events.push(e.type);
    expect(events[0]).toBe('retrieval');
    expect(events).toContain('text-delta');
    expect(events[events.length - 1]).toBe('finish');
  });

  it('says the collection does not contain an answer instead of inventing one', async () => {
    const result = await ask(collection, 'What is the capital of Peru?');
    expect(result.no_answer).toBe(true);
    expect(result.citations).toEqual([]);
    expect(result.answer).toContain('does not contain');
    const zh = await ask(collection, '秘鲁的首都是哪里？');
    expect(zh.no_answer).toBe(true);
    expect(zh.answer).toContain('没有');
  });

  it('flags every fabricated citation key of a misbehaving language model, and shows the exact messages sent', async () => {
    const model = createOpenAICompatible({ baseURL: server.baseURL, model: 'test', apiKey: 'test-key' });
    const result = await ask(collection, 'What makes a commit durable?', { generator: model });
    expect(result.unknown_citations.sort()).toEqual(['42', '7']);
    expect(result.citations).toEqual([]); // fabricated keys are never presented as sources
    expect(result.messages?.some((m) => m.content.includes('<passage'))).toBe(true);
  });
});
