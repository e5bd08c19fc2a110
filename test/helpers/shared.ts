/**
 * Locates the read-only datasets and models in `../shared` (or `$RALM_SHARED`). Tests that need one
 * call `sharedPath(...)` and skip with a one-line message when it is absent.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The shared folder: `$RALM_SHARED` if set, else `../shared` beside the repository. */
export const sharedRoot = process.env.RALM_SHARED ? resolve(process.env.RALM_SHARED) : resolve(repoRoot, '..', 'shared');

/** Absolute path of `parts` under the shared folder, or `undefined` (with a one-line notice) when it is missing. */
export function sharedPath(...parts: string[]): string | undefined {
  const p = join(sharedRoot, ...parts);
  if (existsSync(p)) return p;
  console.warn(`[skip] ${join('shared', ...parts)} is missing (set RALM_SHARED to the folder holding data/ and models/)`);
  return undefined;
}

export { repoRoot };
