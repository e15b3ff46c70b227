import { describe, expect, it } from 'vitest';
import { TOP_HEADERS_SCAN_BYTES, topHeaders } from '../index.js';

describe('topHeaders', () => {
  it('reads From, Subject (decoded) and Message-ID of the top-level block only', () => {
    const message = Buffer.from(
      'From: "Alice" <alice@contoso.com>\r\nSubject: =?utf-8?q?Caf=C3=A9?=\r\n report\r\n' +
        'Message-ID: <m1@contoso.com>\r\n\r\nFrom: bob@fabrikam.com\r\nSubject: inner\r\n',
    );
    expect(topHeaders(message)).toEqual({
      sender: 'alice@contoso.com',
      subject: 'Café report',
      messageId: '<m1@contoso.com>',
    });
  });

  it('answers for bytes that are no message, and reads no further than its bound', () => {
    expect(topHeaders(Buffer.from([0, 1, 2, 255, 13, 10]))).toEqual({ sender: null, subject: null, messageId: null });
    const late = Buffer.concat([
      Buffer.from(`X-Pad: ${'a'.repeat(TOP_HEADERS_SCAN_BYTES)}\r\n`),
      Buffer.from('Subject: too late\r\n\r\n'),
    ]);
    expect(topHeaders(late).subject).toBeNull();
  });
});
