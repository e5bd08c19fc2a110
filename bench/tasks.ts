/**
 * Measurements of the tasks beyond QA (src/engine/tasks.ts), offline, with the extractive defaults:
 *
 * 1. classify — article title of a question by kNN over the other questions: SQuAD v1.1 dev (48 articles, English) and
 *    CMRC 2018 dev (Chinese; hundreds of articles with a handful of questions each, a much harder task). Questions are
 *    split with a fixed seed, 80 % indexed as labelled documents (label = article title), 20 % classified. Reported:
 *    accuracy, macro precision/recall/F1 over the classes of the test split, for several k and both vote weightings,
 *    next to the majority-class baseline.
 * 2. extract — the rule-based entity extractor on WNUT-17 (test and dev): entity-level precision/recall/F1 with exact
 *    span match, type-agnostic and typed (PERSON→person, LOCATION→location, ORGANIZATION→corporation,
 *    WORK→creative-work; ENTITY carries no type and cannot match typed). Only name-like predictions are scored (DATE,
 *    QUANTITY, MONEY, URL, EMAIL are not WNUT entity types).
 * 3. summarize — query-focused extractive summaries (3 sentences over the top-5 paragraphs) of SQuAD dev questions:
 *    how often the summary contains a gold answer, and latency. A proxy, not a summary-quality score.
 *
 * Run: `npx vite-node bench/tasks.ts` (`--limit N` caps the classified/summarised questions). Writes bench/results/tasks.md.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { tmpdir, cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { openCollection, type Collection } from '../src/engine/index.js';
import { classify, summarize } from '../src/engine/tasks.js';
import { containsAnswer } from '../src/eval/index.js';
import { stripCitations } from '../src/generate/citations.js';
import { bioToSpans, charSpansToTokens, extractEntities, scoreEntitySpans, type EntityScore, type TokenSpan } from '../src/generate/tasks/index.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const sharedRoot = process.env.RALM_SHARED ? resolve(process.env.RALM_SHARED) : resolve(repoRoot, '..', 'shared');
const SEED = 20_171_117;
const limitArg = process.argv.indexOf('--limit');
const LIMIT = limitArg >= 0 ? Number(process.argv[limitArg + 1]) : Infinity;

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffle<T>(items: T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

const pct = (x: number) => (x * 100).toFixed(1);

interface SquadFile {
  data: Array<{ title: string; paragraphs: Array<{ context: string; qas: Array<{ id: string; question: string; answers: Array<{ text: string }> }> }> }>;
}

function readSquad(path: string): SquadFile {
  return JSON.parse(gunzipSync(readFileSync(path)).toString('utf8')) as SquadFile;
}

// ───────────── 1. classify ─────────────

interface ClassificationRow {
  dataset: string;
  setting: string;
  accuracy: number;
  macroP: number;
  macroR: number;
  macroF1: number;
  qps: number;
}

function macroScores(gold: string[], predicted: Array<string | undefined>): { accuracy: number; p: number; r: number; f1: number } {
  const classes = new Set(gold);
  let correct = 0;
  const tp = new Map<string, number>();
  const predCount = new Map<string, number>();
  const goldCount = new Map<string, number>();
  gold.forEach((g, i) => {
    const p = predicted[i];
    goldCount.set(g, (goldCount.get(g) ?? 0) + 1);
    if (p !== undefined) predCount.set(p, (predCount.get(p) ?? 0) + 1);
    if (p === g) {
      correct++;
      tp.set(g, (tp.get(g) ?? 0) + 1);
    }
  });
  let ps = 0;
  let rs = 0;
  let fs = 0;
  // macro over the classes present in the test split's gold labels
  for (const c of classes) {
    const t = tp.get(c) ?? 0;
    const precision = (predCount.get(c) ?? 0) === 0 ? 0 : t / predCount.get(c)!;
    const recall = t / goldCount.get(c)!;
    ps += precision;
    rs += recall;
    fs += precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  }
  return { accuracy: correct / gold.length, p: ps / classes.size, r: rs / classes.size, f1: fs / classes.size };
}

async function classificationBench(name: string, file: string, analyzer: string): Promise<{ rows: ClassificationRow[]; classes: number; train: number; test: number }> {
  const squad = readSquad(file);
  const questions: Array<{ id: string; text: string; label: string }> = [];
  for (const article of squad.data) for (const p of article.paragraphs) for (const q of p.qas) questions.push({ id: q.id, text: q.question, label: article.title });
  const shuffled = shuffle(questions, mulberry32(SEED));
  const cut = Math.floor(shuffled.length * 0.8);
  const train = shuffled.slice(0, cut);
  const test = shuffled.slice(cut, cut + Math.min(shuffled.length - cut, LIMIT));
  const folder = mkdtempSync(join(tmpdir(), 'ralm-bench-classify-'));
  const collection = await openCollection({ path: folder, create: true, analyzer, chunking: false, deduplicate: false });
  collection.add(train.map((q) => ({ id: q.id, text: q.text, metadata: { label: q.label } })));
  await collection.commit();
  const rows: ClassificationRow[] = [];
  const gold = test.map((q) => q.label);
  // majority class of the training split
  const counts = new Map<string, number>();
  for (const q of train) counts.set(q.label, (counts.get(q.label) ?? 0) + 1);
  const majority = [...counts].sort((a, b) => b[1] - a[1])[0]![0];
  const base = macroScores(gold, gold.map(() => majority));
  rows.push({ dataset: name, setting: 'majority class', accuracy: base.accuracy, macroP: base.p, macroR: base.r, macroF1: base.f1, qps: NaN });
  for (const [k, weighting] of [
    [1, 'score'],
    [5, 'score'],
    [10, 'score'],
    [20, 'score'],
    [10, 'uniform'],
  ] as const) {
    const predicted: Array<string | undefined> = [];
    const started = performance.now();
    for (const q of test) predicted.push((await classify(collection, q.text, { k, weighting })).label);
    const seconds = (performance.now() - started) / 1000;
    const s = macroScores(gold, predicted);
    rows.push({ dataset: name, setting: `kNN k=${k}, ${weighting === 'score' ? 'BM25-weighted' : 'uniform'} votes`, accuracy: s.accuracy, macroP: s.p, macroR: s.r, macroF1: s.f1, qps: test.length / seconds });
    console.error(`[classify] ${name} k=${k} ${weighting}: accuracy ${pct(s.accuracy)} macro-F1 ${pct(s.f1)}`);
  }
  await collection.close();
  rmSync(folder, { recursive: true, force: true });
  return { rows, classes: new Set(gold).size, train: train.length, test: test.length };
}

// ───────────── 2. extract on WNUT-17 ─────────────

const NAMED = new Set(['ENTITY', 'PERSON', 'ORGANIZATION', 'LOCATION', 'WORK']);
const TYPE_MAP: Record<string, string> = { PERSON: 'person', LOCATION: 'location', ORGANIZATION: 'corporation', WORK: 'creative-work', ENTITY: 'ENTITY' };

function readConll(path: string): Array<{ tokens: string[]; tags: string[] }> {
  const sentences: Array<{ tokens: string[]; tags: string[] }> = [];
  let current = { tokens: [] as string[], tags: [] as string[] };
  for (const line of gunzipSync(readFileSync(path)).toString('utf8').split(/\r?\n/)) {
    if (line.trim() === '') {
      if (current.tokens.length > 0) sentences.push(current);
      current = { tokens: [], tags: [] };
      continue;
    }
    const [token, tag] = line.split('\t');
    current.tokens.push(token ?? '');
    current.tags.push((tag ?? 'O').trim());
  }
  if (current.tokens.length > 0) sentences.push(current);
  return sentences;
}

interface NerResult {
  split: string;
  sentences: number;
  gold: number;
  predictedNamed: number;
  unaligned: number;
  untyped: EntityScore;
  typed: EntityScore;
  /** Typed, with ENTITY predictions backed off to the most frequent type of the training split. */
  backedOff: EntityScore;
  byType: Record<string, EntityScore>;
  sentencesPerSecond: number;
}

