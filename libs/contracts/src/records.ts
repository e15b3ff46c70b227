import { z } from 'zod';
import { claimCheckSchema, replayReferenceSchema, sha256Hex } from './raw-record.js';
import { SERVICE_STATES } from './vocabulary.js';

export const JOURNAL_TYPES = ['envelope', 'eml'] as const;
export const CLASSIFICATIONS = ['internal', 'unknown-internal', 'external'] as const;
export const MESSAGE_KINDS = ['journal', 'journal-defective', 'plain'] as const;
export const RECIPIENT_TYPES = ['to', 'cc', 'bcc', 'recipient'] as const;

const isoTime = z.iso.datetime();

/** Where a raw record sits on journal.raw.v2: the identity reconciliation matches outcomes by. */
export const rawRecordRefSchema = z.object({
  partition: z.number().int().nonnegative(),
  offset: z.string().regex(/^\d+$/),
});
export type RawRecordRef = z.infer<typeof rawRecordRefSchema>;

/**
 * Metadata too large for the record itself (e.g. the recipients of a 30,000-member distribution
 * list): the claim-check blob holds a JSON object with the full values of `fields`, and the record
 * holds placeholders (empty lists, null) in their place. Readers resolve it (`resolveOverflow` in
 * libs/blob-store) before using any of those fields. Identity fields (`rawId`, `rawRecord`,
 * `connectorId`, `uidl`, sha256s, `archiveId`, `event`, `classification`) never overflow.
 */
export const overflowSchema = z.object({ claimCheck: claimCheckSchema, fields: z.array(z.string()).min(1) });
export type Overflow = z.infer<typeof overflowSchema>;

export const recipientSchema = z.object({
  address: z.string(),
  type: z.enum(RECIPIENT_TYPES),
  via: z.enum(['expanded', 'forwarded']).optional(),
  viaAddress: z.string().optional(),
});
export type Recipient = z.infer<typeof recipientSchema>;

export const ORIGINAL_ROLES = ['primary', 'decrypted-copy', 'extra', 'fallback'] as const;

/**
 * Where one journaled original sits inside the message a record carries: bytes `start` up to (not
 * including) `end` of the value (of the claim-checked blob when the value is a claim check). For a
 * message/rfc822 part without `transferEncoding` the slice is the original as sent; with one
 * (`base64`, `quoted-printable`: a re-rendering store encoded it, or a fallback attachment) the
 * slice must be decoded first.
 */
export const originalRangeSchema = z.object({
  role: z.enum(ORIGINAL_ROLES),
  mediaType: z.string(),
  start: z.number().int().nonnegative(),
  end: z.number().int().nonnegative(),
  transferEncoding: z.string().optional(),
  /** Fallback attachments only: the file name. */
  filename: z.string().optional(),
});
export type OriginalRange = z.infer<typeof originalRangeSchema>;

/**
 * journal.classified.v2 — metadata (the `jw-meta` header, JSON). Key: raw id (bounded). The value is
 * the message itself (or its claim check), exactly as on journal.raw.v2.
 */
export const classifiedRecordSchema = z.object({
  schema: z.literal('journal.classified.v2'),
  id: z.string(),
  rawId: z.string(),
  rawRecord: rawRecordRefSchema,
  connectorId: z.string(),
  uidl: z.string(),
  sha256: sha256Hex,
  size: z.number().int().nonnegative(),
  journalType: z.enum(JOURNAL_TYPES),
  kind: z.enum(MESSAGE_KINDS),
  steppedDown: z.boolean(),
  bccVisible: z.boolean(),
  sender: z.string().nullable(),
  onBehalfOf: z.string().nullable(),
  recipients: z.array(recipientSchema),
  messageId: z.string().nullable(),
  subject: z.string().nullable(),
  date: z.string().nullable(),
  classification: z.enum(CLASSIFICATIONS),
  internalMailboxes: z.array(z.string()),
  unknownInternalAddresses: z.array(z.string()),
  /** The connector's journal mailbox was a participant (left out of the classification). */
  journalMailboxAddressed: z.boolean().default(false),
  defects: z.array(z.string()),
  /** Each journaled original's byte range inside the message (the value). */
  originals: z.array(originalRangeSchema),
  dedupKey: z.object({ messageId: z.string().nullable(), contentHash: sha256Hex.nullable() }),
  extractedAt: isoTime,
  classifiedAt: isoTime,
  /** Set when the raw record was an operator's replay (its `jw-replay-of` header): decided afresh. */
  replayOf: replayReferenceSchema.optional(),
  overflow: overflowSchema.optional(),
});
export type ClassifiedRecord = z.infer<typeof classifiedRecordSchema>;

/** What a classified record keeps of its bulky metadata when that moves to the claim-check store. */
export const CLASSIFIED_PLACEHOLDERS = {
  sender: null,
  onBehalfOf: null,
  recipients: [],
  messageId: null,
  subject: null,
  date: null,
  internalMailboxes: [],
  unknownInternalAddresses: [],
  defects: [],
  originals: [],
  dedupKey: { messageId: null, contentHash: null },
} satisfies Partial<ClassifiedRecord>;

