import type { z } from 'zod';
import {
  encodeMessageRecord,
  overflowSchema,
  RECORD_HEADERS,
  type EncodedRecord,
  type MessageBody,
  type Overflow,
} from '#contracts';
import { JournalwireError } from '#errors';
import type { BlobStore } from './blob-store.js';

/** Bytes a record batch and the record's framing may need besides its key, value and headers. */
const FRAMING_BYTES = 1024;

/** The bytes a record takes against a topic's max.message.bytes: value, key and headers (names and values). */
export function recordBytes(key: string, record: EncodedRecord): number {
  let bytes = FRAMING_BYTES + Buffer.byteLength(key) + record.value.length;
  for (const [name, value] of Object.entries(record.headers))
    bytes += Buffer.byteLength(name) + Buffer.byteLength(value);
  return bytes;
}

type MetaOf<S extends z.ZodType> = z.input<S> & { overflow?: Overflow };

export interface FitOptions<S extends z.ZodType> {
  schema: S;
  /** The record's Kafka key. */
  key: string;
  /** The topic's max.message.bytes (`KAFKA_MAX_MESSAGE_BYTES`). */
  maxMessageBytes: number;
  /** Headers besides the record's own (e.g. `traceparent`). */
  headers?: Record<string, string>;
  blobStore: BlobStore;
  /** The fields that may move to the claim-check store, with the placeholder each leaves behind. */
  placeholders: Partial<z.input<S>>;
}

/**
 * Largest `jw-meta` header kept as it is (UTF-8 bytes). Much of the metadata comes from the sender
 * (subject, Message-ID, recipients): above this its bulky fields go to the claim-check store even
 * when the record would fit its topic, so no reader has to take megabytes of headers.
 */
export const MAX_META_HEADER_BYTES = 64 * 1024;

/**
 * Encodes a v2 message record (the message as the value, the metadata in headers) so that value,
 * key and headers fit the topic and `jw-meta` stays within MAX_META_HEADER_BYTES. In order: as it
 * is; with the bulky metadata (`placeholders`' fields) moved to the claim-check store when
 * `jw-meta` is above that cap; with an inline message moved there; with the bulky metadata moved
 * there too. Nothing is truncated: a reader gets every value back with `resolveOverflow`.
 */
export async function encodeFitting<S extends z.ZodType>(
  meta: MetaOf<S>,
  message: MessageBody | null,
  options: FitOptions<S>,
): Promise<EncodedRecord> {
  const encode = (m: MetaOf<S>, body: MessageBody | null) =>
    encodeMessageRecord(options.schema, m, body, options.headers);
  const fits = (record: EncodedRecord) => recordBytes(options.key, record) <= options.maxMessageBytes;
  const overflowed = async (m: MetaOf<S>): Promise<MetaOf<S>> => {
    const fields = Object.keys(options.placeholders);
    const moved: Record<string, unknown> = {};
    for (const field of fields) moved[field] = (m as Record<string, unknown>)[field];
    const claimCheck = await options.blobStore.put(Buffer.from(JSON.stringify(moved)));
    return { ...m, ...options.placeholders, overflow: { claimCheck, fields } };
  };
  let current = meta;
  let body = message;
  let record = encode(current, body);
  if (metaHeaderBytes(record) > MAX_META_HEADER_BYTES) {
    current = await overflowed(current);
    record = encode(current, body);
  }
  if (fits(record)) return record;

  if (body && 'inline' in body) {
    body = { claimCheck: await options.blobStore.put(body.inline) };
    record = encode(current, body);
    if (fits(record)) return record;
  }

  if (!current.overflow) {
    current = await overflowed(current);
    record = encode(current, body);
    if (fits(record)) return record;
  }
  throw new JournalwireError(
    'validation',
    `A record is ${recordBytes(options.key, record)} bytes even with its message and metadata in the claim-check store (limit ${options.maxMessageBytes})`,
  );
}

function metaHeaderBytes(record: EncodedRecord): number {
  return Buffer.byteLength(record.headers[RECORD_HEADERS.meta] ?? '');
}

/** The record with its overflowed fields read back from the claim-check store (unchanged if none). */
export async function resolveOverflow<T extends { overflow?: Overflow }>(
  schema: z.ZodType<T>,
  record: T,
  blobStore: BlobStore,
): Promise<T> {
  if (!record.overflow) return record;
  const overflow = overflowSchema.parse(record.overflow);
  const bytes = await blobStore.get(overflow.claimCheck);
  let moved: unknown;
  try {
    moved = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new JournalwireError('validation', 'Overflow blob is not JSON', { cause: error });
  }
  if (typeof moved !== 'object' || moved === null)
    throw new JournalwireError('validation', 'Overflow blob is not a JSON object');
  const values: Record<string, unknown> = {};
  for (const field of overflow.fields) values[field] = (moved as Record<string, unknown>)[field];
  const { overflow: _resolved, ...rest } = record;
  const parsed = schema.safeParse({ ...rest, ...values });
  if (!parsed.success)
    throw new JournalwireError(
      'validation',
      `Overflow blob does not complete the record: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  return parsed.data;
}
