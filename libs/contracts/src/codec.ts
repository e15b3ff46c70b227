import type { z } from 'zod';
import { JournalwireError } from '#errors';

/** Serialises a JSON record after validating it against its schema. */
export function encodeRecord<S extends z.ZodType>(schema: S, value: z.input<S>): Buffer {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new JournalwireError(
      'validation',
      `Refusing to publish an invalid record: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  return Buffer.from(JSON.stringify(parsed.data));
}

/** Parses and validates a JSON record; a bad record is a `validation` error, never a crash. */
export function decodeRecord<S extends z.ZodType>(schema: S, bytes: Buffer | null): z.output<S> {
  if (!bytes) throw new JournalwireError('validation', 'Record has no value');
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new JournalwireError('validation', 'Record value is not JSON', { cause: error });
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new JournalwireError(
      'validation',
      `Record does not match its schema: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  return parsed.data;
}
