import { createHash } from 'node:crypto';
import { reportFrame, REPORT_DATE } from './journal/report-frame.js';
import { seededRandom } from './journal-generator.js';

/** One hostile mailbox item: what it is, its bytes, and the outcome it must reach. */
export interface HostileItem {
  name: string;
  bytes: Buffer;
  sha256: string;
  /** `archived`: a valid message that must be archived; `any`: exactly one outcome of any kind. */
  expect: 'archived' | 'any';
}

const CRLF = '\r\n';

interface ReportParts {
  tag: string;
  /** Lines of the envelope part (between its blank line and the next boundary). */
  envelope: string[];
  /** The original's header lines. */
  originalHeaders?: string[];
  /** The original's body. */
  originalBody?: string;
  /** Extra top-level header lines. */
  topHeaders?: string[];
}

/** An Exchange envelope journal report built from parts: contoso.com is the internal domain. */
export function envelopeReport(parts: ReportParts): Buffer {
  const boundary = `_${parts.tag}-hostile_`;
  const messageId = `<${parts.tag}@contoso.com>`;
  const frame = reportFrame({
    boundary,
    from: 'alice@contoso.com',
    to: 'bob@contoso.com',
    subject: `hostile item ${parts.tag}`,
    messageId: `<report-${parts.tag}@journal.report.generator>`,
    extra: parts.topHeaders ?? [],
  });
  const lines = [
    ...frame.head,
    ...parts.envelope,
    ...frame.original,
    ...(parts.originalHeaders ?? [
      'From: alice@contoso.com',
      'To: bob@contoso.com',
      `Subject: hostile item ${parts.tag}`,
      `Message-ID: ${messageId}`,
      `Date: ${REPORT_DATE}`,
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset="us-ascii"',
    ]),
    '',
    parts.originalBody ?? `Body of ${parts.tag}.`,
    frame.end,
    '',
  ];
  return Buffer.from(lines.join(CRLF), 'utf8');
}

/** A report of a mail to a distribution list of `members` internal members (one envelope line each). */
export function distributionListReport(tag: string, members: number): Buffer {
  const envelope = ['Sender: alice@contoso.com', `Subject: all hands ${tag}`, `Message-Id: <${tag}@contoso.com>`];
  for (let i = 0; i < members; i++) envelope.push(`To: member${i}.${tag}@contoso.com, Expanded: everyone@contoso.com`);
  return envelopeReport({ tag, envelope });
}

/** A report whose original has a Message-ID of `length` characters (sender-chosen). */
export function longMessageIdReport(tag: string, length: number): Buffer {
  // Incompressible, as a sender's would be: PostgreSQL compresses a repetitive key below its limit.
  let body = '';
  for (let block = 0; body.length < length - tag.length - 15; block++)
    body += createHash('sha256').update(`${tag}:${block}`).digest('hex');
  const id = `<${tag}.${body.slice(0, Math.max(0, length - tag.length - 15))}@contoso.com>`;
  return envelopeReport({
    tag,
    envelope: ['Sender: alice@contoso.com', `Subject: long id ${tag}`, `Message-Id: ${id}`, 'To: bob@contoso.com'],
    originalHeaders: [
      'From: alice@contoso.com',
      'To: bob@contoso.com',
      `Subject: long id ${tag}`,
      `Message-ID: ${id}`,
      'Content-Type: text/plain',
    ],
  });
}

function simpleEnvelope(tag: string): string[] {
  return ['Sender: alice@contoso.com', `Subject: ${tag}`, `Message-Id: <${tag}@contoso.com>`, 'To: bob@contoso.com'];
}

/** A report with the simple envelope of `tag`, whose original is alice's mail with `subject`. */
function simpleReport(tag: string, subject: string): Buffer {
  return envelopeReport({
    tag,
    envelope: simpleEnvelope(tag),
    originalHeaders: ['From: alice@contoso.com', `Subject: ${subject}`, `Message-ID: <${tag}@contoso.com>`],
  });
}

/**
 * The hostile items of the adversarial tier, each followed by an ordinary report. `scale`
 * multiplies the sizes (1 = the tier's sizes, already far beyond real mail).
 */
