/**
 * Grounded answers: retrieve passages, weigh them (softmax over the retrieval scores — the
 * attention-weighted evidence fusion), hand them to a generator, and return the answer with citations
 * that point to exact spans of the source documents.
 *
 * Generators: `extractive` (the embedded default: no model, no network — sentences chosen from the
 * passages, each cited; citation precision 1 by construction), `openai:<model>` (any OpenAI-compatible
 * chat endpoint) and `llama:<file.gguf>` (local, through the optional node-llama-cpp). LLM answers are
 * checked: a citation key that was not provided is flagged, never presented as a source.
 */
import { RalmError } from '../core/errors.js';
import type { Metadata } from '../core/types.js';
import type { ChatMessage, LanguageModel, StreamEvent } from '../models/index.js';
import { weighPassages, evidenceDefaults, type WeightedPassage } from '../generate/evidence.js';
import { checkCitations, parseCitations } from '../generate/citations.js';
import { buildGroundedPrompt, type PromptPassage } from '../generate/prompt.js';
import { createExtractiveGenerator, extractiveDefaults, type ExtractiveAnswer } from '../generate/providers/extractive/index.js';
import { parseGeneratorSpec, type GeneratorSpec } from '../generate/providers/index.js';
import { createOpenAICompatible } from '../generate/providers/openai/index.js';
import { createLlamaCpp } from '../generate/providers/llama/index.js';
import { estimateTokens } from '../models/index.js';
import type { Collection, SearchHit } from './collection.js';

/** Options of {@link ask} and {@link askStream}. */
export interface AskOptions {
  /** Passages retrieved and handed to the generator (default for extractive: 5 in English, 3 in Chinese; 6 for language models). */
  k?: number;
  /** `extractive` (default), `openai:<model>`, `llama:<file.gguf>`, or a ready LanguageModel. */
  generator?: string | LanguageModel;
  /** Most sentences in an extractive answer (default 2). */
  maxSentences?: number;
  /** Softmax temperature of the evidence weights, in retrieval-score units (default 4). */
  temperature?: number;
  /** Passages scoring at or below this BM25 score are not evidence (default 0). */
  floor?: number;
  /**
   * Passages matching less than this share of the question's idf mass (its informative terms) are not
   * evidence; none left → the answer says the collection does not contain it (default 0.3).
   */
  minCoverage?: number;
  /** Metadata filter for retrieval (see `SearchOptions.filter`). */
  filter?: string | Record<string, unknown>;
  /** Answer language (default: detected from the question). */
  language?: 'en' | 'zh';
  /** For `openai:<model>`: the endpoint (default `$RALM_BASE_URL`, `$OPENAI_BASE_URL`, or OpenAI's). */
  baseURL?: string;
  /** For `openai:<model>`: the API key (default `$RALM_API_KEY`, then `$OPENAI_API_KEY`). */
  apiKey?: string;
  /** Tokens reserved for the answer of a language model (default 512). */
  answerTokens?: number;
  signal?: AbortSignal;
}

/** A cited source: a span of a stored document. */
export interface AskCitation {
  key: string;
  doc_id: string;
  chunk_id: number;
  /** The file or URL the document came from, when known. */
  source?: string;
  /** Character offsets into the document's text. */
  start: number;
  end: number;
  /** 1-based first and last line of the span in the document. */
  lines: [number, number];
  heading_path?: string[];
  page?: number;
  text: string;
}

/** A passage handed to the generator. */
export interface AskPassage {
  key: string;
  doc_id: string;
  chunk_id: number;
  score: number;
  weight: number;
  title?: string;
  source?: string;
}

export interface AskResult {
  question: string;
  answer: string;
  /** True when no passage cleared the floor (or none answered): the answer says so instead. */
  no_answer: boolean;
  citations: AskCitation[];
  retrieval: AskPassage[];
  generator: string;
  /** Citation keys in the answer that were not among the passages given (fabricated): flagged, not sources. */
  unknown_citations: string[];
  /** The exact messages sent to a language model (absent for extractive answers). */
  messages?: ChatMessage[];
  usage?: { inputTokens?: number; outputTokens?: number };
  timings: { retrieve_ms: number; generate_ms: number; total_ms: number };
}

