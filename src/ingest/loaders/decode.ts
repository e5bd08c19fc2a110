/**
 * Bytes → text for every text-based loader: UTF-8 (a BOM removed, invalid bytes replaced by U+FFFD), UTF-16 LE/BE
 * when the file starts with their byte-order mark, and a binary check so that an image or an archive with a text
 * extension becomes a problem instead of a document full of garbage.
 */
import { LoadError } from './types.js';

/** How many leading bytes the binary check looks at. */
const BINARY_WINDOW = 8192;
/** Share of control characters (other than tab, line feed, form feed, carriage return, escape) that means binary. */
const MAX_CONTROL_SHARE = 0.1;

const utf8 = new TextDecoder('utf-8', { fatal: false, ignoreBOM: false });
const utf16le = new TextDecoder('utf-16le', { fatal: false, ignoreBOM: false });

/**
 * The encoding found by {@link decodeText}.
 *
 * @example
 * ```ts
 * const encoding: TextEncodingName = 'utf-16le';
 * ```
 */
export type TextEncodingName = 'utf-8' | 'utf-16le' | 'utf-16be';

/**
 * True when `bytes` look binary: a NUL byte in the first 8 KB or more than 10 % control characters there.
 * UTF-16 text with a byte-order mark is not binary.
 *
 * @example
 * ```ts
 * looksBinary(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0x0d])); // true
 * ```
 */
export function looksBinary(bytes: Uint8Array): boolean {
  if (utf16Bom(bytes) !== undefined) return false;
  const n = Math.min(bytes.length, BINARY_WINDOW);
  let control = 0;
  for (let i = 0; i < n; i++) {
    const b = bytes[i]!;
    if (b === 0) return true;
    if ((b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0c && b !== 0x0d && b !== 0x1b) || b === 0x7f) control++;
  }
  return n > 0 && control / n > MAX_CONTROL_SHARE;
}

function utf16Bom(bytes: Uint8Array): 'utf-16le' | 'utf-16be' | undefined {
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) return 'utf-16le';
  if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) return 'utf-16be';
  return undefined;
}

/**
 * Decodes text bytes (UTF-8 or UTF-16 with BOM; invalid bytes become U+FFFD; the BOM is dropped). Rejects binary
 * content with a `LoadError('BINARY', path, 'binary file with a text extension')`.
 *
 * @example
 * ```ts
 * decodeText(new Uint8Array([0xff, 0xfe, 0x68, 0x00, 0x69, 0x00]), 'hi.txt'); // { text: 'hi', encoding: 'utf-16le' }
 * ```
 */
export function decodeText(bytes: Uint8Array, path: string): { text: string; encoding: TextEncodingName } {
  if (looksBinary(bytes)) throw new LoadError('BINARY', path, 'binary file with a text extension');
  const bom = utf16Bom(bytes);
  if (bom === 'utf-16le') return { text: utf16le.decode(bytes), encoding: bom };
  if (bom === 'utf-16be') {
    const swapped = new Uint8Array(bytes.length - (bytes.length % 2));
    for (let i = 0; i + 1 < bytes.length; i += 2) {
      swapped[i] = bytes[i + 1]!;
      swapped[i + 1] = bytes[i]!;
    }
    return { text: utf16le.decode(swapped), encoding: bom };
  }
  return { text: utf8.decode(bytes), encoding: 'utf-8' };
}

/**
 * The file name without folders and without its last extension (`docs/guide.md` → `guide`).
 *
 * @example
 * ```ts
 * baseTitle('docs/guide.md'); // 'guide'
 * ```
 */
export function baseTitle(path: string): string {
  const name = fileName(path);
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(0, dot) : name;
}

/**
 * The last segment of a path or URL path (`docs/guide.md` → `guide.md`).
 *
 * @example
 * ```ts
 * fileName('https://example.org/a/b.html?x=1'); // 'b.html'
 * ```
 */
export function fileName(path: string): string {
  const clean = path.replace(/[?#].*$/, '').replace(/[\\/]+$/, '');
  const slash = Math.max(clean.lastIndexOf('/'), clean.lastIndexOf('\\'));
  return clean.slice(slash + 1) || clean;
}

/**
 * Turns heading marks (start offset, level, title) into heading sections that each end where the next heading of the
 * same or a higher level starts (or at `textLength`).
 *
 * @example
 * ```ts
 * headingSections([{ start: 0, level: 1, title: 'A' }, { start: 10, level: 2, title: 'B' }], 20);
 * // [{ kind: 'heading', start: 0, end: 20, level: 1, title: 'A' }, { kind: 'heading', start: 10, end: 20, level: 2, title: 'B' }]
 * ```
 */
export function headingSections(marks: ReadonlyArray<{ start: number; level: number; title: string }>, textLength: number) {
  return marks.map((mark, i) => {
    let end = textLength;
    for (let j = i + 1; j < marks.length; j++) {
      if (marks[j]!.level <= mark.level) {
        end = marks[j]!.start;
        break;
      }
    }
    return { kind: 'heading' as const, start: mark.start, end, level: mark.level, title: mark.title };
  });
}
