/**
 * SQuAD-format reading-comprehension files (SQuAD v1.1, CMRC 2018) turned into a retrieval benchmark: every
 * paragraph is a document, every question a query whose relevant document is its paragraph, and the gold answers
 * are kept for answer scoring (see answers.ts).
 */
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { RalmError } from '../core/errors.js';
import type { AnswerLanguage } from './answers.js';
import type { Qrels } from './metrics.js';

/**
 * One paragraph of a SQuAD file as a document. `id` is `${articleIndex}-${paragraphIndex}` (both 0-based, in file
 * order), `title` the article title (`''` when absent), `text` the paragraph's context.
 *
 * @example
 * ```ts
 * const document: SquadDocument = { id: '0-0', title: 'Super_Bowl_50', text: 'Super Bowl 50 was an American…' };
 * ```
 */
export interface SquadDocument {
  id: string;
  title: string;
  text: string;
}

/**
 * Options of {@link loadSquad}.
 *
 * @example
 * ```ts
 * const options: LoadSquadOptions = { language: 'zh' };
 * ```
 */
export interface LoadSquadOptions {
  /** The language of the dataset; detected from the paragraphs when absent (mostly CJK characters → `'zh'`). */
  language?: AnswerLanguage;
}

/**
 * A SQuAD-format file as a retrieval benchmark.
 *
 * @example
 * ```ts
 * const squad: SquadBenchmark = await loadSquad('../shared/data/squad-v1.1/dev-v1.1.json.gz');
 * squad.answers.get('56be4db0acb8001400a502ec'); // ['Denver Broncos', 'Denver Broncos', 'Denver Broncos']
 * ```
 */
export interface SquadBenchmark {
  /** One document per paragraph, in file order. */
  documents: SquadDocument[];
  /** Question id → question text, in file order. */
  queries: Map<string, string>;
  /**
   * Question id → relevant documents (relevance 1): its own paragraph and every other paragraph with an identical
   * text (identical copies stay separate documents).
   */
  qrels: Qrels;
  /** Question id → gold answer texts, as given (duplicates kept). */
  answers: Map<string, string[]>;
  /** The language given or detected. */
  language: AnswerLanguage;
  /** Number of articles in the file. */
  articles: number;
  /** Number of documents whose text also occurs in another document (0 for SQuAD v1.1 dev and CMRC 2018 dev). */
  duplicateDocuments: number;
}

