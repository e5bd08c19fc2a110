/**
 * The one interface every benchmarked engine implements, so the runner treats ralm and its peers alike.
 * Adapters live beside this file (one per engine); Xapian is driven from Python (`bench/xapian_peer.py`).
 */

/** A document as the benchmark hands it to an engine: title and text are indexed as one field. */
export interface BenchDocument {
  id: string;
  title: string;
  text: string;
}

/** One ranked result. */
export interface PeerHit {
  id: string;
  score: number;
}

/** What an adapter needs besides the documents. */
export interface PeerContext {
  /** ralm's English analyzer (or the stand-in, see `bench/analyzer.ts`), the same for every engine. */
  analyze(text: string): string[];
  /** A private scratch folder, removed by the runner afterwards (unless the engine is asked to keep it). */
  workDir: string;
  k1: number;
  b: number;
}

export interface Peer {
  /** Display name used in the report. */
  readonly name: string;
  /** Version of the engine package (and its native library where there is one). */
  readonly version: string;
  /** How the engine was configured, one line each: parameters set, what could not be set, where data lives. */
  readonly notes: string[];
  /**
   * Work done before the index clock starts and reported separately: pre-analysis for engines that are fed
   * analyzed text (SQLite FTS5, LanceDB). Engines that analyze inside `index` leave it out.
   */
  prepare?(docs: readonly BenchDocument[]): Promise<void> | void;
  /** From documents in memory to searchable (and, for engines that persist, durably committed). */
  index(docs: readonly BenchDocument[]): Promise<void> | void;
  /** The top `k` documents for a raw query text, best first. */
  search(query: string, k: number): Promise<PeerHit[]> | PeerHit[];
  /**
   * An extra search flavour timed with one pass after the main passes and reported beside them (ralm: hits with
   * title, snippet and metadata fetched from the store, its default).
   */
  readonly extraSearch?: { label: string; search(query: string, k: number): Promise<PeerHit[]> | PeerHit[] };
  close?(): Promise<void> | void;
}

/** Builds a peer; adapters load their package lazily so one runner only pays for its own engine. */
export type PeerFactory = (context: PeerContext) => Promise<Peer>;