/**
 * journal.archived.v2 — metadata (the `jw-meta` header, JSON). Key: archive id. `event` tells an
 * archive from a merge. The value of an archive is the whole journal report as kept (the evidence),
 * or its claim check; a merge has an empty value.
 */
export const archivedRecordSchema = z.object({
  schema: z.literal('journal.archived.v2'),
  event: z.enum(['archive', 'merge']),
  archiveId: z.string(),
  rawId: z.string(),
  rawRecord: rawRecordRefSchema,
  connectorId: z.string(),
  uidl: z.string(),
  sha256Before: sha256Hex,
  sha256After: sha256Hex,
  removedHeaders: z.array(z.string()),
  kind: z.enum(MESSAGE_KINDS),
  journalType: z.enum(JOURNAL_TYPES),
  classification: z.enum(CLASSIFICATIONS),
  sender: z.string().nullable(),
  recipients: z.array(recipientSchema),
  mailboxes: z.array(z.string()),
  unknownInternalAddresses: z.array(z.string()),
  messageId: z.string().nullable(),
  subject: z.string().nullable(),
  defects: z.array(z.string()),
  /** Each journaled original's byte range inside the value (empty for a merge). */
  originals: z.array(originalRangeSchema),
  extractedAt: isoTime,
  archivedAt: isoTime,
  overflow: overflowSchema.optional(),
});
export type ArchivedRecord = z.infer<typeof archivedRecordSchema>;

/** What an archived record keeps of its bulky metadata when that moves to the claim-check store. */
export const ARCHIVED_PLACEHOLDERS = {
  sender: null,
  recipients: [],
  mailboxes: [],
  unknownInternalAddresses: [],
  messageId: null,
  subject: null,
  defects: [],
  originals: [],
} satisfies Partial<ArchivedRecord>;

export const REJECTION_REASONS = [
  'external-not-journaled',
  'unknown-internal-not-journaled',
  'connector-unknown',
] as const;

/**
 * journal.rejected.v2 — metadata (the `jw-meta` header, JSON). Key: raw id (bounded). The value is the
 * message (or its claim check), so an operator can replay it.
 */
export const rejectedRecordSchema = z.object({
  schema: z.literal('journal.rejected.v2'),
  rawId: z.string(),
  rawRecord: rawRecordRefSchema,
  connectorId: z.string(),
  uidl: z.string(),
  sha256: sha256Hex,
  reason: z.enum(REJECTION_REASONS),
  classification: z.enum(CLASSIFICATIONS),
  messageId: z.string().nullable(),
  /** The original's sender and subject (absent on records written before they existed). */
  sender: z.string().nullable().optional(),
  subject: z.string().nullable().optional(),
  extractedAt: isoTime,
  rejectedAt: isoTime,
  overflow: overflowSchema.optional(),
});
export type RejectedRecord = z.infer<typeof rejectedRecordSchema>;

/**
 * journal.dlq.v2 — metadata (the `jw-meta` header, JSON). Key: raw id (bounded). The value is the
 * failed record's message as it came (its bytes, or its claim check); empty when it had none.
 */
export const deadLetterRecordSchema = z.object({
  schema: z.literal('journal.dlq.v2'),
  rawId: z.string(),
  rawRecord: rawRecordRefSchema.nullable(),
  connectorId: z.string(),
  uidl: z.string().nullable(),
  sha256: sha256Hex.nullable(),
  stage: z.enum(['envelope', 'policy']),
  error: z.object({ code: z.string(), message: z.string() }),
  source: z.object({ topic: z.string(), partition: z.number().int(), offset: z.string() }),
  /** How many times the record was tried before it was dead-lettered. */
  attempts: z.number().int().positive().optional(),
  failedAt: isoTime,
  overflow: overflowSchema.optional(),
});
export type DeadLetterRecord = z.infer<typeof deadLetterRecordSchema>;

/** journal.status.v1 — compacted, key: connector id. The latest state the poller reports. */
export const connectorStatusRecordSchema = z.object({
  schema: z.literal('journal.status.v1'),
  connectorId: z.string(),
  state: z.enum(SERVICE_STATES),
  sessionStartedAt: isoTime.nullable(),
  sessionEndedAt: isoTime.nullable(),
  lastSuccessfulExtractAt: isoTime.nullable(),
  mailboxQueue: z.number().int().nonnegative().nullable(),
  extractedTotal: z.number().int().nonnegative(),
  sessionExtracted: z.number().int().nonnegative(),
  skipped: z.array(z.object({ uidl: z.string(), attempts: z.number().int(), error: z.string() })),
  lastError: z.object({ code: z.string(), message: z.string(), at: isoTime }).nullable(),
  updatedAt: isoTime,
});
export type ConnectorStatusRecord = z.infer<typeof connectorStatusRecordSchema>;
