import { type Defect } from './defects.js';
import { type MessageHeaderSummary } from './headers/message-summary.js';

export type JournalType = 'envelope' | 'eml';
export type MessageKind = 'journal' | 'journal-defective' | 'plain';
export type RecipientType = 'to' | 'cc' | 'bcc' | 'recipient';
export type Via = 'expanded' | 'forwarded';

export interface EnvelopeRecipient {
  address: string;
  type: RecipientType;
  /** `expanded`: reached through group `viaAddress`; `forwarded`: alternate recipient for `viaAddress`. */
  via?: Via;
  viaAddress?: string;
  /** An unknown qualifier kept raw, e.g. `Redirected: old@contoso.com` (defect `unknown-qualifier`). */
  qualifier?: string;
}

/** What the envelope part says (docs §4), as written: no fallbacks applied. */
export interface Envelope {
  format: 'exchange-2007' | 'exchange-2003';
  sender: string | null;
  onBehalfOf: string | null;
  subject: string | null;
  /** The original's Message-ID as written, angle brackets included. */
  messageId: string | null;
  recipients: EnvelopeRecipient[];
  /** `Label`, `Mailbox`, `SentUtc`, `ReceivedUtc` and unknown fields (first value of each). */
  extraFields: Record<string, string>;
  /** The declared charset label, lower-cased; null when the part declares none. */
  charset: string | null;
  transferEncoding: string;
}

export type OriginalRole = 'primary' | 'decrypted-copy' | 'extra' | 'fallback';

/** A journaled original inside the raw report: `raw.subarray(start, end)` is its part body. */
export interface OriginalRef {
  role: OriginalRole;
  mediaType: string;
  start: number;
  end: number;
  /** Fallback attachments only: the file name. */
  filename?: string;
  /** When the bytes at start..end are base64 or quoted-printable (always set for fallbacks). */
  transferEncoding?: string;
}

export type JournalMarker = 'X-MS-Journal-Report' | 'X-MS-Exchange-Organization-Journal-Report' | 'Content-Identifier';

/** The top-level header block: the report's own headers, or a plain message's headers. */
export interface ReportHeaders extends MessageHeaderSummary {
  marker: JournalMarker | null;
}

export type ParticipantRole = 'sender' | 'on-behalf-of' | 'from' | 'to' | 'cc' | 'bcc' | 'recipient' | 'forwarded-for';

export interface Participant {
  address: string;
  role: ParticipantRole;
}

export interface ParsedMessage {
  kind: MessageKind;
  journalType: JournalType;
  /** A plain message taken by an envelope connector (docs §6.2). */
  steppedDown: boolean;
  /** Recipients come from an envelope, so Bcc and expanded recipients are visible. */
  bccVisible: boolean;
  envelope: Envelope | null;
  originals: OriginalRef[];
  report: ReportHeaders;
  /** Headers of the first original (message/rfc822 or fallback attachment), when readable. */
  original: MessageHeaderSummary | null;
  /** Effective values, fallbacks of docs §6.3 applied; for plain messages from its headers. */
  sender: string | null;
  onBehalfOf: string | null;
  recipients: EnvelopeRecipient[];
  messageId: string | null;
  subject: string | null;
  date: string | null;
  /** Addresses that decide the classification (docs §7). */
  participants: Participant[];
  defects: Defect[];
}
