/**
 * Segment serialization: the `ralm.sparse.segment` format, version 1, inside the ralm envelope
 * (name + version + CRC-32, see core/format.ts).
 *
 * Payload layout (little-endian; every section starts at a multiple of 8 bytes):
 *
 *   header (40 bytes): u32 documentCount, u32 termCount, u32 blockCount, u32 blockSize (128),
 *                      u32 documentsWithTerms, u32 termBytesLength, u32 postingsLength, u32 reserved (0),
 *                      f64 sumTotalTermFreq
 *   u32[documentCount]   doc keys, strictly ascending
 *   u8[documentCount]    norm bytes (Lucene intToByte4 of the document length)
 *   u32[termCount + 1]   term offsets into the term bytes
 *   u8[termBytesLength]  terms, UTF-8, sorted by bytes
 *   u32[termCount]       docFreq per term
 *   f64[termCount]       totalTermFreq per term
 *   u32[termCount + 1]   first block of each term
 *   u32[blockCount]      last doc id of each block
 *   u32[blockCount + 1]  byte offset of each block in the postings
 *   u32[blockCount]      largest frequency in each block
 *   u8[blockCount]       smallest norm byte in each block
 *   u8[postingsLength]   blocks (see packing.ts)
 *
 * Decoding creates typed-array views over the payload (copying it once only when it is not 8-byte
 * aligned) and allocates nothing per term.
 */
import { RalmError } from '../../core/errors.js';
import { decodeEnvelope, encodeEnvelope } from '../../core/format.js';
import { BLOCK_SIZE } from './packing.js';
import { Segment } from './segment.js';

/** The envelope format name of a serialized segment. */
export const SEGMENT_FORMAT = 'ralm.sparse.segment';
/** The segment format version this build writes (and the only one it reads). */
export const SEGMENT_FORMAT_VERSION = 1;

const HEADER_BYTES = 40;
const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function align8(n: number): number {
  return (n + 7) & ~7;
}

interface Layout {
  docKeys: number;
  norms: number;
  termOffsets: number;
  termBytes: number;
  docFreqs: number;
  totalTermFreqs: number;
  firstBlock: number;
  blockLastDoc: number;
  blockOffsets: number;
  blockMaxFreq: number;
  blockMinNorm: number;
  postings: number;
  end: number;
}

function layout(documentCount: number, termCount: number, blockCount: number, termBytesLength: number, postingsLength: number): Layout {
  let p = HEADER_BYTES;
  const take = (bytes: number): number => {
    const at = p;
    p = align8(p + bytes);
    return at;
  };
  const docKeys = take(4 * documentCount);
  const norms = take(documentCount);
  const termOffsets = take(4 * (termCount + 1));
  const termBytes = take(termBytesLength);
  const docFreqs = take(4 * termCount);
  const totalTermFreqs = take(8 * termCount);
  const firstBlock = take(4 * (termCount + 1));
  const blockLastDoc = take(4 * blockCount);
  const blockOffsets = take(4 * (blockCount + 1));
  const blockMaxFreq = take(4 * blockCount);
  const blockMinNorm = take(blockCount);
  const postings = take(postingsLength);
  return { docKeys, norms, termOffsets, termBytes, docFreqs, totalTermFreqs, firstBlock, blockLastDoc, blockOffsets, blockMaxFreq, blockMinNorm, postings, end: p };
}

function requireLittleEndian(): void {
  if (!littleEndian) throw new RalmError('UNSUPPORTED', 'ralm sparse segments need a little-endian platform');
}

/**
 * Serializes a segment into a `ralm.sparse.segment` v1 envelope.
 *
 * @example
 * ```ts
 * const bytes = encodeSegment(writer.finish());
 * db.prepare('INSERT INTO segments (id, data) VALUES (?, ?)').run(id, bytes);
 * ```
 */