function mostFrequentType(path: string): string {
  const counts = new Map<string, number>();
  for (const s of readConll(path)) for (const span of bioToSpans(s.tags)) counts.set(span.type, (counts.get(span.type) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1])[0]![0];
}

function nerBench(split: string, path: string, backoff: string): NerResult {
  const sentences = readConll(path);
  const gold: TokenSpan[][] = [];
  const predicted: TokenSpan[][] = [];
  let unaligned = 0;
  const started = performance.now();
  for (const s of sentences) {
    const offsets: Array<[number, number]> = [];
    let text = '';
    for (const token of s.tokens) {
      if (text !== '') text += ' ';
      offsets.push([text.length, text.length + token.length]);
      text += token;
    }
    const entities = extractEntities(text).filter((e) => NAMED.has(e.type));
    const aligned = charSpansToTokens(entities.map((e) => ({ start: e.start, end: e.end, type: TYPE_MAP[e.type]! })), offsets);
    unaligned += aligned.unaligned;
    predicted.push(aligned.spans);
    gold.push(bioToSpans(s.tags));
  }
  const seconds = (performance.now() - started) / 1000;
  const untyped = scoreEntitySpans(gold, predicted).overall;
  const typed = scoreEntitySpans(gold, predicted, { typed: true });
  const backedOff = scoreEntitySpans(gold, predicted.map((spans) => spans.map((x) => (x.type === 'ENTITY' ? { ...x, type: backoff } : x))), { typed: true }).overall;
  return {
    split,
    sentences: sentences.length,
    gold: untyped.gold,
    predictedNamed: predicted.reduce((n, p) => n + p.length, 0) + unaligned,
    unaligned,
    untyped,
    typed: typed.overall,
    backedOff,
    byType: typed.byType,
    sentencesPerSecond: sentences.length / seconds,
  };
}

