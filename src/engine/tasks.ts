/**
 * Tasks beyond question answering, through the same machinery as {@link askStream}: retrieval → evidence weighting →
 * a generator (the extractive default, `openai:<model>`, `llama:<file.gguf>` or a ready `LanguageModel`) → a result
 * whose citations point to exact spans of stored documents, and whose language-model citations are checked (a key that
 * was not given is flagged in `unknown_citations`, never presented as a source).
 *
 * - {@link summarize} / {@link summarizeStream}: query-focused (top-k passages) or whole-collection map-reduce.
 * - {@link chatTurn} / {@link chatTurnStream}: one turn of a multi-turn dialogue, history kept by `openConversation`.
 * - {@link classify}: labels from retrieved labelled examples (kNN vote, or a model choosing among known labels).
 * - {@link extract}: entities and relations as JSON validated against a zod schema.
 *
 * Every language-model prompt is a named template (`src/generate/tasks/templates.ts`) inside the grounded prompt of
 * `buildGroundedPrompt`; the exact messages sent are returned in `messages`.
 */
import { z } from 'zod';
import { RalmError } from '../core/errors.js';
import type { Metadata } from '../core/types.js';
import { estimateTokens, type ChatMessage, type LanguageModel, type StreamEvent, type Usage } from '../models/index.js';
import { weighPassages } from '../generate/evidence.js';
import { checkCitations, parseCitations, stripCitations } from '../generate/citations.js';
import { buildGroundedPrompt, type GroundedPrompt, type PromptPassage } from '../generate/prompt.js';
import { citeSentence } from '../generate/providers/extractive/index.js';
import { isMostlyChinese, splitSentences } from '../generate/sentences.js';
import type { PromptTask } from '../generate/templates/grounded.js';
import {
  collectSources,
  describeValidationIssues,
  extractEntities,
  extractRelations,
  fillTemplate,
  matchLabel,
  parseJsonAnswer,
  selectCentralSentences,
  taskTemplates,
  voteLabels,
  type LabelVote,
  type LabelledNeighbour,
} from '../generate/tasks/index.js';
import { ConversationStore } from '../store/index.js';
import { askStream, lineOf, resolveGenerator, type AskCitation, type AskEvent, type AskOptions, type AskPassage, type AskResult } from './ask.js';
import { condenseQuestion, type Conversation } from './conversation.js';
import type { Collection, SearchHit } from './collection.js';

// ───────────────────────────── shared ─────────────────────────────

/**
 * Generator options shared by every task.
 *
 * @example
 * ```ts
 * const options: TaskModelOptions = { generator: 'openai:gpt-4o-mini', baseURL: 'http://127.0.0.1:11434/v1' };
 * ```
 */
export interface TaskModelOptions {
  /** `extractive` (default), `openai:<model>`, `llama:<file.gguf>`, or a ready LanguageModel. */
  generator?: string | LanguageModel;
  /** For `openai:<model>`: the endpoint (default `$RALM_BASE_URL`, `$OPENAI_BASE_URL`, or OpenAI's). */
  baseURL?: string;
  /** For `openai:<model>`: the API key (default `$RALM_API_KEY`, then `$OPENAI_API_KEY`). */
  apiKey?: string;
  /** Prompt and no-answer language (default: detected from the request). */
  language?: 'en' | 'zh';
  /** Tokens reserved for a language model's answer (default 512; 1024 for extract). */
  answerTokens?: number;
  /** Metadata filter for retrieval (see `SearchOptions.filter`). */
  filter?: string | Record<string, unknown>;
  signal?: AbortSignal;
}

/**
 * A cited source of a task result: an {@link AskCitation}, except that `chunk_id` is absent when the citation is a
 * whole document (whole-collection summaries work on documents, not retrieved chunks).
 *
 * @example
 * ```ts
 * const citation: TaskCitation = { key: '1', doc_id: 'bm25', start: 0, end: 42, lines: [1, 1], text: 'BM25 ranks documents by term frequency.' };
 * ```
 */
export type TaskCitation = Omit<AskCitation, 'chunk_id'> & { chunk_id?: number };

/**
 * Time spent, in milliseconds.
 *
 * @example
 * ```ts
 * const timings: TaskTimings = { retrieve_ms: 1.2, generate_ms: 3.4, total_ms: 4.6 };
 * ```
 */
export interface TaskTimings {
  retrieve_ms: number;
  generate_ms: number;
  total_ms: number;
}

const NO_ANSWER = {
  en: 'The collection does not contain anything on this request.',
  zh: '资料库中没有找到与此相关的内容。',
};

type Resolved = Awaited<ReturnType<typeof resolveGenerator>>;

const languageOf = (text: string, options: TaskModelOptions): 'en' | 'zh' => options.language ?? (isMostlyChinese(text) ? 'zh' : 'en');
const ms = (x: number) => Math.round(x * 100) / 100;
const timings = (started: number, retrieved: number, finished: number): TaskTimings => ({
  retrieve_ms: ms(retrieved - started),
  generate_ms: ms(finished - retrieved),
  total_ms: ms(finished - started),
});

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new RalmError('INVALID_ARGUMENT', `${name} must be a positive integer, got ${value}`);
  return value;
}


/** A retrieved, weighed passage with its citation key. */
interface TaskPassage {
  key: string;
  documentId: string;
  text: string;
  title?: string;
  score: number;
  weight: number;
  hit: SearchHit;
}

function search(collection: Collection, query: string, k: number, filter: TaskModelOptions['filter']): SearchHit[] {
  try {
    return collection.searchNow(query, { k, documents: true, text: true, filter }).hits;
  } catch (error) {
    if (RalmError.is(error) && error.code === 'EMPTY_QUERY') return [];
    throw error;
  }
}

function retrieve(collection: Collection, query: string, k: number, filter: TaskModelOptions['filter']): TaskPassage[] {
  const hits = search(collection, query, k, filter);
  return weighPassages(hits.map((h) => ({ score: h.score, hit: h }))).map((p) => ({
    key: p.key,
    documentId: p.hit.id,
    text: p.hit.text ?? '',
    ...(p.hit.title ? { title: p.hit.title } : {}),
    score: p.score,
    weight: p.weight,
    hit: p.hit,
  }));
}

function retrievalOf(passages: readonly TaskPassage[]): AskPassage[] {
  return passages.map((p) => ({
    key: p.key,
    doc_id: p.documentId,
    chunk_id: p.hit.chunk,
    score: p.score,
    weight: p.weight,
    ...(p.title ? { title: p.title } : {}),
    ...(typeof p.hit.metadata?.source === 'string' ? { source: p.hit.metadata.source } : {}),
  }));
}

