import { connectorStatusRecordSchema, decodeProgressHeaders, RECORD_HEADERS, TOPICS } from '#contracts';
import { headerString, headersToStrings, type RecordHeaders } from '#kafka';
import type { CounterField } from './status.keys.js';

/**
 * One change to a connector's status hash: increment a counter, set a field, delete a field,
 * or raise an ISO time to a later value. Applied by the aggregator's Lua script.
 */
export type StatusOp =
  | [connectorId: string, kind: 'i', field: CounterField, by: number]
  | [connectorId: string, kind: 's', field: string, value: string]
  | [connectorId: string, kind: 'd', field: string]
  | [connectorId: string, kind: 'm', field: string, value: string];

/**
 * The topics the aggregator reads. Extractions, archives and merges are counted from
 * journal.progress.v1 (empty values, one per raw or archived record, written in the same
 * transaction), so no message body is ever fetched to be counted; rejections and dead letters are
 * rare and also fill the outcome list, so they are read from their own topics.
 */
export const STATUS_SOURCE_TOPICS = [TOPICS.status, TOPICS.progress, TOPICS.rejected, TOPICS.dlq] as const;

export interface SourceRecord {
  topic: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: RecordHeaders;
  timestamp: string;
}

const PROGRESS_COUNTERS = { extracted: 'extracted', archive: 'archived', merge: 'merged' } as const;

export class UnreadableRecord extends Error {}

/**
 * What one record changes. Progress records, rejections and dead letters are counted from their
 * headers (`jw-connector-id`, and `jw-event` on progress records): no value is ever read or decoded.
 */
export function opsForRecord(record: SourceRecord): StatusOp[] {
  const at = recordTime(record.timestamp);
  switch (record.topic) {
    case TOPICS.progress: {
      let progress;
      try {
        progress = decodeProgressHeaders(headersToStrings(record.headers));
      } catch (error) {
        throw new UnreadableRecord(error instanceof Error ? error.message : String(error));
      }
      const { connectorId, event } = progress;
      return [[connectorId, 'i', PROGRESS_COUNTERS[event], 1], ...touch(connectorId, at)];
    }
    case TOPICS.status: {
      if (record.value === null) {
        const connectorId = record.key?.toString('utf8');
        if (!connectorId) throw new UnreadableRecord('status tombstone without a key');
        return [[connectorId, 'd', 'snapshot']];
      }
      const snapshot = connectorStatusRecordSchema.parse(parseJson(record.value));
      return [[snapshot.connectorId, 's', 'snapshot', JSON.stringify(snapshot)], ...touch(snapshot.connectorId, at)];
    }
    case TOPICS.rejected: {
      const connectorId = connectorOf(record);
      return [[connectorId, 'i', 'rejected', 1], ...touch(connectorId, at)];
    }
    case TOPICS.dlq: {
      const connectorId = connectorOf(record);
      return [[connectorId, 'i', 'deadLettered', 1], ...touch(connectorId, at)];
    }
    default:
      return [];
  }
}

function connectorOf(record: SourceRecord): string {
  const connectorId = headerString(record.headers, RECORD_HEADERS.connectorId);
  if (!connectorId) throw new UnreadableRecord(`${record.topic} record without a ${RECORD_HEADERS.connectorId} header`);
  return connectorId;
}

function touch(connectorId: string, at: string | null): StatusOp[] {
  return at ? [[connectorId, 'm', 'updatedAt', at]] : [];
}

function recordTime(timestamp: string): string | null {
  const ms = Number(timestamp);
  return Number.isFinite(ms) && ms > 0 ? new Date(ms).toISOString() : null;
}

function parseJson(value: Buffer | null): unknown {
  if (!value) throw new UnreadableRecord('record has no value');
  try {
    return JSON.parse(value.toString('utf8'));
  } catch {
    throw new UnreadableRecord('record value is not JSON');
  }
}
