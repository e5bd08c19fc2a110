/** File helpers of the dense indexes (internal). */
import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { RalmError } from '../../core/errors.js';

/** Writes bytes to `path` via a temporary sibling file renamed into place, so readers never see half a file. */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, bytes, { flush: true });
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw new RalmError('IO', `cannot write ${path}: ${(error as Error).message}`, { cause: error, file: path });
  }
}

/** Reads a whole file; a missing file is NOT_FOUND, other failures IO. */
export async function readWholeFile(path: string): Promise<Uint8Array> {
  try {
    const buffer = await readFile(path);
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new RalmError('NOT_FOUND', `vector index file not found: ${path}`, { cause: error, file: path });
    throw new RalmError('IO', `cannot read ${path}: ${(error as Error).message}`, { cause: error, file: path });
  }
}