function promptPassages(passages: readonly TaskPassage[]): PromptPassage[] {
  return passages.map((p) => ({
    key: p.key,
    text: p.text,
    weight: p.weight,
    ...(p.title ? { title: p.title } : {}),
    ...(typeof p.hit.metadata?.source === 'string' ? { source: p.hit.metadata.source } : {}),
  }));
}

/** Makes citations to spans of retrieved passages (offsets relative to the passage text). */
async function passageCiter(collection: Collection, passages: readonly TaskPassage[]): Promise<(key: string, start?: number, end?: number) => TaskCitation | undefined> {
  const byKey = new Map(passages.map((p) => [p.key, p]));
  const documents = new Map((await collection.get([...new Set(passages.map((p) => p.documentId))])).map((d) => [d.id, d]));
  return (key, start = 0, end) => {
    const passage = byKey.get(key);
    if (!passage) return undefined;
    const stop = end ?? passage.text.length;
    const hit = passage.hit;
    const base = hit.start ?? 0;
    const document = documents.get(passage.documentId);
    const metadata: Metadata = hit.metadata ?? {};
    return {
      key,
      doc_id: passage.documentId,
      chunk_id: hit.chunk,
      ...(typeof metadata.source === 'string' ? { source: metadata.source } : {}),
      start: base + start,
      end: base + stop,
      lines: document ? [lineOf(document.text, base + start), lineOf(document.text, Math.max(base + start, base + stop - 1))] : [1, 1],
      ...(hit.headingPath ? { heading_path: hit.headingPath } : {}),
      ...(hit.page !== undefined ? { page: hit.page } : {}),
      text: passage.text.slice(start, stop),
    };
  };
}

interface WholeDocument {
  key: string;
  id: string;
  title: string;
  text: string;
  metadata: Metadata;
}

function documentCitation(document: WholeDocument, start = 0, end = document.text.length): TaskCitation {
  return {
    key: document.key,
    doc_id: document.id,
    ...(typeof document.metadata.source === 'string' ? { source: document.metadata.source } : {}),
    start,
    end,
    lines: [lineOf(document.text, start), lineOf(document.text, Math.max(start, end - 1))],
    text: document.text.slice(start, end),
  };
}

function budgetOf(model: LanguageModel, answerTokens: number): number {
  return Math.max(256, (model.contextLength ?? 8192) - answerTokens);
}

function counter(model: LanguageModel): (text: string) => number {
  return model.countTokens ? (text) => model.countTokens!(text) : estimateTokens;
}

function groundedPrompt(model: LanguageModel, task: PromptTask, question: string, passages: PromptPassage[], language: 'en' | 'zh', answerTokens: number): GroundedPrompt {
  return buildGroundedPrompt({ question, passages, language, task, budgetTokens: budgetOf(model, answerTokens), countTokens: counter(model) });
}

/** Streams a model's answer, collecting it into `into`; throws on an error event or a stream without `finish`. */
async function* streamModel(resolved: { name: string; model: LanguageModel }, messages: ChatMessage[], maxTokens: number, signal: AbortSignal | undefined, into: { text: string; usage?: Usage }): AsyncGenerator<string> {
  let finished = false;
  for await (const event of resolved.model.stream({ messages, maxTokens, temperature: 0 }, { signal }) as AsyncIterable<StreamEvent>) {
    if (event.type === 'text-delta') {
      into.text += event.text;
      yield event.text;
    } else if (event.type === 'finish') {
      finished = true;
      into.usage = addUsage(into.usage, event.usage);
    } else if (event.type === 'error') {
      throw event.error;
    }
  }
  if (!finished) throw new RalmError('PROVIDER', `${resolved.name}: the answer stream ended before it finished; the partial answer is not presented as complete`);
}

async function generateText(resolved: { model: LanguageModel }, messages: ChatMessage[], maxTokens: number, signal: AbortSignal | undefined, usage: { usage?: Usage }): Promise<string> {
  const result = await resolved.model.generate({ messages, maxTokens, temperature: 0 }, { signal });
  usage.usage = addUsage(usage.usage, result.usage);
  return result.text;
}

function addUsage(a: Usage | undefined, b: Usage | undefined): Usage | undefined {
  if (!b) return a;
  if (!a) return { ...b };
  const sum = (x?: number, y?: number) => (x === undefined && y === undefined ? undefined : (x ?? 0) + (y ?? 0));
  const out: Usage = {};
  const input = sum(a.inputTokens, b.inputTokens);
  const output = sum(a.outputTokens, b.outputTokens);
  if (input !== undefined) out.inputTokens = input;
  if (output !== undefined) out.outputTokens = output;
  return out;
}

/** Citations of a model's answer: one per provided key it cites (the whole passage), and the fabricated keys. */
function modelCitations(answer: string, included: readonly string[], cite: (key: string) => TaskCitation | undefined): { citations: TaskCitation[]; unknown: string[] } {
  const check = checkCitations(answer, included);
  const citations: TaskCitation[] = [];
  for (const key of check.cited) {
    const c = cite(key);
    if (c) citations.push(c);
  }
  return { citations, unknown: check.unknown };
}

function joinSentences(sentences: ReadonlyArray<{ text: string; key: string }>): string[] {
  return sentences.map((s, i) => {
    const language = isMostlyChinese(s.text) ? 'zh' : 'en';
    const cited = citeSentence(s.text, s.key, language);
    return i === 0 || language === 'zh' ? cited : ` ${cited}`;
  });
}

// ───────────────────────────── summarize ─────────────────────────────

/**
 * Options of {@link summarize}.
 *
 * @example
 * ```ts
 * const options: SummarizeOptions = { query: 'commit durability', maxSentences: 3 };
 * ```
 */
export interface SummarizeOptions extends TaskModelOptions {
  /** Focus of the summary; without one the whole collection is summarised (map-reduce). */
  query?: string;
  /** Passages retrieved for a query (default 5 for extractive, 6 for language models). */
  k?: number;
  /** Most sentences in the summary (default 3). */
  maxSentences?: number;
  /** Map-reduce: most sentences kept per document (extractive) or per group (language model) in the map step (default 2). */
  mapSentences?: number;
  /** Map-reduce: most documents read, in store order (default 1000); `truncated` says when there were more. */
  maxDocuments?: number;
  /** Map-reduce with a language model: estimated tokens of documents per map call (default 3000). */
  groupTokens?: number;
}

