/**
 * Document preparation: everything about a document that depends only on the document and the collection's
 * settings — validation, content hash, chunks, near-duplicate signatures and analyzed terms. It is pure (no store, no
 * index), so a worker thread can prepare documents (see `ingest-pool.ts`) while the collection applies prepared
 * documents one after the other, in order: the result is the same wherever it ran.
 */
import { RalmError } from '../core/errors.js';
import type { DocumentInput, DocumentSection, Metadata } from '../core/types.js';
import { getAnalyzer, standardTokenize } from '../analysis/index.js';
import type { Analyzer, TermTable } from '../analysis/types.js';
import { documentHash, metadataJson } from '../store/store.js';
import { chunkSpans, type ChunkOptions } from '../ingest/chunk.js';
import { minhashSignature, minhashSignatureOfTokens } from '../ingest/dedup.js';

/** Chunks shorter than this (in words) are never treated as near-duplicates: too little text to judge. */
export const MIN_DEDUPLICATE_TOKENS = 8;

/**
 * What preparing a document depends on: the collection's analyzer name, chunking and whether near-duplicates are
 * detected. Plain data, so it can be handed to a worker thread.
 *
 * @example
 * ```ts
 * const settings: PrepareSettings = { analyzer: 'english', chunking: { targetTokens: 256, overlapTokens: 38, maxTokens: 512 }, deduplicate: true };
 * ```
 */
export interface PrepareSettings {
  analyzer: string;
  chunking: ChunkOptions | false;
  deduplicate: boolean;
}

/**
 * A chunk of a prepared document: its span of the text, its heading path and page.
 *
 * @example
 * ```ts
 * const chunk: PreparedChunk = { ordinal: 0, start: 0, end: 42, headingPath: ['Guide'] };
 * ```
 */
export interface PreparedChunk {
  ordinal: number;
  start: number;
  end: number;
  headingPath?: string[];
  page?: number;
}

/**
 * A document ready to be written: validated fields, content hash, chunks and, per chunk, its analyzed terms and (with
 * near-duplicate detection) its MinHash signature — `null` for a chunk too short to judge.
 *
 * @example
 * ```ts
 * const prepared = prepareDocument({ id: 'a', text: 'Some text.' }, 0, settings);
 * prepared.terms[0]; // ['some', 'text']
 * ```
 */
export interface PreparedDocument {
  id: string;
  title: string;
  text: string;
  metadata: Metadata;
  hash: string;
  chunks: PreparedChunk[];
  /** Per chunk, its terms (empty when `encodedTerms` holds them). */
  terms: string[][];
  /** The terms in compact form, when they came from a worker thread: `terms` is then empty. */
  encodedTerms?: EncodedTerms;
  /** `metadata` as the store keeps it (JSON), when the preparing thread computed it (for the hash) already. */
  metadataJson?: string;
  signatures?: Array<Uint32Array | null>;
}

/**
 * Terms as numbers: ids into `table` (a worker's numbering of the terms it sent), chunk after chunk. The writer maps
 * them to its own term ids once per term, not once per occurrence.
 *
 * @example
 * ```ts
 * const encoded: EncodedTerms = { table: ['cat', 'run'], ids: Uint32Array.of(0, 1, 0), lengths: Uint32Array.of(3) };
 * ```
 */
export interface EncodedTerms {
  table: readonly string[];
  ids: Uint32Array;
  /** Terms per chunk. */
  lengths: Uint32Array;
}

/** A validated document: the fields of {@link DocumentInput} with defaults filled in. */
export interface NormalizedDocument {
  id: string;
  title: string;
  text: string;
  metadata: Metadata;
  sections?: DocumentSection[];
}

/**
 * Checks a document given to `Collection.add` (`index` is its position, for messages) and fills in the defaults.
 * Throws `RalmError('INVALID_ARGUMENT')` naming the document and the field.
 *
 * @example
 * ```ts
 * normalizeDocument({ id: 'a', text: 'body' }, 0); // { id: 'a', title: '', text: 'body', metadata: {}, sections: undefined }
 * ```
 */
