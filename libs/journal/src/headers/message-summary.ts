import { type HeaderBlock } from '../mime/header-block.js';
import { decodeEncodedWords } from '../decoding/rfc2047.js';
import { decodeHeaderBytes } from '../decoding/charset.js';
import { parseAddressList } from './addresses.js';

/** What a message's own header block says, for display and for fallbacks. */
export interface MessageHeaderSummary {
  from: string[];
  sender: string | null;
  to: string[];
  cc: string[];
  bcc: string[];
  /** RFC 2047 decoded. */
  subject: string | null;
  /** As written, angle brackets included. */
  messageId: string | null;
  date: string | null;
}

type AddressField = 'from' | 'sender' | 'to' | 'cc' | 'bcc';
const ADDRESS_FIELDS = new Set<string>(['from', 'sender', 'to', 'cc', 'bcc']);

function addAddresses(into: Set<string>, value: string): void {
  for (const address of parseAddressList(value)) into.add(address);
}

/** One pass over the block; repeated address fields are merged, other fields keep their first value. */
export function summariseHeaders(block: HeaderBlock): MessageHeaderSummary {
  // Sets: a sender can repeat a field or an address hundreds of thousands of times
  const addresses: Record<AddressField, Set<string>> = {
    from: new Set(),
    sender: new Set(),
    to: new Set(),
    cc: new Set(),
    bcc: new Set(),
  };
  for (const field of block.fields) {
    if (ADDRESS_FIELDS.has(field.lowerName))
      addAddresses(addresses[field.lowerName as AddressField], decodeHeaderBytes(block.valueBytes(field)));
  }
  const subject = block.text('subject');
  return {
    from: [...addresses.from],
    sender: addresses.sender.values().next().value ?? null,
    to: [...addresses.to],
    cc: [...addresses.cc],
    bcc: [...addresses.bcc],
    subject: subject === null ? null : decodeEncodedWords(subject),
    messageId: emptyToNull(block.text('message-id')),
    date: emptyToNull(block.text('date')),
  };
}

function emptyToNull(value: string | null): string | null {
  return value === null || value === '' ? null : value;
}
