import { z } from 'zod';
import { JournalwireError } from '#errors';

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
} as const;

export const RAW_CONTENT_TYPES = {
  inline: 'message/rfc822',
  claimCheck: 'application/vnd.journalwire.claim-check+json',
} as const;

export const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'expected a lower-case hex sha256');

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
});

/** Identifies one raw record for reconciliation: the connector and the message's sha256. */
export function rawId(connectorId: string, sha256: string): string {
  return `${connectorId}/${sha256}`;
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
  return out;
}
