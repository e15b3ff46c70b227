import { z } from 'zod';
import { connectorStatusRecordSchema, RECORD_HEADERS, TOPICS } from '#contracts';
import { headerString, type RecordHeaders } from '#kafka';
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

/** The topics the aggregator reads. */
export const STATUS_SOURCE_TOPICS = [TOPICS.status, TOPICS.raw, TOPICS.archived, TOPICS.rejected, TOPICS.dlq] as const;

export interface SourceRecord {
  topic: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: RecordHeaders;
  timestamp: string;
}

const archiveEvent = z.enum(['archive', 'merge']);

export class UnreadableRecord extends Error {}

/**
 * What one record changes. Raw records and outcomes are counted from their headers
 * (`jw-connector-id`, and `jw-event` on archives): no value is ever read or decoded.
 */
export function opsForRecord(record: SourceRecord): StatusOp[] {
  const at = recordTime(record.timestamp);
  switch (record.topic) {
    case TOPICS.raw: {
      const connectorId = connectorOf(record);
      return [[connectorId, 'i', 'extracted', 1], ...touch(connectorId, at)];
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
    case TOPICS.archived: {
      const connectorId = connectorOf(record);
      const event = archiveEvent.safeParse(headerString(record.headers, RECORD_HEADERS.event));
      if (!event.success) throw new UnreadableRecord(`archived record without a valid ${RECORD_HEADERS.event} header`);
      return [[connectorId, 'i', event.data === 'merge' ? 'merged' : 'archived', 1], ...touch(connectorId, at)];
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
