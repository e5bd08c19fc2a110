/**
 * BM25 peer comparison: ralm against MiniSearch, Orama, wink-bm25-text-search, SQLite FTS5, LanceDB FTS and
 * Xapian on SciFact (relevance + speed + memory) and on WordNet (~117k synsets; speed + memory).
 *
 *   npm run bench                                  # everything (bench/run.sh installs wordnet-base and python3-xapian)
 *   npx vite-node bench/bm25-peers.ts -- --quick    # a small subset, for smoke runs
 *   … --only ralm,minisearch --corpus scifact
 *
 * Every engine × corpus runs in its own child process (a tsc build of bench/runner.ts, or bench/xapian_peer.py),
 * one at a time. Results: bench/results/bm25-peers[-quick][-partial].md and .json beside it. Progress goes to stderr.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { buildRunner } from './build.js';
import { corpusNames, findRepoRoot, missingFiles, type CorpusName, type Qrels } from './corpora.js';
import { loadCorpus } from './corpora.js';
import { machineInfo } from './machine.js';
import { meanRecall, ndcgAt10, type Run } from './metrics.js';
import { engineNames, javascriptPeers, type EngineName } from './peers/index.js';
import type { RunnerResult } from './protocol.js';
import { renderReport, type CorpusReport, type EngineOutcome, type Report } from './report.js';

/** Per-child wall-clock limit. */
const CHILD_TIMEOUT_MS = 12 * 60_000;

function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

/**
 * Index-only runs of ralm and the JavaScript peers after the full runs. One run per engine compares engines measured
 * minutes apart on a shared host whose speed drifts by tens of percent; interleaved rounds (each engine once per round,
 * the order rotated) and medians make the index-time ratio a measurement rather than a draw.
 */
const DEFAULT_INDEX_ROUNDS = 4;
/** A JavaScript peer whose full-run index time exceeds the fastest one's by this factor is not repeated (it cannot be the fastest). */
const ROUNDS_MAX_BEHIND = 1.5;

function parseCommandLine() {
  const argv = process.argv.slice(2).filter((a) => a !== '--');
  const { values } = parseArgs({
    args: argv,
    options: {
      only: { type: 'string' },
      corpus: { type: 'string' },
      quick: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
      render: { type: 'string' },
      'index-rounds': { type: 'string' },
    },
  });
  if (values.render) {
    // Re-render the Markdown of an earlier run from its JSON (bench/results/<name>.json → <name>.md).
    const report = JSON.parse(readFileSync(values.render, 'utf8')) as Report;
    writeFileSync(values.render.replace(/\.json$/, '.md'), renderReport(report));
    process.exit(0);
  }
  if (values.help) {
    process.stdout.write(
      'usage: bench/run.sh [--only ralm,minisearch,orama,wink,sqlite,lancedb,xapian] [--corpus scifact|wordnet] [--quick] [--index-rounds N] | [--render bench/results/<name>.json]\n' +
        '  --index-rounds N  index-only runs of ralm and the JavaScript peers after the full ones, interleaved (default 4, 0 with --quick)\n',
    );
    process.exit(0);
  }
  const engines = values.only ? values.only.split(',').map((s) => s.trim()).filter(Boolean) : [...engineNames];
  for (const e of engines) if (!engineNames.includes(e as EngineName)) throw new Error(`--only: unknown engine "${e}"; valid: ${engineNames.join(', ')}`);
  if (values.corpus && !corpusNames.includes(values.corpus as CorpusName)) throw new Error(`--corpus must be one of ${corpusNames.join(', ')}, got "${values.corpus}"`);
  const corpora = values.corpus ? [values.corpus as CorpusName] : [...corpusNames];
  const indexRounds = values['index-rounds'] === undefined ? (values.quick ? 0 : DEFAULT_INDEX_ROUNDS) : Number(values['index-rounds']);
  if (!Number.isInteger(indexRounds) || indexRounds < 0) throw new Error(`--index-rounds must be an integer ≥ 0, got "${values['index-rounds']}"`);
  return { engines: engines as EngineName[], corpora, quick: values.quick, argv, partial: Boolean(values.only || values.corpus), indexRounds };
}

/** Runs one child; resolves with its exit status and the tail of its stderr (which is also echoed). */
function runChild(command: string, args: string[], cwd: string): Promise<{ code: number | null; tail: string; ms: number }> {
  return new Promise((resolve) => {
    const start = performance.now();
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'inherit', 'pipe'] });
    let tail = '';
    child.stderr.on('data', (chunk: Buffer) => {
      process.stderr.write(chunk);
      tail = (tail + chunk.toString('utf8')).slice(-4000);
    });
    const timer = setTimeout(() => {
      tail += `\n(killed after ${CHILD_TIMEOUT_MS / 60_000} minutes)`;
      child.kill('SIGKILL');
    }, CHILD_TIMEOUT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, tail, ms: performance.now() - start });
    });
  });
}

