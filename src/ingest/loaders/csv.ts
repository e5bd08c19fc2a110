/**
 * CSV and TSV: the first row is the header; one document per row. Options pick the id, title and text columns; the
 * other columns become metadata. A malformed row is reported with its line number and the other rows still load.
 */
import { parse } from 'csv-parse/sync';
import type { Metadata } from '../../core/types.js';
import { decodeText, fileName } from './decode.js';
import { LoadError, type CsvOptions, type Loader, type LoadedDocument } from './types.js';

const ID_NAMES = ['id', '_id'];
const TITLE_NAMES = ['title', 'name'];
const TEXT_NAMES = ['text', 'content', 'contents', 'body'];

function pick(header: readonly string[], names: readonly string[]): string | undefined {
  return header.find((h) => names.includes(h.trim().toLowerCase()));
}

interface ParsedRow {
  record: string[];
  info: { lines: number };
}

/**
 * The CSV/TSV loader (`.csv`, `.tsv`, `.tab`). Row documents get the id `<file>#<id column value>` or, without an id
 * column, `<file>#row-<n>` (n counts data rows from 1).
 *
 * @example
 * ```ts
 * const docs = await csvLoader.load({ bytes: new TextEncoder().encode('id,title,text,year\n1,A,alpha,2020\n'), path: 'p.csv' }, {});
 * docs[0]; // { idSuffix: '1', title: 'A', text: 'alpha', metadata: { year: '2020' }, sections: [] }
 * ```
 */
export const csvLoader: Loader = {
  name: 'csv',
  extensions: ['.csv', '.tsv', '.tab'],
  async load({ bytes, path, onIssue }, options): Promise<LoadedDocument[]> {
    const { text } = decodeText(bytes, path);
    const tsv = /\.(tsv|tab)$/i.test(fileName(path).replace(/\.gz$/i, ''));
    let rows: ParsedRow[];
    try {
      rows = parse(text, {
        delimiter: tsv ? '\t' : ',',
        quote: tsv ? false : '"',
        skip_empty_lines: true,
        skip_records_with_error: true,
        info: true,
        on_skip: (error) => {
          if (error) onIssue?.({ line: (error as { lines?: number }).lines, reason: `malformed row: ${error.message.split('\n')[0]}`, code: 'PARSE' });
          return undefined;
        },
      }) as unknown as ParsedRow[];
    } catch (error) {
      throw new LoadError('PARSE', path, `malformed ${tsv ? 'TSV' : 'CSV'}: ${(error as Error).message.split('\n')[0]}`, { cause: error });
    }
    if (rows.length === 0) return [];
    const header = rows[0]!.record.map((h, i) => h.trim() || `column${i + 1}`);
    const csv: CsvOptions = options.csv ?? {};
    for (const [label, column] of [['idColumn', csv.idColumn], ['titleColumn', csv.titleColumn], ...(csv.textColumns ?? []).map((c) => ['textColumns', c])] as Array<[string, string | undefined]>) {
      if (column !== undefined && !header.includes(column)) {
        throw new LoadError('PARSE', path, `${label} "${column}" is not a column (columns: ${header.join(', ')})`);
      }
    }
    const idColumn = csv.idColumn ?? pick(header, ID_NAMES);
    const titleColumn = csv.titleColumn ?? pick(header, TITLE_NAMES);
    const defaultText = pick(header, TEXT_NAMES);
    const textColumns = csv.textColumns ?? (defaultText ? [defaultText] : header.filter((h) => h !== idColumn && h !== titleColumn));
    const labelled = csv.textColumns === undefined && !defaultText;
    const documents: LoadedDocument[] = [];
    for (let r = 1; r < rows.length; r++) {
      const { record, info } = rows[r]!;
      const value = (column: string | undefined) => (column === undefined ? undefined : record[header.indexOf(column)]);
      const parts: string[] = [];
      for (const column of textColumns) {
        const cell = value(column)?.trim();
        if (cell) parts.push(labelled ? `${column}: ${cell}` : cell);
      }
      const metadata: Metadata = {};
      header.forEach((column, i) => {
        if (column !== idColumn && column !== titleColumn && !textColumns.includes(column) && record[i] !== undefined) metadata[column] = record[i];
      });
      const id = value(idColumn)?.trim();
      if (idColumn !== undefined && !id) {
        onIssue?.({ line: info.lines, reason: `row ${r} has an empty "${idColumn}"`, code: 'PARSE' });
        continue;
      }
      documents.push({ idSuffix: id || `row-${r}`, title: value(titleColumn)?.trim() ?? '', text: parts.join('\n'), metadata, sections: [] });
    }
    return documents;
  },
};
