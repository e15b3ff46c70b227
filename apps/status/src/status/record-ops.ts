import type { IHeaders } from 'kafkajs';
import { z } from 'zod';
import { connectorStatusRecordSchema, RAW_HEADERS, TOPICS } from '#contracts';
import { headerString } from '#kafka';
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
  headers?: IHeaders;
  timestamp: string;
}

// Only the fields counting needs: the full schemas belong to the producers.
const outcomeSchema = z.object({ connectorId: z.string().min(1) });
const archivedOutcomeSchema = outcomeSchema.extend({ event: z.enum(['archive', 'merge']) });

export class UnreadableRecord extends Error {}

/** What one record changes. Raw records are counted from their header, never decoded. */
export function opsForRecord(record: SourceRecord): StatusOp[] {
  const at = recordTime(record.timestamp);
  switch (record.topic) {
    case TOPICS.raw: {
      const connectorId = headerString(record.headers, RAW_HEADERS.connectorId);
      if (!connectorId) throw new UnreadableRecord(`raw record without a ${RAW_HEADERS.connectorId} header`);
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
      const outcome = archivedOutcomeSchema.parse(parseJson(record.value));
      return [
        [outcome.connectorId, 'i', outcome.event === 'merge' ? 'merged' : 'archived', 1],
        ...touch(outcome.connectorId, at),
      ];
    }
    case TOPICS.rejected: {
      const outcome = outcomeSchema.parse(parseJson(record.value));
      return [[outcome.connectorId, 'i', 'rejected', 1], ...touch(outcome.connectorId, at)];
    }
    case TOPICS.dlq: {
      const outcome = outcomeSchema.parse(parseJson(record.value));
      return [[outcome.connectorId, 'i', 'deadLettered', 1], ...touch(outcome.connectorId, at)];
    }
    default:
      return [];
  }
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