/**
 * A sentence of an extractive summary: `text` is an exact span of the cited source.
 *
 * @example
 * ```ts
 * const s: SummarySentence = { text: 'BM25 saturates term frequency.', key: '1', score: 0.93, centrality: 1, relevance: 0.86 };
 * ```
 */
export interface SummarySentence {
  text: string;
  key: string;
  score: number;
  centrality: number;
  relevance: number;
}

/**
 * The result of {@link summarize}.
 *
 * @example
 * ```ts
 * const { summary, citations, mode } = await summarize(collection, { query: 'durability' });
 * ```
 */
export interface SummaryResult {
  query?: string;
  /** `query`: top-k passages of the query; `map-reduce`: the whole collection. */
  mode: 'query' | 'map-reduce';
  summary: string;
  /** True when nothing was retrieved (or the collection is empty): the summary says so. */
  no_answer: boolean;
  /** The chosen sentences (extractive summaries). */
  sentences: SummarySentence[];
  citations: TaskCitation[];
  /** The passages retrieved for a query (empty in map-reduce mode). */
  retrieval: AskPassage[];
  /** Map-reduce: documents read, and whether the collection held more than `maxDocuments`. */
  documents?: number;
  truncated?: boolean;
  generator: string;
  unknown_citations: string[];
  /** The exact messages of every model call, in call order (map calls, then reduce). */
  messages?: ChatMessage[][];
  usage?: Usage;
  timings: TaskTimings;
}

/**
 * Events of {@link summarizeStream}.
 *
 * @example
 * ```ts
 * const event: SummarizeEvent = { type: 'text-delta', text: 'BM25 saturates term frequency [1].' };
 * ```
 */
export type SummarizeEvent = { type: 'retrieval'; passages: AskPassage[] } | { type: 'text-delta'; text: string } | { type: 'finish'; result: SummaryResult };

/**
 * Summarises the collection, streaming.
 *
 * With a `query`: the top-k passages are retrieved and weighed as for `ask`; the extractive default then picks central,
 * non-redundant, query-relevant sentences (continuous LexRank over TF-IDF cosine with the collection's idf, mixed with
 * the query cosine, MMR against redundancy), each cited; a language model gets the `summarizeQuery` template.
 *
 * Without a query (map-reduce over up to `maxDocuments` documents): extractive — map = the `mapSentences` most central
 * sentences of each document, reduce = LexRank + MMR across all of them; a language model — map = one `summarizeMap`
 * call per group of documents (keys are the documents' global keys), reduce = one `summarizeReduce` call whose passages
 * are each document's cited statements, keyed by that document, so the final citations still name documents.
 *
 * @example
 * ```ts
 * for await (const event of summarizeStream(collection, { query: 'How is a commit made durable?' })) {
 *   if (event.type === 'text-delta') process.stdout.write(event.text);
 *   else if (event.type === 'finish') console.log(event.result.citations);
 * }
 * ```
 */
export async function* summarizeStream(collection: Collection, options: SummarizeOptions = {}): AsyncGenerator<SummarizeEvent> {
  const started = performance.now();
  const query = options.query?.trim() ? options.query : undefined;
  const maxSentences = positiveInteger('maxSentences', options.maxSentences ?? 3);
  const generator = await resolveGenerator(options.generator, options);
  try {
    if (query !== undefined) yield* summarizeQuery(collection, query, generator, maxSentences, options, started);
    else yield* summarizeCollection(collection, generator, maxSentences, options, started);
  } finally {
    if (generator.kind === 'model') generator.dispose?.();
  }
}

async function* summarizeQuery(collection: Collection, query: string, generator: Resolved, maxSentences: number, options: SummarizeOptions, started: number): AsyncGenerator<SummarizeEvent> {
  const language = languageOf(query, options);
  const k = positiveInteger('k', options.k ?? (generator.kind === 'extractive' ? 5 : 6));
  const passages = retrieve(collection, query, k, options.filter);
  const retrieval = retrievalOf(passages);
  const retrieved = performance.now();
  yield { type: 'retrieval', passages: retrieval };
  const cite = await passageCiter(collection, passages);
  const base = { query, mode: 'query' as const, retrieval, generator: generator.name };
  if (passages.length === 0) {
    yield { type: 'text-delta', text: NO_ANSWER[language] };
    yield { type: 'finish', result: { ...base, summary: NO_ANSWER[language], no_answer: true, sentences: [], citations: [], unknown_citations: [], timings: timings(started, retrieved, performance.now()) } };
    return;
  }
  if (generator.kind === 'extractive') {
    const picked = selectCentralSentences(
      passages.map((p) => ({ key: p.key, text: p.text })),
      { analyzer: collection.analyzer, query, maxSentences, idf: (term) => collection.idf(term) },
    );
    let summary = '';
    for (const piece of joinSentences(picked)) {
      summary += piece;
      yield { type: 'text-delta', text: piece };
    }
    const citations = picked.map((s) => cite(s.key, s.start, s.end)).filter((c): c is TaskCitation => c !== undefined);
    const sentences = picked.map(({ text, key, score, centrality, relevance }) => ({ text, key, score, centrality, relevance }));
    yield { type: 'finish', result: { ...base, summary, no_answer: false, sentences, citations, unknown_citations: [], timings: timings(started, retrieved, performance.now()) } };
    return;
  }
  const answerTokens = options.answerTokens ?? 512;
  const prompt = groundedPrompt(generator.model, 'summarize', fillTemplate(taskTemplates[language].summarizeQuery, { query, maxSentences }), promptPassages(passages), language, answerTokens);
  const into: { text: string; usage?: Usage } = { text: '' };
  for await (const text of streamModel(generator, prompt.messages, answerTokens, options.signal, into)) yield { type: 'text-delta', text };
  const { citations, unknown } = modelCitations(into.text, prompt.included, (key) => cite(key));
  yield {
    type: 'finish',
    result: {
      ...base,
      summary: into.text,
      no_answer: false,
      sentences: [],
      citations,
      unknown_citations: unknown,
      messages: [prompt.messages],
      ...(into.usage ? { usage: into.usage } : {}),
      timings: timings(started, retrieved, performance.now()),
    },
  };
}

