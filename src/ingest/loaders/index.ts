/**
 * The loader registry: picks the loader for a file by its extension (a `.gz` suffix is looked through), and by its
 * first bytes when the extension is missing or lies (a PDF or a Word file behind a `.txt` name).
 */
import { codeLoader } from './code.js';
import { csvLoader } from './csv.js';
import { fileName, looksBinary } from './decode.js';
import { docxLoader } from './docx.js';
import { htmlLoader } from './html.js';
import { markdownLoader } from './markdown.js';
import { pdfLoader } from './pdf.js';
import { jsonLoader, jsonlLoader } from './records.js';
import { textLoader } from './text.js';
import type { Loader } from './types.js';

export type { CsvOptions, Loader, LoaderInput, LoaderIssue, LoaderOptions, LoadedDocument, LoadProblemCode, Section } from './types.js';
export { LoadError, reasonOf } from './types.js';
export { codeLoader, CODE_LANGUAGES } from './code.js';
export { csvLoader } from './csv.js';
export { decodeText, looksBinary } from './decode.js';
export { docxLoader } from './docx.js';
export { htmlLoader, htmlToText } from './html.js';
export { markdownLoader, markdownSections, parseSimpleFrontMatter, splitFrontMatter } from './markdown.js';
export { pdfLoader } from './pdf.js';
export { jsonLoader, jsonlLoader, parseRecordLine, recordToDocument } from './records.js';
export { textLoader } from './text.js';

/**
 * Every built-in loader, in sniffing order (the plain-text loader is the fallback).
 *
 * @example
 * ```ts
 * LOADERS.map((l) => l.name); // ['pdf', 'docx', 'html', 'markdown', 'json', 'jsonl', 'csv', 'code', 'text']
 * ```
 */
export const LOADERS: readonly Loader[] = [pdfLoader, docxLoader, htmlLoader, markdownLoader, jsonLoader, jsonlLoader, csvLoader, codeLoader, textLoader];

/** Loaders whose format has a binary signature that overrides a lying extension. */
const SIGNED: readonly Loader[] = [pdfLoader, docxLoader];

const BY_EXTENSION = new Map<string, Loader>();
for (const loader of LOADERS) for (const extension of loader.extensions) if (!BY_EXTENSION.has(extension)) BY_EXTENSION.set(extension, loader);

/**
 * The lower-case last extension of a path with `.gz` looked through (`a/b.JSONL.gz` → `.jsonl`), or `''`.
 *
 * @example
 * ```ts
 * extensionOf('corpus.jsonl.gz'); // '.jsonl'
 * ```
 */
export function extensionOf(path: string): string {
  let name = fileName(path).toLowerCase();
  if (name.endsWith('.gz')) name = name.slice(0, -3);
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot) : '';
}

/**
 * The loader registered for `path`'s extension (ignoring content), or `undefined`.
 *
 * @example
 * ```ts
 * loaderForExtension('notes.md')?.name; // 'markdown'
 * ```
 */
export function loaderForExtension(path: string): Loader | undefined {
  return BY_EXTENSION.get(extensionOf(path));
}

/**
 * Chooses the loader for a file from its name and first bytes (`head`, up to 8 KB): a known extension wins unless the
 * bytes carry another format's signature (`%PDF-`, a Word zip); a file without an extension is sniffed (falling back
 * to plain text); an unknown extension gives `undefined` (the walker skips the file without opening it).
 *
 * @example
 * ```ts
 * chooseLoader('report.txt', new TextEncoder().encode('%PDF-1.7 …'))?.name; // 'pdf'
 * chooseLoader('README', new TextEncoder().encode('# Title'))?.name; // 'markdown'
 * chooseLoader('photo.png', new Uint8Array())?.name; // undefined
 * ```
 */
export function chooseLoader(path: string, head: Uint8Array): Loader | undefined {
  const extension = extensionOf(path);
  const byExtension = BY_EXTENSION.get(extension);
  if (byExtension) return SIGNED.find((loader) => loader !== byExtension && loader.sniff?.(head)) ?? byExtension;
  if (isBinaryExtension(path)) return undefined;
  // No extension, or one no loader claims (ChangeLog.lpfc, Kconfig.foo, .rst.exceptions, .conf …): by content.
  const sniffed = LOADERS.find((loader) => loader.sniff?.(head));
  if (sniffed) return sniffed;
  return looksBinary(head) ? undefined : textLoader;
}

/** Extensions of formats that are never text: skipped without being opened. */
const BINARY_EXTENSIONS = new Set(
  (
    '.png .jpg .jpeg .gif .bmp .ico .webp .tif .tiff .psd .heic .avif .mp3 .mp4 .m4a .wav .flac .ogg .opus .mov .avi .mkv .webm ' +
    '.zip .tar .tgz .bz2 .xz .7z .rar .zst .lz4 .jar .war .apk .deb .rpm .dmg .iso .img .exe .dll .so .dylib .o .a .lib .obj .class ' +
    '.pyc .pyo .wasm .node .bin .dat .db .sqlite .sqlite3 .woff .woff2 .ttf .otf .eot .onnx .gguf .safetensors .pt .pkl .npy .npz .parquet .arrow .xls .xlsx .ppt .pptx .odt .ods .doc'
  ).split(' '),
);

/**
 * Whether a path's extension is a known binary format (never opened).
 * @example isBinaryExtension('photo.PNG'); // true
 */
export function isBinaryExtension(path: string): boolean {
  return BINARY_EXTENSIONS.has(extensionOf(path));
}

/**
 * Every extension some loader reads (without the `.gz` variants, which are read too).
 *
 * @example
 * ```ts
 * LOADER_EXTENSIONS.includes('.pdf'); // true
 * ```
 */
export const LOADER_EXTENSIONS: readonly string[] = [...BY_EXTENSION.keys()];
