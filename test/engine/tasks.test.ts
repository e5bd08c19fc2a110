import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { RalmError } from '../../src/core/errors.js';
import type { DocumentInput } from '../../src/core/types.js';
import { openCollection, type Collection } from '../../src/engine/index.js';
import { openConversation } from '../../src/engine/conversation.js';
import { chatTurn, classify, collectionLabels, extract, summarize, summarizeStream, defaultExtractionSchema } from '../../src/engine/tasks.js';
import { createOpenAICompatible } from '../../src/generate/providers/openai/index.js';
import { reply, startOpenAIServer, type OpenAITestServer } from '../helpers/openai-server.js';

const folders: string[] = [];
const open: Collection[] = [];

async function build(documents: DocumentInput[], analyzer = 'english'): Promise<Collection> {
  const path = mkdtempSync(join(tmpdir(), 'ralm-tasks-'));
  folders.push(path);
  const collection = await openCollection({ path, create: true, analyzer });
  collection.add(documents);
  await collection.commit();
  open.push(collection);
  return collection;
}

afterAll(async () => {
  for (const c of open) await c.close();
  for (const f of folders) rmSync(f, { recursive: true, force: true });
});

let server: OpenAITestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const model = (s: OpenAITestServer) => createOpenAICompatible({ baseURL: s.baseURL, model: 'test-model', env: {}, retryDelayMs: 1, maxRetryDelayMs: 5 });

const english: DocumentInput[] = [
  {
    id: 'bm25',
    title: 'Okapi BM25',
    text:
      'BM25 ranks documents by term frequency and inverse document frequency. BM25 saturates term frequency, so repeated terms count less and less. ' +
      'The length of a document is normalised by the parameter b. BM25 was developed by Stephen Robertson and colleagues at City University London.',
  },
  {
    id: 'commit',
    title: 'Commits',
    text:
      'A commit writes the documents and the index in one SQLite transaction. The write-ahead log with synchronous FULL makes every commit durable. ' +
      'After a crash the collection holds exactly its last completed commit.',
  },
  {
    id: 'dense',
    title: 'Dense retrieval',
    text: 'Dense retrieval embeds queries and passages as vectors. Nearest neighbours of the query vector are the hits. HNSW graphs make the search fast.',
  },
];

