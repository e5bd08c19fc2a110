/**
 * Lazy loading of the optional heavy parsers (pdfjs-dist, mammoth): imported only when a PDF or DOCX file is met, with
 * a clear error naming the package to install when it is missing.
 */
import { LoadError } from './types.js';

const cache = new Map<string, Promise<unknown>>();

/**
 * Imports the optional package `specifier` once, or rejects with a `LoadError('UNSUPPORTED')` naming the package
 * and the install command.
 *
 * @example
 * ```ts
 * const pdfjs = await importOptional<PdfJs>('pdfjs-dist/legacy/build/pdf.mjs', 'pdfjs-dist', 'report.pdf', 'PDF');
 * ```
 */
export async function importOptional<T>(specifier: string, packageName: string, file: string, format: string): Promise<T> {
  let pending = cache.get(specifier);
  if (!pending) {
    // A variable specifier keeps TypeScript and bundlers from requiring the optional package at build time.
    const name: string = specifier;
    pending = import(name);
    cache.set(specifier, pending);
    pending.catch(() => cache.delete(specifier));
  }
  try {
    return (await pending) as T;
  } catch (error) {
    throw new LoadError('UNSUPPORTED', file, `reading ${format} files needs the optional package "${packageName}" (npm install ${packageName})`, { cause: error });
  }
}
