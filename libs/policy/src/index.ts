export { decideOutcome, type Classification, type JournalingFlags, type OutcomeDecision } from './decide-outcome.js';
export {
  JOURNAL_BCC_FIELDS,
  JournalHeaderRemover,
  removeJournalHeaders,
  type HeaderRemovalResult,
  type RemovedHeader,
} from './journal-header-removal.js';
