import type { z } from 'zod';
import { JournalwireError } from '#errors';
import { decodeRecord, validateRecord } from './codec.js';
import { claimCheckSchema, RAW_CONTENT_TYPES, RAW_HEADERS, type ClaimCheck } from './raw-record.js';

/**
 * Headers of the v2 topics that carry a message (journal.classified.v2, journal.archived.v2,
 * journal.rejected.v2, journal.dlq.v2). The value is the message; everything else is here.
 */
export const RECORD_HEADERS = {
  /** The metadata's schema, e.g. `journal.archived.v2`. */
  schema: RAW_HEADERS.schema,
  /** The metadata: one JSON object, validated by the topic's schema (docs/schemas). */
  meta: 'jw-meta',
  /** The connector, so counting needs no JSON. */
  connectorId: RAW_HEADERS.connectorId,
  /** journal.archived.v2 only: `archive` or `merge`. */
  event: 'jw-event',
  /** `message/rfc822` or the claim-check type; absent when the value is empty. */
  contentType: RAW_HEADERS.contentType,
  traceparent: RAW_HEADERS.traceparent,
} as const;

/** A message as a record carries it: its bytes, or a claim check into the blob store. */
export type MessageBody = { inline: Buffer } | { claimCheck: ClaimCheck };

/** A record's value and headers, ready to produce. */
export interface EncodedRecord {
  value: Buffer;
  headers: Record<string, string>;
}

/** The value that carries `message` and its content type (an empty value and none for null). */
export function messageValue(message: MessageBody | null): { value: Buffer; contentType: string | null } {
  if (message === null) return { value: Buffer.alloc(0), contentType: null };
  if ('inline' in message) return { value: message.inline, contentType: RAW_CONTENT_TYPES.inline };
  return { value: Buffer.from(JSON.stringify(message.claimCheck)), contentType: RAW_CONTENT_TYPES.claimCheck };
}

/**
 * The message a record's value carries, by its content type: the bytes themselves (never copied),
 * a claim check, or null for an empty value without a content type.
 */
export function messageOf(value: Buffer | null, contentType: string | undefined): MessageBody | null {
  if (contentType === undefined && (value === null || value.length === 0)) return null;
  if (value === null) throw new JournalwireError('validation', 'Record has no value');
  if (contentType === RAW_CONTENT_TYPES.inline) return { inline: value };
  if (contentType === RAW_CONTENT_TYPES.claimCheck) {
    let json: unknown;
    try {
      json = JSON.parse(value.toString('utf8'));
    } catch {
      json = null;
    }
    const parsed = claimCheckSchema.safeParse(json);
    if (!parsed.success)
      throw new JournalwireError('validation', 'Record claims a claim check but its value is not one');
    return { claimCheck: parsed.data };
  }
  throw new JournalwireError('validation', `Record has an unknown content type: ${String(contentType).slice(0, 100)}`);
}

type Meta = { schema: string; connectorId: string; event?: string };

/**
 * A v2 message record: the message as the value, the metadata validated and in `jw-meta`, with
 * `jw-schema`, `jw-connector-id` (and `jw-event`) beside it for readers that only count.
 */
export function encodeMessageRecord<S extends z.ZodType>(
  schema: S,
  meta: z.input<S>,
  message: MessageBody | null,
  headers: Record<string, string> = {},
): EncodedRecord {
  const valid = validateRecord(schema, meta) as Meta;
  const { value, contentType } = messageValue(message);
  const out: Record<string, string> = {
    ...headers,
    [RECORD_HEADERS.schema]: valid.schema,
    [RECORD_HEADERS.connectorId]: valid.connectorId,
  };
  if (valid.event !== undefined) out[RECORD_HEADERS.event] = valid.event;
  if (contentType !== null) out[RECORD_HEADERS.contentType] = contentType;
  out[RECORD_HEADERS.meta] = JSON.stringify(valid);
  return { value, headers: out };
}

/** Reads a v2 message record: its metadata (validated) and its message. */
export function decodeMessageRecord<S extends z.ZodType>(
  schema: S,
  value: Buffer | null,
  headers: Record<string, string>,
): { record: z.output<S>; message: MessageBody | null } {
  const meta = headers[RECORD_HEADERS.meta];
  if (meta === undefined) throw new JournalwireError('validation', `Record has no ${RECORD_HEADERS.meta} header`);
  return { record: decodeRecord(schema, meta), message: messageOf(value, headers[RECORD_HEADERS.contentType]) };
}
