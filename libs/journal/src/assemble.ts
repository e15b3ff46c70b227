import { isHardDefect, sortDefects, UNPARSEABLE, type Defect } from './defects.js';
import { decodeText } from './decoding/charset.js';
import { isKnownTransferEncoding } from './decoding/transfer-decoder.js';
import { htmlToText } from './envelope/html-to-text.js';
import { parseEnvelopeText } from './envelope/envelope-grammar.js';
import { summariseHeaders, type MessageHeaderSummary } from './headers/message-summary.js';
import { type ParseLimits } from './limits.js';
import { type EnvelopeCandidate, type ScanFacts, type ScannedOriginal } from './scan/journal-scanner.js';
import {
  type Envelope,
  type EnvelopeRecipient,
  type JournalType,
  type OriginalRef,
  type OriginalRole,
  type ParsedMessage,
  type Participant,
  type ParticipantRole,
  type ReportHeaders,
} from './types.js';

const EMPTY_SUMMARY: MessageHeaderSummary = {
  from: [],
  sender: null,
  to: [],
  cc: [],
  bcc: [],
  subject: null,
  messageId: null,
  date: null,
};

function readEnvelope(candidate: EnvelopeCandidate, limits: ParseLimits, defects: Set<Defect>): Envelope {
  let bytes = candidate.decoded.bytes();
  if (candidate.decoded.overflowed) {
    defects.add('limit-exceeded');
    // keep whole lines only: what parsed before the limit
    const lastBreak = Math.max(bytes.lastIndexOf(0x0a), bytes.lastIndexOf(0x0d));
    bytes = bytes.subarray(0, Math.max(lastBreak, 0));
  }
  if (!isKnownTransferEncoding(candidate.transferEncoding)) defects.add('unknown-cte');
  const decoded = decodeText(bytes, candidate.charset);
  if (decoded.fallback) defects.add('charset-fallback');
  const text = candidate.mediaType === 'text/html' ? htmlToText(decoded.text) : decoded.text;
  const parsed = parseEnvelopeText(text, limits.maxEnvelopeLines);
  for (const defect of parsed.defects) defects.add(defect);
  return { ...parsed.envelope, charset: candidate.charset, transferEncoding: candidate.transferEncoding };
}

function originalRefs(facts: ScanFacts): OriginalRef[] {
  if (facts.originals.length > 0) {
    return facts.originals.map((original, index) => ({
      role: (['primary', 'decrypted-copy'] as const)[index] ?? ('extra' satisfies OriginalRole),
      mediaType: original.mediaType,
      start: original.start,
      end: original.end,
      ...(original.transferEncoding === null ? {} : { transferEncoding: original.transferEncoding }),
    }));
  }
  return facts.fallbacks.map((original) => ({
    role: 'fallback',
    mediaType: original.mediaType,
    start: original.start,
    end: original.end,
    filename: original.filename ?? '',
    transferEncoding: original.transferEncoding ?? '7bit',
  }));
}

/** The original the dedup key and the fallbacks of docs §6.3 use: the primary, else the first fallback. */
export function keyOriginal(facts: ScanFacts): ScannedOriginal | null {
  return facts.originals[0] ?? facts.fallbacks[0] ?? null;
}

function headerRecipients(summary: MessageHeaderSummary): EnvelopeRecipient[] {
  return [
    ...summary.to.map((address) => ({ address, type: 'to' as const })),
    ...summary.cc.map((address) => ({ address, type: 'cc' as const })),
    ...summary.bcc.map((address) => ({ address, type: 'bcc' as const })),
  ];
}

function participantsFromHeaders(summary: MessageHeaderSummary): Participant[] {
  return [
    ...summary.from.map((address) => ({ address, role: 'from' as const })),
    ...(summary.sender === null ? [] : [{ address: summary.sender, role: 'sender' as const }]),
  ];
}

function recipientParticipants(recipients: readonly EnvelopeRecipient[]): Participant[] {
  const participants: Participant[] = [];
  for (const recipient of recipients) {
    participants.push({ address: recipient.address, role: recipient.type });
    // The sender addressed the forwarding mailbox; the group of an `Expanded` line is no participant.
    if (recipient.via === 'forwarded' && recipient.viaAddress !== undefined)
      participants.push({ address: recipient.viaAddress, role: 'forwarded-for' });
  }
  return participants;
}

