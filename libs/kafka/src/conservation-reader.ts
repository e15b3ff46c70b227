import {
  archivedRecordSchema,
  deadLetterRecordSchema,
  decodeRecord,
  messageOf,
  parseRawHeaders,
  RECORD_HEADERS,
  reconcile,
  rejectedRecordSchema,
  TOPICS,
  type ArchivedRecord,
  type ConservationReport,
  type DeadLetterRecord,
  type MessageBody,
  type RawEntry,
  type RejectedRecord,
} from '#contracts';
import { headerString, headersToStrings } from './headers.js';
import type { KafkaGateway } from './kafka-gateway.js';
import { readTopicsToEnd, type ReadOptions } from './topic-reader.js';

/** An outcome's metadata, with the message its value carries when it was asked for (`messages`). */
export type WithMessage<T> = T & { message?: MessageBody | null };

export interface ConnectorRecords {
  raws: RawEntry[];
  archived: Array<WithMessage<ArchivedRecord>>;
  rejected: Array<WithMessage<RejectedRecord>>;
  dead: Array<WithMessage<DeadLetterRecord>>;
}

/**
 * Reads one connector's raw records (optional) and outcomes from the topics, to their current end.
 * A record that fails its schema cannot vouch for anything and is skipped. With `messages`, each
 * outcome keeps the message its value carries (held in memory: for tests and small reads).
 */
export async function readConnectorRecords(
  kafka: KafkaGateway,
  connectorId: string,
  options: ReadOptions & { raw?: boolean; messages?: boolean } = {},
): Promise<ConnectorRecords> {
  const result: ConnectorRecords = { raws: [], archived: [], rejected: [], dead: [] };
  const topics = [...(options.raw ? [TOPICS.raw] : []), TOPICS.archived, TOPICS.rejected, TOPICS.dlq];
  await readTopicsToEnd(
    kafka,
    topics,
    (record) => {
      if (record.topic === TOPICS.raw) {
        const strings = headersToStrings(record.headers);
        if (strings['jw-connector-id'] !== connectorId) return;
        const ref = { partition: record.partition, offset: record.offset };
        try {
          const headers = parseRawHeaders(strings);
          result.raws.push({
            ref,
            connectorId,
            uidl: headers.uidl,
            sha256: headers.sha256,
            ...(headers.replayOf ? { replayOf: headers.replayOf } : {}),
          });
        } catch {
          result.raws.push({ ref, connectorId, uidl: strings['jw-uidl'] ?? '?', sha256: strings['jw-sha256'] ?? '?' });
        }
        return;
      }
      // Outcomes are read from their metadata header; the message in the value is never decoded.
      if (headerString(record.headers, RECORD_HEADERS.connectorId) !== connectorId) return;
      const meta = headerString(record.headers, RECORD_HEADERS.meta);
      try {
        const message = options.messages
          ? { message: messageOf(record.value, headerString(record.headers, RECORD_HEADERS.contentType)) }
          : {};
        if (record.topic === TOPICS.archived) {
          const archived = decodeRecord(archivedRecordSchema, meta);
          if (archived.connectorId === connectorId) result.archived.push({ ...archived, ...message });
        } else if (record.topic === TOPICS.rejected) {
          const rejected = decodeRecord(rejectedRecordSchema, meta);
          if (rejected.connectorId === connectorId) result.rejected.push({ ...rejected, ...message });
        } else {
          const dead = decodeRecord(deadLetterRecordSchema, meta);
          if (dead.connectorId === connectorId) result.dead.push({ ...dead, ...message });
        }
      } catch {
        // not a valid outcome record
      }
    },
    options,
  );
  return result;
}

/**
 * Reads journal.raw.v2 and the outcome topics to their end and reconciles one connector. `since`
 * (no later than the connector's creation) skips what was written before the connector existed.
 */
export async function reconcileConnector(
  kafka: KafkaGateway,
  connectorId: string,
  options: ReadOptions = {},
): Promise<ConservationReport> {
  const records = await readConnectorRecords(kafka, connectorId, { ...options, raw: true });
  return reconcile(records.raws, [
    ...records.archived.map((r) => ({
      ref: r.rawRecord,
      kind: r.event === 'archive' ? ('archived' as const) : ('merged' as const),
      archiveId: r.archiveId,
    })),
    ...records.rejected.map((r) => ({ ref: r.rawRecord, kind: 'rejected' as const })),
    ...records.dead.map((r) => ({ ref: r.rawRecord, kind: 'dead-lettered' as const })),
  ]);
}
