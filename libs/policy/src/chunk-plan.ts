import { decideOutcome, type Classification, type JournalingFlags } from './decide-outcome.js';

/** Where a raw record sits in journal.raw.v2: two copies of one raw message differ here. */
export interface RawSource {
  partition: number;
  offset: string;
}

export type RejectReason = 'external-not-journaled' | 'unknown-internal-not-journaled' | 'connector-unknown';

/** One classified message, reduced to what the decision needs. */
export interface PlanInput {
  rawId: string;
  source: RawSource;
  /** An operator's replay of a dead letter or rejection: a prior rejection is decided again. */
  replay?: boolean;
  classification: Classification;
  /** The connector's journaling flags; null when the connector is unknown. */
  flags: JournalingFlags | null;
  dedupKey: string;
  /** The archive id this message gets if it is the first of its dedup key. */
  archiveId: string;
  mailboxes: string[];
}

/** An outcome already recorded for a raw id. */
export interface PriorOutcome {
  outcome: 'archived' | 'rejected' | 'merged' | 'dead-lettered';
  archiveId: string | null;
  source: RawSource;
}

/** Who holds a dedup key: the raw message archived first under it. */
export interface ArchiveClaim {
  archiveId: string;
  firstRawId: string;
  source: RawSource;
}

export type PlannedOutcome =
  | { kind: 'archive'; archiveId: string }
  | { kind: 'merge'; archiveId: string }
  | { kind: 'reject'; reason: RejectReason };

export interface NewClaim extends ArchiveClaim {
  dedupKey: string;
  mailboxes: string[];
}

/** The writes that make a chunk's decisions durable; each list holds a key at most once. */
export interface PlanWrites {
  newClaims: NewClaim[];
  /** Mailboxes to add to claims that existed before the chunk. */
  addedMailboxes: Array<{ dedupKey: string; mailboxes: string[] }>;
  /** Claims that existed before the chunk, handed to another copy of the same raw message. */
  movedClaims: Array<{ dedupKey: string; source: RawSource }>;
  outcomes: Array<{
    rawId: string;
    outcome: 'archived' | 'rejected' | 'merged';
    archiveId: string | null;
    source: RawSource;
  }>;
}

export interface ChunkPlan {
  /** One per input, in order. */
  outcomes: PlannedOutcome[];
  writes: PlanWrites;
}

/**
 * Decides a chunk of messages as if each were decided after the previous one's writes, given
 * the outcomes and claims recorded before the chunk. Exactly one outcome per raw message:
 * - a raw message seen before from another raw record (a redelivery) joins its earlier outcome,
 *   except that a replayed rejection is decided again (the operator changed a filter);
 * - a message the connector's filters exclude is rejected;
 * - the first message of a dedup key is archived, later ones are merged into that archive.
 * Pure: the caller reads `priors` and `claims` before and applies `writes` after.
 */
export function planChunk(
  inputs: PlanInput[],
  priors: ReadonlyMap<string, PriorOutcome>,
  claims: ReadonlyMap<string, ArchiveClaim>,
): ChunkPlan {
  const outcomeOf = new Map(priors);
  const claimOf = new Map<string, ArchiveClaim>(claims);
  const newClaims = new Map<string, NewClaim>();
  const addedMailboxes = new Map<string, Set<string>>();
  const movedClaims = new Map<string, RawSource>();
  const outcomeWrites = new Map<string, PlanWrites['outcomes'][number]>();
  const record = (input: PlanInput, outcome: 'archived' | 'rejected' | 'merged', archiveId: string | null) => {
    outcomeWrites.delete(input.rawId); // keeps the map in decision order
    outcomeWrites.set(input.rawId, { rawId: input.rawId, outcome, archiveId, source: input.source });
    outcomeOf.set(input.rawId, { outcome, archiveId, source: input.source });
  };

  const outcomes = inputs.map((input): PlannedOutcome => {
    if (!input.flags) {
      record(input, 'rejected', null);
      return { kind: 'reject', reason: 'connector-unknown' };
    }
    const decision = decideOutcome(input.classification, input.flags);
    const prior = outcomeOf.get(input.rawId);
    if (prior && !sameSource(prior.source, input.source)) {
      if ((prior.outcome === 'archived' || prior.outcome === 'merged') && prior.archiveId)
        return { kind: 'merge', archiveId: prior.archiveId };
      if (prior.outcome === 'rejected' && !input.replay)
        return { kind: 'reject', reason: decision.outcome === 'reject' ? decision.reason : 'external-not-journaled' };
    }
    if (decision.outcome === 'reject') {
      record(input, 'rejected', null);
      return { kind: 'reject', reason: decision.reason };
    }

    let claim = claimOf.get(input.dedupKey);
    if (!claim) {
      const created: NewClaim = {
        dedupKey: input.dedupKey,
        archiveId: input.archiveId,
        firstRawId: input.rawId,
        source: input.source,
        mailboxes: [...input.mailboxes],
      };
      newClaims.set(input.dedupKey, created);
      claimOf.set(input.dedupKey, created);
      claim = created;
    }
    if (claim.firstRawId !== input.rawId) {
      const created = newClaims.get(input.dedupKey);
      if (created) created.mailboxes = union(created.mailboxes, input.mailboxes);
      else
        addedMailboxes.set(
          input.dedupKey,
          new Set([...(addedMailboxes.get(input.dedupKey) ?? []), ...input.mailboxes]),
        );
      record(input, 'merged', claim.archiveId);
      return { kind: 'merge', archiveId: claim.archiveId };
    }
    if (!sameSource(claim.source, input.source)) {
      // The claim's holder is this raw message, published again: its first copy never committed.
      claim = { ...claim, source: input.source };
      claimOf.set(input.dedupKey, claim);
      const created = newClaims.get(input.dedupKey);
      if (created) created.source = input.source;
      else movedClaims.set(input.dedupKey, input.source);
    }
    record(input, 'archived', claim.archiveId);
    return { kind: 'archive', archiveId: claim.archiveId };
  });

  return {
    outcomes,
    writes: {
      newClaims: [...newClaims.values()],
      addedMailboxes: [...addedMailboxes].map(([dedupKey, mailboxes]) => ({ dedupKey, mailboxes: [...mailboxes] })),
      movedClaims: [...movedClaims].map(([dedupKey, source]) => ({ dedupKey, source })),
      outcomes: [...outcomeWrites.values()],
    },
  };
}

export function sameSource(a: RawSource, b: RawSource): boolean {
  return a.partition === b.partition && a.offset === b.offset;
}

function union(a: string[], b: string[]): string[] {
  return [...new Set([...a, ...b])];
}