function parseError(path: string, where: string, problem: string): RalmError {
  return new RalmError('PARSE', `${path}: ${where} ${problem}; expected the SQuAD layout {"data": [{"title", "paragraphs": [{"context", "qas": [{"id", "question", "answers": [{"text"}]}]}]}]}.`, {
    file: path,
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function lineOfPosition(text: string, message: string): number | undefined {
  const match = /position (\d+)/.exec(message);
  if (match === null) return undefined;
  const position = Number(match[1]);
  let line = 1;
  for (let index = 0; index < position && index < text.length; index++) if (text.charCodeAt(index) === 10) line++;
  return line;
}

/**
 * Detects whether texts are mostly Chinese: `'zh'` when CJK characters make up at least half of the letters
 * (CJK + ASCII letters), else `'en'`.
 *
 * @example
 * ```ts
 * detectLanguage(['《战国无双3》是由光荣开发的']); // 'zh'
 * detectLanguage(['Super Bowl 50 was an American football game']); // 'en'
 * ```
 */
export function detectLanguage(texts: Iterable<string>): AnswerLanguage {
  let cjk = 0;
  let latin = 0;
  for (const text of texts) {
    for (const character of text) {
      const code = character.codePointAt(0)!;
      if ((code >= 0x4e00 && code <= 0x9fff) || (code >= 0x3400 && code <= 0x4dbf)) cjk++;
      else if ((code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a)) latin++;
    }
  }
  return cjk > 0 && cjk >= latin ? 'zh' : 'en';
}

/**
 * Loads a SQuAD-format JSON file (`.json`, or gzip such as `.json.gz`) as documents, queries, qrels and answers.
 * Paragraph document ids are `${articleIndex}-${paragraphIndex}` (0-based). A file that is not valid JSON, does not
 * have the SQuAD layout, or repeats a question id throws `RalmError('PARSE')` naming the file (and the line or the
 * JSON path); a missing file throws `RalmError('NOT_FOUND')`.
 *
 * @example
 * ```ts
 * const { documents, queries, qrels, language } = await loadSquad('../shared/data/cmrc2018/cmrc2018_dev.json.gz');
 * // language === 'zh'; qrels.get('DEV_0_QUERY_0') → Map { '0-0' => 1 }
 * ```
 */
export async function loadSquad(path: string, options: LoadSquadOptions = {}): Promise<SquadBenchmark> {
  if (options.language !== undefined && options.language !== 'en' && options.language !== 'zh') {
    throw new RalmError('INVALID_ARGUMENT', `language must be "en" or "zh", got "${String(options.language)}".`);
  }
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new RalmError('NOT_FOUND', `SQuAD file not found: ${path}.`, { cause: error, file: path });
    throw new RalmError('IO', `Cannot read ${path}: ${(error as Error).message}.`, { cause: error, file: path });
  }
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (error) {
      throw new RalmError('PARSE', `${path}: corrupt gzip data (${(error as Error).message}).`, { cause: error, file: path });
    }
  }
  let text = bytes.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    const line = lineOfPosition(text, message);
    throw new RalmError('PARSE', `${path}${line === undefined ? '' : `:${line}`}: malformed JSON (${message}).`, {
      cause: error,
      file: path,
      ...(line === undefined ? {} : { line }),
    });
  }
  if (!isObject(root) || !Array.isArray(root.data)) throw parseError(path, 'the top level', 'has no "data" array');

  const documents: SquadDocument[] = [];
  const queries = new Map<string, string>();
  const answers = new Map<string, string[]>();
  const questionDocument = new Map<string, string>();
  const documentsByText = new Map<string, string[]>();

  root.data.forEach((article: unknown, articleIndex: number) => {
    const articlePath = `data[${articleIndex}]`;
    if (!isObject(article) || !Array.isArray(article.paragraphs)) throw parseError(path, articlePath, 'has no "paragraphs" array');
    const title = typeof article.title === 'string' ? article.title : '';
    article.paragraphs.forEach((paragraph: unknown, paragraphIndex: number) => {
      const paragraphPath = `${articlePath}.paragraphs[${paragraphIndex}]`;
      if (!isObject(paragraph) || typeof paragraph.context !== 'string') throw parseError(path, paragraphPath, 'has no string "context"');
      if (!Array.isArray(paragraph.qas)) throw parseError(path, paragraphPath, 'has no "qas" array');
      const id = `${articleIndex}-${paragraphIndex}`;
      documents.push({ id, title, text: paragraph.context });
      const sameText = documentsByText.get(paragraph.context);
      if (sameText === undefined) documentsByText.set(paragraph.context, [id]);
      else sameText.push(id);
      paragraph.qas.forEach((qa: unknown, qaIndex: number) => {
        const qaPath = `${paragraphPath}.qas[${qaIndex}]`;
        if (!isObject(qa)) throw parseError(path, qaPath, 'is not an object');
        const questionId = typeof qa.id === 'number' ? String(qa.id) : qa.id;
        if (typeof questionId !== 'string' || questionId === '') throw parseError(path, qaPath, 'has no "id"');
        if (typeof qa.question !== 'string') throw parseError(path, qaPath, 'has no string "question"');
        if (!Array.isArray(qa.answers)) throw parseError(path, qaPath, 'has no "answers" array');
        const texts = qa.answers.map((answer: unknown, answerIndex: number) => {
          if (!isObject(answer) || typeof answer.text !== 'string') throw parseError(path, `${qaPath}.answers[${answerIndex}]`, 'has no string "text"');
          return answer.text;
        });
        if (queries.has(questionId)) throw parseError(path, qaPath, `repeats question id "${questionId}" (ids must be unique)`);
        queries.set(questionId, qa.question);
        answers.set(questionId, texts);
        questionDocument.set(questionId, id);
      });
    });
  });

  const textOf = new Map(documents.map((document) => [document.id, document.text]));
  const qrels: Qrels = new Map();
  for (const [questionId, documentId] of questionDocument) {
    const copies = documentsByText.get(textOf.get(documentId)!)!;
    qrels.set(questionId, new Map(copies.map((copy) => [copy, 1])));
  }
  let duplicateDocuments = 0;
  for (const ids of documentsByText.values()) if (ids.length > 1) duplicateDocuments += ids.length;

  return {
    documents,
    queries,
    qrels,
    answers,
    language: options.language ?? detectLanguage(documents.map((document) => document.text)),
    articles: root.data.length,
    duplicateDocuments,
  };
}
