/**
 * The `ralm` command line: a thin layer over the library (argument parsing, output, exit codes).
 * Exit codes: 0 success; 1 failure or some inputs skipped; 2 usage error (a wrong flag or value).
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RalmError } from '../core/errors.js';
import { analyzerNames } from '../analysis/index.js';
import { defaults, openCollection, verifyCollection } from '../engine/index.js';
import type { RetrievalEvaluationResult } from '../engine/evaluation.js';
import type { AskResult } from '../engine/ask.js';
import { openConversation } from '../engine/conversation.js';
import type { Collection } from '../engine/collection.js';
import { searchAndRerank, DEFAULT_RERANK_DEPTH } from '../engine/rerank.js';
import { registerTaskCommands } from './tasks.js';
import { registerServeCommand } from './serve.js';
import { createProgress, type Progress } from './progress.js';
import { parseEmbedderSpec } from '../engine/dense.js';
import { formatExplanation, formatNumber } from './output.js';

const DEFAULT_INDEX = '.ralm';

function version(): string {
  try {
    const here = dirname(fileURLToPath(import.meta.url));
    return (JSON.parse(readFileSync(join(here, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function parseNumber(name: string, min: number, max = Infinity) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${name} must be a number${max < Infinity ? ` between ${min} and ${max}` : ` ≥ ${min}`}, got "${value}"`);
    }
    return n;
  };
}

function parseInteger(name: string, min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer ≥ ${min}, got "${value}"`);
    return n;
  };
}

function analyzerOption(): Option {
  return new Option('--analyzer <name>', 'text analyzer').choices([...analyzerNames]);
}

function bm25From(options: { k1?: number; b?: number }) {
  const bm25: { k1?: number; b?: number } = {};
  if (options.k1 !== undefined) bm25.k1 = options.k1;
  if (options.b !== undefined) bm25.b = options.b;
  return Object.keys(bm25).length > 0 ? bm25 : undefined;
}

let exitCode = 0;

function parseEmbedderOption(value: string): string {
  try {
    parseEmbedderSpec(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
  return value;
}

function parseFilterOption(filter: string | undefined): string | Record<string, unknown> | undefined {
  if (filter === undefined || !filter.trim().startsWith('{')) return filter;
  try {
    return JSON.parse(filter) as Record<string, unknown>;
  } catch (error) {
    throw new RalmError('INVALID_ARGUMENT', `--filter: not valid JSON: ${(error as Error).message}`);
  }
}

/** Opens the collection to answer from: a folder is indexed (incrementally) into <folder>/.ralm first. */
async function openForQuestions(folder: string | undefined, index: string | undefined): Promise<Collection> {
  if (folder === undefined) return openCollection({ path: index ?? DEFAULT_INDEX, readOnly: true });
  const path = index ?? join(folder, DEFAULT_INDEX);
  const collection = await openCollection({ path, create: true });
  try {
    const { indexPaths } = await import('../engine/ingest.js');
    const report = await indexPaths(collection, [folder], {
      sync: true,
      onProblem: ({ file, line, reason }) => process.stderr.write(`ralm: ${file}${line ? `:${line}` : ''}: ${reason} (skipped)\n`),
    });
    const changed = report.added + report.updated + report.deleted;
    if (changed > 0) process.stderr.write(`indexed ${folder}: ${report.added} added, ${report.updated} updated, ${report.deleted} deleted (${path})\n`);
  } catch (error) {
    await collection.close();
    throw error;
  }
  return collection;
}