export type AskEvent = { type: 'retrieval'; passages: AskPassage[] } | { type: 'text-delta'; text: string } | { type: 'finish'; result: AskResult };

const NO_ANSWER = {
  en: 'The collection does not contain an answer to this question.',
  zh: '资料库中没有找到这个问题的答案。',
};

function detectQuestionLanguage(text: string): 'en' | 'zh' {
  let cjk = 0;
  let letters = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c >= 0x3040 && c <= 0x30ff) || (c >= 0x3400 && c <= 0x9fff) || (c >= 0xf900 && c <= 0xfaff)) cjk++; // kana, CJK ideographs
    else if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 0xc0 && c < 0x3000)) letters++;
  }
  return cjk > 0 && cjk * 2 >= letters / 4 ? 'zh' : 'en';
}

/** 1-based line number of a character offset. */
export function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/** Resolves a generator spec (or a ready model) to something that can answer. */
export async function resolveGenerator(spec: AskOptions['generator'], options: Pick<AskOptions, 'baseURL' | 'apiKey'>): Promise<{ name: string; kind: 'extractive' } | { name: string; kind: 'model'; model: LanguageModel; dispose?: () => void }> {
  if (spec !== undefined && typeof spec !== 'string') return { name: `${spec.provider}:${spec.modelId}`, kind: 'model', model: spec };
  const parsed: GeneratorSpec = parseGeneratorSpec(spec ?? 'extractive');
  if (parsed.kind === 'extractive') return { name: 'extractive', kind: 'extractive' };
  if (parsed.kind === 'openai') {
    const baseURL = options.baseURL ?? process.env.RALM_BASE_URL ?? process.env.OPENAI_BASE_URL ?? 'https://api.openai.com/v1';
    return { name: `openai:${parsed.model}`, kind: 'model', model: createOpenAICompatible({ baseURL, model: parsed.model, apiKey: options.apiKey }) };
  }
  const model = await loadLlamaModel(parsed.path);
  return { name: `llama:${parsed.path}`, kind: 'model', model, dispose: () => releaseLlamaModel(parsed.path) };
}

/** How long a local GGUF model stays loaded after its last use (a conversation or a server reuses it). */
const LLAMA_IDLE_MS = 60_000;
const llamaModels = new Map<string, { model: Promise<LanguageModel>; users: number; timer?: NodeJS.Timeout }>();

/** Loads a GGUF model once per process and shares it; each {@link releaseLlamaModel} ends one use. */
async function loadLlamaModel(path: string): Promise<LanguageModel> {
  let entry = llamaModels.get(path);
  if (!entry) {
    entry = { model: createLlamaCpp({ modelPath: path }), users: 0 };
    llamaModels.set(path, entry);
    entry.model.catch(() => llamaModels.delete(path)); // a failed load is not cached
  }
  entry.users++;
  if (entry.timer) clearTimeout(entry.timer);
  return entry.model;
}

function releaseLlamaModel(path: string): void {
  const entry = llamaModels.get(path);
  if (!entry || --entry.users > 0) return;
  // unloaded when unused for a while; the timer never keeps the process alive
  entry.timer = setTimeout(() => {
    llamaModels.delete(path);
    void entry.model.then((model) => (model as { dispose?: () => unknown }).dispose?.()).catch(() => undefined);
  }, LLAMA_IDLE_MS);
  entry.timer.unref();
}

/**
 * Answers `question` from `collection`, streaming: a `retrieval` event, `text-delta` events, then
 * `finish` with the complete result (citations, retrieval, timings). A failure is thrown, never
 * presented as a complete answer.
 *
 * @example
 * ```ts
 * for await (const event of askStream(collection, 'How is a commit made durable?')) {
 *   if (event.type === 'text-delta') process.stdout.write(event.text);
 * }
 * ```
 */
