/**
 * The single-writer lock of a collection: a `write.lock` file created exclusively, holding the
 * writer's pid. A lock whose process no longer exists (killed writer) is recovered.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { RalmError } from '../core/errors.js';

export const LOCK_FILE = 'write.lock';

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the write lock of `folder`; returns a function that releases it.
 * @example const release = acquireWriteLock('my-collection'); try { ... } finally { release(); }
 */
export function acquireWriteLock(folder: string): () => void {
  const file = join(folder, LOCK_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        process.off('exit', release);
        try {
          if (readFileSync(file, 'utf8').trim() === String(process.pid)) unlinkSync(file);
        } catch {
          /* already gone */
        }
      };
      process.on('exit', release);
      return release;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new RalmError('IO', `cannot create lock file ${file}: ${(error as Error).message}`, { file, cause: error });
      }
      let pid = NaN;
      try {
        pid = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
      } catch {
        continue; // removed meanwhile: try again
      }
      if (Number.isInteger(pid) && pid > 0 && processExists(pid)) {
        throw new RalmError('LOCKED', `collection ${folder} is locked by pid ${pid} (another ralm process is writing to it); wait for it to finish, or open the collection read-only`, { file });
      }
      try {
        unlinkSync(file); // stale lock of a process that is gone
      } catch {
        /* another process recovered it first */
      }
    }
  }
  throw new RalmError('LOCKED', `collection ${folder} is locked (${file}); could not take the lock`, { file });
}

/**
 * Removes `folder`'s write lock when it names this process: for a writer that died inside this process (a worker
 * thread that crashed or was terminated) without releasing it. Only the owner of that writer may call it.
 */
export function releaseOwnLock(folder: string): boolean {
  const file = join(folder, LOCK_FILE);
  try {
    if (readFileSync(file, 'utf8').trim() !== String(process.pid)) return false;
    unlinkSync(file);
    return true;
  } catch {
    return false;
  }
}
