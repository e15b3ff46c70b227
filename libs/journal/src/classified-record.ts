import { hash } from 'node:crypto';
import { rawId, type ClassifiedRecord, type OriginalRange, type RawRecordRef, type Recipient } from '#contracts';
import { classify, type ClassificationResult } from './classify.js';
import { dedupKey, type DedupKey } from './dedup.js';
import { type DirectoryIndex } from './directory.js';
import { type ParseLimits } from './limits.js';
import { parseJournalMessage } from './parse-journal-message.js';
import { parseJournalStream } from './parse-journal-stream.js';
import { type EnvelopeRecipient, type JournalType, type OriginalRef, type ParsedMessage } from './types.js';

/** What the raw record says about a message, plus the connector's directory. */
export interface ClassifyInput {
  /** Where the raw record sits on journal.raw.v2. */
  rawRecord: RawRecordRef;
  connectorId: string;
  uidl: string;
  sha256: string;
  size: number;
  journalType: JournalType;
  extractedAt: string;
  directory: DirectoryIndex;
  /** The connector's service email address (the journal mailbox), never counted as a participant. */
  journalMailbox?: string | null;
  limits?: Partial<ParseLimits>;
  /** Clock for `classifiedAt`, the record's only time-varying field. */
  now?: () => Date;
}

/**
 * The record id: a UUID (version 8, RFC 9562) derived from the connector and the raw sha256,
 * so replaying a raw record yields the same id.
 */
export function classifiedRecordId(connectorId: string, sha256: string): string {
  // The v1 name stays in the derivation: ids are stable across the v2 contract.
  const bytes = hash('sha256', `journal.classified.v1\u0000${connectorId}\u0000${sha256}`, 'buffer');
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x80;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  const hex = bytes.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function recordRecipient(recipient: EnvelopeRecipient): Recipient {
  const { address, type, via, viaAddress } = recipient;
  return { address, type, ...(via === undefined ? {} : { via }), ...(viaAddress === undefined ? {} : { viaAddress }) };
}

/** Where each original sits in the message, as records carry it (`value.subarray(start, end)`). */
export function originalRanges(originals: readonly OriginalRef[]): OriginalRange[] {
  return originals.map(({ role, mediaType, start, end, transferEncoding, filename }) => ({
    role,
    mediaType,
    start,
    end,
    ...(transferEncoding === undefined ? {} : { transferEncoding }),
    ...(filename === undefined ? {} : { filename }),
  }));
}

function assembleRecord(
  input: ClassifyInput,
  parsed: ParsedMessage,
  key: DedupKey,
  classification: ClassificationResult,
): ClassifiedRecord {
  return {
    schema: 'journal.classified.v2',
    id: classifiedRecordId(input.connectorId, input.sha256),
    rawId: rawId(input.connectorId, input.sha256),
    rawRecord: input.rawRecord,
    connectorId: input.connectorId,
    uidl: input.uidl,
    sha256: input.sha256,
    size: input.size,
    journalType: input.journalType,
    kind: parsed.kind,
    steppedDown: parsed.steppedDown,
    bccVisible: parsed.bccVisible,
    sender: parsed.sender,
    onBehalfOf: parsed.onBehalfOf,
    recipients: parsed.recipients.map(recordRecipient),
    messageId: parsed.messageId,
    subject: parsed.subject,
    date: parsed.date,
    classification: classification.classification,
    internalMailboxes: classification.internalMailboxes,
    unknownInternalAddresses: classification.unknownInternalAddresses,
    journalMailboxAddressed: classification.journalMailboxAddressed,
    defects: [...parsed.defects],
    originals: originalRanges(parsed.originals),
    dedupKey: key,
    extractedAt: input.extractedAt,
    classifiedAt: (input.now ?? (() => new Date()))().toISOString(),
  };
}

/**
 * Parses, classifies and keys one raw message: the one path from a raw record to a
 * journal.classified.v2 record, used by the envelope service and the CLI. `sha256` and `size`
 * are the raw record's and are not recomputed.
 */
export function buildClassifiedRecord(input: ClassifyInput & { raw: Buffer }): ClassifiedRecord {
  const parsed = parseJournalMessage(input.raw, { journalType: input.journalType, limits: input.limits });
  return assembleRecord(
    input,
    parsed,
    dedupKey(input.raw, parsed),
    classify(parsed, input.directory, { journalMailbox: input.journalMailbox }),
  );
}

/** `buildClassifiedRecord` for a message read as a stream (claim-checked, too large to hold). */
export async function buildClassifiedRecordFromStream(
  input: ClassifyInput & { stream: AsyncIterable<Buffer> | NodeJS.ReadableStream },
): Promise<ClassifiedRecord> {
  const parsed = await parseJournalStream(input.stream, { journalType: input.journalType, limits: input.limits });
  return assembleRecord(
    input,
    parsed,
    parsed.dedupKey,
    classify(parsed, input.directory, { journalMailbox: input.journalMailbox }),
  );
}
