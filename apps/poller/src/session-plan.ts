import type { ListEntry, UidlEntry } from '#pop3';
import { sameMessage, type LedgerState, type RetrievalFailure } from './ledger.js';

/** One message the session may act on: its number in this session, UIDL, LIST size and ledger row. */
export interface WorkItem {
  msg: number;
  uidl: string;
  size: number;
  ledger: LedgerState | undefined;
}

export interface SkippedMessage {
  uidl: string;
  attempts: number;
  error: string;
}

/** What a session knows once it has listed the mailbox and looked its UIDLs up. */
export interface MailboxListing {
  uidls: readonly UidlEntry[];
  sizes: readonly ListEntry[];
  ledger: ReadonlyMap<string, LedgerState>;
  failures: ReadonlyMap<string, RetrievalFailure>;
}

export interface PlanSettings {
  maxRetrievalAttempts: number;
  maxMessagesPerSession: number;
  batchMaxMessages: number;
  batchMaxBytes: number;
  inlineLimitBytes: number;
}

/** What one session does with a mailbox, decided before it RETRs anything. */
export interface SessionPlan {
  /** Refused too often before: left in the mailbox and reported. */
  skipped: SkippedMessage[];
  /** UIDLs refused before (their failure rows are cleared once they go through). */
  refusedBefore: Set<string>;
  /** Published by an earlier session (the ledger has them, same LIST size): DELE only. */
  deleteOnly: WorkItem[];
  /**
   * In the ledger, not deleted, but of another LIST size: the server reused the UIDL (a QUIT's
   * +OK may have been lost after the server committed it), so this is a new message. Published.
   */
  reused: WorkItem[];
  /** The messages to publish, in UIDL order, batched. */
  batches: WorkItem[][];
  /** More messages than maxMessagesPerSession: the rest waits for another session. */
  moreRemaining: boolean;
}

/**
 * Plans a session from the mailbox's listing and the ledger: pure, so the ledger rules (scope is
 * applied by the lookup; a row whose deletion a QUIT confirmed, or whose LIST size differs, is not
 * this message) can be tested without a mailbox.
 */
export function planSession(listing: MailboxListing, settings: PlanSettings): SessionPlan {
  const sizes = new Map(listing.sizes.map((entry) => [entry.msg, entry.size]));
  const skipped: SkippedMessage[] = [];
  const refusedBefore = new Set<string>();
  const work: WorkItem[] = [];
  for (const { msg, uid } of [...listing.uidls].sort((a, b) => a.msg - b.msg)) {
    const failure = listing.failures.get(uid);
    if (failure && failure.attempts >= settings.maxRetrievalAttempts) {
      skipped.push({ uidl: uid, attempts: failure.attempts, error: failure.lastError });
      continue;
    }
    if (failure) refusedBefore.add(uid);
    work.push({ msg, uidl: uid, size: sizes.get(msg) ?? 0, ledger: listing.ledger.get(uid) });
  }
  const limit = Math.max(1, settings.maxMessagesPerSession);
  const window = work.slice(0, limit);
  const deleteOnly = window.filter(isPublished);
  const reused = window.filter((w) => w.ledger !== undefined && w.ledger.deletedAt === null && !isPublished(w));
  const fresh = window.filter((w) => !isPublished(w));
  return {
    skipped,
    refusedBefore,
    deleteOnly,
    reused,
    batches: planBatches(fresh, settings.batchMaxMessages, settings.batchMaxBytes, settings.inlineLimitBytes),
    moreRemaining: work.length > limit,
  };
}

/** Published before an interrupted session, and still the same message: delete only. */
function isPublished(item: WorkItem): boolean {
  return item.ledger !== undefined && item.ledger.deletedAt === null && sameMessage(item.ledger, item.size);
}

/**
 * Batches in UIDL order: at most `maxMessages` and about `maxBytes` of inline messages per batch
 * (by LIST size; a message above the inline limit counts only its claim check).
 */
export function planBatches<T extends { size: number }>(
  items: T[],
  maxMessages: number,
  maxBytes: number,
  inlineLimit: number,
): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const weight = item.size > inlineLimit ? 1024 : item.size;
    if (current.length > 0 && (current.length >= maxMessages || bytes + weight > maxBytes)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += weight;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
