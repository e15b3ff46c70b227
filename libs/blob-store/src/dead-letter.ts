import { deadLetterRecordSchema, type DeadLetterRecord } from '#contracts';
import type { JournalwireError } from '#errors';
import type { BlobStore } from './blob-store.js';
import { encodeFitting, valueBudget } from './record-overflow.js';

/** Longest error text a dead letter carries (ours, not evidence; it may quote sender input). */
const MAX_ERROR_MESSAGE_CHARS = 8192;

/** What a dead letter is about, as each stage reads it off the record that failed. */
export type DeadLetterSubject = Pick<
  DeadLetterRecord,
  'rawId' | 'rawRecord' | 'connectorId' | 'uidl' | 'sha256' | 'message'
>;

export interface DeadLetterFailure {
  stage: DeadLetterRecord['stage'];
  failure: JournalwireError;
  /** The record that failed. */
  record: { topic: string; partition: number; offset: string };
  attempts: number;
}

/**
 * The journal.dlq.v1 value of a failed record: `subject`, the failure, where the record sits and
 * how often it was tried, fitted to the topic (bulky parts moved to the claim-check store).
 */
export function encodeDeadLetter(
  subject: DeadLetterSubject,
  { stage, failure, record, attempts }: DeadLetterFailure,
  fit: { key: string; maxMessageBytes: number; blobStore: BlobStore },
): Promise<Buffer> {
  return encodeFitting(
    {
      schema: 'journal.dlq.v1',
      rawId: subject.rawId,
      rawRecord: subject.rawRecord,
      connectorId: subject.connectorId,
      uidl: subject.uidl,
      sha256: subject.sha256,
      stage,
      error: { code: failure.code, message: failure.message.slice(0, MAX_ERROR_MESSAGE_CHARS) },
      source: { topic: record.topic, partition: record.partition, offset: record.offset },
      message: subject.message,
      attempts,
      failedAt: new Date().toISOString(),
    },
    {
      schema: deadLetterRecordSchema,
      maxBytes: valueBudget(fit.maxMessageBytes, fit.key),
      blobStore: fit.blobStore,
      placeholders: { uidl: null },
    },
  );
}
