// Builds dist/ once before the tests, so tests that run the `ralm` executable use the current sources.
// RALM_TEST_SKIP_BUILD=1 skips it (for running library-level tests while the build is known to be stale).
import { execFileSync } from 'node:child_process';
import { repoRoot } from './helpers/shared.js';

export default function setup(): void {
  if (process.env.RALM_TEST_SKIP_BUILD === '1') return;
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { cwd: repoRoot, stdio: 'inherit' });
}
