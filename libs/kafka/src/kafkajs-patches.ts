import { createRequire, Module } from 'node:module';
import { crc32c } from './crc32c.js';

/**
 * Two speed-ups to kafkajs's record encoding, which every produced byte goes through (the
 * pipeline benchmark found it the largest CPU cost of each service):
 * - record batches get their CRC-32C from `crc32c` instead of a byte-at-a-time loop;
 * - the encoder grows its buffer without zero-filling it (it only ever reads what it wrote).
 * The checksum is swapped in through the module cache, so this must run before kafkajs is
 * first loaded: libs/kafka imports it ahead of kafkajs, and nothing else imports kafkajs.
 */
const require = createRequire(import.meta.url);

interface EncoderClass {
  prototype: { buf: Buffer; offset: number; ensureAvailable(length: number): void };
  nextPowerOfTwo(value: number): number;
}

function patchChecksum(): boolean {
  const path = require.resolve('kafkajs/src/protocol/recordBatch/crc32C/index.js');
  if (require.cache[path]) return require.cache[path].exports === crc32c;
  const module = new Module(path);
  module.filename = path;
  module.loaded = true;
  module.exports = crc32c;
  require.cache[path] = module;
  return true;
}

function patchEncoder(): void {
  const Encoder = require('kafkajs/src/protocol/encoder.js') as EncoderClass;
  Encoder.prototype.ensureAvailable = function ensureAvailable(
    this: { buf: Buffer; offset: number },
    length: number,
  ): void {
    if (this.offset + length <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Encoder.nextPowerOfTwo(this.offset + length));
    this.buf.copy(grown, 0, 0, this.offset);
    this.buf = grown;
  };
}

interface RequestQueueClass {
  prototype: { pending: unknown[]; throttleCheckTimeoutId: unknown; scheduleCheckPendingRequests(): void };
}

/**
 * kafkajs 2.2.4 re-arms a timer after every response even with nothing queued, with a delay of
 * `-1 - Date.now()`: Node clamps it to 1 ms (a timer spinning per connection) and warns
 * TimeoutNegativeWarning. With nothing pending there is nothing to check: enqueueing re-arms it.
 */
function patchRequestQueue(): void {
  const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as RequestQueueClass;
  const schedule = RequestQueue.prototype.scheduleCheckPendingRequests;
  RequestQueue.prototype.scheduleCheckPendingRequests = function scheduleCheckPendingRequests(
    this: RequestQueueClass['prototype'],
  ): void {
    if (this.pending.length === 0) return;
    schedule.call(this);
  };
}

/** True when kafkajs uses the fast checksum (false: kafkajs was loaded before this module). */
export const kafkajsChecksumPatched = patchChecksum();
patchEncoder();
patchRequestQueue();
