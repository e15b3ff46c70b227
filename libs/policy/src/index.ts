export { decideOutcome, type Classification, type JournalingFlags, type OutcomeDecision } from './decide-outcome.js';
export {
  JOURNAL_BCC_FIELDS,
  JournalHeaderRemover,
  removeJournalHeaders,
  shiftRanges,
  type ByteRange,
  type HeaderRemovalResult,
  type RemovedHeader,
} from './journal-header-removal.js';
export {
  planChunk,
  sameSource,
  type ArchiveClaim,
  type ChunkPlan,
  type NewClaim,
  type PlanInput,
  type PlannedOutcome,
  type PlanWrites,
  type PriorOutcome,
  type RawSource,
  type RejectReason,
} from './chunk-plan.js';
export { archiveIdOf, dedupKeyOf, MAX_KEYED_MESSAGE_ID_BYTES, type DedupFacts } from './archive-key.js';
