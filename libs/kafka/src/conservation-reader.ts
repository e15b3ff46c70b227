import {
  archivedRecordSchema,
  deadLetterRecordSchema,
  decodeRecord,
  parseRawHeaders,
  reconcile,
  rejectedRecordSchema,
  TOPICS,
  type ConservationReport,
  type OutcomeEntry,
  type RawEntry,
} from '#contracts';
import { headersToStrings } from './headers.js';
import type { KafkaGateway } from './kafka-gateway.js';
import { readTopicsToEnd } from './topic-reader.js';

/** Reads journal.raw.v1 and the outcome topics to their end and reconciles one connector. */
export async function reconcileConnector(kafka: KafkaGateway, connectorId: string, options: { idleMs?: number } = {}): Promise<ConservationReport> {
  const raws: RawEntry[] = [];
  const outcomes: OutcomeEntry[] = [];
  await readTopicsToEnd(
    kafka,
    [TOPICS.raw, TOPICS.archived, TOPICS.rejected, TOPICS.dlq],
    (record) => {
      if (record.topic === TOPICS.raw) {
        const strings = headersToStrings(record.headers);
        if (strings['jw-connector-id'] !== connectorId) return;
        try {
          const headers = parseRawHeaders(strings);
          raws.push({ ref: { partition: record.partition, offset: record.offset }, connectorId, uidl: headers.uidl, sha256: headers.sha256 });
        } catch {
          raws.push({ ref: { partition: record.partition, offset: record.offset }, connectorId, uidl: strings['jw-uidl'] ?? '?', sha256: strings['jw-sha256'] ?? '?' });
        }
        return;
      }
      try {
        if (record.topic === TOPICS.archived) {
          const archived = decodeRecord(archivedRecordSchema, record.value);
          if (archived.connectorId === connectorId) outcomes.push({ ref: archived.rawRecord, kind: archived.event === 'archive' ? 'archived' : 'merged', archiveId: archived.archiveId });
        } else if (record.topic === TOPICS.rejected) {
          const rejected = decodeRecord(rejectedRecordSchema, record.value);
          if (rejected.connectorId === connectorId) outcomes.push({ ref: rejected.rawRecord, kind: 'rejected' });
        } else if (record.topic === TOPICS.dlq) {
          const dead = decodeRecord(deadLetterRecordSchema, record.value);
          if (dead.connectorId === connectorId) outcomes.push({ ref: dead.rawRecord, kind: 'dead-lettered' });
        }
      } catch {
        // an outcome record that fails its schema cannot vouch for any raw record
      }
    },
    options,
  );
  return reconcile(raws, outcomes);
}