export async function* askStream(collection: Collection, question: string, options: AskOptions = {}): AsyncGenerator<AskEvent> {
  const started = performance.now();
  if (typeof question !== 'string' || question.trim() === '') throw new RalmError('INVALID_ARGUMENT', 'the question is empty');
  const generator = await resolveGenerator(options.generator, options);
  try {
    const language = options.language ?? detectQuestionLanguage(question);
    // Extractive K per language, chosen on the 20% tuning split of SQuAD / CMRC (bench/results/answers.md).
    const k = options.k ?? (generator.kind === 'extractive' ? (language === 'zh' ? 3 : 5) : 6);
    if (!Number.isInteger(k) || k < 1) throw new RalmError('INVALID_ARGUMENT', `k must be a positive integer, got ${k}`);
    let hits: SearchHit[] = [];
    try {
      hits = collection.searchNow(question, { k, documents: true, text: true, filter: options.filter }).hits;
    } catch (error) {
      if (!(RalmError.is(error) && error.code === 'EMPTY_QUERY')) throw error;
    }
    // Relevance floor: a passage must cover enough of the question's informative (high-idf) terms.
    const questionTerms = collection.analyzeQuery(question);
    const idfs = questionTerms.map((t) => collection.idf(t.term) * t.boost);
    const totalIdf = idfs.reduce((a, b) => a + b, 0);
    const minCoverage = options.minCoverage ?? 0.3;
    const coverage = (hit: SearchHit): number => {
      if (totalIdf === 0) return 0;
      const present = new Set(collection.analyzer.analyze(`${hit.title ?? ''} ${hit.text ?? ''}`));
      let matched = 0;
      questionTerms.forEach((t, i) => {
        if (present.has(t.term)) matched += idfs[i]!;
      });
      return matched / totalIdf;
    };
    const evidence = hits.filter((h) => coverage(h) >= minCoverage);
    const weighted = weighPassages(
      evidence.map((h) => ({ score: h.score, documentId: h.id, text: h.text ?? '', chunk: h.chunk, title: h.title, hit: h })),
      { temperature: options.temperature ?? evidenceDefaults.temperature, floor: options.floor ?? evidenceDefaults.floor },
    );
    const retrieval: AskPassage[] = weighted.map((p) => ({
      key: p.key,
      doc_id: p.documentId,
      chunk_id: p.chunk,
      score: p.score,
      weight: p.weight,
      ...(p.title ? { title: p.title } : {}),
      ...(typeof p.hit.metadata?.source === 'string' ? { source: p.hit.metadata.source } : {}),
    }));
    const retrieved = performance.now();
    yield { type: 'retrieval', passages: retrieval };

    const byKey = new Map(weighted.map((p) => [p.key, p]));
    const documents = new Map((await collection.get([...new Set(weighted.map((p) => p.documentId))])).map((d) => [d.id, d]));
    const cite = (key: string, start: number, end: number): AskCitation | undefined => {
      const passage = byKey.get(key);
      if (!passage) return undefined;
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
        end: base + end,
        lines: document ? [lineOf(document.text, base + start), lineOf(document.text, Math.max(base + start, base + end - 1))] : [1, 1],
        ...(hit.headingPath ? { heading_path: hit.headingPath } : {}),
        ...(hit.page !== undefined ? { page: hit.page } : {}),
        text: passage.text.slice(start, end),
      };
    };

    let answer = '';
    let noAnswer = false;
    let citations: AskCitation[] = [];
    let unknown: string[] = [];
    let messages: ChatMessage[] | undefined;
    let usage: AskResult['usage'];
    if (weighted.length === 0) {
      noAnswer = true;
      answer = NO_ANSWER[language];
      yield { type: 'text-delta', text: answer };
    } else if (generator.kind === 'extractive') {
      // the answer's sentences are stitched in the passages' language; only the no-answer text follows the question
      const extractive = createExtractiveGenerator({ analyzer: collection.analyzer, language: options.language ?? 'auto', noAnswerText: NO_ANSWER });
      let result: ExtractiveAnswer | undefined;
      const passages: WeightedPassage[] = weighted.map((p) => ({ key: p.key, weight: p.weight, score: p.score, documentId: p.documentId, text: p.text, chunk: p.chunk, title: p.title }));
      for await (const event of extractive.stream(question, passages, { maxSentences: options.maxSentences ?? extractiveDefaults.maxSentences })) {
        if (options.signal?.aborted) throw new RalmError('ABORTED', 'the answer was cancelled');
        if (event.type === 'text-delta') yield event;
        else result = event.result;
      }
      answer = result!.text;
      noAnswer = result!.noAnswer;
      citations = result!.citations.map((c) => cite(c.key, c.start, c.end)).filter((c): c is AskCitation => c !== undefined);
    } else {
      const model = generator.model;
      const promptPassages: PromptPassage[] = weighted.map((p) => ({
        key: p.key,
        text: p.text,
        weight: p.weight,
        ...(p.title ? { title: p.title } : {}),
        ...(typeof p.hit.metadata?.source === 'string' ? { source: p.hit.metadata.source } : {}),
      }));
      const answerTokens = options.answerTokens ?? 512;
      const context = model.contextLength ?? 8192;
      const prompt = buildGroundedPrompt({
        question,
        passages: promptPassages,
        language,
        budgetTokens: Math.max(256, context - answerTokens),
        countTokens: model.countTokens ? (text) => model.countTokens!(text) : estimateTokens,
      });
      messages = prompt.messages;
      let finished = false;
      for await (const event of model.stream({ messages, maxTokens: answerTokens, temperature: 0 }, { signal: options.signal }) as AsyncIterable<StreamEvent>) {
        if (event.type === 'text-delta') {
          answer += event.text;
          yield { type: 'text-delta', text: event.text };
        } else if (event.type === 'finish') {
          finished = true;
          usage = event.usage;
        } else if (event.type === 'error') {
          throw event.error;
        }
      }
      if (!finished) throw new RalmError('PROVIDER', `${generator.name}: the answer stream ended before it finished; the partial answer is not presented as complete`);
      const check = checkCitations(answer, prompt.included);
      unknown = check.unknown;
      const seen = new Set<string>();
      for (const c of parseCitations(answer)) {
        if (seen.has(c.key) || !prompt.included.includes(c.key)) continue;
        seen.add(c.key);
        const passage = byKey.get(c.key);
        const citation = passage ? cite(c.key, 0, passage.text.length) : undefined;
        if (citation) citations.push(citation);
      }
    }
    const finishedAt = performance.now();
    const result: AskResult = {
      question,
      answer,
      no_answer: noAnswer,
      citations,
      retrieval,
      generator: generator.name,
      unknown_citations: unknown,
      ...(messages ? { messages } : {}),
      ...(usage ? { usage } : {}),
      timings: {
        retrieve_ms: Math.round((retrieved - started) * 100) / 100,
        generate_ms: Math.round((finishedAt - retrieved) * 100) / 100,
        total_ms: Math.round((finishedAt - started) * 100) / 100,
      },
    };
    yield { type: 'finish', result };
  } finally {
    if (generator.kind === 'model') generator.dispose?.();
  }
}

/**
 * Answers `question` from `collection` and returns the complete result.
 *
 * @example
 * ```ts
 * const { answer, citations } = await ask(collection, 'What does BM25 saturate?');
 * ```
 */
export async function ask(collection: Collection, question: string, options: AskOptions = {}): Promise<AskResult> {
  let result: AskResult | undefined;
  for await (const event of askStream(collection, question, options)) if (event.type === 'finish') result = event.result;
  return result!;
}
