import { createHash } from 'node:crypto';

export interface DedupFacts {
  messageId: string | null;
  contentHash: string | null;
}

/**
 * The dedup key of a message (journal-format §9): Message-ID and content hash; without a
 * Message-ID the content hash alone; without either, the raw id (never deduplicated). A
 * Message-ID holding a NUL (which PostgreSQL text cannot store) is keyed by its hash instead.
 */
export function dedupKeyOf(facts: DedupFacts, rawId: string): string {
  const { messageId, contentHash } = facts;
  if (!contentHash) return `raw:${rawId}`;
  if (!messageId) return `hash:${contentHash}`;
  if (messageId.includes('\u0000')) return `mid-sha256:${sha256(messageId)}|${contentHash}`;
  return `mid:${messageId}|${contentHash}`;
}

/** The archive id of the first message archived under a dedup key. */
export function archiveIdOf(dedupKey: string): string {
  return `ar_${sha256(dedupKey).slice(0, 40)}`;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