function readDocuments(collection: Collection, maxDocuments: number): { documents: WholeDocument[]; truncated: boolean } {
  const documents: WholeDocument[] = [];
  let truncated = false;
  for (const d of collection.documents()) {
    if (d.text.trim() === '') continue;
    if (documents.length >= maxDocuments) {
      truncated = true;
      break;
    }
    documents.push({ key: String(documents.length + 1), id: d.id, title: d.title, text: d.text, metadata: d.metadata });
  }
  return { documents, truncated };
}

async function* summarizeCollection(collection: Collection, generator: Resolved, maxSentences: number, options: SummarizeOptions, started: number): AsyncGenerator<SummarizeEvent> {
  const mapSentences = positiveInteger('mapSentences', options.mapSentences ?? 2);
  const { documents, truncated } = readDocuments(collection, positiveInteger('maxDocuments', options.maxDocuments ?? 1000));
  const language = options.language ?? (isMostlyChinese(documents.slice(0, 20).map((d) => d.text.slice(0, 500)).join('\n')) ? 'zh' : 'en');
  const retrieved = performance.now();
  yield { type: 'retrieval', passages: [] };
  const base = { mode: 'map-reduce' as const, retrieval: [], documents: documents.length, truncated, generator: generator.name };
  if (documents.length === 0) {
    yield { type: 'text-delta', text: NO_ANSWER[language] };
    yield { type: 'finish', result: { ...base, summary: NO_ANSWER[language], no_answer: true, sentences: [], citations: [], unknown_citations: [], timings: timings(started, retrieved, performance.now()) } };
    return;
  }
  const idf = (term: string) => collection.idf(term);

  if (generator.kind === 'extractive') {
    // map: the most central sentences of each document
    const mapped: Array<{ document: WholeDocument; start: number; end: number; text: string }> = [];
    for (const document of documents) {
      for (const s of selectCentralSentences([{ key: document.key, text: document.text }], { analyzer: collection.analyzer, maxSentences: mapSentences, idf })) {
        mapped.push({ document, start: s.start, end: s.end, text: s.text });
      }
    }
    // reduce: centrality and novelty across every document's sentences
    const picked = selectCentralSentences(
      mapped.map((m, i) => ({ key: String(i), text: m.text })),
      { analyzer: collection.analyzer, maxSentences, idf, minTerms: 1 },
    );
    const keys = new Map<string, string>();
    const chosen = picked.map((s) => {
      const m = mapped[s.passageIndex]!;
      if (!keys.has(m.document.id)) keys.set(m.document.id, String(keys.size + 1));
      return { m, s: { text: m.text.slice(s.start, s.end), key: keys.get(m.document.id)!, score: s.score, centrality: s.centrality, relevance: 0, offset: m.start + s.start } };
    });
    let summary = '';
    for (const piece of joinSentences(chosen.map((c) => c.s))) {
      summary += piece;
      yield { type: 'text-delta', text: piece };
    }
    const citations = chosen.map(({ m, s }) => documentCitation({ ...m.document, key: s.key }, s.offset, s.offset + s.text.length));
    const sentences = chosen.map(({ s: { offset: _offset, ...rest } }) => rest);
    yield { type: 'finish', result: { ...base, summary, no_answer: false, sentences, citations, unknown_citations: [], timings: timings(started, retrieved, performance.now()) } };
    return;
  }

  // language model: map over groups of documents, then reduce over the cited statements
  const model = generator.model;
  const answerTokens = options.answerTokens ?? 512;
  const groupTokens = positiveInteger('groupTokens', options.groupTokens ?? 3000);
  const count = counter(model);
  const groups: WholeDocument[][] = [];
  let size = 0;
  for (const document of documents) {
    const tokens = count(document.text);
    if (groups.length === 0 || size + tokens > groupTokens) {
      groups.push([]);
      size = 0;
    }
    groups[groups.length - 1]!.push(document);
    size += tokens;
  }
  const byKey = new Map(documents.map((d) => [d.key, d]));
  const asPassages = (group: WholeDocument[]): PromptPassage[] =>
    group.map((d) => ({ key: d.key, text: d.text, weight: 1, ...(d.title ? { title: d.title } : {}), ...(typeof d.metadata.source === 'string' ? { source: d.metadata.source } : {}) }));
  const messages: ChatMessage[][] = [];
  const unknown = new Set<string>();
  const usage: { usage?: Usage } = {};
  const into: { text: string; usage?: Usage } = { text: '' };
  let finalPrompt: GroundedPrompt;
  if (groups.length === 1) {
    finalPrompt = groundedPrompt(model, 'summarize', fillTemplate(taskTemplates[language].summarizeMap, { maxSentences }), asPassages(groups[0]!), language, answerTokens);
  } else {
    const statements = new Map<string, string[]>();
    for (const group of groups) {
      const prompt = groundedPrompt(model, 'summarize', fillTemplate(taskTemplates[language].summarizeMap, { maxSentences: mapSentences }), asPassages(group), language, answerTokens);
      messages.push(prompt.messages);
      const text = await generateText(generator, prompt.messages, answerTokens, options.signal, usage);
      for (const sentence of splitSentences(text)) {
        const keys = [...new Set(parseCitations(sentence.text).map((c) => c.key))];
        const statement = stripCitations(sentence.text).trim();
        for (const key of keys) {
          if (!prompt.included.includes(key)) unknown.add(key);
          else if (statement !== '') statements.set(key, [...(statements.get(key) ?? []), statement]);
        }
      }
    }
    const reducePassages: PromptPassage[] = [...statements].map(([key, list]) => {
      const d = byKey.get(key)!;
      return { key, text: list.join(language === 'zh' ? '' : ' '), weight: list.length, ...(d.title ? { title: d.title } : {}) };
    });
    finalPrompt = groundedPrompt(model, 'summarize', fillTemplate(taskTemplates[language].summarizeReduce, { maxSentences }), reducePassages, language, answerTokens);
  }
  messages.push(finalPrompt.messages);
  for await (const text of streamModel(generator, finalPrompt.messages, answerTokens, options.signal, into)) yield { type: 'text-delta', text };
  const { citations, unknown: finalUnknown } = modelCitations(into.text, finalPrompt.included, (key) => {
    const d = byKey.get(key);
    return d ? documentCitation(d) : undefined;
  });
  for (const key of finalUnknown) unknown.add(key);
  const total = addUsage(usage.usage, into.usage);
  yield {
    type: 'finish',
    result: {
      ...base,
      summary: into.text,
      no_answer: false,
      sentences: [],
      citations,
      unknown_citations: [...unknown],
      messages,
      ...(total ? { usage: total } : {}),
      timings: timings(started, retrieved, performance.now()),
    },
  };
}

