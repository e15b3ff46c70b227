import { createHash } from 'node:crypto';

export interface DedupFacts {
  messageId: string | null;
  contentHash: string | null;
}

/**
 * Longest Message-ID (UTF-8 bytes) kept verbatim in a dedup key. The key is the primary key of
 * `archive_keys`, and a btree entry holds at most 2704 bytes (PostgreSQL refuses a longer one with
 * SQLSTATE 54000), so a longer, sender-chosen Message-ID is keyed by its sha256; the full value
 * stays in the records (`messageId`).
 */
export const MAX_KEYED_MESSAGE_ID_BYTES = 1024;

/**
 * The dedup key of a message (journal-format §9): Message-ID and content hash; without a
 * Message-ID the content hash alone; without either, the raw id (never deduplicated). A
 * Message-ID holding a NUL (which PostgreSQL text cannot store) or longer than
 * `MAX_KEYED_MESSAGE_ID_BYTES` is keyed by its hash instead, so every key is bounded.
 */
export function dedupKeyOf(facts: DedupFacts, rawId: string): string {
  const { messageId, contentHash } = facts;
  if (!contentHash) return `raw:${boundedKeyPart(rawId)}`;
  if (!messageId) return `hash:${contentHash}`;
  if (messageId.includes('\u0000') || Buffer.byteLength(messageId) > MAX_KEYED_MESSAGE_ID_BYTES)
    return `mid-sha256:${sha256(messageId)}|${contentHash}`;
  return `mid:${messageId}|${contentHash}`;
}

/** A raw id is `<connector id>/<sha256>`; anything longer than that shape allows is hashed. */
function boundedKeyPart(value: string): string {
  return Buffer.byteLength(value) <= MAX_KEYED_MESSAGE_ID_BYTES ? value : `sha256:${sha256(value)}`;
}

/** The archive id of the first message archived under a dedup key. */
export function archiveIdOf(dedupKey: string): string {
  return `ar_${sha256(dedupKey).slice(0, 40)}`;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