// ───────────── 3. summarize (proxy) ─────────────

async function summaryBench(file: string): Promise<{ questions: number; containment: number; medianMs: number; p95Ms: number; mapReduceMs: number; mapReduceDocuments: number }> {
  const squad = readSquad(file);
  const folder = mkdtempSync(join(tmpdir(), 'ralm-bench-summarize-'));
  const collection: Collection = await openCollection({ path: folder, create: true, analyzer: 'english', chunking: false, deduplicate: false });
  const questions: Array<{ text: string; answers: string[] }> = [];
  let n = 0;
  for (const article of squad.data) {
    for (const p of article.paragraphs) {
      collection.add({ id: `p${n++}`, title: article.title, text: p.context, metadata: { article: article.title } });
      for (const q of p.qas) questions.push({ text: q.question, answers: q.answers.map((a) => a.text) });
    }
  }
  await collection.commit();
  const sample = shuffle(questions, mulberry32(SEED)).slice(0, Math.min(500, LIMIT));
  const latencies: number[] = [];
  let contained = 0;
  for (const q of sample) {
    const started = performance.now();
    const result = await summarize(collection, { query: q.text, maxSentences: 3, k: 5 });
    latencies.push(performance.now() - started);
    if (containsAnswer(stripCitations(result.summary), q.answers, 'en')) contained++;
  }
  latencies.sort((a, b) => a - b);
  // one article's paragraphs, whole-collection map-reduce (the filter keeps retrieval out of it; map-reduce reads documents)
  const articleFolder = mkdtempSync(join(tmpdir(), 'ralm-bench-summarize-article-'));
  const article = await openCollection({ path: articleFolder, create: true, analyzer: 'english', chunking: false });
  const first = squad.data[0]!;
  article.add(first.paragraphs.map((p, i) => ({ id: `a${i}`, title: first.title, text: p.context })));
  await article.commit();
  const started = performance.now();
  const overview = await summarize(article, { maxSentences: 5 });
  const mapReduceMs = performance.now() - started;
  console.error(`[summarize] map-reduce over "${first.title}" (${overview.documents} paragraphs):\n${overview.summary}`);
  await article.close();
  await collection.close();
  rmSync(folder, { recursive: true, force: true });
  rmSync(articleFolder, { recursive: true, force: true });
  return {
    questions: sample.length,
    containment: contained / sample.length,
    medianMs: latencies[Math.floor(latencies.length / 2)]!,
    p95Ms: latencies[Math.floor(latencies.length * 0.95)]!,
    mapReduceMs,
    mapReduceDocuments: overview.documents ?? 0,
  };
}

// ───────────── report ─────────────

