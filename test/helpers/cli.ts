/** Runs the built `ralm` executable (dist/cli/bin.js) and captures its output. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './shared.js';

export const ralmBin = join(repoRoot, 'dist', 'cli', 'bin.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function ralm(args: string[], options: { cwd?: string; input?: string; env?: Record<string, string> } = {}): CliResult {
  const r = spawnSync(process.execPath, [ralmBin, ...args], {
    cwd: options.cwd ?? repoRoot,
    input: options.input,
    encoding: 'utf8',
    env: { ...process.env, ...options.env },
    timeout: 120_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
