import { endianness } from 'node:os';

/**
 * CRC-32C (Castagnoli), the checksum of Kafka record batches, eight bytes per step
 * ("slicing-by-8"): about three times faster than kafkajs's byte-at-a-time table, which matters
 * because every byte a producer sends goes through it.
 */
const TABLES = buildTables();

function buildTables(): Int32Array[] {
  const tables = Array.from({ length: 8 }, () => new Int32Array(256));
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    tables[0]![n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = tables[0]![n]!;
    for (let t = 1; t < 8; t++) {
      c = tables[0]![c & 0xff]! ^ (c >>> 8);
      tables[t]![n] = c;
    }
  }
  return tables;
}

const LITTLE_ENDIAN = endianness() === 'LE';

export function crc32c(bytes: Uint8Array): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = TABLES as [
    Int32Array,
    Int32Array,
    Int32Array,
    Int32Array,
    Int32Array,
    Int32Array,
    Int32Array,
    Int32Array,
  ];
  let crc = -1;
  let i = 0;
  const length = bytes.length;
  if (LITTLE_ENDIAN) {
    // Byte at a time up to a 4-byte boundary, then two aligned 32-bit words per step.
    while (i < length && ((bytes.byteOffset + i) & 3) !== 0) crc = t0[(crc ^ bytes[i++]!) & 0xff]! ^ (crc >>> 8);
    const pairs = (length - i) >>> 3;
    const words = pairs > 0 ? new Int32Array(bytes.buffer, bytes.byteOffset + i, pairs * 2) : new Int32Array(0);
    for (let w = 0; w < words.length; w += 2) {
      const lo = crc ^ words[w]!;
      const hi = words[w + 1]!;
      crc =
        t7[lo & 0xff]! ^
        t6[(lo >>> 8) & 0xff]! ^
        t5[(lo >>> 16) & 0xff]! ^
        t4[lo >>> 24]! ^
        t3[hi & 0xff]! ^
        t2[(hi >>> 8) & 0xff]! ^
        t1[(hi >>> 16) & 0xff]! ^
        t0[hi >>> 24]!;
    }
    i += pairs * 8;
  }
  while (i < length) crc = t0[(crc ^ bytes[i++]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}
