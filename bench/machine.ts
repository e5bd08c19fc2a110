/** The machine a benchmark ran on, for the report header. */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';

export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  /** `git rev-parse --short HEAD` (plus `-dirty` when the working tree differs), or a note when there is no commit. */
  commit: string;
  /** 1-, 5- and 15-minute load averages when the report was written (the machine is shared). */
  loadAverage?: number[];
}

function osName(): string {
  let pretty = os.type();
  if (existsSync('/etc/os-release')) {
    const match = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync('/etc/os-release', 'utf8'));
    if (match) pretty = match[1];
  }
  return `${pretty}, kernel ${os.release()} (${os.arch()})`;
}

function gitCommit(cwd: string): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src', 'bench'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return dirty ? `${head}-dirty` : head;
  } catch {
    return 'no commit yet (working tree)';
  }
}

export function machineInfo(repoRoot: string): MachineInfo {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: os.totalmem() / 2 ** 30,
    os: osName(),
    node: process.version,
    commit: gitCommit(repoRoot),
    loadAverage: os.loadavg(),
  };
}
