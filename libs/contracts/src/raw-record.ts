import { hash } from 'node:crypto';
import { z } from 'zod';
import { JournalwireError } from '#errors';
import { boundedKey } from './keys.js';
import type { MessageBody } from './message-record.js';
import { TOPICS } from './topics.js';

/** Header names on journal.raw.v2 records (values are UTF-8 strings). */
export const RAW_HEADERS = {
  schema: 'jw-schema',
  connectorId: 'jw-connector-id',
  uidl: 'jw-uidl',
  sha256: 'jw-sha256',
  size: 'jw-size',
  extractedAt: 'jw-extracted-at',
  contentType: 'content-type',
  traceparent: 'traceparent',
  replayOf: 'jw-replay-of',
} as const;

export const RAW_CONTENT_TYPES = {
  inline: 'message/rfc822',
  claimCheck: 'application/vnd.journalwire.claim-check+json',
} as const;

export type RawContentType = (typeof RAW_CONTENT_TYPES)[keyof typeof RAW_CONTENT_TYPES];

export const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'expected a lower-case hex sha256');

/**
 * A replayed message's link to what it replays: the outcome record (dead letter or rejection)
 * the operator replayed, and the raw record that outcome was about (null when the outcome did not
 * know it). Carried as JSON in the `jw-replay-of` header; reconciliation pairs the two.
 */
export const replayReferenceSchema = z.object({
  outcome: z.object({
    topic: z.string().min(1).max(255),
    partition: z.number().int().nonnegative(),
    offset: z.string().regex(/^\d+$/),
  }),
  rawRecord: z.object({ partition: z.number().int().nonnegative(), offset: z.string().regex(/^\d+$/) }).nullable(),
});
export type ReplayReference = z.infer<typeof replayReferenceSchema>;

const replayHeaderSchema = z
  .string()
  .max(1024)
  .transform((text, context) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      context.addIssue({ code: 'custom', message: 'expected JSON' });
      return z.NEVER;
    }
  })
  .pipe(replayReferenceSchema);

/** A reference into the claim-check blob store, used when a message is above the inline limit. */
export const claimCheckSchema = z.object({
  store: z.string().min(1),
  key: z.string().min(1),
  sha256: sha256Hex,
  size: z.number().int().nonnegative(),
});
export type ClaimCheck = z.infer<typeof claimCheckSchema>;

/** The headers of a raw record, validated. */
export const rawHeadersSchema = z.object({
  connectorId: z.string().min(1),
  uidl: z.string().min(1),
  sha256: sha256Hex,
  size: z.coerce.number().int().nonnegative(),
  extractedAt: z.iso.datetime(),
  contentType: z.enum([RAW_CONTENT_TYPES.inline, RAW_CONTENT_TYPES.claimCheck]),
  traceparent: z.string().optional(),
  /** Set only on a record an operator replayed (see ReplayReference). */
  replayOf: replayHeaderSchema.optional(),
});
export type RawHeaders = z.infer<typeof rawHeadersSchema>;

/**
 * The headers of a journal.raw.v2 record as they are on the wire (name → UTF-8 string): what a
 * consumer in another language validates (docs/schemas/journal.raw.v2.headers.json).
 */
export const rawHeaderMapSchema = z.object({
  [RAW_HEADERS.schema]: z.literal('journal.raw.v2').optional(),
  [RAW_HEADERS.connectorId]: z.string().min(1),
  [RAW_HEADERS.uidl]: z.string().min(1),
  [RAW_HEADERS.sha256]: sha256Hex,
  [RAW_HEADERS.size]: z.string().regex(/^\d+$/, 'expected a decimal byte count'),
  [RAW_HEADERS.extractedAt]: z.iso.datetime(),
  [RAW_HEADERS.contentType]: z.enum([RAW_CONTENT_TYPES.inline, RAW_CONTENT_TYPES.claimCheck]),
  [RAW_HEADERS.traceparent]: z.string().optional(),
  /** JSON of a ReplayReference, on a record an operator replayed. */
  [RAW_HEADERS.replayOf]: z.string().optional(),
});

/** Identifies one raw record for reconciliation: the connector and the message's sha256. */
export function rawId(connectorId: string, sha256: string): string {
  return `${connectorId}/${sha256}`;
}

/**
 * The Kafka key of every record about one raw message on journal.raw.v2, journal.classified.v2,
 * journal.rejected.v2 and journal.dlq.v2: its raw id (bounded). One connector's messages spread
 * over the partitions, so a busy connector uses several envelope and policy instances, while the
 * same bytes extracted again (a redelivery, a replay) land on the same partition as before.
 */
export function rawRecordKey(connectorId: string, sha256: string): string {
  return boundedKey(rawId(connectorId, sha256));
}

