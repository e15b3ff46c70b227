import { describe, expect, it } from 'vitest';
import { decideOutcome } from './index.js';

describe('decideOutcome (journaling filters)', () => {
  it.each([
    ['internal', false, false, { outcome: 'archive' }],
    ['internal', true, true, { outcome: 'archive' }],
    ['external', false, false, { outcome: 'reject', reason: 'external-not-journaled' }],
    ['external', false, true, { outcome: 'reject', reason: 'external-not-journaled' }],
    ['external', true, false, { outcome: 'archive' }],
    ['unknown-internal', false, false, { outcome: 'reject', reason: 'unknown-internal-not-journaled' }],
    ['unknown-internal', true, false, { outcome: 'reject', reason: 'unknown-internal-not-journaled' }],
    ['unknown-internal', false, true, { outcome: 'archive' }],
  ] as const)(
    '%s with journalNonInternal=%s, journalUnknownInternal=%s',
    (classification, journalNonInternal, journalUnknownInternal, expected) => {
      expect(decideOutcome(classification, { journalNonInternal, journalUnknownInternal })).toEqual(expected);
    },
  );
});
