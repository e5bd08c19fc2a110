/** Locating the compiled script of a worker thread, from the module that starts it. */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The compiled worker script `file` beside the module at `moduleUrl` (its `import.meta.url`). When that module runs
 * from its TypeScript source (vitest, vite-node), the compiled copy of the same folder under `dist/`, if `npm run build`
 * made one; else null (the caller then does the work on its own thread).
 *
 * @example
 * ```ts
 * const script = compiledWorkerScript(import.meta.url, 'parallel-worker.js'); // URL or null
 * ```
 */
export function compiledWorkerScript(moduleUrl: string, file: string): URL | null {
  if (!moduleUrl.endsWith('.ts')) return new URL(`./${file}`, moduleUrl);
  const at = moduleUrl.lastIndexOf('/src/');
  if (at < 0) return null;
  const compiled = new URL(`./${file}`, `${moduleUrl.slice(0, at)}/dist/${moduleUrl.slice(at + '/src/'.length)}`);
  return existsSync(fileURLToPath(compiled)) ? compiled : null;
}