export function normalizeDocument(input: DocumentInput, index: number): NormalizedDocument {
  if (input === null || typeof input !== 'object') throw new RalmError('INVALID_ARGUMENT', `document #${index + 1} is not an object`);
  const { id, title, text, metadata, sections } = input;
  if (typeof id !== 'string' || id.length === 0) throw new RalmError('INVALID_ARGUMENT', `document #${index + 1} has no id (a non-empty string is required)`);
  if (typeof text !== 'string') throw new RalmError('INVALID_ARGUMENT', `document "${id}" has no text (a string is required)`);
  if (title !== undefined && typeof title !== 'string') throw new RalmError('INVALID_ARGUMENT', `document "${id}": title must be a string`);
  if (metadata !== undefined && (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata))) {
    throw new RalmError('INVALID_ARGUMENT', `document "${id}": metadata must be a JSON object`);
  }
  if (sections !== undefined && !Array.isArray(sections)) throw new RalmError('INVALID_ARGUMENT', `document "${id}": sections must be an array`);
  return { id, title: title ?? '', text, metadata: metadata ?? {}, sections };
}

/**
 * Prepares one document (see {@link PreparedDocument}); `index` is its position among the documents given, for error
 * messages. `analyzer` defaults to the registered analyzer named in `settings`.
 *
 * @example
 * ```ts
 * const prepared = prepareDocument({ id: 'a', title: 'T', text: 'Body text.' }, 0, { analyzer: 'english', chunking: false, deduplicate: false });
 * ```
 */
export function prepareDocument(input: DocumentInput, index: number, settings: PrepareSettings, analyzer: Analyzer = getAnalyzer(settings.analyzer), vocabulary?: TermTable): PreparedDocument {
  const document = normalizeDocument(input, index);
  const json = metadataJson(document.metadata);
  const prepared = prepareNormalized(document, documentHash(document, json), settings, analyzer, vocabulary);
  prepared.metadataJson = json;
  return prepared;
}

/**
 * {@link prepareDocument} for a document already normalized and hashed. With `vocabulary`, the terms come out as ids
 * in it (`encodedTerms`, `terms` left empty): what ingest threads do, so that the writer maps ids, not strings.
 */
export function prepareNormalized(document: NormalizedDocument, hash: string, settings: PrepareSettings, analyzer: Analyzer, vocabulary?: TermTable): PreparedDocument {
  const { text, title } = document;
  let chunks: PreparedChunk[];
  let tokens: string[] | null = null;
  if (settings.chunking === false || text.length === 0) chunks = [{ ordinal: 0, start: 0, end: text.length }];
  else {
    const spans = chunkSpans({ text, sections: document.sections }, settings.chunking);
    chunks = spans.chunks.length === 0 ? [{ ordinal: 0, start: 0, end: text.length }] : spans.chunks.map((c, ordinal) => ({ ordinal, start: c.start, end: c.end, headingPath: c.headingPath, page: c.page }));
    tokens = spans.tokens;
  }
  const prepared: PreparedDocument = { id: document.id, title, text, metadata: document.metadata, hash, chunks, terms: [] };
  const signatures: Array<Uint32Array | null> | undefined = settings.deduplicate ? [] : undefined;
  const ids = vocabulary ? new IdBuilder(chunks.length) : null;
  for (const chunk of chunks) {
    const body = text.slice(chunk.start, chunk.end);
    // One tokenization of the chunk serves its signature and its analysis: the chunker's, for a one-chunk text.
    let bodyTokens: string[] | null = chunks.length === 1 ? tokens : null;
    const tokensOfBody = () => (bodyTokens ??= standardTokenize(body));
    if (signatures) {
      if (!hasAtLeastWords(body, MIN_DEDUPLICATE_TOKENS)) signatures.push(null);
      // the tokens stand for the lower-cased text's tokens exactly in Latin-1 text
      else signatures.push(isLatin1(body) ? minhashSignatureOfTokens(tokensOfBody()) : minhashSignature(body));
    }
    if (ids) ids.add(analyzeChunkIds(analyzer, title, body, chunk.ordinal, analyzer.analyzeTokensToIds ? tokensOfBody() : null, vocabulary!));
    else prepared.terms.push(analyzeChunk(analyzer, title, body, chunk.ordinal, analyzer.analyzeTokens ? tokensOfBody() : null));
  }
  if (ids) prepared.encodedTerms = { table: vocabulary!.terms, ids: ids.finish(), lengths: ids.lengths };
  if (signatures) prepared.signatures = signatures;
  return prepared;
}

