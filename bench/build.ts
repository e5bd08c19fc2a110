/**
 * Compiles the runner (and the parts of ralm it loads at run time) with tsc into `bench/.cache/build`, so each
 * engine runs in a plain `node` process: no TypeScript loader in the process whose memory and speed are measured.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Entry points compiled when present; ralm's are loaded by specifier at run time, and its worker threads' scripts by
 * URL, so tsc has to be told about them.
 */
const entries = [
  'bench/runner.ts',
  'src/index.ts',
  'src/analysis/index.ts',
  'src/eval/index.ts',
  'src/analysis/parallel-worker.ts',
  'src/engine/ingest-worker.ts',
  'src/store/checkpoint-worker.ts',
];

export interface BuildResult {
  outDir: string;
  runner: string;
  /** Type errors tsc reported (the output is emitted regardless; errors outside bench/ are other work in progress). */
  errors: string[];
  /** Which of ralm's entry points were present. */
  ralmEntries: string[];
}

export function buildRunner(repoRoot: string): BuildResult {
  const outDir = join(repoRoot, 'bench', '.cache', 'build');
  rmSync(outDir, { recursive: true, force: true });
  const present = entries.filter((e) => existsSync(join(repoRoot, e)));
  const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
  const args = [
    tsc,
    ...present,
    '--outDir', outDir,
    '--rootDir', '.',
    '--target', 'ES2022',
    '--module', 'NodeNext',
    '--moduleResolution', 'NodeNext',
    '--lib', 'ES2023',
    '--types', 'node',
    '--strict',
    '--esModuleInterop',
    '--skipLibCheck',
    '--resolveJsonModule',
    '--sourceMap', 'false',
    '--declaration', 'false',
  ];
  const result = spawnSync(process.execPath, args, { cwd: repoRoot, encoding: 'utf8' });
  const errors = `${result.stdout ?? ''}${result.stderr ?? ''}`.split('\n').filter((line) => /error TS\d+/.test(line));
  const runner = join(outDir, 'bench', 'runner.js');
  if (!existsSync(runner)) throw new Error(`bench build failed, no ${runner}:\n${errors.join('\n')}`);
  return { outDir, runner, errors, ralmEntries: present.filter((e) => e.startsWith('src/')) };
}