/** A python3 that can import xapian, or undefined. */
function findXapianPython(): { python: string; version: string } | undefined {
  for (const python of ['python3', '/usr/bin/python3']) {
    const probe = spawnSync(python, ['-c', 'import xapian, sys; print(xapian.version_string())'], { encoding: 'utf8' });
    if (probe.status === 0) return { python, version: probe.stdout.trim() };
  }
  return undefined;
}

function lastError(tail: string): string {
  const lines = tail.split('\n').map((l) => l.trim()).filter(Boolean);
  const failure = lines.findIndex((l) => /runner failed|Error|error|Traceback/.test(l));
  return (failure >= 0 ? lines.slice(failure, failure + 4) : lines.slice(-3)).join(' ').slice(0, 600);
}

function toRun(result: RunnerResult): Run {
  const run: Run = new Map();
  for (const [qid, hits] of Object.entries(result.run ?? {})) run.set(qid, hits.map(([docId, score]) => ({ docId, score })));
  return run;
}

async function main(): Promise<void> {
  const options = parseCommandLine();
  const repoRoot = findRepoRoot();
  const started = new Date();
  log(`engines: ${options.engines.join(', ')}; corpora: ${options.corpora.join(', ')}${options.quick ? ' (quick)' : ''}`);

  log('building the runner with tsc …');
  const build = buildRunner(repoRoot);
  const benchErrors = build.errors.filter((e) => e.startsWith('bench/'));
  if (benchErrors.length) throw new Error(`bench/ has type errors:\n${benchErrors.join('\n')}`);
  if (build.errors.length) log(`build: ${build.errors.length} type errors outside bench/ (other work in progress; emitted anyway)`);
  log(`ralm entry points found: ${build.ralmEntries.join(', ') || 'none'}`);

  const xapian = options.engines.includes('xapian') ? findXapianPython() : undefined;
  if (options.engines.includes('xapian') && !xapian) log('python3-xapian is missing (bench/run.sh installs it); Xapian is skipped');

  const workRoot = mkdtempSync(join(os.tmpdir(), 'ralm-bench-'));
  const corpora: CorpusReport[] = [];
  try {
    for (const corpusName of options.corpora) {
      const missing = missingFiles(corpusName);
      if (missing.length) {
        log(`${corpusName}: skipped, missing ${missing.join(', ')}`);
        corpora.push({ name: corpusName, description: '', skipped: `missing ${missing.map((m) => relative(repoRoot, m)).join(', ')}`, outcomes: [] });
        continue;
      }
      // Light metadata (sizes, judgments) for the report; the children load their own copy.
      const corpus = loadCorpus(corpusName, { quick: options.quick });
      const qrels: Qrels | undefined = corpus.qrels;
      const report: CorpusReport = { name: corpusName, description: corpus.description, outcomes: [] };
      corpora.push(report);
      log(`${corpusName}: ${corpus.description}`);
      const corpusWork = join(workRoot, corpusName);
      mkdirSync(corpusWork, { recursive: true });
      const common = ['--corpus', corpusName, ...(options.quick ? ['--quick'] : [])];

      let termsDir: string | undefined;
      if (xapian) {
        termsDir = join(corpusWork, 'terms');
        log(`${corpusName}: writing analyzed term lists for Xapian`);
        const terms = await runChild(process.execPath, [build.runner, '--task', 'terms', ...common, '--out', termsDir], repoRoot);
        if (terms.code !== 0) {
          report.outcomes.push({ engine: 'xapian', error: `writing term lists failed: ${lastError(terms.tail)}` });
          termsDir = undefined;
        }
      }

      for (const engine of options.engines) {
        const workDir = join(corpusWork, engine);
        mkdirSync(workDir, { recursive: true });
        const out = join(corpusWork, `${engine}.json`);
        log(`${corpusName} × ${engine}`);
        let child;
        if (engine === 'xapian') {
          if (!xapian) {
            report.outcomes.push({ engine, error: 'python3-xapian is not installed (run bench/run.sh, which installs it with apt-get)' });
            continue;
          }
          if (!termsDir) continue;
          child = await runChild(
            xapian.python,
            [join(repoRoot, 'bench', 'xapian_peer.py'), '--docs', join(termsDir, 'docs.jsonl'), '--queries', join(termsDir, 'queries.jsonl'), '--work', workDir, '--out', out, '--corpus', corpusName, ...(qrels ? ['--keep-run'] : [])],
            repoRoot,
          );
        } else {
          child = await runChild(process.execPath, ['--expose-gc', build.runner, '--engine', engine, ...common, '--work', workDir, '--out', out], repoRoot);
        }
        const outcome: EngineOutcome = { engine };
        if (child.code !== 0) outcome.error = lastError(child.tail);
        else {
          outcome.result = JSON.parse(readFileSync(out, 'utf8')) as RunnerResult;
          if (qrels) {
            const run = toRun(outcome.result);
            outcome.ndcg10 = await ndcgAt10(qrels, run);
            outcome.recall100 = meanRecall(qrels, run, 100);
            delete outcome.result.run;
          }
        }
        report.outcomes.push(outcome);

        if (engine === 'ralm' && outcome.result) {
          log(`${corpusName} × ralm, reopened read-only in a fresh process`);
          const reopenOut = join(corpusWork, 'ralm-reopen.json');
          const reopen = await runChild(process.execPath, ['--expose-gc', build.runner, '--engine', 'ralm-reopen', ...common, '--collection', join(workDir, 'collection'), '--docs', String(corpus.docs.length), '--out', reopenOut], repoRoot);
          if (reopen.code !== 0) report.reopen = { engine: 'ralm-reopen', error: lastError(reopen.tail) };
          else {
            const result = JSON.parse(readFileSync(reopenOut, 'utf8')) as RunnerResult;
            report.reopen = { engine: 'ralm-reopen', result };
            if (qrels) {
              const run = toRun(result);
              report.reopen.ndcg10 = await ndcgAt10(qrels, run);
              report.reopen.recall100 = meanRecall(qrels, run, 100);
              delete result.run;
            }
          }
        }
        rmSync(workDir, { recursive: true, force: true });
      }

      // Interleaved index-only rounds: ralm and the JavaScript peers that could be the fastest.
      const firstRun = (engine: string) => report.outcomes.find((o) => o.engine === engine)?.result?.indexMs;
      const fastestJs = Math.min(...javascriptPeers.map((e) => firstRun(e) ?? Infinity));
      const repeated = ['ralm', ...javascriptPeers].filter((e) => {
        const ms = firstRun(e);
        return ms !== undefined && (e === 'ralm' || ms <= fastestJs * ROUNDS_MAX_BEHIND);
      });
      if (options.indexRounds > 0 && repeated.length > 1) {
        report.indexRounds = Object.fromEntries(repeated.map((e) => [e, [firstRun(e)!]]));
        for (let round = 0; round < options.indexRounds; round++) {
          const order = repeated.map((_, i) => repeated[(i + round) % repeated.length]!);
          log(`${corpusName}: index-time round ${round + 1} of ${options.indexRounds} (${order.join(', ')})`);
          for (const engine of order) {
            const workDir = join(corpusWork, `${engine}-round`);
            mkdirSync(workDir, { recursive: true });
            const out = join(corpusWork, `${engine}-round.json`);
            const child = await runChild(process.execPath, ['--expose-gc', build.runner, '--task', 'index', '--engine', engine, ...common, '--work', workDir, '--out', out], repoRoot);
            if (child.code === 0) report.indexRounds[engine]!.push((JSON.parse(readFileSync(out, 'utf8')) as { indexMs: number }).indexMs);
            else log(`${corpusName} × ${engine}: index-time round failed: ${lastError(child.tail)}`);
            rmSync(workDir, { recursive: true, force: true });
          }
        }
      }
      rmSync(corpusWork, { recursive: true, force: true });
    }
  } finally {
    rmSync(workRoot, { recursive: true, force: true });
  }

  const report: Report = {
    title: 'ralm BM25 against its peers',
    date: started.toISOString(),
    durationS: (Date.now() - started.getTime()) / 1000,
    command: `bench/run.sh ${options.argv.join(' ')}`.trim(),
    quick: options.quick,
    machine: machineInfo(repoRoot),
    xapianPython: xapian ? `${xapian.python} (Xapian ${xapian.version})` : undefined,
    corpora,
  };
  const base = `bm25-peers${options.quick ? '-quick' : ''}${options.partial ? '-partial' : ''}`;
  const resultsDir = join(repoRoot, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, `${base}.json`), JSON.stringify(report, null, 2) + '\n');
  writeFileSync(join(resultsDir, `${base}.md`), renderReport(report));
  log(`wrote bench/results/${base}.md and .json (${report.durationS.toFixed(0)} s)`);
}

main().catch((error: unknown) => {
  log(`failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
