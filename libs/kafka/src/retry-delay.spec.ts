import { describe, expect, it } from 'vitest';
import { retryDelay } from './retry-delay.js';

/** The client's error for a request the broker answered with a protocol error. */
const protocolError = (apiId: string) => ({ code: 'PLT_KFK_PROTOCOL', apiId, canRetry: true });

describe('retryDelay', () => {
  it('retries CONCURRENT_TRANSACTIONS within milliseconds, wherever it sits in the error chain', () => {
    const concurrent = protocolError('CONCURRENT_TRANSACTIONS');
    expect(retryDelay(null, 'addPartitionsToTransaction', 1, 8, concurrent)).toBe(10);
    expect(retryDelay(null, 'addPartitionsToTransaction', 3, 8, { errors: [concurrent] })).toBe(40);
    expect(retryDelay(null, 'addPartitionsToTransaction', 8, 8, { cause: concurrent })).toBe(500);
  });

  it('waits 300 ms doubling to 10 s for anything else (an outage is not hammered)', () => {
    const network = { code: 'PLT_KFK_NETWORK', canRetry: true };
    expect(retryDelay(null, 'produce', 1, 8, network)).toBe(300);
    expect(retryDelay(null, 'produce', 2, 8, protocolError('NOT_LEADER_OR_FOLLOWER'))).toBe(600);
    expect(retryDelay(null, 'metadata', 8, 8, network)).toBe(10_000);
  });
});
