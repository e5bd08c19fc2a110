/**
 * The task commands of the CLI: `ralm summarize`, `ralm classify`, `ralm extract`. Thin adapters over
 * `src/engine/tasks.ts` with the output conventions of `ralm ask`: the text (streamed where the task streams), then
 * numbered sources; `--json` prints the structured result with its citations.
 */
import { Command, InvalidArgumentError } from 'commander';
import { RalmError } from '../core/errors.js';
import { openCollection } from '../engine/index.js';
import type { SummaryResult, TaskCitation } from '../engine/tasks.js';

/** The task engine (and zod) loads only when a task command runs: other commands start faster. */
const tasks = () => import('../engine/tasks.js');

const DEFAULT_INDEX = '.ralm';

function positiveInteger(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be an integer ≥ 1, got "${value}"`);
    return n;
  };
}

function filterOption(filter: string | undefined): string | Record<string, unknown> | undefined {
  if (filter === undefined || !filter.trim().startsWith('{')) return filter;
  try {
    return JSON.parse(filter) as Record<string, unknown>;
  } catch (error) {
    throw new RalmError('INVALID_ARGUMENT', `--filter: not valid JSON: ${(error as Error).message}`);
  }
}

function printCitations(citations: readonly TaskCitation[], unknown: readonly string[]): void {
  if (unknown.length > 0) {
    process.stderr.write(`ralm: the answer cites [${unknown.join('], [')}], which is not among the passages given: treat those statements as unsupported\n`);
  }
  if (citations.length === 0) return;
  process.stdout.write('\nSources:\n');
  const seen = new Set<string>();
  for (const c of citations) {
    const id = `${c.key}:${c.start}`;
    if (seen.has(id)) continue;
    seen.add(id);
    const where = [c.heading_path?.join(' › '), c.page !== undefined ? `page ${c.page}` : undefined, c.lines[0] === c.lines[1] ? `line ${c.lines[0]}` : `lines ${c.lines[0]}–${c.lines[1]}`]
      .filter(Boolean)
      .join(', ');
    process.stdout.write(`  [${c.key}] ${c.source ?? c.doc_id}${where ? ` (${where})` : ''}\n`);
  }
}

const generatorHelp = 'extractive | openai:<model> | llama:<file.gguf>';
const baseUrlHelp = 'OpenAI-compatible endpoint for openai:<model> (default $RALM_BASE_URL or $OPENAI_BASE_URL); the key comes from $RALM_API_KEY or $OPENAI_API_KEY';

/**
 * Adds `summarize`, `classify` and `extract` to the `ralm` program.
 *
 * @example
 * ```ts
 * const program = new Command('ralm');
 * registerTaskCommands(program);
 * await program.parseAsync(['node', 'ralm', 'summarize', 'commit durability', '--index', 'my-index']);
 * ```
 */
export function registerTaskCommands(program: Command): void {
  program
    .command('summarize')
    .description('Summarise what a collection says about a query (top-k passages), or the whole collection (map-reduce); every sentence cites its source')
    .argument('[query]', 'what to summarise; without it the whole collection is summarised')
    .option('-i, --index <dir>', 'collection folder', DEFAULT_INDEX)
    .option('-k, --k <n>', 'passages retrieved for a query (default 5 for extractive, 6 for language models)', positiveInteger('-k'))
    .option('--max-sentences <n>', 'most sentences in the summary', positiveInteger('--max-sentences'), 3)
    .option('--max-documents <n>', 'whole-collection summaries: most documents read', positiveInteger('--max-documents'))
    .option('--generator <spec>', generatorHelp, 'extractive')
    .option('--filter <expression>', 'metadata filter for retrieval')
    .option('--base-url <url>', baseUrlHelp)
    .option('--json', 'print {summary, citations, sentences, retrieval, timings} as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  ralm summarize "how is a commit made durable" --index my-index\n  ralm summarize --index my-index --max-sentences 5        # the whole collection\n  ralm summarize "BM25" --index my-index --generator openai:gpt-4o-mini --json',
    )
    .action(
      async (
        query: string | undefined,
        options: { index: string; k?: number; maxSentences: number; maxDocuments?: number; generator: string; filter?: string; baseUrl?: string; json?: boolean },
      ) => {
        const collection = await openCollection({ path: options.index, readOnly: true });
        try {
          let result: SummaryResult | undefined;
          const { summarizeStream } = await tasks();
          for await (const event of summarizeStream(collection, {
            ...(query !== undefined ? { query } : {}),
            k: options.k,
            maxSentences: options.maxSentences,
            maxDocuments: options.maxDocuments,
            generator: options.generator,
            filter: filterOption(options.filter),
            baseURL: options.baseUrl,
          })) {
            if (event.type === 'text-delta' && !options.json) process.stdout.write(event.text);
            else if (event.type === 'finish') result = event.result;
          }
          if (options.json) process.stdout.write(`${JSON.stringify(result)}\n`);
          else {
            process.stdout.write('\n');
            printCitations(result!.citations, result!.unknown_citations);
          }
        } finally {
          await collection.close();
        }
      },
    );

  program
    .command('classify')
    .description('Label a text from the labelled documents of a collection: a BM25 kNN vote, or a language model choosing among the known labels')
    .argument('<text>', 'the text to classify')
    .option('-i, --index <dir>', 'collection folder', DEFAULT_INDEX)
    .option('--label-field <name>', 'the metadata field holding each document\'s label', 'label')
    .option('-k, --k <n>', 'labelled neighbours retrieved', positiveInteger('-k'), 10)
    .option('--generator <spec>', generatorHelp, 'extractive')
    .option('--filter <expression>', 'metadata filter for retrieval')
    .option('--base-url <url>', baseUrlHelp)
    .option('--json', 'print {label, votes, neighbours, citations} as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  ralm classify "The striker scored twice in the final" --index news\n  ralm classify "..." --index tickets --label-field queue -k 20 --json\n  ralm classify "..." --index news --generator openai:gpt-4o-mini',
    )
    .action(async (text: string, options: { index: string; labelField: string; k: number; generator: string; filter?: string; baseUrl?: string; json?: boolean }) => {
      const collection = await openCollection({ path: options.index, readOnly: true });
      try {
        const { classify } = await tasks();
        const result = await classify(collection, text, {
          labelField: options.labelField,
          k: options.k,
          generator: options.generator,
          filter: filterOption(options.filter),
          baseURL: options.baseUrl,
        });
        if (options.json) {
          process.stdout.write(`${JSON.stringify(result)}\n`);
          return;
        }
        if (result.label === undefined) {
          process.stdout.write(`no labelled document matches this text (label field "${result.label_field}")\n`);
          return;
        }
        process.stdout.write(`${result.label}\n`);
        if (result.justification) process.stdout.write(`${result.justification}\n`);
        process.stdout.write('\nVotes:\n');
        for (const v of result.votes) process.stdout.write(`  ${v.label}  ${(v.share * 100).toFixed(1)}%  (${v.neighbours} of ${result.neighbours.length} neighbours, ${v.votes.toFixed(2)} votes)\n`);
        process.stdout.write('\nNeighbours:\n');
        for (const n of result.neighbours) process.stdout.write(`  [${n.key}] ${n.doc_id}  ${n.label}  ${n.score.toFixed(3)}${n.title ? `  ${n.title}` : ''}\n`);
        printCitations(result.citations, result.unknown_citations);
      } finally {
        await collection.close();
      }
    });

  program
    .command('extract')
    .description('Extract entities and relations as JSON from the passages retrieved for a query; every item cites its passage')
    .argument('<query>', 'what to extract from (the retrieval query, also the request given to a language model)')
    .option('-i, --index <dir>', 'collection folder', DEFAULT_INDEX)
    .option('-k, --k <n>', 'passages retrieved (default 3 for extractive, 6 for language models)', positiveInteger('-k'))
    .option('--generator <spec>', generatorHelp, 'extractive')
    .option('--filter <expression>', 'metadata filter for retrieval')
    .option('--base-url <url>', baseUrlHelp)
    .option('--json', 'print {data: {entities, relations}, citations, retrieval} as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  ralm extract "Marie Curie" --index wiki\n  ralm extract "companies and their founders" --index news --json\n  ralm extract "people and organisations" --index news --generator openai:gpt-4o-mini --json',
    )
    .action(async (query: string, options: { index: string; k?: number; generator: string; filter?: string; baseUrl?: string; json?: boolean }) => {
      const collection = await openCollection({ path: options.index, readOnly: true });
      try {
        const { extract } = await tasks();
        const result = await extract(collection, query, { k: options.k, generator: options.generator, filter: filterOption(options.filter), baseURL: options.baseUrl });
        if (options.json) {
          process.stdout.write(`${JSON.stringify(result)}\n`);
          return;
        }
        const { entities, relations } = result.data;
        if (entities.length === 0 && relations.length === 0) process.stdout.write('nothing extracted\n');
        if (entities.length > 0) {
          process.stdout.write('Entities:\n');
          for (const e of entities) process.stdout.write(`  ${e.type.padEnd(12)} ${e.text} [${e.source}]\n`);
        }
        if (relations.length > 0) {
          process.stdout.write(`${entities.length > 0 ? '\n' : ''}Relations:\n`);
          for (const r of relations) process.stdout.write(`  ${r.head} — ${r.relation} → ${r.tail} [${r.source}]\n`);
        }
        for (const u of result.ungrounded) process.stderr.write(`ralm: "${u.text}" does not occur in passage [${u.source}]\n`);
        printCitations(result.citations, result.unknown_citations);
      } finally {
        await collection.close();
      }
    });
}
