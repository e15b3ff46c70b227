// The producers' partitioner: Java's murmur2 of the key, the sign bit cleared, modulo the partition
// count (Kafka's default for keyed records, and kafkajs's). @platformatic/kafka ships the same
// hash computed with BigInts, at about 6 µs a key; this one uses 32-bit integer arithmetic.

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

/** Kafka's `Utils.murmur2` of `data`, as a signed 32-bit integer. */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = SEED ^ length;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  const rest = length - whole;
  if (rest > 0) {
    if (rest === 3) h ^= data[whole + 2]! << 16;
    if (rest >= 2) h ^= data[whole + 1]! << 8;
    h ^= data[whole]!;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** The partition a record with this key (as bytes) goes to. */
export function partitionForKeyBytes(key: Uint8Array, partitionCount: number): number {
  return (murmur2(key) & 0x7fffffff) % partitionCount;
}

/** The partition a record with this key goes to. */
export function partitionForKey(key: string, partitionCount: number): number {
  return partitionForKeyBytes(Buffer.from(key), partitionCount);
}

/**
 * The same placement as the producers' `partitioner` option (the client reduces it modulo the
 * partition count). Our sends name each record's partition themselves; this covers any other send.
 */
export function keyPartitioner(_message: unknown, key: unknown): number {
  return Buffer.isBuffer(key) ? murmur2(key) & 0x7fffffff : 0;
}