/**
 * The connector a record key names, for a record whose headers do not say (a raw id key, or a
 * bare connector id as keys were before raw id keys); null when the key was hashed or is absent.
 */
export function connectorOfKey(key: Buffer | string | null | undefined): string | null {
  if (key === null || key === undefined) return null;
  const text = typeof key === 'string' ? key : key.toString('utf8');
  if (text.length === 0 || text.startsWith('sha256:')) return null;
  const raw = /^(.+)\/[0-9a-f]{64}$/.exec(text);
  return raw ? raw[1]! : text;
}

/** Validates the headers of a raw record (given as a name → string map). */
export function parseRawHeaders(headers: Record<string, string | undefined>): RawHeaders {
  const parsed = rawHeadersSchema.safeParse({
    connectorId: headers[RAW_HEADERS.connectorId],
    uidl: headers[RAW_HEADERS.uidl],
    sha256: headers[RAW_HEADERS.sha256],
    size: headers[RAW_HEADERS.size],
    extractedAt: headers[RAW_HEADERS.extractedAt],
    contentType: headers[RAW_HEADERS.contentType],
    traceparent: headers[RAW_HEADERS.traceparent],
    replayOf: headers[RAW_HEADERS.replayOf],
  });
  if (!parsed.success) {
    throw new JournalwireError(
      'validation',
      `Raw record headers are invalid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  return parsed.data;
}

/** The headers a raw record is published with. */
export function formatRawHeaders(headers: RawHeaders): Record<string, string> {
  const out: Record<string, string> = {
    [RAW_HEADERS.schema]: 'journal.raw.v2',
    [RAW_HEADERS.connectorId]: headers.connectorId,
    [RAW_HEADERS.uidl]: headers.uidl,
    [RAW_HEADERS.sha256]: headers.sha256,
    [RAW_HEADERS.size]: String(headers.size),
    [RAW_HEADERS.extractedAt]: headers.extractedAt,
    [RAW_HEADERS.contentType]: headers.contentType,
  };
  if (headers.traceparent) out[RAW_HEADERS.traceparent] = headers.traceparent;
  if (headers.replayOf) out[RAW_HEADERS.replayOf] = JSON.stringify(replayReferenceSchema.parse(headers.replayOf));
  return out;
}

/** A message's bytes as a journal.raw.v2 value: inline, or the claim check of the blob holding them. */
export interface RawBody {
  value: Buffer;
  contentType: RawContentType;
  sha256: string;
  /** Size of the message itself (not of the value). */
  size: number;
}

/** The raw value of a message kept inline: the bytes themselves. */
export function inlineRawBody(bytes: Buffer): RawBody {
  return {
    value: bytes,
    contentType: RAW_CONTENT_TYPES.inline,
    // One-shot: no Hash object per message (the poller hashes every message it retrieves).
    sha256: hash('sha256', bytes, 'hex'),
    size: bytes.length,
  };
}

/** The raw value of a message in the claim-check store: the claim check as JSON. */
export function claimCheckRawBody(claim: ClaimCheck): RawBody {
  const parsed = claimCheckSchema.parse(claim);
  return {
    value: Buffer.from(JSON.stringify(parsed)),
    contentType: RAW_CONTENT_TYPES.claimCheck,
    sha256: parsed.sha256,
    size: parsed.size,
  };
}

/** The raw value of a message as another record carries it (a dead letter, a rejection): same bytes, same blob. */
export function rawBodyOf(message: MessageBody): RawBody {
  return 'inline' in message ? inlineRawBody(message.inline) : claimCheckRawBody(message.claimCheck);
}

/** What a journal.raw.v2 record is built from. */
export interface RawRecordInput {
  connectorId: string;
  uidl: string;
  extractedAt: string;
  body: RawBody;
  traceparent?: string | undefined;
  replayOf?: ReplayReference | undefined;
}

/** A journal.raw.v2 record ready to produce. */
export interface EncodedRawRecord {
  topic: typeof TOPICS.raw;
  key: string;
  value: Buffer;
  headers: Record<string, string>;
}

/**
 * The one encoder of journal.raw.v2 records, used by the poller and by replays (the status
 * service's outcome replay): key, value and headers.
 */
export function encodeRawRecord(input: RawRecordInput): EncodedRawRecord {
  const headers = formatRawHeaders({
    connectorId: input.connectorId,
    uidl: input.uidl,
    sha256: input.body.sha256,
    size: input.body.size,
    extractedAt: input.extractedAt,
    contentType: input.body.contentType,
    traceparent: input.traceparent,
    replayOf: input.replayOf,
  });
  return {
    topic: TOPICS.raw,
    key: rawRecordKey(input.connectorId, input.body.sha256),
    value: input.body.value,
    headers,
  };
}
