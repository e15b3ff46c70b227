import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { kafkajsChecksumPatched } from './kafkajs-patches.js';
import { crc32c } from './crc32c.js';

const require = createRequire(import.meta.url);

/** The textbook definition, one bit at a time: the reference the fast version must match. */
function bitwiseCrc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

describe('crc32c', () => {
  it('gives the standard check value and matches the bitwise definition at every alignment and length', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(0))).toBe(0);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.integer({ min: 0, max: 7 }), (bytes, shift) => {
        const padded = new Uint8Array(bytes.length + shift);
        padded.set(bytes, shift);
        const view = padded.subarray(shift);
        expect(crc32c(view)).toBe(bitwiseCrc32c(view));
      }),
      { numRuns: 500 },
    );
  });

  it('is the checksum kafkajs puts in the record batches it encodes', async () => {
    expect(kafkajsChecksumPatched).toBe(true);
    const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js') as {
      RecordBatch: (options: { records: unknown[] }) => Promise<{ buffer: Buffer }>;
    };
    const Record = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (
      options: Record<string, unknown>,
    ) => unknown;
    const value = createHash('sha512').update('journalwire').digest();
    const records = [0, 1, 2].map((offsetDelta) =>
      Record({ offsetDelta, timestampDelta: 0, key: Buffer.from('k'), value, headers: {} }),
    );
    const encoded = (await RecordBatch({ records })).buffer;
    // firstOffset (8) + length (4) + leader epoch (4) + magic (1), then the CRC over the rest.
    const crc = encoded.readUInt32BE(17);
    expect(crc).toBe(bitwiseCrc32c(encoded.subarray(21)));
  });
});