function uniqueParticipants(participants: Participant[]): Participant[] {
  const rolesByAddress = new Map<string, ParticipantRole[]>();
  return participants.filter(({ address, role }) => {
    const roles = rolesByAddress.get(address);
    if (roles === undefined) rolesByAddress.set(address, [role]);
    else if (roles.includes(role)) return false;
    else roles.push(role);
    return true;
  });
}

/** A message read as itself, not as a journal report: its participants are its own headers. */
function plainMessage(
  journalType: JournalType,
  report: ReportHeaders,
  summary: MessageHeaderSummary,
  defects: Set<Defect>,
): ParsedMessage {
  const recipients = headerRecipients(summary);
  return {
    kind: 'plain',
    journalType,
    steppedDown: journalType === 'envelope',
    bccVisible: false,
    envelope: null,
    originals: [],
    report,
    original: null,
    sender: summary.from[0] ?? summary.sender,
    onBehalfOf: null,
    recipients,
    messageId: summary.messageId,
    subject: summary.subject,
    date: summary.date,
    participants: uniqueParticipants([...participantsFromHeaders(summary), ...recipientParticipants(recipients)]),
    defects: sortDefects(defects),
  };
}

/** The result for input the parser could not read at all. */
export function unparseableMessage(journalType: JournalType): ParsedMessage {
  return plainMessage(journalType, { marker: null, ...EMPTY_SUMMARY }, EMPTY_SUMMARY, new Set([UNPARSEABLE]));
}

/** Turns scan facts into the parse result (docs §6, §7, §11). */
export function assembleParsedMessage(facts: ScanFacts, journalType: JournalType, limits: ParseLimits): ParsedMessage {
  const defects = new Set<Defect>();
  const top = facts.top;
  const topSummary = top === null ? EMPTY_SUMMARY : summariseHeaders(top);
  const report: ReportHeaders = { marker: facts.marker, ...topSummary };
  if (top === null || top.fields.length === 0) defects.add(UNPARSEABLE);
  if (facts.limitExceeded) defects.add('limit-exceeded');

  if (!facts.asReport) return plainMessage(journalType, report, topSummary, defects);

  const candidate = facts.envelopeText ?? facts.envelopeHtml;
  const envelope = candidate === null ? null : readEnvelope(candidate, limits, defects);
  if (envelope === null) defects.add('no-envelope');
  else {
    if (envelope.sender === null) defects.add('missing-sender');
    if (envelope.messageId === null) defects.add('missing-message-id');
    if (envelope.recipients.length === 0) defects.add('no-recipients');
  }
  if (facts.rfc822Count === 0) defects.add('no-original');
  if (facts.rfc822Count >= 3) defects.add('extra-originals');
  if (facts.originals.some((original) => original.nestedMarker)) defects.add('nested-journal');
  if (facts.originals.some((original) => original.headerFieldCount === 0 && !original.headerTruncated))
    defects.add('original-unparseable');

  const original = keyOriginal(facts)?.summary ?? null;
  const fromEnvelope = envelope !== null && envelope.recipients.length > 0;
  const recipients = fromEnvelope ? envelope.recipients : original === null ? [] : headerRecipients(original);
  const envelopeSender = envelope?.sender ?? null;
  const senderParticipants: Participant[] =
    envelopeSender !== null
      ? [{ address: envelopeSender, role: 'sender' }]
      : original === null
        ? []
        : participantsFromHeaders(original);
  const onBehalfOf = envelope?.onBehalfOf ?? null;
  const sortedDefects = sortDefects(defects);
  return {
    kind: sortedDefects.some(isHardDefect) ? 'journal-defective' : 'journal',
    journalType,
    steppedDown: false,
    bccVisible: fromEnvelope,
    envelope,
    originals: originalRefs(facts),
    report,
    original,
    sender: envelopeSender ?? original?.from[0] ?? original?.sender ?? null,
    onBehalfOf,
    recipients,
    messageId: envelope?.messageId ?? original?.messageId ?? null,
    subject: envelope?.subject ?? original?.subject ?? topSummary.subject,
    date: original?.date ?? topSummary.date,
    participants: uniqueParticipants([
      ...senderParticipants,
      ...(onBehalfOf === null ? [] : [{ address: onBehalfOf, role: 'on-behalf-of' as const }]),
      ...recipientParticipants(recipients),
    ]),
    defects: sortedDefects,
  };
}
