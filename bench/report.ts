/** Renders the peer comparison as Markdown: machine, versions, targets (met or not), one table per corpus. */
import type { MachineInfo } from './machine.js';
import type { NdcgResult } from './metrics.js';
import { engineLabels, javascriptPeers, type EngineName } from './peers/index.js';
import type { RunnerResult } from './protocol.js';

export interface EngineOutcome {
  engine: string;
  result?: RunnerResult;
  error?: string;
  ndcg10?: NdcgResult;
  recall100?: number;
}

export interface CorpusReport {
  name: string;
  description: string;
  skipped?: string;
  outcomes: EngineOutcome[];
  /** ralm's committed collection reopened read-only in a fresh process. */
  reopen?: EngineOutcome;
  /**
   * Index times (ms) of ralm and the JavaScript peers that could be the fastest, each in a fresh process: the full
   * run's first, then the interleaved index-only rounds that follow it (the order rotated every round).
   */
  indexRounds?: Record<string, number[]>;
}

/** The median of the samples (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** An engine's index time for the targets: the median of its rounds when there are several, else the full run's. */
function indexTime(corpus: CorpusReport | undefined, engine: string): number | undefined {
  const rounds = corpus?.indexRounds?.[engine];
  if (rounds && rounds.length > 1) return median(rounds);
  return find(corpus, engine)?.indexMs;
}

export interface Report {
  title: string;
  date: string;
  durationS: number;
  command: string;
  quick: boolean;
  machine: MachineInfo;
  xapianPython?: string;
  corpora: CorpusReport[];
}

const corpusLabels: Record<string, string> = { scifact: 'SciFact', wordnet: 'WordNet' };

function fixed(value: number | undefined, digits: number): string {
  return value === undefined || !Number.isFinite(value) ? '—' : value.toFixed(digits);
}

function ratio(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? '—' : `${value.toFixed(2)}×`;
}

function seconds(ms: number | undefined): string {
  return ms === undefined ? '—' : (ms / 1000).toFixed(ms < 10_000 ? 2 : 1);
}

function label(engine: string): string {
  return engineLabels[engine as EngineName] ?? engine;
}

function find(corpus: CorpusReport | undefined, engine: string): RunnerResult | undefined {
  return corpus?.outcomes.find((o) => o.engine === engine)?.result;
}

function fastestJavascript(corpus: CorpusReport | undefined): { result: RunnerResult; indexMs: number } | undefined {
  const candidates = javascriptPeers.flatMap((e) => {
    const result = find(corpus, e);
    const indexMs = indexTime(corpus, e);
    return result && indexMs !== undefined ? [{ result, indexMs }] : [];
  });
  return candidates.sort((a, b) => a.indexMs - b.indexMs)[0];
}

interface Target {
  text: string;
  /** Value per corpus (undefined: not measured). */
  values: Array<{ corpus: string; value: number | undefined; detail?: string }>;
  passes: (value: number) => boolean;
  format: (value: number) => string;
}

