/**
 * Hostile journal reports, each built around one sender-controlled construct scaled to a target
 * size in bytes. Used by the linear-time unit tests, the property test and
 * `npm run bench:adversarial`; every kind names the parser path it attacks.
 */

const EOL = '\r\n';
const BOUNDARY = '_adversarial-4e8b1d2c_';

export interface AdversarialKind {
  name: string;
  /** What the input attacks. */
  attacks: string;
  /** A report whose hostile part is about `bytes` long. */
  build(bytes: number): Buffer;
}

interface ReportParts {
  topHeaders?: string;
  envelopeHeaders?: string;
  envelope?: string;
  originalHeaders?: string;
  originalBody?: string;
  /** Replaces the whole multipart body (between the top header block and the close delimiter). */
  body?: string;
  boundary?: string;
}

/** An Exchange 2007 report with the given pieces swapped in; the rest is an ordinary report. */
export function report(parts: ReportParts): Buffer {
  const boundary = parts.boundary ?? BOUNDARY;
  const body =
    parts.body ??
    [
      `--${boundary}`,
      parts.envelopeHeaders ?? 'Content-Type: text/plain; charset="us-ascii"\r\nContent-Transfer-Encoding: 7bit',
      '',
      parts.envelope ??
        'Sender: alice@contoso.com\r\nSubject: Hello\r\nMessage-ID: <A1@contoso.com>\r\nTo: bob@contoso.com',
      `--${boundary}`,
      'Content-Type: message/rfc822',
      '',
      (parts.originalHeaders ?? '') +
        'From: alice@contoso.com\r\nTo: bob@contoso.com\r\nSubject: Hello\r\nMessage-ID: <A1@contoso.com>\r\n' +
        'MIME-Version: 1.0\r\nContent-Type: text/plain',
      '',
      parts.originalBody ?? 'Hello Bob.',
    ].join(EOL);
  const head = [
    (parts.topHeaders ?? '') + 'From: MicrosoftExchange@contoso.com',
    'Subject: journal report',
    'X-MS-Journal-Report:',
    'MIME-Version: 1.0',
    `Content-Type: multipart/mixed; boundary="${boundary}"`,
    '',
    body,
    `--${boundary}--`,
    '',
  ].join(EOL);
  return Buffer.from(head, 'latin1');
}

/** `unit` repeated to about `bytes` (at least once). */
function repeat(unit: string, bytes: number): string {
  return unit.repeat(Math.max(1, Math.round(bytes / unit.length)));
}

/** `count` lines made by `line(i)`, about `bytes` in total. */
function lines(bytes: number, approxLineBytes: number, line: (i: number) => string): string {
  const count = Math.max(1, Math.round(bytes / approxLineBytes));
  const out: string[] = new Array<string>(count);
  for (let i = 0; i < count; i++) out[i] = line(i);
  return out.join(EOL);
}

function html(inner: string): ReportParts {
  return {
    envelopeHeaders: 'Content-Type: text/html; charset="us-ascii"',
    envelope: `<html><body><p>Sender: alice@contoso.com</p><p>Message-ID: &lt;A1@contoso.com&gt;</p>${inner}</body></html>`,
  };
}

