/**
 * DOCX through mammoth (loaded lazily): converted to HTML and read by the HTML loader, so Word headings become heading
 * sections. A corrupt file is a problem.
 */
import { baseTitle } from './decode.js';
import { htmlToText } from './html.js';
import { importOptional } from './optional.js';
import { LoadError, type Loader, type LoadedDocument } from './types.js';

interface Mammoth {
  convertToHtml(input: { buffer: Buffer }): Promise<{ value: string; messages: unknown[] }>;
}

/**
 * The DOCX loader (`.docx`, or a zip whose first entries are a Word document).
 *
 * @example
 * ```ts
 * const [doc] = await docxLoader.load({ bytes: await readFile('memo.docx'), path: 'memo.docx' }, {});
 * doc.sections.filter((s) => s.kind === 'heading').map((s) => s.title);
 * ```
 */
export const docxLoader: Loader = {
  name: 'docx',
  extensions: ['.docx'],
  sniff(head) {
    if (head.length < 4 || head[0] !== 0x50 || head[1] !== 0x4b || head[2] !== 0x03 || head[3] !== 0x04) return false;
    const start = Buffer.from(head.buffer, head.byteOffset, Math.min(head.length, 4096)).toString('latin1');
    return start.includes('word/') || start.includes('[Content_Types].xml');
  },
  async load({ bytes, path }): Promise<LoadedDocument[]> {
    const module = await importOptional<Mammoth & { default?: Mammoth }>('mammoth', 'mammoth', path, 'DOCX');
    const mammoth = module.default ?? module;
    let html: string;
    try {
      html = (await mammoth.convertToHtml({ buffer: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) })).value;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new LoadError('PARSE', path, `corrupt or unreadable DOCX: ${message.split('\n')[0]}`, { cause: error });
    }
    const result = htmlToText(html);
    const firstHeading = result.sections.find((s) => s.title);
    return [{ title: firstHeading?.title || baseTitle(path), text: result.text, metadata: {}, sections: result.sections }];
  },
};
