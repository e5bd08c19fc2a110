/**
 * Line-by-line reading of plain or gzip-compressed text files (gzip is recognised by its magic bytes, so
 * `corpus.jsonl.gz` and a gzip file without the suffix both work), with LF or CRLF line endings.
 */
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { RalmError } from './errors.js';

/**
 * One line of a text file: its 1-based number and its text without the line ending.
 *
 * @example
 * ```ts
 * for await (const { line, text } of openTextLines('qrels/test.tsv')) console.log(line, text);
 * ```
 */
export interface TextLine {
  line: number;
  text: string;
}

/**
 * One parsed line of a JSON Lines file.
 *
 * @example
 * ```ts
 * for await (const { line, value } of readJsonl('queries.jsonl.gz')) console.log(line, value);
 * ```
 */
export interface JsonlRecord {
  line: number;
  value: unknown;
}

function ioError(path: string, cause: unknown): RalmError {
  if (RalmError.is(cause)) return cause;
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return new RalmError('NOT_FOUND', `File not found: ${path}.`, { cause, file: path });
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new RalmError('IO', `Cannot read ${path}: ${detail}. If it is gzip, check that the download is complete.`, {
    cause,
    file: path,
  });
}

/**
 * True when the file starts with the gzip magic bytes (0x1f 0x8b).
 *
 * @example
 * ```ts
 * if (await isGzipFile('corpus.jsonl.gz')) console.log('compressed');
 * ```
 */
export async function isGzipFile(path: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(path, 'r');
    const buffer = Buffer.alloc(2);
    const { bytesRead } = await handle.read(buffer, 0, 2, 0);
    return bytesRead === 2 && buffer[0] === 0x1f && buffer[1] === 0x8b;
  } catch (error) {
    throw ioError(path, error);
  } finally {
    await handle?.close();
  }
}

/**
 * Streams the lines of a text file (UTF-8, gzip read transparently, LF or CRLF, a leading byte-order mark removed).
 * The file is read lazily, so files larger than memory work. Read errors become `RalmError('IO' | 'NOT_FOUND')`
 * naming the file.
 *
 * @example
 * ```ts
 * for await (const { line, text } of openTextLines('corpus.jsonl.gz')) if (line <= 3) console.log(text);
 * ```
 */
export async function* openTextLines(path: string): AsyncGenerator<TextLine> {
  const gzip = await isGzipFile(path);
  let input: Readable = createReadStream(path);
  const sources: Readable[] = [input];
  if (gzip) {
    const gunzip = createGunzip();
    input.on('error', (error) => gunzip.destroy(error));
    input = input.pipe(gunzip);
    sources.push(input);
  }
  let failure: unknown;
  for (const source of sources) source.on('error', (error) => (failure ??= error));
  const reader = createInterface({ input, crlfDelay: Infinity });
  let lineNumber = 0;
  try {
    for await (const raw of reader) {
      if (failure !== undefined) throw failure;
      lineNumber++;
      const text = lineNumber === 1 && raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
      yield { line: lineNumber, text };
    }
    if (failure !== undefined) throw failure;
  } catch (error) {
    throw ioError(path, error);
  } finally {
    reader.close();
    for (const source of sources) source.destroy();
  }
}

/**
 * Streams a JSON Lines file (gzip transparent), yielding each non-blank line parsed, with its 1-based line number.
 * A malformed line throws `RalmError('PARSE')` naming the file and line.
 *
 * @example
 * ```ts
 * for await (const { line, value } of readJsonl('corpus.jsonl.gz')) {
 *   console.log(line, (value as { _id: string })._id);
 * }
 * ```
 */
export async function* readJsonl(path: string): AsyncGenerator<JsonlRecord> {
  for await (const { line, text } of openTextLines(path)) {
    if (text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      throw new RalmError('PARSE', `${path}:${line}: malformed JSON (${detail}); each line must hold one JSON value.`, {
        cause: error,
        file: path,
        line,
      });
    }
    yield { line, value };
  }
}

/**
 * Resolves `path` or, when that does not exist, `path + '.gz'`; `undefined` when neither is a file.
 *
 * @example
 * ```ts
 * await findPlainOrGzip('data/scifact/corpus.jsonl'); // '.../corpus.jsonl.gz' when only the .gz exists
 * ```
 */
export async function findPlainOrGzip(path: string): Promise<string | undefined> {
  for (const candidate of [path, `${path}.gz`]) {
    try {
      if ((await stat(candidate)).isFile()) return candidate;
    } catch {
      // try the next candidate
    }
  }
  return undefined;
}