describe('summarize', () => {
  let collection: Collection;
  beforeAll(async () => {
    collection = await build(english);
  });

  it('query-focused extractive summary: cited exact spans, central and relevant', async () => {
    const result = await summarize(collection, { query: 'how does BM25 treat term frequency', maxSentences: 2 });
    expect(result.mode).toBe('query');
    expect(result.no_answer).toBe(false);
    expect(result.sentences).toHaveLength(2);
    expect(result.summary).toMatch(/\[1\]/);
    expect(result.citations.length).toBe(2);
    const [document] = await collection.get(['bm25']);
    for (const c of result.citations) {
      expect(c.doc_id).toBe('bm25');
      expect(document!.text.slice(c.start, c.end)).toBe(c.text);
    }
    expect(result.summary).toContain('saturates term frequency');
  });

  it('streams the same text it returns', async () => {
    let streamed = '';
    let final = '';
    for await (const event of summarizeStream(collection, { query: 'commit durable crash' })) {
      if (event.type === 'text-delta') streamed += event.text;
      if (event.type === 'finish') final = event.result.summary;
    }
    expect(streamed).toBe(final);
    expect(final).toMatch(/commit/i);
  });

  it('says so when nothing matches', async () => {
    const result = await summarize(collection, { query: 'zebra giraffe' });
    expect(result.no_answer).toBe(true);
    expect(result.citations).toEqual([]);
  });

  it('whole-collection map-reduce: sentences from several documents, each cited to its document span', async () => {
    const result = await summarize(collection, { maxSentences: 3 });
    expect(result.mode).toBe('map-reduce');
    expect(result.documents).toBe(3);
    expect(result.truncated).toBe(false);
    expect(result.citations).toHaveLength(3);
    expect(new Set(result.citations.map((c) => c.doc_id)).size).toBeGreaterThanOrEqual(2);
    const documents = new Map((await collection.get(['bm25', 'commit', 'dense'])).map((d) => [d.id, d.text]));
    for (const c of result.citations) expect(documents.get(c.doc_id)!.slice(c.start, c.end)).toBe(c.text);
    const limited = await summarize(collection, { maxDocuments: 1 });
    expect(limited).toMatchObject({ documents: 1, truncated: true });
  });

  it('summarises Chinese passages', async () => {
    const zh = await build(
      [
        { id: 'rag', title: '检索增强生成', text: '检索增强生成先检索相关段落，再让语言模型根据段落回答。检索增强生成的答案要标注出处。答案中的每一句都应引用段落。' },
        { id: 'cat', title: '猫', text: '猫喜欢睡觉。猫每天睡十几个小时。' },
      ],
      'cjk',
    );
    const result = await summarize(zh, { query: '检索增强生成如何回答问题', maxSentences: 2 });
    expect(result.no_answer).toBe(false);
    expect(result.citations.every((c) => c.doc_id === 'rag')).toBe(true);
    expect(result.summary).toMatch(/\[1\]。/);
  });

  it('with a language model: query prompt, streamed answer, fabricated citations flagged', async () => {
    server = await startOpenAIServer(reply.text('BM25 saturates term frequency [1]. It was built at a lab [7].'));
    const result = await summarize(collection, { query: 'BM25 term frequency', generator: model(server), maxSentences: 2 });
    expect(result.summary).toContain('[7]');
    expect(result.unknown_citations).toEqual(['7']);
    expect(result.citations.map((c) => c.key)).toEqual(['1']);
    const sent = server.requests[0]!.body as { messages: Array<{ role: string; content: string }>; stream: boolean };
    expect(sent.stream).toBe(true);
    expect(sent.messages[0]!.content).toContain('Task: summarise');
    expect(sent.messages[1]!.content).toContain('Summarise what the passages say about: BM25 term frequency');
    expect(result.messages).toHaveLength(1);
  });

  it('with a language model, map-reduce keeps document citations through the reduce step', async () => {
    server = await startOpenAIServer(
      reply.text('BM25 ranks by term frequency [1].'),
      reply.text('Commits are durable [2]. Nothing else [9].'),
      reply.text('Dense retrieval embeds vectors [3].'),
      reply.text('BM25 ranks by term frequency [1], and commits are durable [2].'),
    );
    const result = await summarize(collection, { generator: model(server), groupTokens: 1 });
    expect(server.requests).toHaveLength(4);
    const reduce = (server.requests[3]!.body as { messages: Array<{ content: string }> }).messages[1]!.content;
    expect(reduce).toContain('<passage key="1" title="Okapi BM25">\nBM25 ranks by term frequency.');
    expect(reduce).toContain('<passage key="2" title="Commits">\nCommits are durable.');
    expect(result.citations.map((c) => c.doc_id)).toEqual(['bm25', 'commit']);
    expect(result.unknown_citations).toEqual(['9']);
    expect(result.messages).toHaveLength(4);
  });
});

