import {
  boundedKey,
  deadLetterRecordSchema,
  messageOf,
  RAW_CONTENT_TYPES,
  TOPICS,
  type DeadLetterRecord,
  type EncodedRecord,
  type MessageBody,
} from '#contracts';
import type { JournalwireError } from '#errors';
import type { BlobStore } from './blob-store.js';
import { encodeFitting } from './record-overflow.js';

/** Longest error text a dead letter carries (ours, not evidence; it may quote sender input). */
const MAX_ERROR_MESSAGE_CHARS = 8192;

/** What a dead letter is about, as each stage reads it off the record that failed. */
export type DeadLetterSubject = Pick<DeadLetterRecord, 'rawId' | 'rawRecord' | 'connectorId' | 'uidl' | 'sha256'> & {
  /** The failed record's message as it came (its bytes or claim check); null when it had none. */
  message: MessageBody | null;
};

/** A dead letter ready to produce: keyed by its raw id (bounded), with the connector for metrics. */
export type DeadLetterOutput = EncodedRecord & { topic: string; key: string; facts: Record<string, string> };

export interface DeadLetterFailure {
  stage: DeadLetterRecord['stage'];
  failure: JournalwireError;
  /** The record that failed. */
  record: { topic: string; partition: number; offset: string };
  attempts: number;
}

/**
 * The journal.dlq.v2 record of a failed record: its message as the value; `subject`, the failure,
 * where the record sits and how often it was tried as metadata; fitted to the topic (bulky parts
 * moved to the claim-check store).
 */
export function encodeDeadLetter(
  subject: DeadLetterSubject,
  { stage, failure, record, attempts }: DeadLetterFailure,
  fit: { key: string; maxMessageBytes: number; blobStore: BlobStore },
): Promise<EncodedRecord> {
  return encodeFitting(
    {
      schema: 'journal.dlq.v2',
      rawId: subject.rawId,
      rawRecord: subject.rawRecord,
      connectorId: subject.connectorId,
      uidl: subject.uidl,
      sha256: subject.sha256,
      stage,
      error: { code: failure.code, message: failure.message.slice(0, MAX_ERROR_MESSAGE_CHARS) },
      source: { topic: record.topic, partition: record.partition, offset: record.offset },
      attempts,
      failedAt: new Date().toISOString(),
    },
    subject.message,
    {
      schema: deadLetterRecordSchema,
      key: fit.key,
      maxMessageBytes: fit.maxMessageBytes,
      blobStore: fit.blobStore,
      placeholders: { uidl: null },
    },
  );
}

/**
 * The message of a record that failed, for its dead letter: the claim check it names, else the
 * value's bytes themselves (whatever they are), so an operator can always replay it.
 */
export function deadLetterMessageOf(contentType: string | undefined, value: Buffer | null): MessageBody | null {
  if (!value || value.length === 0) return null;
  if (contentType === RAW_CONTENT_TYPES.claimCheck) {
    try {
      const body = messageOf(value, contentType);
      if (body) return body;
    } catch {
      // not a claim check after all: kept as it came
    }
  }
  return { inline: value };
}

/**
 * The dead letter of a record that failed at `failure.stage`, as read off the record: `sha256` is
 * kept only when it is one, and the message is what the record's value carries (deadLetterMessageOf).
 */
export async function deadLetterOf(
  subject: Omit<DeadLetterSubject, 'sha256' | 'message'> & {
    sha256: string | null | undefined;
    contentType: string | undefined;
    value: Buffer | null;
  },
  failure: DeadLetterFailure,
  fit: { maxMessageBytes: number; blobStore: BlobStore },
): Promise<DeadLetterOutput> {
  const key = boundedKey(subject.rawId);
  const { contentType, value, sha256, ...identity } = subject;
  return {
    topic: TOPICS.dlq,
    key,
    facts: { connector: subject.connectorId },
    ...(await encodeDeadLetter(
      {
        ...identity,
        sha256: sha256 && /^[0-9a-f]{64}$/.test(sha256) ? sha256 : null,
        message: deadLetterMessageOf(contentType, value),
      },
      failure,
      { key, ...fit },
    )),
  };
}
