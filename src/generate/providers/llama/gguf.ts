/**
 * The GGUF file check done before anything heavy is loaded.
 */
import { open } from 'node:fs/promises';
import { RalmError } from '../../../core/errors.js';

/**
 * The four magic bytes every GGUF file starts with: ASCII `GGUF`.
 *
 * @example
 * ```ts
 * ggufMagic.toString('ascii'); // 'GGUF'
 * ```
 */
export const ggufMagic: Readonly<Buffer> = Buffer.from('GGUF', 'ascii');

/**
 * Checks that `path` exists, is a file and starts with the GGUF magic bytes. Throws `NOT_FOUND` for a missing file
 * and `UNSUPPORTED` ("<file> is not a GGUF file (magic bytes …)") otherwise.
 *
 * @example
 * ```ts
 * await assertGgufFile('models/qwen2.5-0.5b-instruct-q4_k_m.gguf');
 * ```
 */
export async function assertGgufFile(path: string): Promise<void> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (cause) {
    const code = (cause as { code?: string }).code;
    if (code === 'ENOENT') throw new RalmError('NOT_FOUND', `model file ${path} does not exist`, { cause, file: path });
    if (code === 'EISDIR') throw new RalmError('UNSUPPORTED', `${path} is a folder, not a GGUF file`, { cause, file: path });
    throw new RalmError('IO', `cannot open model file ${path}: ${code ?? String(cause)}`, { cause, file: path });
  }
  try {
    const buffer = Buffer.alloc(4);
    let bytesRead: number;
    try {
      ({ bytesRead } = await handle.read(buffer, 0, 4, 0));
    } catch (cause) {
      const code = (cause as { code?: string }).code;
      if (code === 'EISDIR') throw new RalmError('UNSUPPORTED', `${path} is a folder, not a GGUF file`, { cause, file: path });
      throw new RalmError('IO', `cannot read model file ${path}: ${code ?? String(cause)}`, { cause, file: path });
    }
    const head = buffer.subarray(0, bytesRead);
    if (bytesRead < 4 || !head.equals(ggufMagic)) {
      const shown = bytesRead === 0 ? 'none: the file is empty' : `${[...head].map((b) => b.toString(16).padStart(2, '0')).join(' ')} ${JSON.stringify(printable(head))}`;
      throw new RalmError('UNSUPPORTED', `${path} is not a GGUF file (magic bytes ${shown}, expected 47 47 55 46 "GGUF"); convert the model to GGUF, e.g. with llama.cpp's convert_hf_to_gguf.py`, {
        file: path,
      });
    }
  } finally {
    await handle.close();
  }
}

function printable(bytes: Buffer): string {
  return [...bytes].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
}