describe('chatTurn', () => {
  let collection: Collection;
  beforeAll(async () => {
    collection = await build(english);
  });

  it('extractive: a follow-up is condensed with condenseQuestion and history is recorded', async () => {
    const conversation = openConversation(collection.path, 'extractive');
    try {
      const first = await chatTurn(collection, conversation, 'What does BM25 saturate?');
      expect(first.condensed_by).toBe('none');
      expect(first.answer).toMatch(/term frequency/);
      const second = await chatTurn(collection, conversation, 'who developed it?');
      expect(second.condensed_by).toBe('extractive');
      expect(second.query).toBe('What does BM25 saturate? who developed it?');
      expect(second.answer).toMatch(/Robertson/);
      expect(second.citations[0]!.doc_id).toBe('bm25');
    } finally {
      conversation.close();
    }
    const again = openConversation(collection.path, 'extractive');
    expect(again.standaloneQuery('and where?')).toBe('who developed it? and where?');
    again.close();
  });

  it('with a language model: the condensation prompt rewrites the last message, then the answer is grounded', async () => {
    const conversation = openConversation(collection.path, 'model');
    conversation.record('What does BM25 saturate?', 'BM25 saturates term frequency [1].');
    server = await startOpenAIServer(reply.text('Standalone question: "Who developed BM25?"'), reply.text('Stephen Robertson and colleagues developed BM25 [1].'));
    try {
      const result = await chatTurn(collection, conversation, 'who made it?', { generator: 'openai:test-model', baseURL: server.baseURL });
      expect(result.condensed_by).toBe('model');
      expect(result.query).toBe('Who developed BM25?');
      expect(result.generator).toBe('openai:test-model');
      const condense = server.requests[0]!.body as { messages: Array<{ role: string; content: string }>; stream?: boolean };
      expect(condense.messages[0]!.content).toContain('standalone question');
      expect(condense.messages[1]!.content).toContain('User: What does BM25 saturate?\nAssistant: BM25 saturates term frequency.');
      expect(condense.messages[1]!.content).toContain('Last message: who made it?');
      const answer = server.requests[1]!.body as { messages: Array<{ content: string }> };
      expect(answer.messages[1]!.content).toContain('Question: Who developed BM25?');
      expect(result.citations[0]!.doc_id).toBe('bm25');
    } finally {
      conversation.close();
    }
    const history = openConversation(collection.path, 'model');
    expect(history.standaloneQuery('x')).toBe('who made it? x');
    history.close();
  });

  it('refuses an empty message', async () => {
    const conversation = openConversation(collection.path, 'empty');
    await expect(chatTurn(collection, conversation, '  ')).rejects.toThrow(/empty/);
    conversation.close();
  });
});

const labelled: DocumentInput[] = [
  { id: 's1', text: 'The striker scored twice and the team won the football final.', metadata: { label: 'sports', topic: 'ball' } },
  { id: 's2', text: 'The tennis champion won the match in straight sets.', metadata: { label: 'sports' } },
  { id: 's3', text: 'The goalkeeper saved a penalty in the football match.', metadata: { label: 'sports' } },
  { id: 'p1', text: 'The parliament passed the budget after a long vote.', metadata: { label: 'politics' } },
  { id: 'p2', text: 'The minister resigned after the election defeat.', metadata: { label: 'politics' } },
  { id: 'p3', text: 'Voters elected a new mayor and the council approved the budget.', metadata: { label: 'politics' } },
  { id: 'u1', text: 'An unlabelled note about football and elections.' },
];