/**
 * Summarises the collection (see {@link summarizeStream}) and returns the complete result.
 *
 * @example
 * ```ts
 * const { summary, citations } = await summarize(collection, { query: 'What is BM25?', maxSentences: 2 });
 * const overview = await summarize(collection); // whole collection, map-reduce
 * ```
 */
export async function summarize(collection: Collection, options: SummarizeOptions = {}): Promise<SummaryResult> {
  let result: SummaryResult | undefined;
  for await (const event of summarizeStream(collection, options)) if (event.type === 'finish') result = event.result;
  return result!;
}

// ───────────────────────────── chat ─────────────────────────────

/**
 * Options of {@link chatTurn}: those of `ask`, plus how much history the condensation sees.
 *
 * @example
 * ```ts
 * const options: ChatTurnOptions = { generator: 'openai:gpt-4o-mini', historyTurns: 3 };
 * ```
 */
export interface ChatTurnOptions extends AskOptions {
  /** Previous turns shown to the condensation (default 5). */
  historyTurns?: number;
}

/**
 * The result of one chat turn: the `ask` result for the standalone question, plus the turn's own message.
 *
 * @example
 * ```ts
 * const turn: ChatTurnResult = { ...askResult, message: 'and its speed?', query: 'What is BM25 and its speed?', session: 'default', condensed_by: 'extractive' };
 * ```
 */
export interface ChatTurnResult extends AskResult {
  /** The user's message as typed. */
  message: string;
  /** The standalone question retrieval and answering used. */
  query: string;
  session: string;
  /** `extractive` (condenseQuestion), `model` (the condensation prompt), or `none` (the first turn). */
  condensed_by: 'extractive' | 'model' | 'none';
  /** The exact messages of the condensation call (model condensation only). */
  condense_messages?: ChatMessage[];
}

/**
 * Events of {@link chatTurnStream}: the standalone query, then the events of `askStream`, whose `finish` carries a
 * {@link ChatTurnResult}.
 *
 * @example
 * ```ts
 * const event: ChatTurnEvent = { type: 'condensed', query: 'What is BM25? and how fast is it?', by: 'extractive' };
 * ```
 */
export type ChatTurnEvent =
  | { type: 'condensed'; query: string; by: ChatTurnResult['condensed_by'] }
  | Exclude<AskEvent, { type: 'finish' }>
  | { type: 'finish'; result: ChatTurnResult };