async function main(): Promise<void> {
  const squadPath = join(sharedRoot, 'data', 'squad-v1.1', 'dev-v1.1.json.gz');
  const cmrcPath = join(sharedRoot, 'data', 'cmrc2018', 'cmrc2018_dev.json.gz');
  const md: string[] = [];
  md.push('# Tasks beyond QA: measurements');
  md.push('');
  md.push(`Run: \`npx vite-node bench/tasks.ts\` on Node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'} (single process). Extractive defaults only (no language model). Seed ${SEED}.`);
  md.push('');

  md.push('## classify: article title of a question, kNN over the other questions');
  md.push('');
  md.push('Each question is a labelled document (label = its article\'s title). A fixed-seed 80 % of the questions is indexed, the other 20 % is');
  md.push('classified with `classify(collection, question, { k, weighting })`. Macro scores average over the classes of the test split (a class never');
  md.push('predicted has precision 0). The collection is indexed whole (no chunking).');
  md.push('');
  for (const [name, path, analyzer] of [
    ['SQuAD v1.1 dev (en)', squadPath, 'english'],
    ['CMRC 2018 dev (zh)', cmrcPath, 'cjk'],
  ] as const) {
    const { rows, classes, train, test } = await classificationBench(name, path, analyzer);
    md.push(`### ${name}: ${classes} classes in the test split, ${train} training questions, ${test} test questions`);
    md.push('');
    md.push('| setting | accuracy | macro P | macro R | macro F1 | questions/s |');
    md.push('|---|---:|---:|---:|---:|---:|');
    for (const r of rows) md.push(`| ${r.setting} | ${pct(r.accuracy)} | ${pct(r.macroP)} | ${pct(r.macroR)} | ${pct(r.macroF1)} | ${Number.isNaN(r.qps) ? '—' : r.qps.toFixed(0)} |`);
    md.push('');
  }

  md.push('## extract: the rule-based entity extractor on WNUT-17');
  md.push('');
  md.push('Sentences are the tokens joined by single spaces; `extractEntities` runs on that text and its name-like spans (ENTITY, PERSON,');
  md.push('ORGANIZATION, LOCATION, WORK) are aligned to tokens (a span that does not start and end on token boundaries cannot match and counts as a');
  md.push('false positive). Exact span match, micro-averaged (conlleval style). Typed: PERSON→person, LOCATION→location, ORGANIZATION→corporation,');
  md.push('WORK→creative-work; untyped ENTITY predictions can never match typed, so typed scores are a floor. WNUT-17 is tweets and forum text');
  md.push('about emerging, rare entities, with lower-case names and capitalised non-names: a hard set for capitalisation rules. This is a baseline.');
  md.push('');
  const backoff = mostFrequentType(join(sharedRoot, 'data', 'wnut17', 'wnut17train.conll.gz'));
  md.push(`The last column backs untyped ENTITY predictions off to the most frequent type of the training split (\`${backoff}\`).`);
  md.push('');
  md.push(`| split | sentences | gold entities | predicted | untyped P | untyped R | untyped F1 | typed P | typed R | typed F1 | typed F1, ENTITY→${backoff} | sentences/s |`);
  md.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  const ner: NerResult[] = [];
  for (const [split, file] of [
    ['test', 'emerging.test.annotated.gz'],
    ['dev', 'emerging.dev.conll.gz'],
  ] as const) {
    const r = nerBench(split, join(sharedRoot, 'data', 'wnut17', file), backoff);
    ner.push(r);
    md.push(
      `| ${r.split} | ${r.sentences} | ${r.gold} | ${r.predictedNamed} | ${pct(r.untyped.precision)} | ${pct(r.untyped.recall)} | ${pct(r.untyped.f1)} | ${pct(r.typed.precision)} | ${pct(r.typed.recall)} | ${pct(r.typed.f1)} | ${pct(r.backedOff.f1)} | ${r.sentencesPerSecond.toFixed(0)} |`,
    );
    console.error(`[extract] WNUT-17 ${split}: untyped F1 ${pct(r.untyped.f1)}, typed F1 ${pct(r.typed.f1)}`);
  }
  md.push('');
  md.push('Per type on the test split (typed; `ENTITY` is the untyped predictions):');
  md.push('');
  md.push('| type | gold | predicted | P | R | F1 |');
  md.push('|---|---:|---:|---:|---:|---:|');
  for (const [type, s] of Object.entries(ner[0]!.byType)) md.push(`| ${type} | ${s.gold} | ${s.predicted} | ${pct(s.precision)} | ${pct(s.recall)} | ${pct(s.f1)} |`);
  md.push('');

  md.push('## summarize: query-focused extractive summaries of SQuAD v1.1 dev questions (a proxy)');
  md.push('');
  const s = await summaryBench(squadPath);
  md.push(`All ${'2,067'} dev paragraphs indexed whole; ${s.questions} fixed-seed questions; \`summarize(collection, { query, k: 5, maxSentences: 3 })\`.`);
  md.push('There is no reference summary here, so this reports how often the 3-sentence summary contains a gold answer (containsAnswer, citation');
  md.push('markers removed) — it shows that the summary stays on the query — and the latency.');
  md.push('');
  md.push('| questions | summary contains a gold answer | median ms | p95 ms |');
  md.push('|---:|---:|---:|---:|');
  md.push(`| ${s.questions} | ${pct(s.containment)} % | ${s.medianMs.toFixed(1)} | ${s.p95Ms.toFixed(1)} |`);
  md.push('');
  md.push(`Whole-collection map-reduce over one article (${s.mapReduceDocuments} paragraphs, 5 sentences): ${s.mapReduceMs.toFixed(0)} ms. Read by eye,`);
  md.push('the extractive overview favours long, detail-rich sentences (centrality over TF-IDF cosine rewards sentences that share many terms with');
  md.push('many others), so it reads as a set of salient facts rather than an abstract; a language model (map and reduce prompts) is the way to a');
  md.push('real overview. No summary-quality metric (ROUGE against references) is reported: there are no reference summaries in ../shared.');
  md.push('');
  mkdirSync(join(repoRoot, 'bench', 'results'), { recursive: true });
  writeFileSync(join(repoRoot, 'bench', 'results', 'tasks.md'), `${md.join('\n')}\n`);
  console.error('wrote bench/results/tasks.md');
}

await main();