export function encodeSegment(segment: Segment): Uint8Array {
  requireLittleEndian();
  const s = segment;
  const at = layout(s.documentCount, s.termCount, s.blockCount, s.termBytes.length, s.postings.length);
  const payload = new Uint8Array(at.end);
  const view = new DataView(payload.buffer);
  view.setUint32(0, s.documentCount, true);
  view.setUint32(4, s.termCount, true);
  view.setUint32(8, s.blockCount, true);
  view.setUint32(12, BLOCK_SIZE, true);
  view.setUint32(16, s.documentsWithTerms, true);
  view.setUint32(20, s.termBytes.length, true);
  view.setUint32(24, s.postings.length, true);
  view.setUint32(28, 0, true);
  view.setFloat64(32, s.sumTotalTermFreq, true);
  const put = (array: ArrayBufferView, offset: number): void => {
    payload.set(new Uint8Array(array.buffer, array.byteOffset, array.byteLength), offset);
  };
  put(s.docKeys, at.docKeys);
  put(s.norms, at.norms);
  put(s.termOffsets, at.termOffsets);
  put(s.termBytes, at.termBytes);
  put(s.docFreqs, at.docFreqs);
  put(s.totalTermFreqs, at.totalTermFreqs);
  put(s.firstBlock, at.firstBlock);
  put(s.blockLastDoc, at.blockLastDoc);
  put(s.blockOffsets, at.blockOffsets);
  put(s.blockMaxFreq, at.blockMaxFreq);
  put(s.blockMinNorm, at.blockMinNorm);
  put(s.postings, at.postings);
  return encodeEnvelope({ format: SEGMENT_FORMAT, version: SEGMENT_FORMAT_VERSION }, payload);
}

/**
 * Reads a segment written by `encodeSegment`. `source` names where the bytes came from (a file, or
 * `collection.sqlite:segments/3`) and appears in every error: FORMAT (not a segment / inconsistent
 * layout), FORMAT_VERSION (unknown version), CHECKSUM (corrupt bytes). The segment may keep views
 * of `bytes`; do not modify them afterwards.
 *
 * @example
 * ```ts
 * const segment = decodeSegment(row.data, `collection.sqlite:segments/${row.id}`);
 * ```
 */
export function decodeSegment(bytes: Uint8Array, source: string): Segment {
  requireLittleEndian();
  let { payload } = decodeEnvelope(bytes, { format: SEGMENT_FORMAT, versions: [SEGMENT_FORMAT_VERSION], source });
  const fail = (why: string): never => {
    throw new RalmError('FORMAT', `${source}: malformed ${SEGMENT_FORMAT} payload (${why})`, { file: source });
  };
  if (payload.length < HEADER_BYTES) fail('shorter than its header');
  if (payload.byteOffset % 8 !== 0) payload = payload.slice(); // one copy, so that typed-array views are aligned
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const documentCount = view.getUint32(0, true);
  const termCount = view.getUint32(4, true);
  const blockCount = view.getUint32(8, true);
  const blockSize = view.getUint32(12, true);
  const documentsWithTerms = view.getUint32(16, true);
  const termBytesLength = view.getUint32(20, true);
  const postingsLength = view.getUint32(24, true);
  const sumTotalTermFreq = view.getFloat64(32, true);
  if (blockSize !== BLOCK_SIZE) fail(`block size ${blockSize}, expected ${BLOCK_SIZE}`);
  const at = layout(documentCount, termCount, blockCount, termBytesLength, postingsLength);
  if (at.end !== payload.length) fail(`sections need ${at.end} bytes, payload has ${payload.length}`);
  const buffer = payload.buffer;
  const base = payload.byteOffset;
  const u32 = (offset: number, length: number): Uint32Array => new Uint32Array(buffer, base + offset, length);
  const u8 = (offset: number, length: number): Uint8Array => new Uint8Array(buffer, base + offset, length);
  const segment = new Segment({
    docKeys: u32(at.docKeys, documentCount),
    norms: u8(at.norms, documentCount),
    documentsWithTerms,
    sumTotalTermFreq,
    termOffsets: u32(at.termOffsets, termCount + 1),
    termBytes: u8(at.termBytes, termBytesLength),
    docFreqs: u32(at.docFreqs, termCount),
    totalTermFreqs: new Float64Array(buffer, base + at.totalTermFreqs, termCount),
    firstBlock: u32(at.firstBlock, termCount + 1),
    blockLastDoc: u32(at.blockLastDoc, blockCount),
    blockOffsets: u32(at.blockOffsets, blockCount + 1),
    blockMaxFreq: u32(at.blockMaxFreq, blockCount),
    blockMinNorm: u8(at.blockMinNorm, blockCount),
    postings: u8(at.postings, postingsLength),
  });
  if (segment.termOffsets[termCount] !== termBytesLength) fail('term offsets do not end at the term bytes length');
  if (segment.firstBlock[termCount] !== blockCount) fail('first-block table does not end at the block count');
  if (segment.blockOffsets[blockCount] !== postingsLength) fail('block offsets do not end at the postings length');
  return segment;
}
