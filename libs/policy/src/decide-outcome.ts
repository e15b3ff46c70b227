export type Classification = 'internal' | 'unknown-internal' | 'external';

/** A connector's journaling filters, as Mimecast names them. */
export interface JournalingFlags {
  /** "Journal Non Internal Addresses": archive items that hold no internal address. */
  journalNonInternal: boolean;
  /** "Journal Unknown Internal Addresses": archive items sent from / to unknown internal addresses. */
  journalUnknownInternal: boolean;
}

export type OutcomeDecision =
  { outcome: 'archive' } | { outcome: 'reject'; reason: 'external-not-journaled' | 'unknown-internal-not-journaled' };

/** Internal items are always archived; the other two classes only when their filter allows. */
export function decideOutcome(classification: Classification, flags: JournalingFlags): OutcomeDecision {
  switch (classification) {
    case 'internal':
      return { outcome: 'archive' };
    case 'unknown-internal':
      return flags.journalUnknownInternal
        ? { outcome: 'archive' }
        : { outcome: 'reject', reason: 'unknown-internal-not-journaled' };
    case 'external':
      return flags.journalNonInternal
        ? { outcome: 'archive' }
        : { outcome: 'reject', reason: 'external-not-journaled' };
  }
}
