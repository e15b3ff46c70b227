import type { z } from 'zod';
import { JournalwireError } from '#errors';

function issues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
}

/** Validates a record before it is published: an invalid one is a `validation` error. */
export function validateRecord<S extends z.ZodType>(schema: S, value: z.input<S>): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success)
    throw new JournalwireError('validation', `Refusing to publish an invalid record: ${issues(parsed.error)}`);
  return parsed.data;
}

/** Serialises a JSON record after validating it against its schema. */
export function encodeRecord<S extends z.ZodType>(schema: S, value: z.input<S>): Buffer {
  return Buffer.from(JSON.stringify(validateRecord(schema, value)));
}

/**
 * Parses and validates a JSON record (a value, or a metadata header's text); a bad record is a
 * `validation` error, never a crash.
 */
export function decodeRecord<S extends z.ZodType>(schema: S, bytes: Buffer | string | null | undefined): z.output<S> {
  if (bytes === null || bytes === undefined) throw new JournalwireError('validation', 'Record has no value');
  let json: unknown;
  try {
    json = JSON.parse(typeof bytes === 'string' ? bytes : bytes.toString('utf8'));
  } catch (error) {
    throw new JournalwireError('validation', 'Record value is not JSON', { cause: error });
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success)
    throw new JournalwireError('validation', `Record does not match its schema: ${issues(parsed.error)}`);
  return parsed.data;
}
