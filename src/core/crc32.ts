/** CRC-32 (IEEE 802.3, the zlib/PNG polynomial), used as the checksum of every file ralm writes. */
import * as zlib from 'node:zlib';

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

const native = (zlib as unknown as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

/**
 * CRC-32 of `bytes` (continuing from `previous` when given).
 * @example crc32(new TextEncoder().encode('123456789')) === 0xcbf43926
 */
export function crc32(bytes: Uint8Array, previous = 0): number {
  if (native) return native(bytes, previous) >>> 0;
  let c = (previous ^ 0xffffffff) >>> 0;
  for (let i = 0; i < bytes.length; i++) c = TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