/** Deterministic pseudo-random bytes (xorshift), so runs are repeatable. */
function noise(bytes: number, seed = 0x2545f491): Buffer {
  const out = Buffer.allocUnsafe(bytes);
  let x = seed;
  for (let i = 0; i < bytes; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

export const ADVERSARIAL_KINDS: readonly AdversarialKind[] = [
  {
    name: 'distribution-list',
    attacks: 'envelope recipient lines and their de-duplication (30,000-member lists and far beyond)',
    build: (bytes) =>
      report({
        envelope:
          'Sender: alice@contoso.com\r\nSubject: All hands\r\nMessage-ID: <A1@contoso.com>\r\n' +
          lines(bytes, 56, (i) => `To: member${i}@contoso.com, Expanded: everyone@contoso.com`),
      }),
  },
  {
    name: 'duplicate-recipients',
    attacks: 'the same recipient repeated with different via annotations',
    build: (bytes) =>
      report({
        envelope:
          'Sender: alice@contoso.com\r\nMessage-ID: <A1@contoso.com>\r\n' +
          lines(bytes, 50, (i) => `Bcc: bob@contoso.com, Forwarded: list${i}@contoso.com`),
      }),
  },
  {
    name: 'exchange-2003-recipients',
    attacks: 'one Recipients: list folded over many unindented lines',
    build: (bytes) =>
      report({
        envelope:
          'Sender: alice@contoso.com\r\nMessage-ID: <A1@contoso.com>\r\nRecipients: a@contoso.com,\r\n' +
          lines(bytes, 40, (i) => `"Member, ${i}" <m${i}@contoso.com>,`),
      }),
  },
  {
    name: 'address-list-header',
    attacks: 'one To: header line with a huge address list (address de-duplication)',
    build: (bytes) =>
      report({
        originalHeaders: `Cc: ${lines(bytes, 22, (i) => `u${i}@contoso.com`).replaceAll(EOL, ', ')}\r\n`,
        topHeaders: `To: ${lines(bytes, 22, (i) => `u${i}@contoso.com`).replaceAll(EOL, ', ')}\r\n`,
      }),
  },
  {
    name: 'address-list-quoted',
    attacks: 'address lists with quoted display names and comments (the full RFC 5322 path)',
    build: (bytes) =>
      report({
        topHeaders: `To: ${lines(bytes, 36, (i) => `"U, ${i}" (c) <u${i}@contoso.com>`).replaceAll(EOL, ', ')}\r\n`,
      }),
  },
  {
    name: 'repeated-address-fields',
    attacks: 'thousands of Cc: fields merged into one list',
    build: (bytes) => report({ topHeaders: lines(bytes, 22, (i) => `Cc: u${i}@contoso.com`) + EOL }),
  },
  {
    name: 'header-bomb',
    attacks: 'hundreds of thousands of header lines (top level, part and original headers)',
    build: (bytes) => {
      const bomb = lines(bytes, 10, (i) => `X-${i % 97}: v`) + EOL;
      return report({ topHeaders: bomb, originalHeaders: bomb });
    },
  },
  {
    name: 'folded-header',
    attacks: 'one header field folded over many continuation lines',
    build: (bytes) => {
      const folded = `Subject: start\r\n${lines(bytes, 12, (i) => ` w${i} =?x?q?a`)}\r\n`;
      return report({ topHeaders: folded, originalHeaders: folded });
    },
  },
  {
    name: 'folded-envelope',
    attacks: 'an envelope field folded over many indented lines',
    build: (bytes) =>
      report({
        envelope:
          'Sender: alice@contoso.com\r\nMessage-ID: <A1@contoso.com>\r\nTo: bob@contoso.com\r\n' +
          `Subject: x\r\n${lines(bytes, 12, (i) => ` , x${i}, y:`)}`,
      }),
  },
  {
    name: 'long-header-line',
    attacks: 'one header line of megabytes with no line break',
    build: (bytes) =>
      report({ topHeaders: `X-Long: ${repeat('a', bytes)}\r\n`, originalHeaders: `X-L: ${repeat('b,', bytes)}\r\n` }),
  },
  {
    name: 'long-message-id',
    attacks: 'Message-IDs of megabytes, unbalanced angle brackets',
    build: (bytes) =>
      report({
        envelope: `Sender: alice@contoso.com\r\nTo: bob@contoso.com\r\nMessage-ID: ${repeat('<a', bytes)}`,
        originalHeaders: `Message-ID: ${repeat('<', bytes)}\r\n`,
      }),
  },
  {
    name: 'long-envelope-line',
    attacks: 'an envelope line of megabytes: qualifiers, commas and spaces',
    build: (bytes) =>
      report({
        envelope: `Sender: alice@contoso.com\r\nMessage-ID: <A1@contoso.com>\r\nTo: a@b${repeat(', x y', bytes)}`,
      }),
  },
  {
    name: 'html-unclosed-comment',
    attacks: 'an HTML envelope full of unclosed <!-- comments',
    build: (bytes) => report(html(repeat('<!--a', bytes))),
  },
  {
    name: 'html-unclosed-script',
    attacks: 'an HTML envelope full of unclosed <script / <style / <head elements',
    build: (bytes) => report(html(repeat('<script>x<style><head>', bytes))),
  },
  {
    name: 'html-unclosed-tags',
    attacks: 'an HTML envelope of < and <br without >, and entities without ;',
    build: (bytes) => report(html(repeat('<br <p &amp &#x41 <', bytes))),
  },
  {
    name: 'mime-nesting',
    attacks: 'multiparts nested thousands deep (in the alternative envelope part too)',
    build: (bytes) => {
      const depth = Math.max(1, Math.round(bytes / 90));
      let inner = 'Content-Type: text/plain\r\n\r\nSender: alice@contoso.com';
      // built inside out: every level a multipart with its own boundary
      const open: string[] = [];
      const close: string[] = [];
      for (let i = 0; i < depth; i++) {
        open.push(`Content-Type: multipart/alternative; boundary="n${i}"\r\n\r\n--n${i}`);
        close.push(`--n${i}--`);
      }
      inner = `${open.join(EOL)}\r\n${inner}\r\n${close.reverse().join(EOL)}`;
      return report({
        body: `--${BOUNDARY}\r\n${inner}\r\n--${BOUNDARY}\r\nContent-Type: message/rfc822\r\n\r\nFrom: a@b`,
      });
    },
  },
  {
    name: 'nested-rfc822',
    attacks: 'message/rfc822 originals nested thousands deep',
    build: (bytes) => {
      const depth = Math.max(1, Math.round(bytes / 60));
      const nested = repeat('Content-Type: message/rfc822\r\nX-Depth: 1\r\n\r\n', depth * 44);
      return report({ originalHeaders: 'X-Nested: yes\r\n', originalBody: nested });
    },
  },
  {
    name: 'many-parts',
    attacks: 'hundreds of thousands of empty top-level parts (and originals beyond the limit)',
    build: (bytes) =>
      report({
        body: lines(bytes, 40, (i) =>
          i % 7 === 0 ? `--${BOUNDARY}\r\nContent-Type: message/rfc822\r\n` : `--${BOUNDARY}`,
        ),
      }),
  },
  {
    name: 'broken-boundaries',
    attacks: 'lines that start like the delimiter but are not one, and delimiter padding',
    build: (bytes) =>
      report({
        originalBody: lines(bytes, 44, (i) => (i % 2 === 0 ? `--${BOUNDARY}x` : `--${BOUNDARY}${' '.repeat(20)}y`)),
      }),
  },
  {
    name: 'boundary-padding',
    attacks: 'a delimiter followed by megabytes of transport padding',
    build: (bytes) => report({ originalBody: `x\r\n--${BOUNDARY}${repeat(' ', bytes)}z\r\nmore` }),
  },
  {
    name: 'boundary-prefix-flood',
    attacks: 'a body made of the boundary string repeated (delimiter search)',
    build: (bytes) => report({ originalBody: repeat(`-${BOUNDARY}-`, bytes) }),
  },
  {
    name: 'content-type-params',
    attacks: 'Content-Type with thousands of parameters and RFC 2231 continuations',
    build: (bytes) =>
      report({
        envelopeHeaders:
          'Content-Type: text/plain; ' +
          lines(bytes, 24, (i) => `\tname*${i}*="a%41'b;\\"c"`).replaceAll(EOL, `;${EOL}`),
      }),
  },
  {
    name: 'encoded-words',
    attacks: 'subjects of RFC 2047 encoded words, adjacent, mixed and unclosed',
    build: (bytes) =>
      report({
        topHeaders: `Subject: ${repeat('=?utf-8?q?a=C3=A9_?= =?iso-8859-1?b?QUJD?= =?x', bytes)}\r\n`,
        originalHeaders: `Subject: ${repeat('=?utf-8?Q?=3D=?=', bytes)}\r\n`,
      }),
  },
  {
    name: 'quoted-printable-envelope',
    attacks: 'a quoted-printable envelope of soft breaks, padding and stray =',
    build: (bytes) =>
      report({
        envelopeHeaders: 'Content-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable',
        envelope: `Sender: alice@contoso.com=\r\n${repeat('=  \t=\r\n= =4=41To: x@y\r\n', bytes)}`,
      }),
  },
  {
    name: 'base64-garbage',
    attacks: 'a base64 envelope and original mostly outside the alphabet',
    build: (bytes) =>
      report({
        envelopeHeaders: 'Content-Type: text/plain\r\nContent-Transfer-Encoding: base64',
        envelope: repeat('!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!A==\r\n', bytes),
      }),
  },
  {
    name: 'binary-envelope',
    attacks: 'an envelope part of random bytes (NUL, bare CR, 8-bit) in an unknown charset',
    build: (bytes) =>
      Buffer.concat([
        report({ envelopeHeaders: 'Content-Type: text/plain; charset="x-unknown"', envelope: 'Sender: a@b' }).subarray(
          0,
          -2 - BOUNDARY.length - 4,
        ),
        noise(bytes),
        Buffer.from(`\r\n--${BOUNDARY}--\r\n`, 'latin1'),
      ]),
  },
  {
    name: 'no-line-breaks',
    attacks: 'megabytes without a single line break (all header)',
    build: (bytes) => Buffer.from(`X-MS-Journal-Report: ${repeat('a:b ', bytes)}`, 'latin1'),
  },
  {
    name: 'random-bytes',
    attacks: 'arbitrary bytes',
    build: (bytes) => noise(bytes, 0x1f123bb5),
  },
  {
    name: 'empty',
    attacks: 'empty and whitespace-only messages',
    build: (bytes) => Buffer.from(repeat('\r\n', Math.min(bytes, 16)), 'latin1'),
  },
];

export function adversarialKind(name: string): AdversarialKind {
  const kind = ADVERSARIAL_KINDS.find((candidate) => candidate.name === name);
  if (kind === undefined) throw new Error(`unknown adversarial kind ${name}`);
  return kind;
}
