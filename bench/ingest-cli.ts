/**
 * Runs the built `ralm` CLI in a child `node` process and measures it from the outside: wall time (spawn to exit,
 * node start-up included), peak RSS (the kernel's VmHWM, read by a preloaded exit hook from `/proc/self/status`),
 * and an RSS timeline sampled from `/proc/<pid>/status` every `sampleMs`.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Preloaded with `--import`: prints the process's peak RSS (kB) on stderr as it exits. */
const HWM_HOOK =
  'data:text/javascript,' +
  encodeURIComponent(
    'import { readFileSync, writeSync } from "node:fs";' +
      'process.on("exit", () => { try { const m = /VmHWM:\\s+(\\d+)/.exec(readFileSync("/proc/self/status", "utf8")); const c = process.cpuUsage(); writeSync(2, `RALM_BENCH_VMHWM_KB=${m ? m[1] : -1} CPU_US=${c.user + c.system}\\n`); } catch {} });',
  );

export interface CliRun {
  args: string[];
  exitCode: number | null;
  wallSeconds: number;
  /** Peak resident set size in MiB (VmHWM at exit), or NaN when it could not be read. */
  peakRssMiB: number;
  /** User + system CPU seconds of the process (all its threads): on a shared machine, the load-independent cost. */
  cpuSeconds: number;
  /** [seconds since start, RSS MiB] samples. */
  rssTimeline: Array<[number, number]>;
  stdout: string;
  /** stderr without the benchmark's own VmHWM line. */
  stderr: string;
  /** Killed after `timeoutSeconds`. */
  timedOut: boolean;
  /** The last stdout line parsed as JSON (the CLI's `--json` summary), when it is JSON. */
  summary?: Record<string, unknown>;
}

export interface CliOptions {
  /** Extra `node` flags (e.g. `--cpu-prof`). */
  nodeFlags?: string[];
  cwd?: string;
  sampleMs?: number;
  env?: NodeJS.ProcessEnv;
  /** Kill the process (SIGKILL) after this many seconds; the run then has `timedOut: true`. */
  timeoutSeconds?: number;
}

function rssOf(pid: number): number | undefined {
  try {
    const match = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Runs `node [flags] <bin> <args…>` and resolves when it exits. */
export function runCli(bin: string, args: string[], options: CliOptions = {}): Promise<CliRun> {
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [...(options.nodeFlags ?? []), '--import', HWM_HOOK, bin, ...args], {
      cwd: options.cwd,
      env: { ...process.env, CI: 'true', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timeline: Array<[number, number]> = [];
    const timer = setInterval(() => {
      if (child.pid === undefined) return;
      const rss = rssOf(child.pid);
      if (rss !== undefined) timeline.push([(performance.now() - started) / 1000, rss]);
    }, options.sampleMs ?? 100);
    let timedOut = false;
    const killer =
      options.timeoutSeconds === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            child.kill('SIGKILL');
          }, options.timeoutSeconds * 1000);
    child.on('error', (error) => {
      clearInterval(timer);
      if (killer) clearTimeout(killer);
      reject(error);
    });
    child.on('close', (code) => {
      clearInterval(timer);
      if (killer) clearTimeout(killer);
      const wallSeconds = (performance.now() - started) / 1000;
      const stdout = Buffer.concat(out).toString('utf8');
      let stderr = Buffer.concat(err).toString('utf8');
      let peakRssMiB = Number.NaN;
      let cpuSeconds = Number.NaN;
      stderr = stderr.replace(/^RALM_BENCH_VMHWM_KB=(-?\d+) CPU_US=(\d+)\n?/m, (_, kb: string, us: string) => {
        peakRssMiB = Number(kb) / 1024;
        cpuSeconds = Number(us) / 1e6;
        return '';
      });
      let summary: Record<string, unknown> | undefined;
      const last = stdout.trim().split('\n').at(-1) ?? '';
      if (last.startsWith('{')) {
        try {
          summary = JSON.parse(last) as Record<string, unknown>;
        } catch {
          summary = undefined;
        }
      }
      resolvePromise({ args, exitCode: code, timedOut, wallSeconds, cpuSeconds, peakRssMiB, rssTimeline: timeline, stdout, stderr, summary });
    });
  });
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** "median (min–max)" of a list, with `digits` decimals. */
export function spread(given: readonly number[], digits = 2): string {
  const values = given.filter((v) => typeof v === 'number' && Number.isFinite(v));
  if (values.length === 0) return '–';
  const f = (v: number) => v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  return values.length === 1 ? f(values[0]!) : `${f(median(values))} (${f(Math.min(...values))}–${f(Math.max(...values))})`;
}