describe('classify', () => {
  let collection: Collection;
  beforeAll(async () => {
    collection = await build(labelled);
  });

  it('kNN vote with the votes and neighbours as the explanation', async () => {
    const result = await classify(collection, 'Who scored in the football match?', { k: 3 });
    expect(result.label).toBe('sports');
    expect(result.neighbours.length).toBeGreaterThan(0);
    expect(result.neighbours.every((n) => n.doc_id !== 'u1')).toBe(true);
    expect(result.votes[0]!.label).toBe('sports');
    expect(result.citations.every((c) => ['s1', 's2', 's3'].includes(c.doc_id))).toBe(true);
    const politics = await classify(collection, 'the budget vote in parliament');
    expect(politics.label).toBe('politics');
    expect(collectionLabels(collection)).toEqual(['politics', 'sports']);
  });

  it('skips excluded ids and uses another label field', async () => {
    const result = await classify(collection, 'striker scored football final', { labelField: 'topic', excludeIds: [] });
    expect(result.label).toBe('ball');
    const none = await classify(collection, 'striker scored football final', { labelField: 'topic', excludeIds: ['s1'] });
    expect(none).toMatchObject({ label: undefined, no_answer: true });
  });

  it('classifies Chinese texts', async () => {
    const zh = await build(
      [
        { id: 'a', text: '前锋在足球决赛中打进两球。', metadata: { label: '体育' } },
        { id: 'b', text: '守门员在足球比赛中扑出点球。', metadata: { label: '体育' } },
        { id: 'c', text: '议会在长时间投票后通过了预算。', metadata: { label: '政治' } },
        { id: 'd', text: '部长在选举失败后辞职。', metadata: { label: '政治' } },
      ],
      'cjk',
    );
    expect((await classify(zh, '谁在足球比赛中进球？')).label).toBe('体育');
    expect((await classify(zh, '议会预算投票')).label).toBe('政治');
  });

  it('with a language model: neighbours as labelled examples, an invalid label retried once, fabricated citations flagged', async () => {
    server = await startOpenAIServer(reply.text('ball games'), reply.text('sports\nThe examples about matches are sports [1] [8].'));
    const result = await classify(collection, 'Who scored in the football match?', { generator: model(server), k: 3 });
    expect(result.label).toBe('sports');
    expect(result.attempts).toBe(2);
    expect(result.invalid_answers).toEqual(['ball games']);
    expect(result.unknown_citations).toEqual(['8']);
    expect(result.justification).toContain('[1]');
    const first = (server.requests[0]!.body as { messages: Array<{ content: string }> }).messages;
    expect(first[1]!.content).toContain('Label: sports\n');
    expect(first[1]!.content).toContain('exactly one of these labels, alone on the first line: politics, sports');
    const retry = (server.requests[1]!.body as { messages: Array<{ role: string; content: string }> }).messages;
    expect(retry.at(-2)).toEqual({ role: 'assistant', content: 'ball games' });
    expect(retry.at(-1)!.content).toContain('"ball games" is not one of the labels');
  });

  it('with a language model: two invalid labels are an error naming the valid labels', async () => {
    server = await startOpenAIServer(reply.text('weather'), reply.text('climate'));
    const error = await classify(collection, 'football', { generator: model(server) }).catch((e: unknown) => e);
    expect(RalmError.is(error)).toBe(true);
    expect((error as RalmError).code).toBe('PROVIDER');
    expect((error as RalmError).message).toMatch(/"weather", then "climate"; valid labels: politics, sports/);
  });
});

