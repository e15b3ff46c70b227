import { type Defect } from '../defects.js';
import { normaliseEnvelopeAddress, splitListItems } from '../headers/addresses.js';
import { type Envelope, type EnvelopeRecipient, type RecipientType } from '../types.js';

export type EnvelopeFields = Omit<Envelope, 'charset' | 'transferEncoding'>;

export interface EnvelopeParse {
  envelope: EnvelopeFields;
  defects: Set<Defect>;
}

const RECIPIENT_TYPES = new Map<string, RecipientType>([
  ['to', 'to'],
  ['cc', 'cc'],
  ['bcc', 'bcc'],
  ['recipient', 'recipient'],
]);

/** Optional single fields kept in `extraFields` under their specified spelling. */
const OPTIONAL_FIELDS = new Map([
  ['label', 'Label'],
  ['mailbox', 'Mailbox'],
  ['sentutc', 'SentUtc'],
  ['receivedutc', 'ReceivedUtc'],
]);

const KNOWN_FIELDS = new Set([
  'sender',
  'on-behalf-of',
  'subject',
  'message-id',
  'recipients',
  ...RECIPIENT_TYPES.keys(),
  ...OPTIONAL_FIELDS.keys(),
]);

const FIELD_LINE = /^([!-9;-~]+)[ \t]*:(.*)$/s;
/** The first comma followed by a token and a colon starts a qualifier (docs §4.5). */
const QUALIFIER = /,\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*:/;

interface LogicalLine {
  name: string;
  value: string;
}

/** Unfolds continuation lines; a 2003 `Recipients:` list also continues over unindented lines. */
function logicalLines(text: string, maxLines: number, defects: Set<Defect>): Array<LogicalLine | null> {
  const physical = text.split(/\r\n|\n|\r/);
  if (physical.length > maxLines) {
    defects.add('limit-exceeded');
    physical.length = maxLines;
  }
  const lines: Array<LogicalLine | null> = [];
  let current: LogicalLine | null = null;
  for (const line of physical) {
    if (line.trim() === '') continue;
    const field = FIELD_LINE.exec(line);
    const indented = line.startsWith(' ') || line.startsWith('\t');
    const continuesList =
      current?.name.toLowerCase() === 'recipients' &&
      (field === null || !KNOWN_FIELDS.has((field[1] as string).toLowerCase()));
    if (current !== null && (indented || continuesList)) {
      current.value += line;
      defects.add('folded-line');
      continue;
    }
    if (field === null || indented) {
      defects.add('unknown-field');
      current = null;
      lines.push(null);
      continue;
    }
    current = { name: field[1] as string, value: field[2] as string };
    lines.push(current);
  }
  return lines;
}

function parseRecipient(value: string, type: RecipientType, defects: Set<Defect>): EnvelopeRecipient | null {
  const qualifier = QUALIFIER.exec(value);
  const address = normaliseEnvelopeAddress(qualifier === null ? value : value.slice(0, qualifier.index));
  if (address === null) return null;
  if (qualifier === null) return { address, type };
  const token = (qualifier[1] as string).toLowerCase();
  const rest = value.slice(qualifier.index + qualifier[0].length);
  if (token === 'expanded' || token === 'forwarded') {
    const viaAddress = normaliseEnvelopeAddress(rest);
    return viaAddress === null ? { address, type, via: token } : { address, type, via: token, viaAddress };
  }
  defects.add('unknown-qualifier');
  return { address, type, qualifier: value.slice(qualifier.index + 1).trim() };
}

/** Recipients are duplicates when address, type and via annotation agree (the qualifier text aside). */
function recipientKey(recipient: EnvelopeRecipient): string {
  return `${recipient.address}\u0000${recipient.type}\u0000${recipient.via ?? ''}\u0000${recipient.viaAddress ?? '\u0001'}`;
}

/**
 * Parses decoded envelope text (docs §4.3-4.6): field names case-insensitive, fields in any
 * order, empty lines ignored, single fields keep their first value.
 */
export function parseEnvelopeText(text: string, maxLines: number): EnvelopeParse {
  const defects = new Set<Defect>();
  const envelope: EnvelopeFields = {
    format: 'exchange-2007',
    sender: null,
    onBehalfOf: null,
    subject: null,
    messageId: null,
    recipients: [],
    extraFields: {},
  };
  const seen = new Set<string>();
  // Group expansions give hundreds of thousands of lines: one key lookup per recipient.
  const recipientKeys = new Set<string>();
  const addRecipient = (recipient: EnvelopeRecipient | null) => {
    if (recipient === null) return;
    const key = recipientKey(recipient);
    if (recipientKeys.has(key)) return;
    recipientKeys.add(key);
    envelope.recipients.push(recipient);
  };
  for (const line of logicalLines(text, maxLines, defects)) {
    if (line === null) continue;
    const lowerName = line.name.toLowerCase();
    const value = line.value.trim();
    const recipientType = RECIPIENT_TYPES.get(lowerName);
    if (recipientType !== undefined) {
      addRecipient(parseRecipient(value, recipientType, defects));
      continue;
    }
    if (lowerName === 'recipients') {
      envelope.format = 'exchange-2003';
      for (const item of splitListItems(value)) {
        const address = normaliseEnvelopeAddress(item);
        if (address !== null) addRecipient({ address, type: 'recipient' });
      }
      continue;
    }
    const known = KNOWN_FIELDS.has(lowerName);
    if (!known) defects.add('unknown-field');
    if (seen.has(lowerName)) {
      defects.add('duplicate-field');
      continue;
    }
    seen.add(lowerName);
    switch (lowerName) {
      case 'sender':
        envelope.sender = normaliseEnvelopeAddress(value);
        break;
      case 'on-behalf-of':
        envelope.onBehalfOf = normaliseEnvelopeAddress(value);
        break;
      case 'subject':
        envelope.subject = value;
        break;
      case 'message-id':
        envelope.messageId = value === '' ? null : value;
        break;
      default:
        envelope.extraFields[OPTIONAL_FIELDS.get(lowerName) ?? line.name] = value;
    }
  }
  return { envelope, defects };
}
