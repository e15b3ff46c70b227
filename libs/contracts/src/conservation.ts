import type { ReplayReference } from './raw-record.js';
import type { RawRecordRef } from './records.js';

/** One raw record as reconciliation sees it. */
export interface RawEntry {
  ref: RawRecordRef;
  connectorId: string;
  uidl: string;
  sha256: string;
  /** Set when an operator replayed this message from an outcome (see ReplayReference). */
  replayOf?: ReplayReference | undefined;
}

/** A raw record that replays an earlier outcome, and what became of it. */
export interface ReplayEntry {
  ref: RawRecordRef;
  /** The replayed outcome record (a dead letter or a rejection). */
  of: ReplayReference['outcome'];
  /** The raw record that outcome was about, when known. */
  original: RawRecordRef | null;
  /** The original raw record's outcomes (empty when it lies before the reconciled range). */
  originalOutcomes: OutcomeKind[];
  /** The replay's own outcomes: exactly one once it is processed. */
  outcomes: OutcomeKind[];
}

export type OutcomeKind = 'archived' | 'merged' | 'rejected' | 'dead-lettered';

export interface OutcomeEntry {
  ref: RawRecordRef | null;
  kind: OutcomeKind;
  archiveId?: string;
}

export interface ConservationReport {
  raw: number;
  outcomes: Record<OutcomeKind, number>;
  /** Raw records with no outcome. */
  missing: RawEntry[];
  /** Raw records with more than one outcome. */
  duplicated: Array<{ raw: RawEntry; outcomes: OutcomeKind[] }>;
  /** Archive ids archived (event "archive") more than once. */
  archivedTwice: string[];
  /** Raw records that replay an earlier outcome; each also counts in `raw` and has its own outcome. */
  replayed: ReplayEntry[];
  ok: boolean;
}

const refKey = (ref: RawRecordRef) => `${ref.partition}:${ref.offset}`;

/** Conservation: every raw record has exactly one outcome, and no original is archived twice. */
export function reconcile(raws: RawEntry[], outcomes: OutcomeEntry[]): ConservationReport {
  const byRef = new Map<string, OutcomeKind[]>();
  const counts: Record<OutcomeKind, number> = { archived: 0, merged: 0, rejected: 0, 'dead-lettered': 0 };
  const archives = new Map<string, number>();
  for (const outcome of outcomes) {
    counts[outcome.kind]++;
    if (outcome.kind === 'archived' && outcome.archiveId)
      archives.set(outcome.archiveId, (archives.get(outcome.archiveId) ?? 0) + 1);
    if (!outcome.ref) continue;
    const key = refKey(outcome.ref);
    byRef.set(key, [...(byRef.get(key) ?? []), outcome.kind]);
  }
  const missing: RawEntry[] = [];
  const duplicated: ConservationReport['duplicated'] = [];
  for (const raw of raws) {
    const found = byRef.get(refKey(raw.ref)) ?? [];
    if (found.length === 0) missing.push(raw);
    else if (found.length > 1) duplicated.push({ raw, outcomes: found });
  }
  const archivedTwice = [...archives].filter(([, n]) => n > 1).map(([id]) => id);
  const replayed = raws.flatMap((raw): ReplayEntry[] =>
    raw.replayOf
      ? [
          {
            ref: raw.ref,
            of: raw.replayOf.outcome,
            original: raw.replayOf.rawRecord,
            originalOutcomes: raw.replayOf.rawRecord ? (byRef.get(refKey(raw.replayOf.rawRecord)) ?? []) : [],
            outcomes: byRef.get(refKey(raw.ref)) ?? [],
          },
        ]
      : [],
  );
  return {
    raw: raws.length,
    outcomes: counts,
    missing,
    duplicated,
    archivedTwice,
    replayed,
    ok: missing.length === 0 && duplicated.length === 0 && archivedTwice.length === 0,
  };
}