function cleanCondensed(text: string): string {
  const line = text.split(/\r?\n/).map((l) => l.trim()).find((l) => l !== '') ?? '';
  return line
    .replace(/^(?:standalone question|question|独立问题|问题)\s*[:：]\s*/i, '')
    .replace(/^["'“”「]+|["'“”」]+$/g, '')
    .trim();
}

/**
 * One turn of a conversation over the collection, streaming. The message is first made standalone: without a model by
 * {@link condenseQuestion} (a short or anaphoric follow-up is joined with the previous question); with a model by the
 * `condenseSystem`/`condenseUser` templates over the last `historyTurns` turns (an empty rewrite falls back to
 * `condenseQuestion`). The standalone question then goes through `askStream`, and the turn is recorded in the
 * conversation's history.
 *
 * @example
 * ```ts
 * const conversation = openConversation(collection.path, 'default');
 * for await (const event of chatTurnStream(collection, conversation, 'and how is it made durable?')) {
 *   if (event.type === 'text-delta') process.stdout.write(event.text);
 * }
 * conversation.close();
 * ```
 */
export async function* chatTurnStream(collection: Collection, conversation: Conversation, message: string, options: ChatTurnOptions = {}): AsyncGenerator<ChatTurnEvent> {
  if (typeof message !== 'string' || message.trim() === '') throw new RalmError('INVALID_ARGUMENT', 'the chat message is empty');
  const historyTurns = options.historyTurns ?? 5;
  if (!Number.isInteger(historyTurns) || historyTurns < 0) throw new RalmError('INVALID_ARGUMENT', `historyTurns must be a non-negative integer, got ${historyTurns}`);
  const store = ConversationStore.open(collection.path, conversation.session);
  const turns = (() => {
    try {
      return historyTurns === 0 ? [] : store.turns(historyTurns);
    } finally {
      store.close();
    }
  })();
  const generator = await resolveGenerator(options.generator, options);
  try {
    let query = message;
    let by: ChatTurnResult['condensed_by'] = 'none';
    let condenseMessages: ChatMessage[] | undefined;
    if (turns.length > 0) {
      if (generator.kind === 'model') {
        const language = languageOf(message, options);
        const t = taskTemplates[language];
        const history = turns.map((turn) => `${t.historyUser}${turn.question}\n${t.historyAssistant}${stripCitations(turn.answer)}`).join('\n');
        condenseMessages = [
          { role: 'system', content: t.condenseSystem },
          { role: 'user', content: fillTemplate(t.condenseUser, { history, message }) },
        ];
        const rewritten = cleanCondensed(await generateText(generator, condenseMessages, 128, options.signal, {}));
        if (rewritten !== '') {
          query = rewritten;
          by = 'model';
        } else {
          query = condenseQuestion(message, turns.map((turn) => turn.question));
          by = 'extractive';
        }
      } else {
        query = condenseQuestion(message, turns.map((turn) => turn.question));
        by = 'extractive';
      }
    }
    yield { type: 'condensed', query, by };
    const askOptions: AskOptions = { ...options, generator: generator.kind === 'model' ? generator.model : 'extractive' };
    for await (const event of askStream(collection, query, askOptions)) {
      if (event.type !== 'finish') {
        yield event;
        continue;
      }
      conversation.record(message, event.result.answer);
      const result: ChatTurnResult = {
        ...event.result,
        generator: generator.name,
        message,
        query,
        session: conversation.session,
        condensed_by: by,
        ...(condenseMessages ? { condense_messages: condenseMessages } : {}),
      };
      yield { type: 'finish', result };
    }
  } finally {
    if (generator.kind === 'model') generator.dispose?.();
  }
}

/**
 * One chat turn (see {@link chatTurnStream}), returning the complete result.
 *
 * @example
 * ```ts
 * const conversation = openConversation(collection.path, 'support-42');
 * await chatTurn(collection, conversation, 'What is BM25?');
 * const { answer, query } = await chatTurn(collection, conversation, 'How fast is it?'); // query: 'What is BM25? How fast is it?'
 * conversation.close();
 * ```
 */
export async function chatTurn(collection: Collection, conversation: Conversation, message: string, options: ChatTurnOptions = {}): Promise<ChatTurnResult> {
  let result: ChatTurnResult | undefined;
  for await (const event of chatTurnStream(collection, conversation, message, options)) if (event.type === 'finish') result = event.result;
  return result!;
}

// ───────────────────────────── classify ─────────────────────────────

/**
 * Options of {@link classify}.
 *
 * @example
 * ```ts
 * const options: ClassifyOptions = { labelField: 'topic', k: 10 };
 * ```
 */
export interface ClassifyOptions extends TaskModelOptions {
  /** The metadata field holding each document's label (default `label`). */
  labelField?: string;
  /** Labelled neighbours retrieved (default 10). */
  k?: number;
  /** Vote weights: the neighbours' BM25 scores (`score`, default) or one vote each (`uniform`). */
  weighting?: 'score' | 'uniform';
  /** The valid labels (default: every value of `labelField` in the collection). */
  labels?: readonly string[];
  /** Document ids never used as neighbours (e.g. the text's own document, for leave-one-out). */
  excludeIds?: readonly string[];
}

/**
 * A labelled neighbour of the classified text.
 *
 * @example
 * ```ts
 * const n: ClassifyNeighbour = { key: '1', doc_id: 'q17', label: 'sports', score: 12.4, title: 'Final score' };
 * ```
 */
export interface ClassifyNeighbour {
  key: string;
  doc_id: string;
  label: string;
  score: number;
  title?: string;
}

/**
 * The result of {@link classify}: the label, and the votes and neighbours that explain it.
 *
 * @example
 * ```ts
 * const { label, votes, neighbours } = await classify(collection, 'The striker scored twice.');
 * ```
 */
export interface ClassifyResult {
  text: string;
  /** The predicted label; undefined when no labelled neighbour was found. */
  label: string | undefined;
  no_answer: boolean;
  label_field: string;
  /** The kNN vote, best first (also computed when a model chose the label). */
  votes: LabelVote[];
  neighbours: ClassifyNeighbour[];
  /** A model's justification (the answer after the label line). */
  justification?: string;
  /** Model calls made: 1, or 2 after an invalid label. */
  attempts: number;
  /** The invalid answers before the valid one. */
  invalid_answers: string[];
  citations: TaskCitation[];
  generator: string;
  unknown_citations: string[];
  messages?: ChatMessage[];
  usage?: Usage;
  timings: TaskTimings;
}

const labelCache = new WeakMap<Collection, Map<string, { seq: number; labels: string[] }>>();

function labelValue(metadata: Metadata | undefined, field: string): string | undefined {
  const value = metadata?.[field];
  if (typeof value === 'string' && value.trim() !== '') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/**
 * Every distinct value of the metadata field `labelField` among the collection's documents, sorted (cached per
 * collection until its next commit).
 *
 * @example
 * ```ts
 * collectionLabels(collection, 'label'); // ['politics', 'sports']
 * ```
 */
export function collectionLabels(collection: Collection, labelField = 'label'): string[] {
  const seq = collection.stats().lastSeq;
  let perField = labelCache.get(collection);
  if (!perField) labelCache.set(collection, (perField = new Map()));
  const cached = perField.get(labelField);
  if (cached && cached.seq === seq) return cached.labels;
  const labels = new Set<string>();
  for (const d of collection.documents()) {
    const label = labelValue(d.metadata, labelField);
    if (label !== undefined) labels.add(label);
  }
  const sorted = [...labels].sort();
  perField.set(labelField, { seq, labels: sorted });
  return sorted;
}

/**
 * Classifies `text` from the collection's labelled documents. The top-k labelled neighbours are retrieved with BM25
 * (documents without a `labelField` value, and `excludeIds`, are skipped). The extractive default returns the
 * similarity-weighted kNN vote; a language model gets the neighbours as in-context examples (`classify` template) and
 * must answer one of the known labels — an invalid answer is retried once with `classifyRetry`, and a second invalid
 * answer is a `PROVIDER` error naming both answers and the valid labels.
 *
 * @example
 * ```ts
 * const result = await classify(collection, 'The striker scored twice in the final.', { labelField: 'topic', k: 10 });
 * console.log(result.label, result.votes, result.neighbours);
 * ```
 */
export async function classify(collection: Collection, text: string, options: ClassifyOptions = {}): Promise<ClassifyResult> {
  const started = performance.now();
  if (typeof text !== 'string' || text.trim() === '') throw new RalmError('INVALID_ARGUMENT', 'the text to classify is empty');
  const labelField = options.labelField ?? 'label';
  const k = positiveInteger('k', options.k ?? 10);
  const exclude = new Set(options.excludeIds ?? []);
  const generator = await resolveGenerator(options.generator, options);
  try {
    const language = languageOf(text, options);
    // fetch deeper than k: unlabelled and excluded documents do not count
    let hits: SearchHit[] = [];
    for (let depth = k + exclude.size; ; depth *= 4) {
      const found = search(collection, text, depth, options.filter);
      hits = found.filter((h) => !exclude.has(h.id) && labelValue(h.metadata, labelField) !== undefined).slice(0, k);
      if (hits.length >= k || found.length < depth) break;
    }
    const neighbours: Array<LabelledNeighbour & { hit: SearchHit }> = hits.map((h, i) => ({ key: String(i + 1), documentId: h.id, label: labelValue(h.metadata, labelField)!, score: h.score, hit: h }));
    const vote = voteLabels(neighbours, { weighting: options.weighting });
    const passages: TaskPassage[] = neighbours.map((n) => ({ key: n.key, documentId: n.documentId, text: n.hit.text ?? '', ...(n.hit.title ? { title: n.hit.title } : {}), score: n.score, weight: 0, hit: n.hit }));
    const weights = weighPassages(neighbours.map((n) => ({ key: n.key, score: n.score })), { floor: -Infinity });
    for (const w of weights) passages.find((p) => p.key === w.key)!.weight = w.weight;
    const cite = await passageCiter(collection, passages);
    const retrieved = performance.now();
    const base = {
      text,
      label_field: labelField,
      votes: vote.votes,
      neighbours: neighbours.map((n) => ({ key: n.key, doc_id: n.documentId, label: n.label, score: n.score, ...(n.hit.title ? { title: n.hit.title } : {}) })),
      generator: generator.name,
    };
    if (neighbours.length === 0) {
      return { ...base, label: undefined, no_answer: true, attempts: 0, invalid_answers: [], citations: [], unknown_citations: [], timings: timings(started, retrieved, performance.now()) };
    }
    if (generator.kind === 'extractive') {
      const citations = neighbours.filter((n) => n.label === vote.label).map((n) => cite(n.key)!);
      return { ...base, label: vote.label, no_answer: false, attempts: 0, invalid_answers: [], citations, unknown_citations: [], timings: timings(started, retrieved, performance.now()) };
    }
    const known = options.labels ? [...options.labels] : collectionLabels(collection, labelField);
    const t = taskTemplates[language];
    const examples: PromptPassage[] = promptPassages(passages).map((p, i) => ({ ...p, text: `${fillTemplate(t.classifyExampleLabel, { label: neighbours[i]!.label })}\n${p.text}` }));
    const labelList = known.join(', ');
    const answerTokens = options.answerTokens ?? 256;
    const prompt = groundedPrompt(generator.model, 'classify', fillTemplate(t.classify, { labels: labelList, text }), examples, language, answerTokens);
    let messages = prompt.messages;
    const usage: { usage?: Usage } = {};
    const invalid: string[] = [];
    let answer = await generateText(generator, messages, answerTokens, options.signal, usage);
    let label = matchLabel(answer, known);
    if (label === undefined) {
      invalid.push(answer);
      messages = [...messages, { role: 'assistant', content: answer }, { role: 'user', content: fillTemplate(t.classifyRetry, { answer: answer.split('\n')[0]!.trim().slice(0, 200), labels: labelList }) }];
      answer = await generateText(generator, messages, answerTokens, options.signal, usage);
      label = matchLabel(answer, known);
      if (label === undefined) {
        throw new RalmError(
          'PROVIDER',
          `${generator.name} did not answer one of the ${known.length} labels, twice: "${invalid[0]!.split('\n')[0]!.slice(0, 80)}", then "${answer.split('\n')[0]!.slice(0, 80)}"; valid labels: ${labelList.slice(0, 500)}`,
        );
      }
    }
    const justification = answer.split(/\r?\n/).slice(1).join('\n').trim();
    const { citations, unknown } = modelCitations(answer, prompt.included, (key) => cite(key));
    return {
      ...base,
      label,
      no_answer: false,
      ...(justification ? { justification } : {}),
      attempts: invalid.length + 1,
      invalid_answers: invalid,
      citations,
      unknown_citations: unknown,
      messages,
      ...(usage.usage ? { usage: usage.usage } : {}),
      timings: timings(started, retrieved, performance.now()),
    };
  } finally {
    if (generator.kind === 'model') generator.dispose?.();
  }
}

// ───────────────────────────── extract ─────────────────────────────

const offset = z.number().int().nonnegative();

/**
 * The default extraction schema: entities `{ text, type, source }` and relations `{ head, relation, tail, source }`,
 * where `source` is the citation key of the passage the item comes from; `start`/`end` (character offsets in the source
 * document) are optional — the extractive default always gives them.
 *
 * @example
 * ```ts
 * defaultExtractionSchema.parse({ entities: [{ text: 'Paris', type: 'LOCATION', source: '1' }], relations: [] });
 * ```
 */
export const defaultExtractionSchema = z.object({
  entities: z.array(
    z.object({
      text: z.string().min(1),
      type: z.string().min(1),
      source: z.string().min(1),
      start: offset.optional(),
      end: offset.optional(),
    }),
  ),
  relations: z.array(
    z.object({
      head: z.string().min(1),
      relation: z.string().min(1),
      tail: z.string().min(1),
      source: z.string().min(1),
      start: offset.optional(),
      end: offset.optional(),
    }),
  ),
});

/**
 * The value of {@link defaultExtractionSchema}.
 *
 * @example
 * ```ts
 * const data: Extraction = { entities: [{ text: 'Paris', type: 'LOCATION', source: '1', start: 0, end: 5 }], relations: [] };
 * ```
 */
export type Extraction = z.infer<typeof defaultExtractionSchema>;

/**
 * Options of {@link extract}.
 *
 * @example
 * ```ts
 * const options: ExtractOptions = { generator: 'openai:gpt-4o-mini', k: 4 };
 * ```
 */
export interface ExtractOptions<S extends z.ZodType = typeof defaultExtractionSchema> extends TaskModelOptions {
  /** The zod schema of the result (default {@link defaultExtractionSchema}); custom schemas need a language model. */
  schema?: S;
  /** Passages retrieved (default 3 for extractive, 6 for language models). */
  k?: number;
}

/**
 * The result of {@link extract}.
 *
 * @example
 * ```ts
 * const { data, citations, unknown_citations, ungrounded } = await extract(collection, 'people and companies');
 * ```
 */
export interface ExtractResult<T = Extraction> {
  query: string;
  /** The validated extraction. */
  data: T;
  /** True when nothing was retrieved. */
  no_answer: boolean;
  /** One citation per passage the extraction cites (its whole span). */
  citations: TaskCitation[];
  retrieval: AskPassage[];
  generator: string;
  /** `source` keys that were not among the passages given: flagged, not sources. */
  unknown_citations: string[];
  /** Items whose `text` (or `head`/`tail`) does not occur in the passage they cite. */
  ungrounded: Array<{ text: string; source: string }>;
  /** Model calls made: 1, or 2 after a repair. */
  attempts: number;
  /** Why the first answer was rejected (JSON or validation errors), when it was. */
  repair_reasons: string[];
  messages?: ChatMessage[];
  usage?: Usage;
  timings: TaskTimings;
}

function groundingProblems(data: unknown, passages: ReadonlyMap<string, string>): Array<{ text: string; source: string }> {
  const out: Array<{ text: string; source: string }> = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === 'object') {
      const record = v as Record<string, unknown>;
      const source = typeof record.source === 'string' || typeof record.source === 'number' ? String(record.source) : undefined;
      const passage = source === undefined ? undefined : passages.get(source);
      if (passage !== undefined) {
        for (const field of ['text', 'head', 'tail']) {
          const value = record[field];
          if (typeof value === 'string' && value !== '' && !passage.toLowerCase().includes(value.toLowerCase())) out.push({ text: value, source: source! });
        }
      }
      for (const x of Object.values(record)) if (x !== null && typeof x === 'object') walk(x);
    }
  };
  walk(data);
  return out;
}

/**
 * Extracts entities and relations (or whatever `schema` describes) from the passages retrieved for `query`, as JSON
 * validated with zod.
 *
 * Extractive default (no model): rule-based extraction (`extractEntities`, `extractRelations`) from every retrieved
 * passage; each item carries `source` (the passage's citation key) and `start`/`end` (offsets in the document).
 *
 * With a language model: the `extract` template with the schema as JSON Schema (`z.toJSONSchema`); the JSON is taken
 * from the answer (a fenced block is fine) and validated; when that fails, one repair call (`extractRepair`) lists the
 * errors; a second failure is a `PARSE` error listing every validation issue as `path: message`. `source` keys are
 * checked against the passages given (`unknown_citations`), and item texts against their passage (`ungrounded`).
 *
 * @example
 * ```ts
 * const { data } = await extract(collection, 'Marie Curie');
 * for (const e of data.entities) console.log(e.type, e.text, `[${e.source}]`);
 * const people = z.object({ people: z.array(z.object({ name: z.string(), born: z.number(), source: z.string() })) });
 * const typed = await extract(collection, 'physicists and their birth years', { schema: people, generator: 'openai:gpt-4o-mini' });
 * ```
 */
export async function extract<S extends z.ZodType = typeof defaultExtractionSchema>(collection: Collection, query: string, options: ExtractOptions<S> = {}): Promise<ExtractResult<z.infer<S>>> {
  const started = performance.now();
  if (typeof query !== 'string' || query.trim() === '') throw new RalmError('INVALID_ARGUMENT', 'the extraction query is empty');
  const schema = (options.schema ?? defaultExtractionSchema) as z.ZodType;
  if (!(schema instanceof z.ZodType)) throw new RalmError('INVALID_ARGUMENT', 'schema must be a zod schema (z.object({ … }))');
  const generator = await resolveGenerator(options.generator, options);
  try {
    const language = languageOf(query, options);
    const k = positiveInteger('k', options.k ?? (generator.kind === 'extractive' ? 3 : 6));
    const passages = retrieve(collection, query, k, options.filter);
    const retrieval = retrievalOf(passages);
    const cite = await passageCiter(collection, passages);
    const passageText = new Map(passages.map((p) => [p.key, p.text]));
    const retrieved = performance.now();
    const base = { query, retrieval, generator: generator.name };

    if (generator.kind === 'extractive') {
      const data: Extraction = { entities: [], relations: [] };
      const cited = new Set<string>();
      for (const p of passages) {
        const offset0 = p.hit.start ?? 0;
        const entities = extractEntities(p.text);
        const seen = new Set<string>();
        for (const e of entities) {
          const id = `${e.type}\u0000${e.text}`;
          if (seen.has(id)) continue;
          seen.add(id);
          data.entities.push({ text: e.text, type: e.type, source: p.key, start: offset0 + e.start, end: offset0 + e.end });
          cited.add(p.key);
        }
        for (const r of extractRelations(p.text, entities)) {
          data.relations.push({ head: r.head, relation: r.relation, tail: r.tail, source: p.key, start: offset0 + r.start, end: offset0 + r.end });
          cited.add(p.key);
        }
      }
      const checked = schema.safeParse(data);
      if (!checked.success) {
        throw new RalmError(
          'INVALID_ARGUMENT',
          `the extractive extractor produces { entities, relations } (defaultExtractionSchema), which does not validate against the given schema:\n  ${describeValidationIssues(checked.error).join('\n  ')}\nuse a language model (generator: 'openai:<model>') for a custom schema`,
        );
      }
      const citations = passages.filter((p) => cited.has(p.key)).map((p) => cite(p.key)!);
      return {
        ...base,
        data: checked.data as z.infer<S>,
        no_answer: passages.length === 0,
        citations,
        unknown_citations: [],
        ungrounded: [],
        attempts: 0,
        repair_reasons: [],
        timings: timings(started, retrieved, performance.now()),
      };
    }

    let jsonSchema: unknown;
    try {
      jsonSchema = z.toJSONSchema(schema);
    } catch (error) {
      throw new RalmError('INVALID_ARGUMENT', `the schema cannot be written as JSON Schema for the prompt: ${(error as Error).message}`, { cause: error });
    }
    const t = taskTemplates[language];
    const answerTokens = options.answerTokens ?? 1024;
    const prompt = groundedPrompt(generator.model, 'extract', fillTemplate(t.extract, { request: query, schema: JSON.stringify(jsonSchema) }), promptPassages(passages), language, answerTokens);
    let messages = prompt.messages;
    const usage: { usage?: Usage } = {};
    const attempt = async (): Promise<{ ok: true; data: unknown } | { ok: false; answer: string; errors: string[] }> => {
      const answer = await generateText(generator, messages, answerTokens, options.signal, usage);
      const parsed = parseJsonAnswer(answer);
      if (!parsed.ok) return { ok: false, answer, errors: [parsed.error] };
      const checked = schema.safeParse(parsed.value);
      if (!checked.success) return { ok: false, answer, errors: describeValidationIssues(checked.error) };
      return { ok: true, data: checked.data };
    };
    let outcome = await attempt();
    let attempts = 1;
    const reasons: string[] = [];
    if (!outcome.ok) {
      reasons.push(...outcome.errors);
      messages = [...messages, { role: 'assistant', content: outcome.answer }, { role: 'user', content: fillTemplate(t.extractRepair, { errors: outcome.errors.map((e) => `- ${e}`).join('\n') }) }];
      outcome = await attempt();
      attempts = 2;
      if (!outcome.ok) {
        throw new RalmError('PARSE', `${generator.name}: the extraction is not valid after one repair attempt:\n  ${outcome.errors.join('\n  ')}`);
      }
    }
    const sources = collectSources(outcome.data);
    const unknown = [...new Set(sources.filter((key) => !prompt.included.includes(key)))];
    const citations = [...new Set(sources.filter((key) => prompt.included.includes(key)))].map((key) => cite(key)!).filter(Boolean);
    return {
      ...base,
      data: outcome.data as z.infer<S>,
      no_answer: passages.length === 0,
      citations,
      unknown_citations: unknown,
      ungrounded: groundingProblems(outcome.data, passageText),
      attempts,
      repair_reasons: reasons,
      messages,
      ...(usage.usage ? { usage: usage.usage } : {}),
      timings: timings(started, retrieved, performance.now()),
    };
  } finally {
    if (generator.kind === 'model') generator.dispose?.();
  }
}