export function hostileItems(run: string, scale = 1): HostileItem[] {
  const random = seededRandom(1313);
  const n = (value: number) => Math.max(1, Math.round(value * scale));
  const items: Array<Omit<HostileItem, 'sha256'>> = [];
  const add = (name: string, bytes: Buffer, expect: HostileItem['expect'] = 'any') =>
    items.push({ name, bytes, expect });
  const tag = (name: string) => `${name}-${run}`;

  add('distribution-list-30k', distributionListReport(tag('dl30k'), n(30_000)), 'archived');
  add('distribution-list-100k', distributionListReport(tag('dl100k'), n(100_000)), 'archived');
  add('message-id-8kb', longMessageIdReport(tag('mid8k'), n(8_000)), 'archived');
  add('message-id-300kb', longMessageIdReport(tag('mid300k'), n(300_000)));
  add('header-line-3mb', simpleReport(tag('longline'), 'S'.repeat(n(3_000_000))));
  add('header-bomb-folded', simpleReport(tag('fold'), `start${' \r\n x'.repeat(n(200_000))}`));
  add(
    'header-bomb-fields',
    envelopeReport({
      tag: tag('fields'),
      envelope: simpleEnvelope(tag('fields')),
      topHeaders: Array.from({ length: n(100_000) }, (_, i) => `X-Bomb-${i}: ${i}`),
    }),
  );
  add(
    'envelope-many-addresses-one-line',
    envelopeReport({
      tag: tag('oneline'),
      envelope: [
        'Sender: alice@contoso.com',
        `To: ${Array.from({ length: n(50_000) }, (_, i) => `x${i}@fabrikam.com`).join(', ')}`,
      ],
    }),
  );
  {
    const depth = n(5_000);
    const open: string[] = [];
    for (let i = 0; i < depth; i++) open.push(`Content-Type: multipart/mixed; boundary="d${i}"`, '', `--d${i}`);
    add(
      'mime-nesting-5000',
      envelopeReport({
        tag: tag('deep'),
        envelope: simpleEnvelope(tag('deep')),
        originalHeaders: ['From: alice@contoso.com', `Message-ID: <${tag('deep')}@contoso.com>`, ...open],
        originalBody: 'deep',
      }),
    );
  }
  add(
    'envelope-malformed',
    envelopeReport({
      tag: tag('malformed'),
      envelope: ['Sender alice contoso', 'To:', ':::', 'To: <<<>>>, Expanded:', 'Expanded: , Forwarded:', '<!--'],
    }),
  );
  {
    // Every byte value but CR and LF (a server may normalise bare ones), CRLF every 1,000 bytes.
    const binary = Buffer.alloc(n(200_000));
    for (let i = 0; i < binary.length; i++) {
      const byte = Math.floor(random() * 254);
      binary[i] =
        i % 1000 === 998 ? 0x0d : i % 1000 === 999 ? 0x0a : byte >= 0x0a ? byte + (byte >= 0x0c ? 2 : 1) : byte;
    }
    add(
      'envelope-binary',
      Buffer.concat([
        envelopeReport({ tag: tag('binary'), envelope: ['Sender: alice@contoso.com'] }).subarray(0, 600),
        binary,
      ]),
    );
  }
  add(
    'envelope-html-unclosed',
    envelopeReport({
      tag: tag('html'),
      envelope: [`<html><body>${'<!-- <script '.repeat(n(50_000))}To: bob@contoso.com`],
    }),
  );
  add(
    'boundary-broken',
    Buffer.from(
      envelopeReport({ tag: tag('broken'), envelope: simpleEnvelope(tag('broken')) })
        .toString('utf8')
        .replace(/--_[^\r\n]*hostile_(--)?\r\n/g, (m, close) => (close ? '' : '--_not-the-boundary_\r\n')),
      'utf8',
    ),
  );
  add('empty-message', Buffer.alloc(0));
  add('headers-only', Buffer.from(`Subject: nothing else${CRLF}${CRLF}`));
  return items.map((item) => ({ ...item, sha256: createHash('sha256').update(item.bytes).digest('hex') }));
}
