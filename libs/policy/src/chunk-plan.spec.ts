import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planChunk, type ArchiveClaim, type PlanInput, type PlanWrites, type PriorOutcome } from './index.js';

const allFlags = { journalNonInternal: true, journalUnknownInternal: true };

function input(rawId: string, offset: number, overrides: Partial<PlanInput> = {}): PlanInput {
  const dedupKey = overrides.dedupKey ?? `key-${rawId}`;
  return {
    rawId,
    source: { partition: 0, offset: String(offset) },
    classification: 'internal',
    flags: allFlags,
    dedupKey,
    archiveId: `ar-${dedupKey}`,
    mailboxes: [`${rawId}@contoso.com`],
    ...overrides,
  };
}

/** What the outcome store holds after `writes`, for the sequential reference. */
function applyWrites(
  writes: PlanWrites,
  priors: Map<string, PriorOutcome>,
  claims: Map<string, ArchiveClaim & { mailboxes: string[] }>,
): void {
  for (const claim of writes.newClaims)
    if (!claims.has(claim.dedupKey)) claims.set(claim.dedupKey, { ...claim, mailboxes: [...claim.mailboxes] });
  for (const { dedupKey, mailboxes } of writes.addedMailboxes) {
    const claim = claims.get(dedupKey)!;
    claim.mailboxes = [...new Set([...claim.mailboxes, ...mailboxes])];
  }
  for (const { dedupKey, source } of writes.movedClaims) claims.get(dedupKey)!.source = source;
  for (const o of writes.outcomes)
    priors.set(o.rawId, { outcome: o.outcome, archiveId: o.archiveId, source: o.source });
}

