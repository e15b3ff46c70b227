import { describe, expect, it } from 'vitest';
import { reconcile, type RawEntry } from './conservation.js';

const raw = (offset: number): RawEntry => ({
  ref: { partition: 0, offset: String(offset) },
  connectorId: 'c',
  uidl: `u${offset}`,
  sha256: 'a'.repeat(64),
});

describe('reconcile', () => {
  it('is ok when every raw record has exactly one outcome', () => {
    const report = reconcile(
      [raw(1), raw(2), raw(3)],
      [
        { ref: { partition: 0, offset: '1' }, kind: 'archived', archiveId: 'a1' },
        { ref: { partition: 0, offset: '2' }, kind: 'merged', archiveId: 'a1' },
        { ref: { partition: 0, offset: '3' }, kind: 'rejected' },
      ],
    );
    expect(report.ok).toBe(true);
    expect(report.outcomes).toEqual({ archived: 1, merged: 1, rejected: 1, 'dead-lettered': 0 });
  });

  it('finds a planted gap, a double outcome and a double archive', () => {
    const report = reconcile(
      [raw(1), raw(2), raw(3)],
      [
        { ref: { partition: 0, offset: '1' }, kind: 'archived', archiveId: 'a1' },
        { ref: { partition: 0, offset: '1' }, kind: 'dead-lettered' },
        { ref: { partition: 0, offset: '3' }, kind: 'archived', archiveId: 'a1' },
      ],
    );
    expect(report.ok).toBe(false);
    expect(report.missing.map((m) => m.uidl)).toEqual(['u2']);
    expect(report.duplicated).toHaveLength(1);
    expect(report.archivedTwice).toEqual(['a1']);
  });

  it('pairs a replay with the outcome it replays; both raw records balance', () => {
    const replay: RawEntry = {
      ...raw(9),
      replayOf: {
        outcome: { topic: 'journal.dlq.v2', partition: 2, offset: '5' },
        rawRecord: { partition: 0, offset: '1' },
      },
    };
    const report = reconcile(
      [raw(1), replay],
      [
        { ref: { partition: 0, offset: '1' }, kind: 'dead-lettered' },
        { ref: { partition: 0, offset: '9' }, kind: 'archived', archiveId: 'a1' },
      ],
    );
    expect(report.ok).toBe(true);
    expect(report.replayed).toEqual([
      {
        ref: { partition: 0, offset: '9' },
        of: { topic: 'journal.dlq.v2', partition: 2, offset: '5' },
        original: { partition: 0, offset: '1' },
        originalOutcomes: ['dead-lettered'],
        outcomes: ['archived'],
      },
    ]);
  });
});
