import {
  deadLetterRecordSchema,
  decodeMessageRecord,
  rejectedRecordSchema,
  TOPICS,
  type ClaimCheck,
  type MessageBody,
  type RawRecordRef,
} from '#contracts';
import { topHeaders, TOP_HEADERS_SCAN_BYTES } from '#journal';

export const OUTCOME_TYPES = ['rejected', 'dead-lettered'] as const;
export type OutcomeType = (typeof OUTCOME_TYPES)[number];

/** Longest Message-ID, sender or subject kept for the list (the record keeps the full value). */
export const MAX_LISTED_CHARS = 998;

/** Longest connector id listed: a real one is a UUID; a record naming anything longer belongs to no definition. */
const MAX_CONNECTOR_ID_CHARS = 64;

/** Where the message's bytes are: inline in the outcome record (with its size), or a claim check. */
export type StoredMessage = { inline: { size: number } } | { claimCheck: ClaimCheck };

/** One row of message_outcomes: what the list shows of a rejection or dead letter. */
export interface OutcomeRow {
  connectorId: string;
  type: OutcomeType;
  topic: string;
  partition: number;
  offset: string;
  rawId: string;
  rawRecord: RawRecordRef | null;
  uidl: string | null;
  sha256: string | null;
  /** The rejection reason, or the dead letter's error code. */
  reason: string;
  error: string | null;
  stage: string | null;
  messageId: string | null;
  sender: string | null;
  subject: string | null;
  message: StoredMessage | null;
  at: string;
}

export interface OutcomeSource {
  topic: string;
  partition: number;
  offset: string;
  value: Buffer | null;
  /** The record's headers as strings (`jw-meta` holds the metadata). */
  headers: Record<string, string>;
}

/**
 * The list row of a journal.rejected.v2 or journal.dlq.v2 record; null for other topics. A
 * rejection names the original's Message-ID, sender and subject; a dead letter could not be
 * parsed, so they are read from its message's own header block (the value's first 64 KiB, inline messages).
 * Throws (a validation error) for a record that does not match its schema.
 */
export function outcomeRowOf(record: OutcomeSource): OutcomeRow | null {
  const row = decodedRowOf(record);
  if (!row || row.connectorId.length > MAX_CONNECTOR_ID_CHARS) return null;
  return storable(row);
}

function decodedRowOf(record: OutcomeSource): OutcomeRow | null {
  const position = { topic: record.topic, partition: record.partition, offset: record.offset };
  if (record.topic === TOPICS.rejected) {
    const { record: rejected, message } = decodeMessageRecord(rejectedRecordSchema, record.value, record.headers);
    return {
      connectorId: rejected.connectorId,
      type: 'rejected',
      ...position,
      rawId: rejected.rawId,
      rawRecord: rejected.rawRecord,
      uidl: rejected.uidl,
      sha256: rejected.sha256,
      reason: rejected.reason,
      error: null,
      stage: 'policy',
      messageId: listed(rejected.messageId),
      sender: listed(rejected.sender ?? null),
      subject: listed(rejected.subject ?? null),
      message: storedMessage(message),
      at: rejected.rejectedAt,
    };
  }
  if (record.topic === TOPICS.dlq) {
    const { record: dead, message } = decodeMessageRecord(deadLetterRecordSchema, record.value, record.headers);
    const headers =
      message && 'inline' in message ? topHeaders(message.inline.subarray(0, TOP_HEADERS_SCAN_BYTES)) : null;
    return {
      connectorId: dead.connectorId,
      type: 'dead-lettered',
      ...position,
      rawId: dead.rawId,
      rawRecord: dead.rawRecord,
      uidl: dead.uidl,
      sha256: dead.sha256,
      reason: dead.error.code,
      error: dead.error.message,
      stage: dead.stage,
      messageId: listed(headers?.messageId ?? null),
      sender: listed(headers?.sender ?? null),
      subject: listed(headers?.subject ?? null),
      message: storedMessage(message),
      at: dead.failedAt,
    };
  }
  return null;
}

/**
 * PostgreSQL text (and jsonb) cannot hold NUL, which a hostile message can put in any field the
 * pipeline carries (a raw id, an error quoting the sender): each becomes U+FFFD for the list.
 */
function storable(row: OutcomeRow): OutcomeRow {
  return withoutNul(row);
}

function withoutNul<T>(value: T): T {
  if (typeof value === 'string') return value.replaceAll('\u0000', '\uFFFD') as T;
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, withoutNul(inner)])) as T;
}

function storedMessage(message: MessageBody | null): StoredMessage | null {
  if (!message) return null;
  if ('claimCheck' in message) return { claimCheck: message.claimCheck };
  return { inline: { size: message.inline.length } };
}

function listed(value: string | null): string | null {
  if (value === null) return null;
  return value.length > MAX_LISTED_CHARS ? `${value.slice(0, MAX_LISTED_CHARS)}…` : value;
}
