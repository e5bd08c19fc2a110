/**
 * The loader contract: a loader turns the bytes of one file (or one fetched page) into documents with their
 * structure (headings, pages, code blocks) as character offsets into the text, so the chunker can keep heading paths
 * and page numbers. Loaders never touch the file system or the network; the walker (`files.ts`) and the URL fetcher
 * (`url.ts`) hand them bytes.
 */
import { RalmError, type RalmErrorCode } from '../../core/errors.js';
import type { Metadata } from '../../core/types.js';

/**
 * One structural span of a document's text: `start`/`end` are character offsets into `text` (end exclusive).
 * A `heading` span covers the heading line and everything under it up to the next heading of the same or a higher
 * level; `page` spans one PDF page (`page` is 1-based); `code` spans one fenced code block; `paragraph` one paragraph.
 *
 * @example
 * ```ts
 * const section: Section = { kind: 'heading', start: 0, end: 120, level: 2, title: 'Installation' };
 * ```
 */
export interface Section {
  kind: 'heading' | 'page' | 'paragraph' | 'code';
  start: number;
  end: number;
  level?: number;
  title?: string;
  page?: number;
}

/**
 * One document produced by a loader. `idSuffix` distinguishes the documents of a multi-document file (a CSV row,
 * a JSON record): the walker appends `#<idSuffix>` to the file's id. `id`, when set, is the record's own identifier
 * (a JSON Lines `_id`, a CSV id column) and replaces the path-based id, so BEIR corpora keep their ids.
 *
 * @example
 * ```ts
 * const doc: LoadedDocument = { title: 'Notes', text: '# Notes\nHello', metadata: {}, sections: [{ kind: 'heading', start: 0, end: 13, level: 1, title: 'Notes' }] };
 * ```
 */
export interface LoadedDocument {
  title: string;
  text: string;
  metadata: Metadata;
  sections: Section[];
  idSuffix?: string;
  id?: string;
}

/**
 * Options for the CSV/TSV loader: which column holds the id, the title and the text. Columns that are neither
 * become metadata. Defaults: `id`/`_id` for the id, `title`/`name` for the title, `text`/`content`/`contents`/`body`
 * for the text, else every other column as `name: value` lines.
 *
 * @example
 * ```ts
 * const csv: CsvOptions = { idColumn: 'sku', titleColumn: 'name', textColumns: ['description', 'notes'] };
 * ```
 */
export interface CsvOptions {
  idColumn?: string;
  titleColumn?: string;
  textColumns?: string[];
}

/**
 * Options passed to every loader.
 *
 * @example
 * ```ts
 * const options: LoaderOptions = { csv: { textColumns: ['abstract'] } };
 * ```
 */
export interface LoaderOptions {
  /** CSV/TSV column choices. */
  csv?: CsvOptions;
}

/**
 * A non-fatal problem a loader met inside a file whose other documents still load (a bad JSON Lines line).
 *
 * @example
 * ```ts
 * const issue: LoaderIssue = { line: 3, reason: 'malformed JSON: Unexpected end of JSON input' };
 * ```
 */
export interface LoaderIssue {
  line?: number;
  reason: string;
  code?: LoadProblemCode;
}

/**
 * Codes of load problems (a subset of `RalmErrorCode` plus `BINARY`, `ENCRYPTED`, `LIMIT`, `SECURITY`).
 *
 * @example
 * ```ts
 * const code: LoadProblemCode = 'PARSE';
 * ```
 */
export type LoadProblemCode = 'UNSUPPORTED' | 'PARSE' | 'NOT_FOUND' | 'IO' | 'BINARY' | 'ENCRYPTED' | 'LIMIT' | 'SECURITY';

/**
 * What a loader reads: the bytes, the path (or URL) for messages and names, and an optional sink for non-fatal
 * problems (a loader without one drops them).
 *
 * @example
 * ```ts
 * const input: LoaderInput = { bytes: new TextEncoder().encode('hello'), path: 'notes/hello.txt' };
 * ```
 */
export interface LoaderInput {
  bytes: Uint8Array;
  path: string;
  /** Called for each non-fatal problem (the file's other documents still load). */
  onIssue?: (issue: LoaderIssue) => void;
  /** The MIME type the bytes came with (URLs), when known. */
  contentType?: string;
}

/**
 * A loader: bytes in, documents out. A file that cannot be read at all makes `load` reject with a
 * {@link LoadError} whose `reason` is one line (the walker prints `<file>: <reason>`).
 *
 * @example
 * ```ts
 * const upper: Loader = {
 *   name: 'upper', extensions: ['.up'],
 *   async load({ bytes }) { const text = new TextDecoder().decode(bytes).toUpperCase(); return [{ title: '', text, metadata: {}, sections: [] }]; },
 * };
 * ```
 */
export interface Loader {
  name: string;
  /** Lower-case extensions with the dot, e.g. `.md`. */
  extensions: readonly string[];
  /** True when the first bytes look like this format (used when the extension is missing or lies). */
  sniff?(head: Uint8Array): boolean;
  load(input: LoaderInput, options: LoaderOptions): Promise<LoadedDocument[]>;
}

/**
 * The error a loader rejects with: a `RalmError` whose message names the file and the reason, with the bare
 * one-line `reason` kept apart for the walker's `<file>: <reason>` problem line.
 *
 * @example
 * ```ts
 * throw new LoadError('ENCRYPTED', 'report.pdf', 'encrypted PDF (password required)');
 * ```
 */
export class LoadError extends RalmError {
  readonly reason: string;
  readonly problemCode: LoadProblemCode;

  constructor(code: LoadProblemCode, file: string, reason: string, options: { cause?: unknown; line?: number } = {}) {
    super(toRalmCode(code), `${file}${options.line ? `:${options.line}` : ''}: ${reason}`, { ...options, file });
    this.reason = reason;
    this.problemCode = code;
  }
}

function toRalmCode(code: LoadProblemCode): RalmErrorCode {
  switch (code) {
    case 'BINARY':
    case 'ENCRYPTED':
      return 'UNSUPPORTED';
    case 'LIMIT':
    case 'SECURITY':
      return 'INVALID_ARGUMENT';
    default:
      return code;
  }
}

/**
 * The one-line reason of any error (a `LoadError`'s bare reason, else the message's first line).
 *
 * @example
 * ```ts
 * reasonOf(new Error('boom\nstack')); // 'boom'
 * ```
 */
export function reasonOf(error: unknown): string {
  if (error instanceof LoadError) return error.reason;
  const message = error instanceof Error ? error.message : String(error);
  return (message.split('\n')[0] ?? '').trim() || 'unknown error';
}
