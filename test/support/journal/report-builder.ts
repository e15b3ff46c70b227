import { parseJournalMessage, parseJournalStream, type EnvelopeRecipient, type JournalType } from '#journal';

export type EnvelopeEncoding = '7bit' | '8bit' | 'quoted-printable' | 'base64';

export interface ReportSpec {
  sender: string;
  onBehalfOf?: string;
  subject: string;
  messageId: string;
  recipients: EnvelopeRecipient[];
  lineEnding?: '\r\n' | '\n';
  envelopeEncoding?: EnvelopeEncoding;
  charset?: string;
  /** How envelope field names are spelled. */
  fieldCase?: 'canonical' | 'lower' | 'upper';
  /** Qualifier spelling, e.g. `Expanded` or `EXPANDED`. */
  qualifierCase?: 'canonical' | 'lower' | 'upper';
  /** Write recipients as `"Name" <address>` (the parser must strip the name). */
  displayNames?: boolean;
  /** Extra header lines for the original, e.g. `Received: …`. */
  originalHeaders?: string[];
  originalBody?: Buffer | string;
  boundary?: string;
}

function spell(name: string, mode: ReportSpec['fieldCase']): string {
  return mode === 'lower' ? name.toLowerCase() : mode === 'upper' ? name.toUpperCase() : name;
}

/** Quoted-printable with soft breaks every 60 characters, wherever they fall (inside addresses too). */
export function encodeQuotedPrintable(bytes: Buffer, lineEnding: string): string {
  let out = '';
  let lineLength = 0;
  const emit = (token: string) => {
    if (lineLength + token.length > 60) {
      out += `=${lineEnding}`;
      lineLength = 0;
    }
    out += token;
    lineLength += token.length;
  };
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i] as number;
    if (byte === 0x0d && bytes[i + 1] === 0x0a) {
      out += '\r\n';
      lineLength = 0;
      i++;
    } else if (byte === 0x0a) {
      out += '\n';
      lineLength = 0;
    } else if ((byte >= 0x21 && byte <= 0x7e && byte !== 0x3d) || byte === 0x20) {
      emit(String.fromCharCode(byte));
    } else {
      emit(`=${byte.toString(16).toUpperCase().padStart(2, '0')}`);
    }
  }
  return out;
}

function base64Lines(bytes: Buffer, lineEnding: string): string {
  return (bytes.toString('base64').match(/.{1,76}/g) ?? []).join(lineEnding);
}

export function envelopeText(spec: ReportSpec): string {
  const eol = spec.lineEnding ?? '\r\n';
  const name = (field: string) => spell(field, spec.fieldCase);
  const qualifier = (word: string) => spell(word, spec.qualifierCase);
  const lines = [`${name('Sender')}: ${spec.sender}`];
  if (spec.onBehalfOf !== undefined) lines.push(`${name('On-Behalf-Of')}: ${spec.onBehalfOf}`);
  lines.push(`${name('Subject')}: ${spec.subject}`, `${name('Message-ID')}: ${spec.messageId}`);
  const typeName = { to: 'To', cc: 'Cc', bcc: 'Bcc', recipient: 'Recipient' } as const;
  for (const recipient of spec.recipients) {
    const address = spec.displayNames
      ? `"${recipient.address.split('@')[0]}" <${recipient.address}>`
      : recipient.address;
    const via =
      recipient.via === undefined
        ? ''
        : `, ${qualifier(recipient.via === 'expanded' ? 'Expanded' : 'Forwarded')}: ${recipient.viaAddress ?? ''}`;
    lines.push(`${name(typeName[recipient.type])}: ${address}${via}`);
  }
  return lines.join(eol) + eol;
}

