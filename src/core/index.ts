export { RalmError, type RalmErrorCode, type RalmErrorOptions } from './errors.js';
export type { Metadata, DocumentSection, DocumentInput, StoredDocument, Explanation, Bm25Params } from './types.js';
export { crc32 } from './crc32.js';
export { encodeEnvelope, decodeEnvelope, readEnvelopeHeader, type EnvelopeHeader, type DecodeOptions } from './format.js';
