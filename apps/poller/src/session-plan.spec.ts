import { describe, expect, it } from 'vitest';
import type { LedgerState, RetrievalFailure } from './ledger.js';
import { planBatches, planSession, type MailboxListing, type PlanSettings } from './session-plan.js';

const settings: PlanSettings = {
  maxRetrievalAttempts: 3,
  maxMessagesPerSession: 100,
  batchMaxMessages: 2,
  batchMaxBytes: 1 << 20,
  inlineLimitBytes: 1000,
};

/** A mailbox of `count` messages of 100 bytes, UIDL u1..uN (listed out of order, as a server may). */
function listing(
  count: number,
  ledger: Record<string, LedgerState> = {},
  failures: Record<string, RetrievalFailure> = {},
  sizes: Record<number, number> = {},
): MailboxListing {
  const msgs = Array.from({ length: count }, (_, i) => i + 1).reverse();
  return {
    uidls: msgs.map((msg) => ({ msg, uid: `u${msg}` })),
    sizes: msgs.map((msg) => ({ msg, size: sizes[msg] ?? 100 })),
    ledger: new Map(Object.entries(ledger)),
    failures: new Map(Object.entries(failures)),
  };
}

const row = (listSize: number | null, deletedAt: Date | null = null): LedgerState => ({
  sha256: 'x',
  size: 100,
  listSize,
  deletedAt,
});
const uidls = (batches: Array<Array<{ uidl: string }>>) => batches.map((b) => b.map((w) => w.uidl));

describe('planSession', () => {
  it('batches every message in message-number order when the ledger knows none', () => {
    const plan = planSession(listing(5), settings);
    expect(uidls(plan.batches)).toEqual([['u1', 'u2'], ['u3', 'u4'], ['u5']]);
    expect(plan).toMatchObject({ skipped: [], deleteOnly: [], reused: [], moreRemaining: false });
  });

  it('only DELEs what the ledger has with the same LIST size, and publishes a reused UIDL', () => {
    const plan = planSession(
      listing(4, {
        u1: row(100), // published before a crash: delete only
        u2: row(250), // another size: the server reused the UIDL
        u3: row(100, new Date()), // a QUIT confirmed its deletion: a new message
        u4: row(null), // an older row without a LIST size is judged by its published size
      }),
      settings,
    );
    expect(plan.deleteOnly.map((w) => w.uidl)).toEqual(['u1', 'u4']);
    expect(plan.reused.map((w) => w.uidl)).toEqual(['u2']);
    expect(uidls(plan.batches)).toEqual([['u2', 'u3']]);
  });

  it('skips messages refused too often and remembers those refused fewer times', () => {
    const plan = planSession(
      listing(
        3,
        {},
        { u1: { uidl: 'u1', attempts: 3, lastError: 'no' }, u2: { uidl: 'u2', attempts: 1, lastError: 'no' } },
      ),
      settings,
    );
    expect(plan.skipped).toEqual([{ uidl: 'u1', attempts: 3, error: 'no' }]);
    expect([...plan.refusedBefore]).toEqual(['u2']);
    expect(uidls(plan.batches)).toEqual([['u2', 'u3']]);
  });

  it('takes at most maxMessagesPerSession (skipped ones not counted) and says more remain', () => {
    const failures = { u1: { uidl: 'u1', attempts: 9, lastError: 'no' } };
    const plan = planSession(listing(5, { u2: row(100) }, failures), { ...settings, maxMessagesPerSession: 2 });
    expect(plan.deleteOnly.map((w) => w.uidl)).toEqual(['u2']);
    expect(uidls(plan.batches)).toEqual([['u3']]);
    expect(plan.moreRemaining).toBe(true);
  });

  it('uses the LIST size of each message (0 when LIST left it out)', () => {
    const plan = planSession({ ...listing(2, {}, {}, { 2: 5000 }), sizes: [{ msg: 2, size: 5000 }] }, settings);
    expect(plan.batches.flat().map((w) => [w.uidl, w.size])).toEqual([
      ['u1', 0],
      ['u2', 5000],
    ]);
  });
});

describe('planBatches', () => {
  it('caps messages and bytes per batch, keeping order', () => {
    const items = [10, 10, 10, 50, 10, 5000, 10].map((size, i) => ({ size, i }));
    const batches = planBatches(items, 3, 60, 1000);
    expect(batches.map((b) => b.map((x) => x.i))).toEqual([[0, 1, 2], [3, 4], [5], [6]]);
  });
});