function targets(report: Report): Target[] {
  const byName = new Map(report.corpora.map((c) => [c.name, c]));
  const both = report.corpora.filter((c) => !c.skipped).map((c) => c.name);
  const qpsRatio = (peer: string) =>
    both.map((name) => {
      const corpus = byName.get(name);
      const ralm = find(corpus, 'ralm');
      const other = find(corpus, peer);
      return { corpus: name, value: ralm && other ? ralm.qps / other.qps : undefined };
    });
  const scifact = find(byName.get('scifact'), 'ralm');
  const wordnet = find(byName.get('wordnet'), 'ralm');
  const reopenScifact = byName.get('scifact')?.reopen?.result;
  const reopenWordnet = byName.get('wordnet')?.reopen?.result;
  return [
    { text: 'ralm QPS ÷ Xapian QPS ≥ 2', values: qpsRatio('xapian'), passes: (v) => v >= 2, format: ratio },
    { text: 'ralm QPS ÷ MiniSearch QPS ≥ 4', values: qpsRatio('minisearch'), passes: (v) => v >= 4, format: ratio },
    {
      text: 'ralm index time ÷ fastest JavaScript peer’s ≤ 0.5',
      values: both.map((name) => {
        const corpus = byName.get(name);
        const ralm = indexTime(corpus, 'ralm');
        const fastest = fastestJavascript(corpus);
        const rounds = corpus?.indexRounds?.ralm?.length ?? 1;
        const how = rounds > 1 ? `, medians of ${rounds} interleaved runs` : '';
        return { corpus: name, value: ralm !== undefined && fastest ? ralm / fastest.indexMs : undefined, detail: fastest ? `vs ${fastest.result.name}${how}` : undefined };
      }),
      passes: (v) => v <= 0.5,
      // three decimals: a ratio of medians close to the bound must not print as the bound itself
      format: (v) => `${v.toFixed(3)}×`,
    },
    {
      text: 'ralm peak RSS serving the committed 100k collection, reopened read-only in a fresh process < 300 MB',
      values: [{ corpus: 'wordnet', value: reopenWordnet && reopenWordnet.docs >= 100_000 ? reopenWordnet.maxRssMB : undefined, detail: reopenWordnet && reopenWordnet.docs < 100_000 ? `${reopenWordnet.maxRssMB.toFixed(0)} MB on ${reopenWordnet.docs} docs (subset)` : undefined }],
      passes: (v) => v < 300,
      format: (v) => `${v.toFixed(0)} MB`,
    },
    {
      text: 'ralm QPS on SciFact ÷ QPS on the 100k corpus < 3',
      values: [
        { corpus: 'both (indexing process)', value: scifact && wordnet && wordnet.docs >= 100_000 ? scifact.qps / wordnet.qps : undefined },
        { corpus: 'both (reopened read-only)', value: reopenScifact && reopenWordnet && reopenWordnet.docs >= 100_000 ? reopenScifact.qps / reopenWordnet.qps : undefined },
      ],
      passes: (v) => v < 3,
      format: ratio,
    },
  ];
}

function targetRows(report: Report): string[] {
  const rows = ['| target | corpus | measured | met? |', '|---|---|---:|---|'];
  for (const target of targets(report)) {
    for (const { corpus, value, detail } of target.values) {
      const measured = value === undefined ? `not measured${detail ? ` (${detail})` : ''}` : `${target.format(value)}${detail ? ` (${detail})` : ''}`;
      const met = value === undefined ? '—' : target.passes(value) ? '**yes**' : '**no**';
      rows.push(`| ${target.text} | ${corpusLabels[corpus] ?? corpus} | ${measured} | ${met} |`);
    }
  }
  return rows;
}

