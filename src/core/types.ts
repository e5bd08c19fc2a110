/** Plain data types shared by every module. Imports nothing. */

/** JSON-compatible metadata attached to a document. */
export type Metadata = Record<string, unknown>;

/**
 * A structural part of a document's text — a heading, a page, a paragraph or a code block — as
 * character offsets into the text. Loaders produce them; the chunker keeps chunks inside them.
 */
export interface DocumentSection {
  kind: 'heading' | 'page' | 'paragraph' | 'code';
  start: number;
  end: number;
  /** Heading level (1 = top). */
  level?: number;
  /** Heading text. */
  title?: string;
  /** 1-based page number. */
  page?: number;
}

/** A document as a user hands it to ralm. `id` is the user's identifier; the same id replaces. */
export interface DocumentInput {
  id: string;
  title?: string;
  text: string;
  metadata?: Metadata;
  /** Structure of `text` (headings, pages …), used to chunk along it. */
  sections?: DocumentSection[];
}

/** A document as stored in a collection. */
export interface StoredDocument {
  id: string;
  title: string;
  text: string;
  metadata: Metadata;
  /** Hex SHA-256 of title + text + metadata, used to skip unchanged documents. */
  hash: string;
  /** Change sequence number of the commit that added this version. */
  seq: number;
}

/**
 * A Lucene-style explanation tree: `value` is the number this node contributes, `description`
 * says what it is (e.g. `idf, computed as log(1 + (N - n + 0.5) / (n + 0.5)) from:`), `details`
 * are the factors it was computed from.
 */
export interface Explanation {
  value: number;
  description: string;
  details: Explanation[];
}

/** BM25 parameters (Lucene's BM25Similarity). */
export interface Bm25Params {
  k1: number;
  b: number;
}
