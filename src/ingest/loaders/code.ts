/** Source code: the text as is, `metadata.language` from the extension (or the `#!` line), the file name as title. */
import { decodeText, fileName } from './decode.js';
import type { Loader, LoadedDocument } from './types.js';

/**
 * Extension → language name for the source-code loader.
 *
 * @example
 * ```ts
 * CODE_LANGUAGES['.py']; // 'python'
 * ```
 */
export const CODE_LANGUAGES: Readonly<Record<string, string>> = {
  '.ts': 'typescript', '.tsx': 'typescript', '.mts': 'typescript', '.cts': 'typescript',
  '.js': 'javascript', '.jsx': 'javascript', '.mjs': 'javascript', '.cjs': 'javascript',
  '.py': 'python', '.pyi': 'python', '.go': 'go', '.rs': 'rust', '.java': 'java', '.kt': 'kotlin', '.kts': 'kotlin',
  '.c': 'c', '.h': 'c', '.cc': 'cpp', '.cpp': 'cpp', '.cxx': 'cpp', '.hpp': 'cpp', '.hh': 'cpp', '.hxx': 'cpp',
  '.cs': 'csharp', '.rb': 'ruby', '.php': 'php', '.swift': 'swift', '.scala': 'scala', '.sc': 'scala',
  '.sh': 'shell', '.bash': 'shell', '.zsh': 'shell', '.fish': 'shell', '.ps1': 'powershell',
  '.sql': 'sql', '.lua': 'lua', '.r': 'r', '.jl': 'julia', '.pl': 'perl', '.pm': 'perl', '.dart': 'dart',
  '.m': 'objective-c', '.mm': 'objective-c', '.ex': 'elixir', '.exs': 'elixir', '.erl': 'erlang', '.hs': 'haskell',
  '.ml': 'ocaml', '.fs': 'fsharp', '.clj': 'clojure', '.groovy': 'groovy', '.vue': 'vue', '.svelte': 'svelte',
  '.css': 'css', '.scss': 'scss', '.less': 'less', '.proto': 'protobuf', '.toml': 'toml', '.ini': 'ini',
  '.yaml': 'yaml', '.yml': 'yaml', '.xml': 'xml', '.gradle': 'groovy', '.tf': 'terraform', '.zig': 'zig', '.nim': 'nim',
};

const SHEBANG: ReadonlyArray<[RegExp, string]> = [
  [/python/, 'python'],
  [/\b(node|deno|bun)\b/, 'javascript'],
  [/\b(ba|z|k|da)?sh\b/, 'shell'],
  [/ruby/, 'ruby'],
  [/perl/, 'perl'],
];

function extensionOf(path: string): string {
  const name = fileName(path).toLowerCase();
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot) : '';
}

/**
 * The source-code loader; every extension of {@link CODE_LANGUAGES}, and extensionless files with a `#!` line.
 *
 * @example
 * ```ts
 * const [doc] = await codeLoader.load({ bytes: new TextEncoder().encode('print(1)'), path: 'src/app.py' }, {});
 * doc.metadata.language; // 'python'; doc.title → 'app.py'
 * ```
 */
export const codeLoader: Loader = {
  name: 'code',
  extensions: Object.keys(CODE_LANGUAGES),
  sniff(head) {
    return head.length > 2 && head[0] === 0x23 && head[1] === 0x21; // '#!'
  },
  async load({ bytes, path }): Promise<LoadedDocument[]> {
    const { text, encoding } = decodeText(bytes, path);
    let language: string | undefined = CODE_LANGUAGES[extensionOf(path)];
    if (!language && text.startsWith('#!')) {
      const first = text.slice(0, text.indexOf('\n') >>> 0);
      language = SHEBANG.find(([pattern]) => pattern.test(first))?.[1];
    }
    const metadata: Record<string, unknown> = { language: language ?? 'unknown' };
    if (encoding !== 'utf-8') metadata.encoding = encoding;
    return [{ title: fileName(path), text, metadata, sections: [] }];
  },
};