function corpusTable(corpus: CorpusReport): string[] {
  const judged = corpus.outcomes.some((o) => o.ndcg10);
  const ralm = find(corpus, 'ralm');
  const head = [
    'engine',
    ...(judged ? ['nDCG@10', 'recall@100'] : []),
    'index s',
    'analysis before index s',
    'QPS (best of 3 passes)',
    'ralm QPS ÷ engine QPS',
    'ralm index ÷ engine index',
    'RSS after load MB',
    'RSS after index MB',
    'peak RSS MB',
    'peak − load MB',
  ];
  const rows = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`];
  const all = [...corpus.outcomes, ...(corpus.reopen ? [corpus.reopen] : [])];
  for (const outcome of all) {
    const name = outcome.engine === 'ralm-reopen' ? 'ralm, reopened read-only (fresh process; index s = open time)' : label(outcome.engine);
    const r = outcome.result;
    if (!r) {
      rows.push(`| ${name} | ${head.slice(1).map(() => '—').join(' | ')} |`);
      continue;
    }
    const cells = [
      name,
      ...(judged ? [fixed(outcome.ndcg10?.value, 4), fixed(outcome.recall100, 4)] : []),
      seconds(r.indexMs),
      r.prepareMs !== undefined ? seconds(r.prepareMs) : r.engine === 'xapian' ? `(reading term lists: ${seconds(r.loadMs)})` : '—',
      `${fixed(r.qps, 0)}${r.passesMs.length < 3 ? ` (${r.passesMs.length} pass${r.passesMs.length > 1 ? 'es' : ''}${r.warmupQueries !== undefined && r.warmupQueries < r.queries ? `, warm-up ${r.warmupQueries} queries` : ''})` : ''}`,
      ralm && outcome.engine !== 'ralm' && outcome.engine !== 'ralm-reopen' ? ratio(ralm.qps / r.qps) : '',
      ralm && outcome.engine !== 'ralm' && outcome.engine !== 'ralm-reopen' ? ratio(ralm.indexMs / r.indexMs) : '',
      fixed(r.rssAfterLoadMB, 0),
      fixed(r.rssAfterIndexMB, 0),
      fixed(r.maxRssMB, 0),
      fixed(r.maxRssMB - r.rssAfterLoadMB, 0),
    ];
    rows.push(`| ${cells.join(' | ')} |`);
  }
  return rows;
}

export function renderReport(report: Report): string {
  const m = report.machine;
  const lines: string[] = [];
  lines.push(`# ${report.title}${report.quick ? ' (quick subset)' : ''}`, '');
  lines.push(`Generated by \`${report.command}\` on ${report.date} in ${report.durationS.toFixed(0)} s.${report.quick ? ' **Quick subset: a smoke run, not the project’s measurement.**' : ''}`, '');
  lines.push('## Machine', '');
  lines.push('| CPU | cores | memory | OS | Node | ralm commit |', '|---|---:|---:|---|---|---|');
  lines.push(`| ${m.cpu} | ${m.cores} | ${m.memoryGiB.toFixed(1)} GiB | ${m.os} | ${m.node} | ${m.commit} |`, '');
  const load = m.loadAverage ? ` Load average at the end of the run (1, 5, 15 min): ${m.loadAverage.map((l) => l.toFixed(1)).join(', ')} on ${m.cores} cores.` : '';
  lines.push(`The machine is shared (other work was running at the same time): absolute numbers are noisy; the ratios between engines measured in the same run are the figures to read.${load}`, '');

  lines.push('## Versions', '');
  lines.push('| engine | version |', '|---|---|');
  const versions = new Map<string, string>();
  for (const corpus of report.corpora) for (const o of corpus.outcomes) if (o.result) versions.set(label(o.engine), o.result.version);
  for (const [name, version] of versions) lines.push(`| ${name} | ${version} |`);
  if (report.xapianPython) lines.push(`| (Xapian driven by) | ${report.xapianPython} |`);
  lines.push('');
  const analyzer = report.corpora.flatMap((c) => c.outcomes).find((o) => o.result && o.engine !== 'xapian')?.result?.analyzer;
  if (analyzer) lines.push(`Analyzer given to every engine: **${analyzer}** (the JavaScript engines call it; SQLite FTS5, LanceDB and Xapian are fed its output).`, '');

  lines.push('## Targets', '');
  lines.push(...targetRows(report), '');

  for (const corpus of report.corpora) {
    lines.push(`## ${corpusLabels[corpus.name] ?? corpus.name}`, '');
    if (corpus.skipped) {
      lines.push(`Skipped: ${corpus.skipped}.`, '');
      continue;
    }
    lines.push(corpus.description + '.', '');
    lines.push(...corpusTable(corpus), '');
    if (corpus.indexRounds && Object.values(corpus.indexRounds).some((r) => r.length > 1)) {
      const ralmMedian = corpus.indexRounds.ralm && median(corpus.indexRounds.ralm);
      lines.push(
        'Index time in fresh processes, the full run first, then index-only rounds interleaved in a rotating order (the host’s speed drifts by tens of percent within minutes; the targets use the medians):',
        '',
        '| engine | index s, in run order | median s | ralm median ÷ engine median |',
        '|---|---|---:|---:|',
      );
      for (const [engine, rounds] of Object.entries(corpus.indexRounds)) {
        const m = median(rounds);
        lines.push(`| ${label(engine)} | ${rounds.map((ms) => seconds(ms)).join(', ')} | ${seconds(m)} | ${engine === 'ralm' || ralmMedian === undefined ? '' : ratio(ralmMedian / m)} |`);
      }
      lines.push('');
    }
    const ndcgSource = corpus.outcomes.find((o) => o.ndcg10)?.ndcg10;
    if (ndcgSource) {
      const gaps = corpus.outcomes.flatMap((o) => (o.ndcg10?.crossCheck !== undefined ? [Math.abs(o.ndcg10.value - o.ndcg10.crossCheck)] : []));
      const check = gaps.length ? `; the bench’s own trec_eval-style implementation agrees within ${Math.max(...gaps).toExponential(1)}` : '';
      lines.push(`nDCG@10 computed by ${ndcgSource.source}${check}.`, '');
    }
    const failed = [...corpus.outcomes, ...(corpus.reopen ? [corpus.reopen] : [])].filter((o) => o.error);
    if (failed.length) {
      lines.push('Failures:', '');
      for (const o of failed) lines.push(`- **${o.engine === 'ralm-reopen' ? 'ralm (reopen)' : label(o.engine)}**: \`${o.error?.replace(/`/g, "'")}\``);
      lines.push('');
    }
    const extras = [...corpus.outcomes, ...(corpus.reopen ? [corpus.reopen] : [])].filter((o) => o.result?.extra);
    for (const o of extras) {
      const name = o.engine === 'ralm-reopen' ? 'ralm (reopened read-only)' : label(o.engine);
      lines.push(`${name}: ${Object.entries(o.result?.extra ?? {}).map(([key, value]) => `${key} = ${typeof value === 'number' ? value.toLocaleString('en-US') : value}`).join('; ')}.`, '');
    }
    const empty = corpus.outcomes.filter((o) => o.result && o.result.emptyQueries > 0);
    if (empty.length) lines.push(`Queries with no hit: ${empty.map((o) => `${label(o.engine)} ${o.result?.emptyQueries}`).join(', ')}.`, '');
  }

  lines.push('## How each engine was set up', '');
  const notes = new Map<string, string[]>();
  for (const corpus of report.corpora) for (const o of corpus.outcomes) if (o.result && !notes.has(o.engine)) notes.set(o.engine, o.result.notes);
  for (const [engine, list] of notes) {
    lines.push(`- **${label(engine)}**`);
    for (const note of list) lines.push(`  - ${note}`);
  }
  lines.push('');

  lines.push('## Method', '');
  lines.push(
    '- Each engine × corpus runs in its own child process, one at a time: plain `node --expose-gc` on a tsc build of `bench/runner.ts` (no TypeScript loader in the measured process), or `python3 bench/xapian_peer.py` for Xapian.',
    '- Documents are one field, `title + " " + text`; BM25 k1 = 0.9, b = 0.4 wherever the engine lets them be set (see above).',
    '- **Index time**: from documents in memory to searchable; for ralm it includes `commit()` (durable, on disk). Pre-analysis for engines fed analyzed text is timed apart (“analysis before index”); Xapian’s time to read its term lists is shown apart too.',
    '- **QPS**: single process, sequential, top 100, every query; one warm-up pass, then three timed passes, best pass reported. To keep the whole run near 20 minutes, an engine whose full pass is estimated (from its first 200 queries) above 90 s is warmed up on those 200 queries and timed with one full pass, and timed passes stop once their total would pass 120 s; the QPS cell says so when that happened. Query analysis is inside the search time for every Node-driven engine; Xapian receives analyzed queries.',
    '- **Memory**: “RSS after load” is taken after reading the corpus (after a GC), before the engine exists; “peak RSS” is `process.resourceUsage().maxRSS` (Python: `getrusage`) at the end; “peak − load” is the engine’s share including transient indexing memory.',
    '- **ralm reopened read-only**: after the indexing run, a fresh process opens the committed collection with `readOnly: true` and serves every query the same way; it loads only the queries (not the documents), so its peak RSS is what serving the collection costs. Its “index s” is the open time.',
    '- **nDCG@10** on SciFact test (300 queries), trec_eval definition (linear gain, log2(rank + 1) discount, ties by document id); recall@100 by the bench.',
    '- “Fastest JavaScript peer” means the fastest of MiniSearch, Orama and wink-bm25-text-search (SQLite FTS5, LanceDB and Xapian are native engines).',
    '',
  );
  return lines.join('\n');
}
