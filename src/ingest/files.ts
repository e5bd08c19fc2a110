/**
 * Turns paths into documents: `.txt` and `.md` files (one document each), JSON Lines files
 * (`.jsonl`, `.ndjson`, optionally `.gz`; one document per line — BEIR corpus files included) and
 * folders (walked recursively). Problems (an unsupported file, a malformed line) are reported as
 * events, never thrown, so one bad input does not stop the rest.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { basename, extname, join, relative, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { RalmError } from '../core/errors.js';
import { openTextLines } from '../core/lines.js';
import type { DocumentInput, Metadata } from '../core/types.js';

/** Extensions `loadPaths` reads. */
export const SUPPORTED_EXTENSIONS = ['.txt', '.text', '.md', '.markdown', '.jsonl', '.ndjson', '.jsonl.gz', '.ndjson.gz'] as const;

/** A problem with one input: the file (and line) and the reason. */
export interface LoadProblem {
  file: string;
  line?: number;
  reason: string;
  code: 'UNSUPPORTED' | 'PARSE' | 'NOT_FOUND' | 'IO';
}

export type LoadEvent =
  | { kind: 'document'; document: DocumentInput; file: string }
  | { kind: 'problem'; problem: LoadProblem }
  | { kind: 'skipped'; file: string; reason: string };

export interface LoadOptions {
  /** Ids of text/Markdown files are their paths relative to this folder (default: the folder given, or the file's folder). */
  base?: string;
  /** Standard input, used for the path `-` (JSON Lines). */
  stdin?: Readable;
}

function fileType(path: string): 'text' | 'markdown' | 'jsonl' | null {
  const lower = path.toLowerCase();
  const name = lower.endsWith('.gz') ? lower.slice(0, -3) : lower;
  const ext = extname(name);
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  if (lower.endsWith('.gz')) return null;
  if (ext === '.txt' || ext === '.text') return 'text';
  if (ext === '.md' || ext === '.markdown') return 'markdown';
  return null;
}

/**
 * Loads documents from files, folders and `-` (JSON Lines on standard input).
 *
 * @example
 * ```ts
 * for await (const event of loadPaths(['docs/', 'extra.jsonl'])) {
 *   if (event.kind === 'document') collection.add(event.document);
 *   else if (event.kind === 'problem') console.error(`${event.problem.file}: ${event.problem.reason}`);
 * }
 * ```
 */
export async function* loadPaths(paths: readonly string[], options: LoadOptions = {}): AsyncGenerator<LoadEvent> {
  for (const path of paths) {
    if (path === '-') {
      yield* loadJsonlStream(options.stdin ?? process.stdin, '<stdin>');
      continue;
    }
    let info;
    try {
      info = await stat(path);
    } catch {
      yield { kind: 'problem', problem: { file: path, reason: 'no such file or folder', code: 'NOT_FOUND' } };
      continue;
    }
    if (info.isDirectory()) {
      const base = options.base ?? path;
      for await (const file of walk(path)) {
        if (fileType(file) === null) {
          yield { kind: 'skipped', file, reason: `unsupported file type (supported: ${SUPPORTED_EXTENSIONS.join(' ')})` };
          continue;
        }
        yield* loadFile(file, base);
      }
    } else {
      if (fileType(path) === null) {
        yield {
          kind: 'problem',
          problem: { file: path, reason: `unsupported file type "${extname(path) || basename(path)}" (supported: ${SUPPORTED_EXTENSIONS.join(' ')})`, code: 'UNSUPPORTED' },
        };
        continue;
      }
      yield* loadFile(path, options.base ?? resolve(path, '..'));
    }
  }
}

async function* walk(folder: string): AsyncGenerator<string> {
  let entries;
  try {
    entries = await readdir(folder, { withFileTypes: true });
  } catch {
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const path = join(folder, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else if (entry.isFile()) yield path;
  }
}

async function* loadFile(file: string, base: string): AsyncGenerator<LoadEvent> {
  const type = fileType(file)!;
  if (type === 'jsonl') {
    yield* loadJsonl(file);
    return;
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    yield { kind: 'problem', problem: { file, reason: `cannot read: ${(error as Error).message}`, code: 'IO' } };
    return;
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const id = relative(base, file) || basename(file);
  const metadata: Metadata = { source: file, type };
  let title = basename(file).replace(/\.[^.]+$/, '');
  if (type === 'markdown') {
    const front = /^---\r?\n[\s\S]*?\r?\n---\r?\n/.exec(text);
    const body = front ? text.slice(front[0].length) : text;
    const heading = /^#\s+(.+?)\s*#*\s*$/m.exec(body);
    if (heading) title = heading[1]!;
  }
  yield { kind: 'document', document: { id, title, text, metadata }, file };
}

/** Converts one parsed JSON Lines record to a document, or explains why it cannot be one. */
export function recordToDocument(value: unknown): DocumentInput | string {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'expected a JSON object';
  const record = value as Record<string, unknown>;
  const rawId = record._id ?? record.id;
  if (typeof rawId !== 'string' && typeof rawId !== 'number') return 'no "_id" or "id" (string or number)';
  const text = record.text ?? record.contents ?? record.body;
  if (typeof text !== 'string') return `document "${rawId}" has no "text" string`;
  const title = record.title;
  if (title !== undefined && title !== null && typeof title !== 'string') return `document "${rawId}": "title" must be a string`;
  const metadata: Metadata = {};
  for (const [key, v] of Object.entries(record)) {
    if (key === '_id' || key === 'id' || key === 'title' || key === 'text' || key === 'contents' || key === 'body') continue;
    if (key === 'metadata' && v !== null && typeof v === 'object' && !Array.isArray(v)) Object.assign(metadata, v);
    else metadata[key] = v;
  }
  return { id: String(rawId), title: typeof title === 'string' ? title : '', text, metadata };
}

async function* loadJsonl(file: string): AsyncGenerator<LoadEvent> {
  let lines;
  try {
    lines = openTextLines(file);
    for await (const { line, text } of lines) {
      if (text.trim() === '') continue;
      yield* parseLine(text, file, line);
    }
  } catch (error) {
    const reason = RalmError.is(error) ? error.message : (error as Error).message;
    yield { kind: 'problem', problem: { file, reason: `cannot read: ${reason}`, code: 'IO' } };
  }
}

async function* loadJsonlStream(stream: Readable, name: string): AsyncGenerator<LoadEvent> {
  let line = 0;
  for await (const text of createInterface({ input: stream, crlfDelay: Infinity })) {
    line++;
    if (text.trim() === '') continue;
    yield* parseLine(text, name, line);
  }
}

function* parseLine(text: string, file: string, line: number): Generator<LoadEvent> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    yield { kind: 'problem', problem: { file, line, reason: `malformed JSON: ${(error as Error).message}`, code: 'PARSE' } };
    return;
  }
  const document = recordToDocument(value);
  if (typeof document === 'string') yield { kind: 'problem', problem: { file, line, reason: document, code: 'PARSE' } };
  else yield { kind: 'document', document, file };
}
