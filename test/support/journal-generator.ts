import { createHash } from 'node:crypto';
import { reportFrame, REPORT_DATE } from './journal/report-frame.js';

export interface GeneratedReport {
  bytes: Buffer;
  sha256: string;
  /** What the report is expected to classify as with the demo directory (contoso.com internal). */
  sender: string;
  recipients: string[];
  messageId: string;
}

/** A small deterministic PRNG so generated mailboxes are reproducible. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x100000000;
  };
}

const INTERNAL = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'gina', 'hank'];
const EXTERNAL = ['customer@fabrikam.com', 'partner@fabrikam.de', 'sales@northwind.example'];

/**
 * An Exchange 2010-style envelope journal report of about `size` bytes (CRLF lines, 8-bit bytes
 * and dot-leading lines included), with `internalShare` of the messages having an internal sender.
 */
export function generateJournalReport(index: number, size: number, random: () => number, salt = ''): GeneratedReport {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const kind = random();
  const sender =
    kind < 0.7 ? `${pick(INTERNAL)}@contoso.com` : kind < 0.85 ? pick(EXTERNAL) : `unknown${index}@contoso.com`;
  const recipients = [kind < 0.7 ? pick(EXTERNAL) : `${pick(INTERNAL)}@contoso.com`];
  if (random() < 0.5) recipients.push(`${pick(INTERNAL)}@contoso.com`);
  if (kind >= 0.7 && kind < 0.85 && random() < 0.5) recipients[0] = pick(EXTERNAL);
  const messageId = `<gen-${index}-${Math.floor(random() * 1e9)}${salt}@contoso.com>`;
  const boundary = `_${index.toString(16).padStart(8, '0')}-journal_`;
  const frame = reportFrame({
    boundary,
    from: sender,
    to: recipients[0]!,
    subject: `Generated report ${index}`,
    messageId: `<${index}-${Math.floor(random() * 1e9)}@journal.report.generator>`,
    leading: [`Received: from EXHUB01.contoso.com (10.0.0.1) by mx.archive.example with ESMTPS; ${REPORT_DATE}`],
  });
  const head = [
    ...frame.head,
    `Sender: ${sender}`,
    `Subject: Generated report ${index}`,
    `Message-Id: ${messageId}`,
    ...recipients.map((r, i) => `${i === 0 ? 'To' : 'Cc'}: ${r}`),
    ...frame.original,
    `Received: from EXMBX01.contoso.com by EXHUB01.contoso.com with mapi; ${REPORT_DATE}`,
    `From: ${sender}`,
    `To: ${recipients[0]}`,
    `Subject: Generated report ${index}`,
    `Message-ID: ${messageId}`,
    `Date: ${REPORT_DATE}`,
    'X-MS-Exchange-Organization-BCC: audit@contoso.com',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset="iso-8859-1"',
    'Content-Transfer-Encoding: 8bit',
    '',
  ].join('\r\n');
  const tail = `\r\n${frame.end}\r\n`;
  const lines: Buffer[] = [];
  let length = Buffer.byteLength(head) + 2 + tail.length;
  let line = 0;
  while (length < size) {
    const text =
      line % 17 === 5
        ? '.a line that starts with a dot'
        : line % 23 === 7
          ? '.'
          : `Line ${line} of report ${index}: caf\u00e9 M\u00fcnchen ${'x'.repeat(Math.floor(random() * 60))}`;
    const bytes = Buffer.from(`${text}\r\n`, 'latin1');
    lines.push(bytes);
    length += bytes.length;
    line++;
  }
  const bytes = Buffer.concat([Buffer.from(`${head}\r\n`), ...lines, Buffer.from(tail)]);
  return { bytes, sha256: createHash('sha256').update(bytes).digest('hex'), sender, recipients, messageId };
}

/** Sizes between 2 KB and 120 KB with a mean of about 28 KB (log-uniform-ish). */
export function journalSize(random: () => number): number {
  const min = 2 * 1024;
  const max = 120 * 1024;
  const value = Math.exp(Math.log(min) + random() * (Math.log(max) - Math.log(min)));
  return Math.round(value);
}

/**
 * Makes every Message-ID in a message unique to `run`: dedup keys are global, so an original that
 * an earlier test run archived would otherwise turn this run's archive into a merge.
 */
export function withRunMessageIds(bytes: Buffer, run: string): Buffer {
  return Buffer.from(bytes.toString('latin1').replace(/^(message-id:\s*<[^<>@\r\n]+)@/gim, `$1.${run}@`), 'latin1');
}

/** A short id unique to this test run. */
export const TEST_RUN_ID = `${Date.now().toString(36)}${process.pid.toString(36)}`;