function printSources(result: AskResult): void {
  process.stdout.write('\n');
  if (result.unknown_citations.length > 0) {
    process.stderr.write(`ralm: the answer cites [${result.unknown_citations.join('], [')}], which is not among the passages given: treat those statements as unsupported\n`);
  }
  if (result.citations.length === 0) return;
  console.log('\nSources:');
  const seen = new Set<string>();
  for (const c of result.citations) {
    const id = `${c.key}:${c.start}`;
    if (seen.has(id)) continue;
    seen.add(id);
    const where = [c.heading_path?.join(' › '), c.page !== undefined ? `page ${c.page}` : undefined, c.lines[0] === c.lines[1] ? `line ${c.lines[0]}` : `lines ${c.lines[0]}–${c.lines[1]}`]
      .filter(Boolean)
      .join(', ');
    console.log(`  [${c.key}] ${c.source ?? c.doc_id}${where ? ` (${where})` : ''}`);
  }
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('ralm')
    .description('Retrieval-augmented generation engine: index documents, search them with Lucene-exact BM25, evaluate retrieval.')
    .version(version())
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ outputError: (text, write) => write(text.startsWith('error:') ? `ralm: ${text}` : text) });

  program
    .command('index')
    .description('Add files, folders, URLs or JSON Lines to a collection (created when missing), in one atomic commit; unchanged files are skipped')
    .argument(
      '<paths...>',
      'files (.txt .md .html .pdf .docx .csv .tsv .json .jsonl[.gz] and source code), folders (recursive, honouring .gitignore), http(s) URLs (a page or a sitemap, same site), or - for JSON Lines on stdin',
    )
    .option('-i, --index <dir>', 'collection folder', DEFAULT_INDEX)
    .addOption(analyzerOption().default(undefined, `"${defaults.analyzer}" for a new collection`))
    .option('--k1 <x>', 'BM25 k1 recorded for a new collection', parseNumber('--k1', 0))
    .option('--b <x>', 'BM25 b recorded for a new collection', parseNumber('--b', 0, 1))
    .option('--chunk-tokens <n>', 'target chunk size in tokens for a new collection (default 256; overlap 15%)', parseInteger('--chunk-tokens', 16))
    .option('--no-chunking', 'index each document whole (new collection)')
    .option('--no-dedup', 'keep near-duplicate chunks (new collection; default: stored once when Jaccard ≥ 0.9)')
    .option(
      '--embedder <name>',
      'dense embeddings (enables --mode dense|hybrid), recorded for a new collection: lsa (no model weights needed), an ONNX model id or folder (transformers.js layout), or openai:<model> (any OpenAI-compatible /embeddings server); chunks are embedded at commit, each text once (cached in <index>/embeddings.sqlite)',
      parseEmbedderOption,
    )
    .option('--dimensions <n>', 'with --embedder, for a new collection: LSA dimensions (default 128), or the shortened size of an OpenAI text-embedding-3 model', parseInteger('--dimensions', 1))
    .option('--base-url <url>', 'endpoint of an openai:<model> embedder (default $RALM_BASE_URL or $OPENAI_BASE_URL, else OpenAI\'s); the key comes from $RALM_API_KEY or $OPENAI_API_KEY')
    .option('--hnsw-threshold <n>', 'with --embedder, for a new collection: use the HNSW vector index (usearch) from this many vectors; below it exact search (default 20000)', parseInteger('--hnsw-threshold', 0))
    .option('--sync', 'also delete documents of files that vanished from the folders given')
    .option('--watch', 'keep the folders in sync as files change (until Ctrl-C)')
    .option('--exclude <glob...>', 'skip files and folders matching these globs (e.g. "**/drafts/**" "*.log")')
    .option('--no-gitignore', 'do not honour .gitignore files')
    .option('--max-file-size <bytes>', 'skip files larger than this', parseInteger('--max-file-size', 1), 100 * 1024 * 1024)
    .option('--max-decompressed-size <bytes>', 'refuse .gz files that decompress past this', parseInteger('--max-decompressed-size', 1), 1024 * 1024 * 1024)
    .option('--allow-private-network', 'allow URLs that resolve to loopback, private or link-local addresses (refused by default: SSRF protection)')
    .option('--strict', 'stop at the first bad input and commit nothing')
    .option('--workers <n>', 'worker threads that parse and prepare documents while the main thread writes (default: one per core beyond the first, at most 3, none when the load average is twice the cores; 0: none); the collection is the same with any number', parseInteger('--workers', 0))
    .option('--json', 'print the summary as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  ralm index docs/ --index my-index\n  ralm index docs/ --index my-index --sync          # re-run: only changed files are read\n  ralm index docs/ --index my-index --watch\n  ralm index corpus.jsonl.gz --index scifact --analyzer english --no-chunking\n  cat docs.jsonl | ralm index - --index my-index\n  ralm index https://example.org/sitemap.xml --index site\n  ralm index docs/ --index my-dense --embedder lsa\n  ralm index docs/ --index my-e5 --embedder Xenova/multilingual-e5-small        # ONNX (downloaded once when online)\n  ralm index docs/ --index my-local --embedder ./models/all-MiniLM-L6-v2         # ONNX model folder\n  ralm index docs/ --index my-oai --embedder openai:nomic-embed-text --base-url http://127.0.0.1:11434/v1',
    )
    .action(
      async (
        paths: string[],
        options: {
          index: string;
          analyzer?: string;
          k1?: number;
          b?: number;
          strict?: boolean;
          json?: boolean;
          chunkTokens?: number;
          chunking: boolean;
          dedup: boolean;
          embedder?: string;
          dimensions?: number;
          baseUrl?: string;
          hnswThreshold?: number;
          sync?: boolean;
          watch?: boolean;
          exclude?: string[];
          gitignore: boolean;
          maxFileSize: number;
          maxDecompressedSize: number;
          allowPrivateNetwork?: boolean;
          workers?: number;
        },
      ) => {
        let embedProgress: Progress | null = null;
        const collection = await openCollection({
          path: options.index,
          create: true,
          analyzer: options.analyzer,
          bm25: bm25From(options),
          chunking: options.chunking === false ? false : options.chunkTokens ? { targetTokens: options.chunkTokens } : undefined,
          deduplicate: options.dedup === false ? false : undefined,
          dense: {
            embedder: options.embedder,
            dimensions: options.dimensions,
            baseURL: options.baseUrl,
            hnsw: options.hnswThreshold !== undefined ? { exactBelow: options.hnswThreshold } : undefined,
            onProgress: ({ done, total }) => {
              embedProgress ??= createProgress('embedding', 'chunks');
              embedProgress.update(done, total);
            },
          },
        });
        const { indexPaths } = await import('../engine/ingest.js');
        const run = async (sync: boolean) => {
          const started = performance.now();
          const progress = createProgress('indexing', 'docs');
          try {
            const report = await indexPaths(collection, paths, {
              sync,
              strict: options.strict,
              workers: options.workers,
              load: {
                exclude: options.exclude,
                respectGitignore: options.gitignore,
                maxFileBytes: options.maxFileSize,
                maxDecompressedBytes: options.maxDecompressedSize,
                allowPrivateNetwork: options.allowPrivateNetwork,
              },
              onProgress: (n) => progress.update(n),
              onProblem: ({ file, line, reason }) => {
                progress.done();
                process.stderr.write(`ralm: ${file}${line ? `:${line}` : ''}: ${reason}${options.strict ? '' : ' (skipped)'}\n`);
              },
            });
            progress.done();
            embedProgress?.done();
            embedProgress = null;
            const stats = collection.stats();
            const seconds = (performance.now() - started) / 1000;
            const summary = {
              index: options.index,
              read: report.read,
              added: report.added,
              updated: report.updated,
              deleted: report.deleted,
              unchanged: report.unchanged,
              unchanged_files: report.unchangedFiles,
              vanished_files: report.vanishedFiles,
              problems: report.problems,
              skipped_files: report.skippedFiles,
              worker_tasks: report.workerTasks,
              documents: stats.documents,
              analyzer: stats.analyzer,
              seq: report.seq,
              seconds: Math.round(seconds * 1000) / 1000,
              docs_per_second: Math.round(report.read / Math.max(seconds, 1e-9)),
            };
            if (options.json) console.log(JSON.stringify(summary));
            else {
              console.log(
                `indexed ${formatNumber(report.read)} document${report.read === 1 ? '' : 's'} into ${options.index} in ${seconds.toFixed(2)} s (${formatNumber(summary.docs_per_second)} docs/s): ` +
                  `${formatNumber(report.added)} added, ${formatNumber(report.updated)} updated, ${formatNumber(report.deleted)} deleted, ${formatNumber(report.unchanged)} unchanged` +
                  (report.unchangedFiles ? `, ${formatNumber(report.unchangedFiles)} files unchanged` : '') +
                  `; ${formatNumber(stats.documents)} in the collection` +
                  (report.skippedFiles ? `; ${formatNumber(report.skippedFiles)} files of unsupported types skipped` : '') +
                  (report.problems ? `; ${formatNumber(report.problems)} inputs had problems (see above)` : ''),
              );
            }
            if (report.problems > 0) exitCode = 1;
          } finally {
            progress.done();
            embedProgress?.done();
            embedProgress = null;
          }
        };
        try {
          await run(!!options.sync || !!options.watch);
          if (options.watch) {
            const { watchPaths } = await import('./watch.js');
            await watchPaths(paths, options.exclude ?? [], () => run(true));
          }
        } finally {
          await collection.close();
        }
      },
    );

  program
    .command('search')
    .description('Search a collection with BM25')
    .argument('<query>', 'the query text')
    .option('-i, --index <dir>', 'collection folder', DEFAULT_INDEX)
    .option('-k, --k <n>', 'number of hits', parseInteger('-k', 1), defaults.k)
    .addOption(analyzerOption().default(undefined, 'the collection\'s; any other is refused'))
    .option('--k1 <x>', 'BM25 k1 for this search', parseNumber('--k1', 0))
    .option('--b <x>', 'BM25 b for this search', parseNumber('--b', 0, 1))
    .option('--filter <expression>', 'metadata filter, e.g. \'lang = "zh" and year >= 2020\', \'path ^= "docs/"\', or a JSON filter object')
    .addOption(new Option('--group <unit>', 'one hit per document, or every matching chunk').choices(['document', 'chunk']).default('document'))
    .addOption(new Option('--mode <mode>', 'retrieval: BM25, the dense embeddings, or both fused').choices(['bm25', 'dense', 'hybrid']).default('bm25'))
    .addOption(new Option('--fusion <method>', 'how hybrid fuses: reciprocal rank, normalised scores, or attention-weighted (softmax) scores').choices(['rrf', 'score', 'attention']).default('attention'))
    .option('--mmr <lambda>', 'diversify the hits with maximal marginal relevance (λ = 1: relevance only)', parseNumber('--mmr', 0, 1))
    .option('--rerank <reranker>', 'rerank the first stage\'s top candidates: "features" (proximity, title, phrase; no model) or a cross-encoder model id or folder (ONNX)')
    .option('--rerank-depth <n>', 'first-stage candidates to rerank', parseInteger('--rerank-depth', 1), DEFAULT_RERANK_DEPTH)
    .option('--explain', 'show how each score was computed (idf, tf, k1, b, dl, avgdl)')
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  ralm search "ranking function" --index my-index -k 5\n  ralm search "bm25 saturation" --index my-index --explain --json\n  ralm search "install" --index my-index --filter \'type = "markdown" and path ^= "docs/"\'\n  ralm search "commit durability" --index my-index --rerank features --rerank-depth 50',
    )
    .action(async (query: string, options: { index: string; k: number; analyzer?: string; k1?: number; b?: number; explain?: boolean; json?: boolean; filter?: string; group: 'document' | 'chunk'; mode: 'bm25' | 'dense' | 'hybrid'; fusion: 'rrf' | 'score' | 'attention'; mmr?: number; rerank?: string; rerankDepth: number }) => {
      const collection = await openCollection({ path: options.index, readOnly: true, analyzer: options.analyzer, bm25: bm25From(options) });
      try {
        let filter: string | Record<string, unknown> | undefined = options.filter;
        if (filter !== undefined && filter.trim().startsWith('{')) {
          try {
            filter = JSON.parse(filter) as Record<string, unknown>;
          } catch (error) {
            throw new RalmError('INVALID_ARGUMENT', `--filter: not valid JSON: ${(error as Error).message}`);
          }
        }
        const searchOptions = { k: options.k, explain: options.explain, filter, group: options.group, mode: options.mode, fusion: options.fusion, mmr: options.mmr };
        const result =
          options.rerank !== undefined
            ? await searchAndRerank(collection, query, { ...searchOptions, rerank: options.rerank, depth: Math.max(options.rerankDepth, options.k) })
            : await collection.search(query, searchOptions);
        if (options.json) {
          console.log(JSON.stringify(result));
          return;
        }
        if (result.hits.length === 0) console.log(`no documents match "${query}"`);
        for (const hit of result.hits) {
          const where = [hit.headingPath?.join(' › '), hit.page ? `page ${hit.page}` : undefined].filter(Boolean).join(', ');
          console.log(`${String(hit.rank).padStart(3)}. ${hit.id}  ${hit.score.toFixed(4)}${hit.title ? `  ${hit.title}` : ''}${where ? `  (${where})` : ''}`);
          if (hit.snippet) console.log(`     ${hit.snippet}`);
          if (hit.duplicates) console.log(`     also in: ${hit.duplicates.map((d) => d.id).join(', ')}`);
          if (hit.explanation) console.log(formatExplanation(hit.explanation));
        }
      } finally {
        await collection.close();
      }
    });

  program
    .command('ask')
    .description('Answer a question from a collection, citing the exact sources (offline by default: extractive answers)')
    .argument('<question>', 'the question')
    .argument('[folder]', 'a folder to answer from: indexed first (incrementally) into <folder>/.ralm')
    .option('-i, --index <dir>', 'collection folder (default: <folder>/.ralm when a folder is given, else .ralm)')
    .option('-k, --k <n>', 'passages handed to the generator (default 3 for extractive, 6 for language models)', parseInteger('-k', 1))
    .option('--generator <spec>', 'extractive | openai:<model> | llama:<file.gguf>', 'extractive')
    .option('--max-sentences <n>', 'most sentences in an extractive answer', parseInteger('--max-sentences', 1), 2)
    .option('--filter <expression>', 'metadata filter for retrieval')
    .option('--base-url <url>', 'OpenAI-compatible endpoint for openai:<model> (default $RALM_BASE_URL or $OPENAI_BASE_URL); the key comes from $RALM_API_KEY or $OPENAI_API_KEY')
    .option('--json', 'print {answer, citations, retrieval, timings} as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  ralm ask "How is a commit made durable?" docs\n  ralm ask "What does BM25 saturate?" --index my-index --json\n  RALM_API_KEY=... ralm ask "Summarise the design" docs --generator openai:gpt-4o-mini\n  ralm ask "..." --index my-index --generator openai:llama3 --base-url http://127.0.0.1:11434/v1',
    )
    .action(
      async (
        question: string,
        folder: string | undefined,
        options: { index?: string; k?: number; generator: string; maxSentences: number; filter?: string; baseUrl?: string; json?: boolean },
      ) => {
        const collection = await openForQuestions(folder, options.index);
        try {
          const { askStream } = await import('../engine/ask.js');
          let result: AskResult | undefined;
          for await (const event of askStream(collection, question, {
            k: options.k,
            generator: options.generator,
            maxSentences: options.maxSentences,
            filter: parseFilterOption(options.filter),
            baseURL: options.baseUrl,
          })) {
            if (event.type === 'text-delta' && !options.json) process.stdout.write(event.text);
            else if (event.type === 'finish') result = event.result;
          }
          if (options.json) console.log(JSON.stringify(result));
          else printSources(result!);
        } finally {
          await collection.close();
        }
      },
    );

  program
    .command('chat')
    .description('An interactive conversation over a collection: each turn is condensed into a standalone retrieval query; answers cite their sources')
    .argument('[folder]', 'a folder to answer from: indexed first (incrementally) into <folder>/.ralm')
    .option('-i, --index <dir>', 'collection folder (default: <folder>/.ralm when a folder is given, else .ralm)')
    .option('--session <id>', 'conversation id (history is kept in the collection under it)', 'default')
    .option('--generator <spec>', 'extractive | openai:<model> | llama:<file.gguf>', 'extractive')
    .option('--base-url <url>', 'OpenAI-compatible endpoint for openai:<model>')
    .option('--json', 'print one JSON object per answer')
    .action(async (folder: string | undefined, options: { index?: string; session: string; generator: string; baseUrl?: string; json?: boolean }) => {
      const collection = await openForQuestions(folder, options.index);
      const conversation = openConversation(collection.path, options.session);
      const { createInterface } = await import('node:readline/promises');
      const terminal = createInterface({ input: process.stdin, output: process.stdout, terminal: !!process.stdin.isTTY });
      try {
        if (process.stdin.isTTY) process.stderr.write(`ralm chat on ${collection.path} (session "${options.session}"); an empty line or Ctrl-D ends it\n`);
        for (;;) {
          let line: string;
          try {
            line = await terminal.question(process.stdin.isTTY ? '> ' : '');
          } catch {
            break; // input closed
          }
          if (line.trim() === '') {
            if (!process.stdin.isTTY) continue;
            break;
          }
          const query = conversation.standaloneQuery(line);
          const { askStream } = await import('../engine/ask.js');
          let result: AskResult | undefined;
          for await (const event of askStream(collection, query, { generator: options.generator, baseURL: options.baseUrl })) {
            if (event.type === 'text-delta' && !options.json) process.stdout.write(event.text);
            else if (event.type === 'finish') result = event.result;
          }
          conversation.record(line, result!.answer);
          if (options.json) console.log(JSON.stringify({ ...result!, query }));
          else printSources(result!);
        }
      } finally {
        terminal.close();
        conversation.close();
        await collection.close();
      }
    });

  registerTaskCommands(program);

  const evaluation = program.command('eval').description('Measure retrieval quality and speed on a benchmark');
  const printEvaluation = (result: RetrievalEvaluationResult, json?: boolean) => {
    if (json) {
      console.log(JSON.stringify(result));
      return;
    }
    const rows: Array<[string, string]> = [];
    for (const [key, value] of Object.entries(result)) rows.push([key, typeof value === 'number' ? (Number.isInteger(value) ? formatNumber(value) : value.toFixed(4)) : String(value)]);
    const width = Math.max(...rows.map(([k]) => k.length));
    for (const [key, value] of rows) console.log(`${key.padEnd(width)}  ${value}`);
  };
  evaluation
    .command('beir')
    .description('Index a BEIR folder (corpus.jsonl[.gz], queries.jsonl[.gz], qrels/<split>.tsv) and score BM25 with trec_eval-exact metrics')
    .argument('<dir>', 'BEIR dataset folder')
    .option('--split <name>', 'qrels split', 'test')
    .addOption(analyzerOption().default('english'))
    .option('--k1 <x>', 'BM25 k1', parseNumber('--k1', 0), defaults.bm25.k1)
    .option('--b <x>', 'BM25 b', parseNumber('--b', 0, 1), defaults.bm25.b)
    .option('--run <file>', 'also write the run (top 100 per query) in TREC format')
    .addOption(new Option('--mode <mode>', 'retrieval: BM25, LSA embeddings, or both fused').choices(['bm25', 'dense', 'hybrid']).default('bm25'))
    .addOption(new Option('--fusion <method>', 'hybrid fusion').choices(['rrf', 'score', 'attention']).default('attention'))
    .option('--rerank <reranker>', 'rerank each query\'s first stage: "features" or a cross-encoder model id or folder (the run keeps its depth, so recall@100 is unchanged)')
    .option('-i, --index <dir>', 'keep the collection in this folder (default: a temporary folder)')
    .option('--json', 'print one JSON object')
    .addHelpText('after', '\nExamples:\n  ralm eval beir ../shared/data/beir/scifact --json\n  ralm eval beir ../shared/data/beir/scifact --rerank features --json')
    .action(async (dir: string, options: { split: string; analyzer: string; k1: number; b: number; run?: string; index?: string; json?: boolean; mode: 'bm25' | 'dense' | 'hybrid'; fusion: 'rrf' | 'score' | 'attention'; rerank?: string }) => {
      const progress = createProgress('evaluating', 'docs');
      try {
        const { evaluateBeir } = await import('../engine/evaluation.js');
        const result = await evaluateBeir(dir, {
          split: options.split,
          analyzer: options.analyzer,
          bm25: { k1: options.k1, b: options.b },
          runPath: options.run,
          indexPath: options.index,
          mode: options.mode,
          fusion: options.fusion,
          ...(options.rerank !== undefined ? { rerank: options.rerank } : {}),
          onProgress: (e) => progress.update(e.done, e.total),
        });
        progress.done();
        printEvaluation(result, options.json);
      } finally {
        progress.done();
      }
    });
  evaluation
    .command('squad')
    .description('Turn a SQuAD-format file (SQuAD v1.1, CMRC 2018) into a retrieval benchmark: paragraphs are documents, each question\'s relevant document is its paragraph')
    .argument('<file>', 'SQuAD-format JSON (.json or .json.gz)')
    .addOption(analyzerOption().default(undefined, 'english, or cjk for Chinese data'))
    .option('--k1 <x>', 'BM25 k1', parseNumber('--k1', 0), defaults.bm25.k1)
    .option('--b <x>', 'BM25 b', parseNumber('--b', 0, 1), defaults.bm25.b)
    .option('--run <file>', 'also write the run in TREC format')
    .addOption(new Option('--mode <mode>', 'retrieval: BM25, LSA embeddings, or both fused').choices(['bm25', 'dense', 'hybrid']).default('bm25'))
    .addOption(new Option('--fusion <method>', 'hybrid fusion').choices(['rrf', 'score', 'attention']).default('attention'))
    .option('--rerank <reranker>', 'rerank each question\'s first stage: "features" or a cross-encoder model id or folder')
    .option('--answers', 'also answer every question (open-domain QA) and report "containment": the share of answers containing a gold answer')
    .option('--max-sentences <n>', 'with --answers: most sentences per extractive answer', parseInteger('--max-sentences', 1), 2)
    .option('--generator <spec>', 'with --answers: extractive | openai:<model> | llama:<file.gguf>', 'extractive')
    .option('--limit <n>', 'with --answers: answer only the first n questions', parseInteger('--limit', 1))
    .option('--json', 'print one JSON object')
    .addHelpText(
      'after',
      '\nExamples:\n  ralm eval squad ../shared/data/squad-v1.1/dev-v1.1.json.gz --json\n  ralm eval squad ../shared/data/cmrc2018/cmrc2018_dev.json.gz --analyzer cjk\n  ralm eval squad ../shared/data/squad-v1.1/dev-v1.1.json.gz --answers --max-sentences 1 --json',
    )
    .action(async (file: string, options: { analyzer?: string; k1: number; b: number; run?: string; json?: boolean; answers?: boolean; maxSentences: number; generator: string; limit?: number; mode: 'bm25' | 'dense' | 'hybrid'; fusion: 'rrf' | 'score' | 'attention'; rerank?: string }) => {
      const progress = createProgress('evaluating', 'docs');
      try {
        const { evaluateSquad } = await import('../engine/evaluation.js');
        const result = await evaluateSquad(file, {
          answers: options.answers ? { maxSentences: options.maxSentences, generator: options.generator, limit: options.limit } : undefined,
          analyzer: options.analyzer,
          mode: options.mode,
          fusion: options.fusion,
          ...(options.rerank !== undefined ? { rerank: options.rerank } : {}),
          bm25: { k1: options.k1, b: options.b },
          runPath: options.run,
          onProgress: (e) => progress.update(e.done, e.total),
        });
        progress.done();
        printEvaluation(result, options.json);
      } finally {
        progress.done();
      }
    });

  program
    .command('verify')
    .description("Check a collection: database integrity, its tables and indexes against its version's schema, every format version and checksum, index coverage of every committed document")
    .argument('<dir>', 'collection folder')
    .option('--json', 'print JSON')
    .action(async (dir: string, options: { json?: boolean }) => {
      const report = await verifyCollection(dir);
      if (options.json) console.log(JSON.stringify(report));
      else {
        for (const problem of report.problems) console.error(`ralm: ${problem}`);
        const c = report.checked;
        console.log(
          `${report.ok ? 'ok' : 'FAILED'}: ${dir}: ${formatNumber(c.documents)} documents, ${formatNumber(c.indexedChunks)} indexed chunks in ${c.artifacts} segments, last commit ${c.lastSeq}` +
            (report.ok ? '' : `; ${report.problems.length} problem(s)`),
        );
      }
      if (!report.ok) exitCode = 1;
    });

  program
    .command('optimize')
    .description('Merge all index segments into one and purge deleted documents')
    .option('-i, --index <dir>', 'collection folder', DEFAULT_INDEX)
    .action(async (options: { index: string }) => {
      const collection = await openCollection({ path: options.index });
      try {
        const result = await collection.optimize();
        console.log(`optimized ${options.index}: ${result.segmentsBefore} segment(s) merged into 1, ${result.purgedDocuments} deleted document version(s) purged`);
      } finally {
        await collection.close();
      }
    });

  program
    .command('info')
    .description('Show a collection\'s statistics')
    .option('-i, --index <dir>', 'collection folder', DEFAULT_INDEX)
    .option('--json', 'print JSON')
    .action(async (options: { index: string; json?: boolean }) => {
      const collection = await openCollection({ path: options.index, readOnly: true });
      try {
        const stats = collection.stats();
        if (options.json) console.log(JSON.stringify(stats));
        else for (const [key, value] of Object.entries(stats)) console.log(`${key.padEnd(22)} ${typeof value === 'object' ? JSON.stringify(value) : value}`);
      } finally {
        await collection.close();
      }
    });

  registerServeCommand(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  exitCode = 0;
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return 0;
      return error.exitCode === 0 ? 0 : 2;
    }
    if (RalmError.is(error)) {
      process.stderr.write(`ralm: ${error.message}\n`);
      return error.code === 'INVALID_ARGUMENT' || error.code === 'ANALYZER_MISMATCH' ? 2 : 1;
    }
    process.stderr.write(`ralm: unexpected error: ${(error as Error).stack ?? String(error)}\n`);
    return 1;
  }
}
