/**
 * Records as the poller, envelope and policy services produce them, for driving the status
 * aggregator in tests (validated against the contracts before they are sent).
 */
import { createHash, randomUUID } from 'node:crypto';
import {
  ARCHIVED_PLACEHOLDERS,
  archivedRecordSchema,
  connectorStatusRecordSchema,
  deadLetterRecordSchema,
  encodeMessageRecord,
  encodeProgressRecord,
  encodeRecord,
  RAW_CONTENT_TYPES,
  RAW_HEADERS,
  rawId,
  rejectedRecordSchema,
  TOPICS,
  type ConnectorStatusRecord,
} from '#contracts';
import { KafkaGateway, type OutgoingRecord, type ReliableProducer } from '#kafka';
import { createLogger } from '#logger';
import { testKafka } from './env.js';

const sha = (text: string) => createHash('sha256').update(text).digest('hex');
const now = () => new Date().toISOString();

/** A journal.status.v1 value of an idle connector in state ok, with `fields` over it (not validated). */
export function statusRecordValue(
  connectorId: string,
  fields: Partial<ConnectorStatusRecord> = {},
): ConnectorStatusRecord {
  return {
    schema: 'journal.status.v1',
    connectorId,
    state: 'ok',
    sessionStartedAt: null,
    sessionEndedAt: null,
    lastSuccessfulExtractAt: null,
    mailboxQueue: null,
    extractedTotal: 0,
    sessionExtracted: 0,
    skipped: [],
    lastError: null,
    updatedAt: now(),
    ...fields,
  };
}

/** A status record of a session that just ended, validated against the contract. */
export function statusRecord(connectorId: string, fields: Partial<ConnectorStatusRecord> = {}): OutgoingRecord {
  const value = connectorStatusRecordSchema.parse(
    statusRecordValue(connectorId, { sessionStartedAt: now(), sessionEndedAt: now(), ...fields }),
  );
  return { topic: TOPICS.status, key: connectorId, value: encodeRecord(connectorStatusRecordSchema, value) };
}

/**
 * A raw record and its progress record, as the poller writes them: the aggregator counts the
 * progress record and never reads journal.raw.v2. Both keyed by the connector id (not by raw id as
 * the poller keys them), so one connector's records of a test share a partition of each topic.
 */
export function rawRecord(connectorId: string): OutgoingRecord[] {
  const body = `Subject: ${randomUUID()}\r\n\r\nnot decoded\r\n`;
  const progress = encodeProgressRecord({ event: 'extracted', connectorId, rawId: rawId(connectorId, sha(body)) });
  const raw: OutgoingRecord = {
    topic: TOPICS.raw,
    key: connectorId,
    value: Buffer.from(body),
    headers: {
      [RAW_HEADERS.connectorId]: connectorId,
      [RAW_HEADERS.uidl]: randomUUID(),
      [RAW_HEADERS.sha256]: sha(body),
      [RAW_HEADERS.size]: String(body.length),
      [RAW_HEADERS.extractedAt]: now(),
      [RAW_HEADERS.contentType]: RAW_CONTENT_TYPES.inline,
    },
  };
  return [raw, { ...progress, key: connectorId }];
}

const rawRef = { partition: 0, offset: '0' };

/** How every outcome record names its raw record, for a fresh message of `connectorId`. */
function rawIdentity(connectorId: string) {
  const digest = sha(randomUUID());
  return { rawId: rawId(connectorId, digest), rawRecord: rawRef, connectorId, uidl: randomUUID(), sha256: digest };
}

/** An archive or merge event and its progress record, as the policy service writes them. */
export function archivedRecord(connectorId: string, event: 'archive' | 'merge' = 'archive'): OutgoingRecord[] {
  const { sha256: digest, ...identity } = rawIdentity(connectorId);
  const value = {
    schema: 'journal.archived.v2' as const,
    event,
    archiveId: randomUUID(),
    ...identity,
    sha256Before: digest,
    sha256After: digest,
    removedHeaders: [],
    kind: 'journal' as const,
    journalType: 'envelope' as const,
    classification: 'internal' as const,
    ...ARCHIVED_PLACEHOLDERS,
    sender: 'a@contoso.com',
    extractedAt: now(),
    archivedAt: now(),
  };
  return [
    { topic: TOPICS.archived, key: value.archiveId, ...encodeMessageRecord(archivedRecordSchema, value, null) },
    encodeProgressRecord({ event, connectorId, rawId: value.rawId, archiveId: value.archiveId }),
  ];
}

export function rejectedRecord(connectorId: string): OutgoingRecord {
  const value = {
    schema: 'journal.rejected.v2' as const,
    ...rawIdentity(connectorId),
    reason: 'external-not-journaled' as const,
    classification: 'external' as const,
    messageId: null,
    extractedAt: now(),
    rejectedAt: now(),
  };
  return {
    topic: TOPICS.rejected,
    key: value.rawId,
    ...encodeMessageRecord(rejectedRecordSchema, value, { inline: Buffer.from('Subject: x\r\n\r\nrejected\r\n') }),
  };
}

export function deadLetterRecord(connectorId: string): OutgoingRecord {
  const value = {
    schema: 'journal.dlq.v2' as const,
    ...rawIdentity(connectorId),
    stage: 'envelope' as const,
    error: { code: 'message-unparseable', message: 'test' },
    source: { topic: TOPICS.raw, partition: 0, offset: '0' },
    failedAt: now(),
  };
  return { topic: TOPICS.dlq, key: value.rawId, ...encodeMessageRecord(deadLetterRecordSchema, value, null) };
}

/** A Kafka gateway and producer for the local stack. */
export async function testProducer(): Promise<{ kafka: KafkaGateway; producer: ReliableProducer }> {
  const kafka = new KafkaGateway(testKafka('status-tests'), createLogger({ service: 'status-tests', level: 'warn' }));
  return { kafka, producer: await kafka.createProducer() };
}

/** Sends records in a transaction and aborts it: read-committed consumers never see them. */
export async function produceAborted(kafka: KafkaGateway, records: OutgoingRecord[]): Promise<void> {
  const producer = await kafka.createProducer({ transactionalId: `status-tests-${randomUUID()}` });
  try {
    const transaction = await producer.transaction();
    await transaction.send(records);
    await transaction.abort();
  } finally {
    await producer.disconnect();
  }
}
