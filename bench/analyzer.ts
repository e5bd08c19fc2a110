/**
 * The analyzer every engine is given, so that the comparison isolates the engines: ralm's English analyzer
 * (`getAnalyzer('english')` from `src/analysis`) when it is present, else a stand-in (lower-case, split on
 * anything that is not a letter or digit) — the report says which one was used.
 */

export interface BenchAnalyzer {
  /** `ralm english` or `stand-in (lowercase + split)`. */
  readonly source: string;
  analyze(text: string): string[];
}

interface AnalysisModule {
  getAnalyzer?: (name: string) => { analyze(text: string): string[] };
}

const standIn: BenchAnalyzer = {
  source: 'stand-in (lowercase + split on non-alphanumerics; ralm src/analysis not available)',
  analyze: (text) => text.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter((t) => t.length > 0),
};

/** ralm's English analyzer, or the stand-in (with a one-line notice) when `src/analysis` has no `getAnalyzer` yet. */
export async function loadAnalyzer(): Promise<BenchAnalyzer> {
  const specifier = '../src/analysis/index.js';
  try {
    const mod = (await import(specifier)) as AnalysisModule;
    if (typeof mod.getAnalyzer !== 'function') throw new Error('src/analysis/index has no getAnalyzer export');
    const analyzer = mod.getAnalyzer('english');
    return { source: 'ralm english', analyze: (text) => analyzer.analyze(text) };
  } catch (error) {
    process.stderr.write(`[bench] ralm's analyzer is not available (${(error as Error).message.split('\n')[0]}); using the stand-in tokenizer\n`);
    return standIn;
  }
}
