import { z } from 'zod';
import { JournalwireError } from '#errors';
import { boundedKey } from './keys.js';
import { RECORD_HEADERS } from './message-record.js';
import { TOPICS } from './topics.js';

/**
 * Header names on journal.progress.v1 records (values are UTF-8 strings): the vocabulary of the
 * other topics (`jw-schema`, `jw-connector-id`, `jw-event`) plus the raw id and the archive id.
 */
export const PROGRESS_HEADERS = {
  schema: RECORD_HEADERS.schema,
  connectorId: RECORD_HEADERS.connectorId,
  /** `extracted` (a record on journal.raw.v2), `archive` or `merge` (one on journal.archived.v2). */
  event: RECORD_HEADERS.event,
  /** The raw id (`<connector id>/<sha256>`) of the message the record describes. */
  rawId: 'jw-raw-id',
  /** `archive` and `merge` only: the archive id, the key of the journal.archived.v2 record. */
  archiveId: 'jw-archive-id',
} as const;

export const PROGRESS_EVENTS = ['extracted', 'archive', 'merge'] as const;
export type ProgressEvent = (typeof PROGRESS_EVENTS)[number];

const progressBase = {
  [PROGRESS_HEADERS.schema]: z.literal('journal.progress.v1'),
  [PROGRESS_HEADERS.connectorId]: z.string().min(1),
  [PROGRESS_HEADERS.rawId]: z.string().min(1),
};

/**
 * The headers of a journal.progress.v1 record as they are on the wire (name → UTF-8 string): what a
 * consumer in another language validates (docs/schemas/journal.progress.v1.headers.json). The
 * record's value is empty; everything is here.
 */
export const progressHeaderMapSchema = z.discriminatedUnion(PROGRESS_HEADERS.event, [
  z.object({ ...progressBase, [PROGRESS_HEADERS.event]: z.literal('extracted') }),
  z.object({
    ...progressBase,
    [PROGRESS_HEADERS.event]: z.enum(['archive', 'merge']),
    [PROGRESS_HEADERS.archiveId]: z.string().min(1),
  }),
]);

/** What one progress record says. */
export type ProgressRecord =
  | { event: 'extracted'; connectorId: string; rawId: string }
  | { event: 'archive' | 'merge'; connectorId: string; rawId: string; archiveId: string };

/** A journal.progress.v1 record ready to produce: key raw id (bounded), empty value, headers. */
export interface EncodedProgressRecord {
  topic: typeof TOPICS.progress;
  key: string;
  value: Buffer;
  headers: Record<string, string>;
}

/**
 * The one encoder of journal.progress.v1 records. Every writer of journal.raw.v2 (event
 * `extracted`) and of journal.archived.v2 (`archive`, `merge`) sends one with each record, in the
 * same Kafka transaction, so a read-committed counter sees both or neither and never reads a body.
 */
export function encodeProgressRecord(record: ProgressRecord): EncodedProgressRecord {
  const headers: Record<string, string> = {
    [PROGRESS_HEADERS.schema]: 'journal.progress.v1',
    [PROGRESS_HEADERS.connectorId]: record.connectorId,
    [PROGRESS_HEADERS.event]: record.event,
    [PROGRESS_HEADERS.rawId]: record.rawId,
  };
  if (record.event !== 'extracted') headers[PROGRESS_HEADERS.archiveId] = record.archiveId;
  const valid = progressHeaderMapSchema.safeParse(headers);
  if (!valid.success) throw invalid(valid.error);
  return { topic: TOPICS.progress, key: boundedKey(record.rawId), value: Buffer.alloc(0), headers };
}

/** Reads a progress record's headers (a name → string map); throws a `validation` error when they are not one. */
export function decodeProgressHeaders(headers: Record<string, string | undefined>): ProgressRecord {
  const parsed = progressHeaderMapSchema.safeParse(headers);
  if (!parsed.success) throw invalid(parsed.error);
  const h = parsed.data;
  const base = { connectorId: h['jw-connector-id'], rawId: h['jw-raw-id'] };
  if (h['jw-event'] === 'extracted') return { event: 'extracted', ...base };
  return { event: h['jw-event'], ...base, archiveId: h['jw-archive-id'] };
}

function invalid(error: z.ZodError): JournalwireError {
  return new JournalwireError(
    'validation',
    `Progress record headers are invalid: ${error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
  );
}
