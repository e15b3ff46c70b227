import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeText } from './charset.js';
import { decodeEncodedWords } from './rfc2047.js';
import { createTransferDecoder, decodeTransferEncoding } from './transfer-decoder.js';
import { chunked, encodeQuotedPrintable } from '../../../../test/support/journal/report-builder.js';

function decodeInChunks(bytes: Buffer, encoding: string, sizes: number[]): Buffer {
  const decoder = createTransferDecoder(encoding);
  const parts = [...chunked(bytes, sizes)].map((chunk) => Buffer.from(decoder.write(chunk)));
  return Buffer.concat([...parts, decoder.end()]);
}

describe('transfer encodings', () => {
  it('decodes quoted-printable escapes and soft breaks anywhere, also with padding', () => {
    const encoded = Buffer.from(
      'Message-Id: <AS8PR07=\r\nMB7654@x=\n.example>\r\nSubject: =C3=9Cber =  \r\nweisung = literal =ZZ',
    );
    expect(decodeTransferEncoding(encoded, 'quoted-printable').toString('utf8')).toBe(
      'Message-Id: <AS8PR07MB7654@x.example>\r\nSubject: Über weisung = literal =ZZ',
    );
  });

  it('decodes lenient base64 (line breaks, junk, early padding)', () => {
    expect(decodeTransferEncoding(Buffer.from('SGVs\r\nbG8g*d29y\nbGQ='), 'base64').toString()).toBe('Hello world');
    expect(decodeTransferEncoding(Buffer.from('YQ==YWI='), 'base64').toString()).toBe('aab');
    expect(decodeTransferEncoding(Buffer.from('YWJj'), 'BASE64'.toLowerCase()).toString()).toBe('abc');
  });

  it('passes 7bit, 8bit, binary and unknown encodings through', () => {
    const bytes = Buffer.from([0xff, 0x00, 0x41]);
    for (const encoding of ['7bit', '8bit', 'binary', 'x-uuencode'])
      expect(decodeTransferEncoding(bytes, encoding)).toEqual(bytes);
  });

  it('decodes the same in any chunking (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.array(fc.integer({ min: 1, max: 17 }), { minLength: 1, maxLength: 5 }),
        fc.constantFrom('\r\n', '\n'),
        (data, sizes, eol) => {
          const bytes = Buffer.from(data);
          const qp = Buffer.from(encodeQuotedPrintable(bytes, eol), 'latin1');
          const b64 = Buffer.from((bytes.toString('base64').match(/.{1,76}/g) ?? []).join(eol), 'latin1');
          expect(decodeInChunks(b64, 'base64', sizes)).toEqual(bytes);
          const qpWhole = decodeTransferEncoding(qp, 'quoted-printable');
          expect(decodeInChunks(qp, 'quoted-printable', sizes)).toEqual(qpWhole);
        },
      ),
    );
  });

  it('round-trips quoted-printable for text without line breaks (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme' }).filter((s) => !/[\r\n]/.test(s)),
        (text) => {
          const bytes = Buffer.from(text, 'utf8');
          expect(decodeTransferEncoding(Buffer.from(encodeQuotedPrintable(bytes, '\r\n')), 'quoted-printable')).toEqual(
            bytes,
          );
        },
      ),
    );
  });
});

describe('charsets', () => {
  it('decodes declared charsets with WHATWG labels', () => {
    expect(decodeText(Buffer.from([0x66, 0xfc, 0x72]), 'iso-8859-1')).toMatchObject({ text: 'für', fallback: false });
    expect(decodeText(Buffer.from([0x80]), 'windows-1252')).toMatchObject({ text: '€', fallback: false });
    expect(decodeText(Buffer.from('1b2442246b1b2842', 'hex'), 'ISO-2022-JP')).toMatchObject({
      text: 'る',
      fallback: false,
    });
    expect(decodeText(Buffer.from([0xd0, 0xd2]), 'koi8-r')).toMatchObject({ text: 'пр', fallback: false });
  });

  it('falls back to UTF-8, then windows-1252, for 8-bit bytes under US-ASCII, no or an unknown label', () => {
    expect(decodeText(Buffer.from('rené', 'utf8'), 'us-ascii')).toEqual({
      text: 'rené',
      encoding: 'utf-8',
      fallback: true,
    });
    expect(decodeText(Buffer.from([0x72, 0xe9]), null)).toEqual({
      text: 'ré',
      encoding: 'windows-1252',
      fallback: true,
    });
    expect(decodeText(Buffer.from('é', 'utf8'), 'x-no-such-charset')).toMatchObject({ text: 'é', fallback: true });
    expect(decodeText(Buffer.from('plain'), 'x-no-such-charset')).toMatchObject({ text: 'plain', fallback: true });
    expect(decodeText(Buffer.from('plain'), 'us-ascii')).toMatchObject({ text: 'plain', fallback: false });
  });

  it('falls back when the bytes are invalid in the declared charset', () => {
    expect(decodeText(Buffer.from([0x72, 0xe9]), 'utf-8')).toEqual({
      text: 'ré',
      encoding: 'windows-1252',
      fallback: true,
    });
  });
});

describe('RFC 2047', () => {
  it('decodes B and Q words, joining adjacent words of one charset', () => {
    expect(
      decodeEncodedWords(
        '=?utf-8?b?w5xiZXJ3ZWlzdW5nIGbDvHIgTcOkcnog4oCTIMOFbmdzdHLDtm0tUHJvamVrdCA=?=\r\n =?utf-8?b?4pyT?=',
      ),
    ).toBe('Überweisung für März – Ångström-Projekt ✓');
    expect(decodeEncodedWords('Re: =?ISO-8859-1?Q?Caf=E9_cr=E8me?= ok')).toBe('Re: Café crème ok');
    expect(decodeEncodedWords('=?utf-8?q?=C3?= =?utf-8?q?=A9?=')).toBe('é');
    expect(decodeEncodedWords('=?utf-8*de?q?a?= =?iso-8859-1?q?=E9?=')).toBe('aé');
  });

  it('leaves text and words in unknown charsets alone', () => {
    expect(decodeEncodedWords('no words = here ?=')).toBe('no words = here ?=');
    expect(decodeEncodedWords('=?x-unknown?q?abc?=')).toBe('=?x-unknown?q?abc?=');
  });
});
