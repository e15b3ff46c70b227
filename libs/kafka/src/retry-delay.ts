import { kafkaErrorTypes } from './kafka-errors.js';

/** Tries of a failed request and the pause before each: 300 ms doubling to 10 s (about 40 s in all). */
export const RETRIES = 8;
/**
 * CONCURRENT_TRANSACTIONS is not a failure: the coordinator is still writing the markers of the
 * producer's last transaction (a few ms), and every transaction begun right after a commit meets
 * it. Like the Java client (20 ms for AddPartitionsToTxn), it is retried soon: 10 ms doubling to
 * 500 ms. With the general 300 ms pause, a third of back-to-back transactions stalled 300 ms.
 */
export function retryDelay(
  _client: unknown,
  _operation: string,
  attempt: number,
  _retries: number,
  error: unknown,
): number {
  if (kafkaErrorTypes(error).includes('CONCURRENT_TRANSACTIONS'))
    return Math.min(500, 10 * 2 ** Math.max(0, attempt - 1));
  return Math.min(10_000, 300 * 2 ** Math.max(0, attempt - 1));
}