/** A journal report in the Exchange 2007+ layout (docs §3.1) with one message/rfc822 original. */
export function buildReport(spec: ReportSpec): Buffer {
  const eol = spec.lineEnding ?? '\r\n';
  const encoding = spec.envelopeEncoding ?? '7bit';
  const charset = spec.charset ?? 'utf-8';
  const boundary = spec.boundary ?? '_4e8b1d2c-6a7f-4b90-8c1d-3e2f1a0b9c8d_';
  const envelopeBytes = Buffer.from(envelopeText(spec), 'utf8');
  const encodedEnvelope =
    encoding === 'quoted-printable'
      ? encodeQuotedPrintable(envelopeBytes, eol)
      : encoding === 'base64'
        ? base64Lines(envelopeBytes, eol) + eol
        : null;
  const originalHeaders = [
    ...(spec.originalHeaders ?? []),
    `From: ${spec.onBehalfOf ?? spec.sender}`,
    `To: ${spec.recipients.find((r) => r.type === 'to')?.address ?? 'undisclosed-recipients:;'}`,
    `Subject: ${spec.subject.replace(/[^\x20-\x7e]/g, '?')}`,
    `Message-ID: ${spec.messageId}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset="us-ascii"',
  ];
  const head = [
    'Received: from EXMBX01.contoso.com (10.1.1.31) by mx.archive.example',
    ` (198.51.100.7) with ESMTPS id 1A2B3C4D; Mon, 11 Mar 2019 07:30:42 +0000`,
    'Content-Type: multipart/mixed;',
    `\tboundary="${boundary}"`,
    `From: ${spec.onBehalfOf ?? spec.sender}`,
    `Subject: journal report`,
    'Sender: <MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@contoso.com>',
    'Message-ID: <6f0e1a0b-3c2d-4e5f-8a9b-0c1d2e3f4a5b@journal.report.generator>',
    'Date: Mon, 11 Mar 2019 07:30:41 +0000',
    'X-MS-Journal-Report:',
    'MIME-Version: 1.0',
    '',
    `--${boundary}`,
    `Content-Type: text/plain; charset="${charset}"`,
    `Content-Transfer-Encoding: ${encoding}`,
    '',
    '',
  ].join(eol);
  const middle = [
    ``,
    `--${boundary}`,
    'Content-Type: message/rfc822',
    'Content-Disposition: attachment',
    '',
    ...originalHeaders,
    '',
    '',
  ].join(eol);
  const body = spec.originalBody ?? `Hello,${eol}${eol}the report body.${eol}`;
  return Buffer.concat([
    Buffer.from(head, 'latin1'),
    encodedEnvelope === null ? envelopeBytes : Buffer.from(encodedEnvelope, 'latin1'),
    Buffer.from(middle, 'latin1'),
    typeof body === 'string' ? Buffer.from(body, 'utf8') : body,
    Buffer.from(`${eol}--${boundary}--${eol}`, 'latin1'),
  ]);
}

/** Splits a buffer into chunks of the given sizes (cycled), as a stream would deliver it. */
export function* chunked(bytes: Buffer, sizes: readonly number[]): Generator<Buffer> {
  let offset = 0;
  let i = 0;
  while (offset < bytes.length) {
    const size = Math.max(1, sizes[i++ % sizes.length] ?? 1);
    yield bytes.subarray(offset, offset + size);
    offset += size;
  }
}

export async function* asAsync(chunks: Iterable<Buffer>): AsyncGenerator<Buffer> {
  for (const chunk of chunks) yield chunk;
}

/**
 * `raw` parsed whole and as a stream cut into `chunkSizes`: `streamed` is the stream's result
 * without what only the stream gives (its dedup key, sha256 and size), to compare with `parsed`.
 */
export async function parseWholeAndStreamed(raw: Buffer, journalType: JournalType, chunkSizes: number[]) {
  const parsed = parseJournalMessage(raw, { journalType });
  const {
    dedupKey: key,
    sha256: _sha,
    size,
    ...streamed
  } = await parseJournalStream(asAsync(chunked(raw, chunkSizes)), { journalType });
  return { parsed, streamed, key, size };
}
