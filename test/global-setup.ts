// Builds dist/ once before the tests, so tests that run the `ralm` executable use the current sources.
import { execFileSync } from 'node:child_process';
import { repoRoot } from './helpers/shared.js';

export default function setup(): void {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { cwd: repoRoot, stdio: 'inherit' });
}
