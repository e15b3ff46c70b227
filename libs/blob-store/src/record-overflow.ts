import type { z } from 'zod';
import { encodeRecord, overflowSchema, type MessageRef, type Overflow } from '#contracts';
import { JournalwireError } from '#errors';
import type { BlobStore } from './blob-store.js';

/** Bytes a record batch, the record's framing, its key and headers may need besides the value. */
const FRAMING_BYTES = 1024;

/** The value bytes a record may have so that it fits a topic's max.message.bytes. */
export function valueBudget(maxMessageBytes: number, key: string, headers: Record<string, string> = {}): number {
  let bytes = FRAMING_BYTES + Buffer.byteLength(key);
  for (const [name, value] of Object.entries(headers)) bytes += Buffer.byteLength(name) + Buffer.byteLength(value);
  return maxMessageBytes - bytes;
}

type RecordOf<S extends z.ZodType> = z.input<S> & { message?: MessageRef | null; overflow?: Overflow };

export interface FitOptions<S extends z.ZodType> {
  schema: S;
  /** Value bytes allowed (`valueBudget`). */
  maxBytes: number;
  blobStore: BlobStore;
  /** The fields that may move to the claim-check store, with the placeholder each leaves behind. */
  placeholders: Partial<z.input<S>>;
}

/**
 * Encodes a record so that it fits its topic. In order: as it is; with an inline message moved to
 * the claim-check store; with the bulky metadata (`placeholders`' fields) moved there too. Nothing
 * is truncated: a reader gets every value back with `resolveOverflow`.
 */
export async function encodeFitting<S extends z.ZodType>(record: RecordOf<S>, options: FitOptions<S>): Promise<Buffer> {
  let current = record;
  let value = encodeRecord(options.schema, current);
  if (value.length <= options.maxBytes) return value;

  if (current.message && 'inline' in current.message) {
    const claimCheck = await options.blobStore.put(Buffer.from(current.message.inline, 'base64'));
    current = { ...current, message: { claimCheck } };
    value = encodeRecord(options.schema, current);
    if (value.length <= options.maxBytes) return value;
  }

  const fields = Object.keys(options.placeholders);
  const moved: Record<string, unknown> = {};
  for (const field of fields) moved[field] = (current as Record<string, unknown>)[field];
  const claimCheck = await options.blobStore.put(Buffer.from(JSON.stringify(moved)));
  current = { ...current, ...options.placeholders, overflow: { claimCheck, fields } };
  value = encodeRecord(options.schema, current);
  if (value.length <= options.maxBytes) return value;
  throw new JournalwireError(
    'validation',
    `A record is ${value.length} bytes even with its message and metadata in the claim-check store (limit ${options.maxBytes})`,
  );
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
