/** Installed versions of the benchmarked npm packages, read from their package.json. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);

/** The version in `node_modules/<name>/package.json`, or `unknown`. */
export function packageVersion(name: string): string {
  try {
    // Some packages do not export ./package.json; resolve the entry and walk up to the package folder.
    const entry = require.resolve(name);
    const marker = join('node_modules', ...name.split('/'));
    const root = entry.slice(0, entry.lastIndexOf(marker) + marker.length);
    return (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}
