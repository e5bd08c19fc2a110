/** Plain text files: UTF-8 or UTF-16 with BOM; binary content with a text extension is a problem. */
import { baseTitle, decodeText } from './decode.js';
import type { Loader } from './types.js';

/**
 * The plain-text loader (`.txt`, `.text`, `.log`, `.rst`, files without an extension).
 *
 * @example
 * ```ts
 * const [doc] = await textLoader.load({ bytes: new TextEncoder().encode('hello'), path: 'a/hello.txt' }, {});
 * doc.title; // 'hello'
 * ```
 */
export const textLoader: Loader = {
  name: 'text',
  extensions: ['.txt', '.text', '.log', '.rst', '.adoc', '.org'],
  async load({ bytes, path }) {
    const { text, encoding } = decodeText(bytes, path);
    return [{ title: baseTitle(path), text, metadata: encoding === 'utf-8' ? {} : { encoding }, sections: [] }];
  },
};
