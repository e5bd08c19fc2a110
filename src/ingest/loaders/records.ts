/**
 * Record files: JSON (an array of records or one object), JSON Lines / NDJSON (one record per line; a bad line is a
 * problem with its line number while the rest loads). Records follow {@link recordToDocument}: `_id` or `id`,
 * `title`, `text` (or `contents` or `body`), every other key → metadata. Records keep their own id.
 */
import type { DocumentInput, Metadata } from '../../core/types.js';
import { baseTitle, decodeText } from './decode.js';
import { LoadError, type Loader, type LoadedDocument } from './types.js';

/**
 * Converts one parsed JSON record to a document, or explains why it cannot be one.
 *
 * @example
 * ```ts
 * recordToDocument({ _id: 'd1', title: 'T', text: 'body', year: 2020 }); // { id: 'd1', title: 'T', text: 'body', metadata: { year: 2020 } }
 * recordToDocument({ text: 'x' }); // 'no "_id" or "id" (string or number)'
 * ```
 */
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

function toLoaded(document: DocumentInput): LoadedDocument {
  return { id: document.id, idSuffix: document.id, title: document.title ?? '', text: document.text, metadata: document.metadata ?? {}, sections: [] };
}

function hasTextField(value: unknown): boolean {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && ['text', 'contents', 'body'].some((k) => typeof (value as Record<string, unknown>)[k] === 'string');
}

/**
 * The JSON Lines loader (`.jsonl`, `.ndjson`; gzip is undone by the walker). Each non-blank line is one record; a bad
 * line is reported through `onIssue` with its line number and the other lines still load.
 *
 * @example
 * ```ts
 * const docs = await jsonlLoader.load({ bytes: new TextEncoder().encode('{"_id":"a","text":"x"}\n'), path: 'c.jsonl' }, {});
 * docs[0].id; // 'a'
 * ```
 */
export const jsonlLoader: Loader = {
  name: 'jsonl',
  extensions: ['.jsonl', '.ndjson'],
  async load({ bytes, path, onIssue }): Promise<LoadedDocument[]> {
    const { text } = decodeText(bytes, path);
    const documents: LoadedDocument[] = [];
    let line = 0;
    let offset = 0;
    while (offset < text.length) {
      let end = text.indexOf('\n', offset);
      if (end === -1) end = text.length;
      line++;
      const raw = text.slice(offset, end);
      offset = end + 1;
      if (raw.trim() === '') continue;
      const parsed = parseRecordLine(raw);
      if (typeof parsed === 'string') onIssue?.({ line, reason: parsed, code: 'PARSE' });
      else documents.push(toLoaded(parsed));
    }
    return documents;
  },
};

/**
 * Parses one JSON Lines line into a document, or returns the one-line reason it is not one.
 *
 * @example
 * ```ts
 * parseRecordLine('{"id": 7, "text": "x"}'); // { id: '7', title: '', text: 'x', metadata: {} }
 * parseRecordLine('{"id": '); // 'malformed JSON: …'
 * ```
 */
export function parseRecordLine(line: string): DocumentInput | string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    return `malformed JSON: ${(error as Error).message}`;
  }
  return recordToDocument(value);
}

/**
 * The JSON loader (`.json`): an array of records → one document each (a bad item is an issue naming its index); one
 * record object → one document; any other JSON (a config file) → one document holding the JSON text.
 *
 * @example
 * ```ts
 * const docs = await jsonLoader.load({ bytes: new TextEncoder().encode('[{"id":1,"text":"a"},{"id":2,"text":"b"}]'), path: 'd.json' }, {});
 * docs.map((d) => d.id); // ['1', '2']
 * ```
 */
export const jsonLoader: Loader = {
  name: 'json',
  extensions: ['.json'],
  sniff(head) {
    const start = new TextDecoder().decode(head.subarray(0, 64)).trimStart();
    return start.startsWith('{"') || start.startsWith('[{') || start.startsWith('[\n') || start.startsWith('{\n');
  },
  async load({ bytes, path, onIssue }): Promise<LoadedDocument[]> {
    const { text } = decodeText(bytes, path);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      // Several JSON values, one per line, in a .json file: read it as JSON Lines.
      if (/^\s*\{[^\n]*\}\s*\n\s*\{/.test(text)) return jsonlLoader.load({ bytes, path, onIssue }, {});
      throw new LoadError('PARSE', path, `malformed JSON: ${(error as Error).message}`, { cause: error });
    }
    if (Array.isArray(value) && value.some(hasTextField)) {
      const documents: LoadedDocument[] = [];
      value.forEach((item, index) => {
        const document = recordToDocument(item);
        if (typeof document === 'string') onIssue?.({ reason: `item ${index}: ${document}`, code: 'PARSE' });
        else documents.push(toLoaded(document));
      });
      return documents;
    }
    if (hasTextField(value)) {
      const record = value as Record<string, unknown>;
      const document = recordToDocument(record._id === undefined && record.id === undefined ? { ...record, id: '' } : record);
      if (typeof document === 'string') throw new LoadError('PARSE', path, document);
      const loaded = toLoaded(document);
      if (document.id === '') {
        delete loaded.id;
        delete loaded.idSuffix;
      }
      if (!loaded.title) loaded.title = baseTitle(path);
      return [loaded];
    }
    return [{ title: baseTitle(path), text, metadata: {}, sections: [] }];
  },
};