describe('extract', () => {
  let collection: Collection;
  beforeAll(async () => {
    collection = await build([
      {
        id: 'curie',
        title: 'Marie Curie',
        text: 'Marie Curie was a physicist and chemist. She moved to Paris in 1891 and studied at the University of Paris. Pierre Curie, the husband of Marie Curie, shared the 1903 prize.',
      },
      { id: 'google', title: 'Google', text: 'Sundar Pichai, the chief executive of Google, spoke on 3 March 2021. Google is a technology company.' },
    ]);
  });

  it('extractive: entities and relations from the passages, each citing its passage and exact offsets', async () => {
    const result = await extract(collection, 'Marie Curie Paris');
    expect(defaultExtractionSchema.safeParse(result.data).success).toBe(true);
    const texts = result.data.entities.map((e) => `${e.type}:${e.text}`);
    expect(texts).toEqual(expect.arrayContaining(['ENTITY:Marie Curie', 'DATE:1891', 'ORGANIZATION:University of Paris']));
    expect(result.data.relations.map((r) => [r.head, r.relation, r.tail])).toEqual(expect.arrayContaining([['Pierre Curie', 'husband of', 'Marie Curie']]));
    const documents = new Map((await collection.get(['curie', 'google'])).map((d) => [d.id, d.text]));
    const byKey = new Map(result.retrieval.map((p) => [p.key, p.doc_id]));
    for (const e of result.data.entities) expect(documents.get(byKey.get(e.source)!)!.slice(e.start, e.end)).toBe(e.text);
    expect(result.citations.length).toBeGreaterThan(0);
    expect(result.unknown_citations).toEqual([]);
  });

  it('extracts from Chinese passages', async () => {
    const zh = await build([{ id: 'pku', text: '北京大学位于北京市海淀区。蔡元培先生曾任北京大学校长。《红楼梦》是一部小说。' }], 'cjk');
    const result = await extract(zh, '北京大学');
    expect(result.data.entities.map((e) => e.text)).toEqual(expect.arrayContaining(['北京大学', '北京市', '蔡元培']));
    expect(result.data.relations).toEqual(expect.arrayContaining([expect.objectContaining({ head: '北京大学', relation: 'located_in', tail: '北京市海淀区', source: '1' })]));
  });

  it('a custom schema without a model is refused with the validation errors', async () => {
    const schema = z.object({ people: z.array(z.string()) });
    await expect(extract(collection, 'Marie Curie', { schema })).rejects.toThrow(/people: Invalid input: expected array, received undefined[\s\S]*language model/);
  });

  it('with a language model: invalid JSON gets one repair call; fenced JSON is accepted; fabricated keys are flagged', async () => {
    const good = { entities: [{ text: 'Marie Curie', type: 'PERSON', source: '1' }, { text: 'Atlantis', type: 'LOCATION', source: '42' }], relations: [] };
    server = await startOpenAIServer(reply.text('{"entities": [ {"text": "Marie'), reply.text('Here it is:\n```json\n' + JSON.stringify(good) + '\n```'));
    const result = await extract(collection, 'Marie Curie', { generator: model(server) });
    expect(result.attempts).toBe(2);
    expect(result.repair_reasons[0]).toMatch(/not valid JSON/);
    expect(result.data).toEqual(good);
    expect(result.unknown_citations).toEqual(['42']);
    expect(result.citations.map((c) => c.key)).toEqual(['1']);
    const first = (server.requests[0]!.body as { messages: Array<{ content: string }> }).messages;
    expect(first[0]!.content).toContain('Task: extract');
    expect(first[1]!.content).toContain('"$schema":"https://json-schema.org/draft/2020-12/schema"');
    const repair = (server.requests[1]!.body as { messages: Array<{ role: string; content: string }> }).messages.at(-1)!;
    expect(repair.content).toMatch(/^Your reply could not be used:\n- the reply is not valid JSON/);
  });

  it('with a language model: validation errors are surfaced clearly after the repair fails', async () => {
    server = await startOpenAIServer(reply.text('{"entities": [{"text": "Marie Curie", "type": "PERSON"}], "relations": []}'), reply.text('{"entities": [{"text": "Marie Curie", "type": 3, "source": 1}]}'));
    const error = await extract(collection, 'Marie Curie', { generator: model(server) }).catch((e: unknown) => e);
    expect(RalmError.is(error)).toBe(true);
    expect((error as RalmError).code).toBe('PARSE');
    const message = (error as RalmError).message;
    expect(message).toContain('entities[0].type: Invalid input: expected string, received number');
    expect(message).toContain('entities[0].source: Invalid input: expected string, received number');
    expect(message).toContain('relations: Invalid input: expected array, received undefined');
    const repair = (server.requests[1]!.body as { messages: Array<{ content: string }> }).messages.at(-1)!.content;
    expect(repair).toContain('- entities[0].source: Invalid input: expected string, received undefined');
  });

  it('with a language model and a custom schema: typed data, ungrounded items reported', async () => {
    const schema = z.object({ people: z.array(z.object({ text: z.string(), born: z.number().optional(), source: z.string() })) });
    server = await startOpenAIServer(reply.text(JSON.stringify({ people: [{ text: 'Pierre Curie', source: '1' }, { text: 'Albert Einstein', source: '1' }] })));
    const result = await extract(collection, 'Curie', { generator: model(server), schema });
    expect(result.data.people[0]!.text).toBe('Pierre Curie');
    expect(result.ungrounded).toEqual([{ text: 'Albert Einstein', source: '1' }]);
    expect(result.attempts).toBe(1);
  });
});