/** The ids of a document's chunks, one after the other, in one growing buffer. */
class IdBuilder {
  private ids = new Uint32Array(256);
  private length = 0;
  private chunk = 0;
  readonly lengths: Uint32Array;

  constructor(chunks: number) {
    this.lengths = new Uint32Array(chunks);
  }

  add(chunkIds: ArrayLike<number>): void {
    const needed = this.length + chunkIds.length;
    if (needed > this.ids.length) {
      const grown = new Uint32Array(Math.max(needed, this.ids.length * 2));
      grown.set(this.ids.subarray(0, this.length));
      this.ids = grown;
    }
    this.ids.set(chunkIds, this.length);
    this.length = needed;
    this.lengths[this.chunk++] = chunkIds.length;
  }

  /** The ids, in a buffer of their own (it may be transferred to another thread). */
  finish(): Uint32Array {
    return this.ids.slice(0, this.length);
  }
}

/**
 * What a chunk is analyzed as (`chunkText`): its text, and that text's `standardTokenize` tokens when they follow
 * from the body's (null: analyze the text).
 */
function chunkInput(title: string, body: string, ordinal: number, tokens: string[] | null): { text: string; tokens: string[] | null } {
  if (ordinal !== 0 || !title) return { text: body, tokens };
  const text = `${title} ${body}`;
  // tokens(title + ' ' + body) = tokens(title) ++ tokens(body) when the body starts with a Latin-1 character other
  // than the soft hyphen: UAX #29 breaks after a space followed by such a character, and no rule looks across it
  const first = body.length === 0 ? 0x20 : body.charCodeAt(0);
  if (!tokens || first >= 0x100 || first === 0xad) return { text, tokens: null };
  return { text, tokens: [...standardTokenize(title), ...tokens] };
}

/** The terms of a chunk as indexed (`chunkText`), from the body's tokens when the analyzer can use them. */
function analyzeChunk(analyzer: Analyzer, title: string, body: string, ordinal: number, tokens: string[] | null): string[] {
  const input = chunkInput(title, body, ordinal, tokens);
  return input.tokens ? analyzer.analyzeTokens!(input.text, input.tokens) : analyzer.analyze(input.text);
}

/** {@link analyzeChunk} as ids in `vocabulary` (a view of the analyzer's buffer, or a new array). */
function analyzeChunkIds(analyzer: Analyzer, title: string, body: string, ordinal: number, tokens: string[] | null, vocabulary: TermTable): ArrayLike<number> {
  const input = chunkInput(title, body, ordinal, tokens);
  if (input.tokens) return analyzer.analyzeTokensToIds!(input.text, input.tokens, vocabulary);
  return Int32Array.from(analyzer.analyze(input.text), (term) => vocabulary.idOf(term));
}

/** The text a chunk is indexed as: its span, with the document's title before the first chunk. */
export function chunkText(title: string, text: string, chunk: { ordinal: number; start: number; end: number }): string {
  const body = text.slice(chunk.start, chunk.end);
  return chunk.ordinal === 0 && title ? `${title} ${body}` : body;
}

/** Whether `text` has at least `n` words (or CJK characters); stops counting at `n`. */
export function hasAtLeastWords(text: string, n: number): boolean {
  let count = 0;
  let inWord = false;
  for (let i = 0; i < text.length && count < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x3000) {
      count++; // CJK and other wide scripts: a character is a token
      inWord = false;
    } else if ((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c >= 0xc0) {
      if (!inWord) count++;
      inWord = true;
    } else inWord = false;
  }
  return count >= n;
}

function isLatin1(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0xff) return false;
  return true;
}
