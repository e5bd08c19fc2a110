/** What a runner child reports back to the orchestrator (as one JSON file). */

export interface RunnerResult {
  /** Engine key (`ralm`, `minisearch`, …, `ralm-reopen`). */
  engine: string;
  corpus: string;
  name: string;
  version: string;
  notes: string[];
  /** Which analyzer the engine was given (ralm's or the stand-in). */
  analyzer: string;
  docs: number;
  queries: number;
  /** Reading the corpus (or, for Xapian, the term lists) into memory. */
  loadMs: number;
  /** RSS after loading the data, before the engine is created (after a GC), MB. */
  rssAfterLoadMB: number;
  /** Work done outside the index clock (pre-analysis for engines fed analyzed text), ms. */
  prepareMs?: number;
  indexMs: number;
  /** RSS once the index is built (after a GC), MB. */
  rssAfterIndexMB: number;
  warmupMs: number;
  /** Queries in the warm-up pass: all of them, or the first 200 for an engine too slow for the full protocol. */
  warmupQueries?: number;
  /** The timed passes over all queries (three, fewer for an engine too slow for the time budget), ms. */
  passesMs: number[];
  /** Queries ÷ best pass. */
  qps: number;
  /** Peak RSS of the whole process (`process.resourceUsage().maxRSS` / `getrusage`), MB. */
  maxRssMB: number;
  /** Queries that returned no hit. */
  emptyQueries: number;
  /** SciFact only: query id → top-100 [docId, score] (from the last pass). */
  run?: Record<string, Array<[string, number]>>;
  /** Extra facts worth reporting (e.g. Python version, database location). */
  extra?: Record<string, string | number>;
}
