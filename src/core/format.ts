/**
 * The envelope every persisted ralm structure is written in: a header naming the format and its
 * version, the payload length and the payload's CRC-32. A reader refuses an unknown format name,
 * an unknown version or a checksum mismatch with a RalmError naming the source (file or row).
 *
 * Layout (little-endian):
 *   0  4 bytes  magic "RALM"
 *   4  u8       length L of the format name (1..255)
 *   5  L bytes  format name, UTF-8 (e.g. "ralm.sparse.segment")
 *   .  u16      format version
 *   .  u32      payload length, low 32 bits
 *   .  u32      payload length, high bits
 *   .  u32      CRC-32 of the payload
 *   .  payload
 *
 * @example
 * ```ts
 * const bytes = encodeEnvelope({ format: 'ralm.example', version: 1 }, payload);
 * const { payload: back } = decodeEnvelope(bytes, { format: 'ralm.example', versions: [1], source: 'x.bin' });
 * ```
 */
import { crc32 } from './crc32.js';
import { RalmError } from './errors.js';

const MAGIC = [0x52, 0x41, 0x4c, 0x4d]; // "RALM"

export interface EnvelopeHeader {
  format: string;
  version: number;
}

export function encodeEnvelope(header: EnvelopeHeader, payload: Uint8Array): Uint8Array {
  const name = new TextEncoder().encode(header.format);
  if (name.length === 0 || name.length > 255) throw new RalmError('INVALID_ARGUMENT', `format name must be 1..255 bytes, got ${name.length}`);
  if (!Number.isInteger(header.version) || header.version < 0 || header.version > 0xffff) {
    throw new RalmError('INVALID_ARGUMENT', `format version must be an integer 0..65535, got ${header.version}`);
  }
  const headerLength = 4 + 1 + name.length + 2 + 4 + 4 + 4;
  const out = new Uint8Array(headerLength + payload.length);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  out.set(MAGIC, 0);
  out[4] = name.length;
  out.set(name, 5);
  let p = 5 + name.length;
  view.setUint16(p, header.version, true);
  p += 2;
  view.setUint32(p, payload.length >>> 0, true);
  view.setUint32(p + 4, Math.floor(payload.length / 2 ** 32), true);
  p += 8;
  view.setUint32(p, crc32(payload), true);
  p += 4;
  out.set(payload, p);
  return out;
}

/** Reads only the header, without checking the payload. Throws FORMAT if it is not a ralm envelope. */
export function readEnvelopeHeader(bytes: Uint8Array, source: string): EnvelopeHeader & { payloadOffset: number; payloadLength: number; checksum: number } {
  const fail = (why: string): never => {
    throw new RalmError('FORMAT', `${source}: not a ralm file (${why})`, { file: source });
  };
  if (bytes.length < 5) fail('too short');
  for (let i = 0; i < 4; i++) if (bytes[i] !== MAGIC[i]) fail('bad magic number');
  const nameLength = bytes[4]!;
  if (bytes.length < 5 + nameLength + 14) fail('truncated header');
  const format = new TextDecoder().decode(bytes.subarray(5, 5 + nameLength));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let p = 5 + nameLength;
  const version = view.getUint16(p, true);
  p += 2;
  const payloadLength = view.getUint32(p, true) + view.getUint32(p + 4, true) * 2 ** 32;
  p += 8;
  const checksum = view.getUint32(p, true);
  p += 4;
  return { format, version, payloadOffset: p, payloadLength, checksum };
}

export interface DecodeOptions {
  /** The expected format name. */
  format: string;
  /** The versions this build can read. */
  versions: readonly number[];
  /** Where the bytes came from, named in every error (a file path, or `collection.sqlite:segments/3`). */
  source: string;
}

/** Checks magic, format name, version, length and checksum; returns the payload (a view, not a copy). */
export function decodeEnvelope(bytes: Uint8Array, options: DecodeOptions): { version: number; payload: Uint8Array } {
  const { source } = options;
  const h = readEnvelopeHeader(bytes, source);
  if (h.format !== options.format) {
    throw new RalmError('FORMAT', `${source}: expected a "${options.format}" file, found "${h.format}"`, { file: source });
  }
  if (!options.versions.includes(h.version)) {
    throw new RalmError(
      'FORMAT_VERSION',
      `${source}: "${h.format}" version ${h.version} is not supported by this build of ralm (supported: ${options.versions.join(', ')}); upgrade ralm or rebuild the collection`,
      { file: source },
    );
  }
  if (bytes.length - h.payloadOffset !== h.payloadLength) {
    throw new RalmError('CHECKSUM', `${source}: truncated or padded: header says ${h.payloadLength} payload bytes, found ${bytes.length - h.payloadOffset}`, { file: source });
  }
  const payload = bytes.subarray(h.payloadOffset);
  const actual = crc32(payload);
  if (actual !== h.checksum) {
    throw new RalmError(
      'CHECKSUM',
      `${source}: checksum mismatch (stored ${h.checksum.toString(16).padStart(8, '0')}, computed ${actual.toString(16).padStart(8, '0')}); the file is corrupt`,
      { file: source },
    );
  }
  return { version: h.version, payload };
}