describe('planChunk', () => {
  it('rejects a redelivery of a rejected message again, but decides a replay of it afresh', () => {
    const priors = new Map<string, PriorOutcome>([
      ['r1', { outcome: 'rejected', archiveId: null, source: { partition: 0, offset: '1' } }],
    ]);
    const redelivery = planChunk([input('r1', 7)], priors, new Map());
    expect(redelivery.outcomes).toEqual([{ kind: 'reject', reason: 'external-not-journaled' }]);
    const replay = planChunk([input('r1', 8, { replay: true })], priors, new Map());
    expect(replay.outcomes).toEqual([{ kind: 'archive', archiveId: 'ar-key-r1' }]);
    expect(replay.writes.outcomes).toEqual([
      { rawId: 'r1', outcome: 'archived', archiveId: 'ar-key-r1', source: { partition: 0, offset: '8' } },
    ]);
  });

  it('archives the first message of a dedup key and merges the later ones, adding their mailboxes', () => {
    const plan = planChunk(
      [input('r1', 1, { dedupKey: 'k' }), input('r2', 2, { dedupKey: 'k' }), input('r3', 3, { dedupKey: 'k' })],
      new Map(),
      new Map(),
    );
    expect(plan.outcomes).toEqual([
      { kind: 'archive', archiveId: 'ar-k' },
      { kind: 'merge', archiveId: 'ar-k' },
      { kind: 'merge', archiveId: 'ar-k' },
    ]);
    expect(plan.writes.newClaims).toEqual([
      {
        dedupKey: 'k',
        archiveId: 'ar-k',
        firstRawId: 'r1',
        source: { partition: 0, offset: '1' },
        mailboxes: ['r1@contoso.com', 'r2@contoso.com', 'r3@contoso.com'],
      },
    ]);
    expect(plan.writes.addedMailboxes).toEqual([]);
    expect(plan.writes.outcomes.map((o) => [o.rawId, o.outcome])).toEqual([
      ['r1', 'archived'],
      ['r2', 'merged'],
      ['r3', 'merged'],
    ]);
  });

  it('merges into a claim made before the chunk and adds the mailboxes to it', () => {
    const claims = new Map([['k', { archiveId: 'ar-old', firstRawId: 'r0', source: { partition: 1, offset: '7' } }]]);
    const plan = planChunk([input('r1', 1, { dedupKey: 'k' })], new Map(), claims);
    expect(plan.outcomes).toEqual([{ kind: 'merge', archiveId: 'ar-old' }]);
    expect(plan.writes.newClaims).toEqual([]);
    expect(plan.writes.addedMailboxes).toEqual([{ dedupKey: 'k', mailboxes: ['r1@contoso.com'] }]);
  });

  it('rejects what the filters exclude and what belongs to no known connector', () => {
    const plan = planChunk(
      [
        input('r1', 1, {
          classification: 'external',
          flags: { journalNonInternal: false, journalUnknownInternal: true },
        }),
        input('r2', 2, {
          classification: 'unknown-internal',
          flags: { journalNonInternal: true, journalUnknownInternal: false },
        }),
        input('r3', 3, { flags: null }),
      ],
      new Map(),
      new Map(),
    );
    expect(plan.outcomes).toEqual([
      { kind: 'reject', reason: 'external-not-journaled' },
      { kind: 'reject', reason: 'unknown-internal-not-journaled' },
      { kind: 'reject', reason: 'connector-unknown' },
    ]);
    expect(plan.writes.newClaims).toEqual([]);
    expect(plan.writes.outcomes.every((o) => o.outcome === 'rejected')).toBe(true);
  });

  it('joins a raw message published twice to its first outcome, without writing again', () => {
    const priors = new Map<string, PriorOutcome>([
      ['r1', { outcome: 'archived', archiveId: 'ar-k', source: { partition: 0, offset: '1' } }],
    ]);
    const plan = planChunk([input('r1', 9, { dedupKey: 'k' }), input('r2', 10), input('r2', 11)], priors, new Map());
    expect(plan.outcomes).toEqual([
      { kind: 'merge', archiveId: 'ar-k' },
      { kind: 'archive', archiveId: 'ar-key-r2' },
      { kind: 'merge', archiveId: 'ar-key-r2' },
    ]);
    expect(plan.writes.outcomes.map((o) => o.rawId)).toEqual(['r2']);
  });

  it('decides a replayed chunk as before, and hands a claim to the copy that commits', () => {
    const claims = new Map([['k', { archiveId: 'ar-k', firstRawId: 'r1', source: { partition: 0, offset: '1' } }]]);
    const replay = planChunk(
      [input('r1', 1, { dedupKey: 'k' })],
      new Map([
        ['r1', { outcome: 'archived', archiveId: 'ar-k', source: { partition: 0, offset: '1' } } as PriorOutcome],
      ]),
      claims,
    );
    expect(replay.outcomes).toEqual([{ kind: 'archive', archiveId: 'ar-k' }]);
    expect(replay.writes.movedClaims).toEqual([]);
    // The first copy's outcome never committed (no prior), but its claim did: the new copy takes it.
    const moved = planChunk([input('r1', 5, { dedupKey: 'k' })], new Map(), claims);
    expect(moved.outcomes).toEqual([{ kind: 'archive', archiveId: 'ar-k' }]);
    expect(moved.writes.movedClaims).toEqual([{ dedupKey: 'k', source: { partition: 0, offset: '5' } }]);
  });

  it('decides a chunk exactly as one message at a time would', () => {
    // A raw id always carries the same message (dedup key, classification); raw ids 0 and 4, 1 and 5
    // share a dedup key. Connectors may be known or not, and their flags may change between chunks.
    const message = fc.record({
      raw: fc.integer({ min: 0, max: 5 }),
      known: fc.boolean(),
      nonInternal: fc.boolean(),
      mailbox: fc.constantFrom('a@contoso.com', 'b@contoso.com'),
    });
    fc.assert(
      fc.property(fc.array(message, { maxLength: 12 }), fc.array(message, { maxLength: 12 }), (earlier, chunk) => {
        const toInputs = (list: typeof chunk, firstOffset: number) =>
          list.map((m, i) =>
            input(`r${m.raw}`, firstOffset + i, {
              dedupKey: `k${m.raw % 4}`,
              archiveId: `ar-k${m.raw % 4}`,
              classification: (['internal', 'external', 'unknown-internal'] as const)[m.raw % 3]!,
              flags: m.known ? { journalNonInternal: m.nonInternal, journalUnknownInternal: true } : null,
              mailboxes: [m.mailbox],
            }),
          );
        const history = toInputs(earlier, 0);
        const current = toInputs(chunk, 100);

        const startPriors = new Map<string, PriorOutcome>();
        const startClaims = new Map<string, ArchiveClaim & { mailboxes: string[] }>();
        applyWrites(planChunk(history, startPriors, startClaims).writes, startPriors, startClaims);

        const onePriors = new Map(startPriors);
        const oneClaims = new Map([...startClaims].map(([k, c]) => [k, { ...c, mailboxes: [...c.mailboxes] }]));
        const oneAtATime = current.map((i) => {
          const plan = planChunk([i], onePriors, oneClaims);
          applyWrites(plan.writes, onePriors, oneClaims);
          return plan.outcomes[0];
        });

        const chunkPriors = new Map(startPriors);
        const chunkClaims = new Map([...startClaims].map(([k, c]) => [k, { ...c, mailboxes: [...c.mailboxes] }]));
        const whole = planChunk(current, chunkPriors, chunkClaims);
        applyWrites(whole.writes, chunkPriors, chunkClaims);

        expect(whole.outcomes).toEqual(oneAtATime);
        expect(chunkPriors).toEqual(onePriors);
        const sorted = (claims: typeof oneClaims) =>
          new Map([...claims].map(([k, c]) => [k, { ...c, mailboxes: [...c.mailboxes].sort() }]));
        expect(sorted(chunkClaims)).toEqual(sorted(oneClaims));
      }),
      { numRuns: 300 },
    );
  });
});
