import { createHash } from 'node:crypto';

/** Longest Kafka key or header value (UTF-8 bytes) taken verbatim from input a sender may control. */
export const MAX_KEY_BYTES = 256;

/**
 * A Kafka key (or header value) of bounded size: the value itself when short, else
 * `sha256:<hex of its UTF-8>`. The full value stays in the record it keys.
 */
export function boundedKey(value: string): string {
  if (Buffer.byteLength(value) <= MAX_KEY_BYTES) return value;
  return `sha256:${createHash('sha256').update(value).digest('hex')}`;
}
