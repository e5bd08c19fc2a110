/**
 * PDF through pdfjs-dist (legacy build, loaded lazily): the text of each page, pages separated by a blank line, one
 * page section per page, `metadata.pages`. An encrypted PDF and a corrupt PDF are problems, not crashes.
 */
import type { Metadata } from '../../core/types.js';
import { baseTitle } from './decode.js';
import { importOptional } from './optional.js';
import { LoadError, type Loader, type LoadedDocument, type Section } from './types.js';

interface PdfTextItem {
  str?: string;
  hasEOL?: boolean;
}
interface PdfPage {
  getTextContent(): Promise<{ items: PdfTextItem[] }>;
  cleanup(): void;
}
interface PdfDocument {
  numPages: number;
  getPage(n: number): Promise<PdfPage>;
  getMetadata(): Promise<{ info?: Record<string, unknown> }>;
  destroy(): Promise<void>;
}
interface PdfJs {
  getDocument(source: Record<string, unknown>): { promise: Promise<PdfDocument>; destroy(): Promise<void> };
}

/**
 * The PDF loader (`.pdf`, or any file starting with `%PDF-`).
 *
 * @example
 * ```ts
 * const [doc] = await pdfLoader.load({ bytes: await readFile('paper.pdf'), path: 'paper.pdf' }, {});
 * doc.metadata.pages; // 12
 * doc.sections[0]; // { kind: 'page', start: 0, end: 2810, page: 1 }
 * ```
 */
export const pdfLoader: Loader = {
  name: 'pdf',
  extensions: ['.pdf'],
  sniff(head) {
    return head.length >= 5 && head[0] === 0x25 && head[1] === 0x50 && head[2] === 0x44 && head[3] === 0x46 && head[4] === 0x2d; // %PDF-
  },
  async load({ bytes, path }): Promise<LoadedDocument[]> {
    const pdfjs = await importOptional<PdfJs>('pdfjs-dist/legacy/build/pdf.mjs', 'pdfjs-dist', path, 'PDF');
    // pdfjs takes ownership of (detaches) the buffer it is given: hand it a copy.
    const task = pdfjs.getDocument({
      data: new Uint8Array(bytes),
      verbosity: 0,
      isEvalSupported: false,
      disableFontFace: true,
      useSystemFonts: false,
      stopAtErrors: false,
    });
    let document: PdfDocument;
    try {
      document = await task.promise;
    } catch (error) {
      await task.destroy().catch(() => undefined);
      throw pdfError(error, path);
    }
    try {
      let text = '';
      const sections: Section[] = [];
      for (let n = 1; n <= document.numPages; n++) {
        const page = await document.getPage(n);
        const content = await page.getTextContent();
        let pageText = '';
        for (const item of content.items) {
          if (typeof item.str !== 'string') continue;
          pageText += item.str;
          if (item.hasEOL) pageText += '\n';
        }
        page.cleanup();
        pageText = pageText.replace(/[ \t]+\n/g, '\n').trim();
        if (n > 1) text += '\n\n';
        const start = text.length;
        text += pageText;
        sections.push({ kind: 'page', start, end: text.length, page: n });
      }
      const info: Record<string, unknown> = (await document.getMetadata().catch(() => ({ info: {} }))).info ?? {};
      const metadata: Metadata = { pages: document.numPages };
      for (const [from, to] of [['Author', 'author'], ['Subject', 'subject'], ['Keywords', 'keywords'], ['CreationDate', 'created']] as const) {
        if (typeof info[from] === 'string' && (info[from] as string).trim()) metadata[to] = (info[from] as string).trim();
      }
      const title = typeof info.Title === 'string' && info.Title.trim() ? info.Title.trim() : baseTitle(path);
      return [{ title, text, metadata, sections }];
    } catch (error) {
      throw pdfError(error, path);
    } finally {
      await document.destroy().catch(() => undefined);
    }
  },
};

function pdfError(error: unknown, path: string): LoadError {
  if (error instanceof LoadError) return error;
  const name = (error as { name?: string } | undefined)?.name;
  if (name === 'PasswordException') return new LoadError('ENCRYPTED', path, 'encrypted PDF (password required)', { cause: error });
  const message = error instanceof Error ? error.message : String(error);
  return new LoadError('PARSE', path, `corrupt or unreadable PDF: ${message.split('\n')[0]}`, { cause: error });
}
